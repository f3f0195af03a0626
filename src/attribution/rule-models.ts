/**
 * Rule-based models: each splits one converting journey over its touches by a fixed rule,
 * with no fit over other journeys. `first_touch`, `last_touch`, `linear` (per touch, not per
 * distinct channel), `position_based` and `time_decay`.
 */
import type { JourneyTable, RuleModelName } from './journey.js';

const DAY_MS = 86_400_000;

/** Default half-life of `time_decay`, in days. */
export const DEFAULT_HALF_LIFE_DAYS = 7;

/** Default `position_based` weights: first, middle (shared), last. */
export const DEFAULT_POSITION_WEIGHTS: readonly [number, number, number] = [0.4, 0.2, 0.4];

/** Settings of the rule-based models. */
export interface RuleModelOptions {
  /** Half-life H of `time_decay` in days: a touch H days older weighs half. Default 7. */
  readonly halfLifeDays?: number;
  /**
   * `position_based` weights as [first, middle, last]; any non-negative numbers with a positive
   * sum (normalized), e.g. [40, 20, 40]. Default [0.4, 0.2, 0.4]. With two touches the middle
   * share is split between first and last in proportion to their weights (50/50 by default).
   */
  readonly positionWeights?: readonly [number, number, number];
}

/** Rule options after validation, with defaults applied and position weights summing to 1. */
export interface ResolvedRuleOptions {
  readonly halfLifeDays: number;
  readonly positionWeights: readonly [number, number, number];
}

/** Validates rule options; throws `RangeError` naming the bad setting. */
export function resolveRuleOptions(options: RuleModelOptions = {}): ResolvedRuleOptions {
  const halfLifeDays = options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS;
  if (!(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) {
    throw new RangeError(`halfLifeDays must be a positive number of days, got ${halfLifeDays}`);
  }
  const [first, middle, last] = options.positionWeights ?? DEFAULT_POSITION_WEIGHTS;
  const sum = first + middle + last;
  if (![first, middle, last].every((w) => w >= 0 && Number.isFinite(w)) || !(sum > 0)) {
    throw new RangeError(`positionWeights must be three non-negative numbers with a positive sum, got ${first},${middle},${last}`);
  }
  return { halfLifeDays, positionWeights: [first / sum, middle / sum, last / sum] };
}

/**
 * Writes the weights of `n` time-sorted touches of one converting journey into `out[0..n)`;
 * they sum to 1. `times[timeOffset + i]` is touch i's time (only `time_decay` reads times;
 * touches must not be after the conversion).
 */
export function fillRuleWeights(
  model: RuleModelName,
  n: number,
  out: Float64Array,
  times: ArrayLike<number> | null,
  timeOffset: number,
  options: ResolvedRuleOptions,
): void {
  if (n === 1) {
    out[0] = 1;
    return;
  }
  switch (model) {
    case 'first_touch':
      out.fill(0, 0, n);
      out[0] = 1;
      return;
    case 'last_touch':
      out.fill(0, 0, n);
      out[n - 1] = 1;
      return;
    case 'linear':
      out.fill(1 / n, 0, n);
      return;
    case 'position_based': {
      const [first, middle, last] = options.positionWeights;
      if (n === 2) {
        const ends = first + last;
        out[0] = ends > 0 ? first / ends : 0.5;
        out[1] = ends > 0 ? last / ends : 0.5;
        return;
      }
      out.fill(middle / (n - 2), 1, n - 1);
      out[0] = first;
      out[n - 1] = last;
      return;
    }
    case 'time_decay': {
      if (times === null) throw new TypeError('time_decay needs touch times');
      // 2^(-Δt/H) with Δt = conversion time - touch time. Measured from the newest touch
      // instead, so old journeys cannot underflow to 0/0: the common factor 2^(-(conversion -
      // newest)/H) cancels when normalizing.
      const h = options.halfLifeDays * DAY_MS;
      let newest = -Infinity;
      for (let i = 0; i < n; i++) newest = Math.max(newest, times[timeOffset + i] as number);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const w = Math.pow(2, -(newest - (times[timeOffset + i] as number)) / h);
        out[i] = w;
        sum += w;
      }
      for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
      return;
    }
  }
}

/** Per-channel credits of one model over a whole table, indexed by channel id. */
export interface ChannelCreditArrays {
  readonly conversions: Float64Array;
  readonly value: Float64Array;
}

/** Runs one rule-based model over every converting row of a table. */
export function creditRuleModel(table: JourneyTable, model: RuleModelName, options: ResolvedRuleOptions): ChannelCreditArrays {
  const nc = table.channels.length;
  const conversions = new Float64Array(nc);
  const value = new Float64Array(nc);
  if (model === 'time_decay' && table.touchTime === null) throw new TypeError('time_decay needs a journeys table with times');
  let weights = new Float64Array(64);
  const { rowStart, touchChannel, touchTime } = table;
  for (let r = 0; r < table.rowCount; r++) {
    const conv = table.conversions[r] as number;
    const val = table.value[r] as number;
    if (conv === 0 && val === 0) continue;
    const start = rowStart[r] as number;
    const n = (rowStart[r + 1] as number) - start;
    if (weights.length < n) weights = new Float64Array(n * 2);
    fillRuleWeights(model, n, weights, touchTime, start, options);
    for (let i = 0; i < n; i++) {
      const ch = touchChannel[start + i] as number;
      const w = weights[i] as number;
      conversions[ch] = (conversions[ch] as number) + conv * w;
      value[ch] = (value[ch] as number) + val * w;
    }
  }
  return { conversions, value };
}
