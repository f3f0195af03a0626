/**
 * `creditJourney`: how one journey's conversion is split over its own touches, so a caller
 * (the reconciler) can store a credit per touch.
 *
 * Rule-based models need nothing else. `markov` and `shapley` need a fit over all journeys
 * (`fitMarkov`, `fitShapley`, or `attribute(...).fits`):
 * - shapley: the journey's distinct channels share the conversion by their Shapley split;
 *   summing `creditJourney` over the journeys the fit was made on gives exactly `attribute`.
 * - markov: the journey's distinct channels share the conversion in proportion to their removal
 *   effects (value: value removal effects); equally if those are all 0. Markov credit is a
 *   global split (`total × RE_k / Σ RE`), so summing per-journey credits does NOT reproduce
 *   `attribute`'s markov column; it is the closest per-journey reading of the same fit.
 * A channel with several touches in the journey splits its share equally among them (for
 * markov and shapley, which credit channels rather than touches).
 */
import { RULE_MODELS, type Journey, type JourneyTableOptions, type ModelName, type RuleModelName } from './journey.js';
import type { MarkovFit } from './markov.js';
import { fillRuleWeights, resolveRuleOptions, type RuleModelOptions } from './rule-models.js';
import type { ShapleyFit } from './shapley.js';

const DAY_MS = 86_400_000;

/** What to compute for one journey. */
export interface CreditJourneyOptions extends RuleModelOptions, JourneyTableOptions {
  readonly models: readonly ModelName[];
  /** Required when `models` has `markov`. */
  readonly markov?: MarkovFit;
  /** Required when `models` has `shapley`. */
  readonly shapley?: ShapleyFit;
}

/** One model's split of one journey, aligned with `journey.touches` (input order). */
export interface TouchCredits {
  /** Fraction of the conversion credited to each touch; 0 for dropped touches. */
  readonly conversion: readonly number[];
  /** Fraction of the conversion value credited to each touch (differs from `conversion` only for markov). */
  readonly value: readonly number[];
}

/** Result of `creditJourney`. */
export interface JourneyCredit {
  readonly converted: boolean;
  /**
   * Indexes into `journey.touches` of the touches that count, in time order: for a converting
   * journey those not after the conversion and inside the lookback window; otherwise all.
   */
  readonly kept: readonly number[];
  /** True when the journey converted but kept no touch: the whole conversion goes to `(none)`. */
  readonly none: boolean;
  /** For each requested model; fractions sum to 1 over the touches when converted and not `none`, else all 0. */
  readonly models: Partial<Record<ModelName, TouchCredits>>;
}

/** Touches that count for a journey, as indexes in time order (stable). */
function keptTouches(journey: Journey, lookbackDays: number | undefined): number[] {
  const conv = journey.conversion;
  const window = lookbackDays === undefined ? Infinity : lookbackDays * DAY_MS;
  const kept: number[] = [];
  journey.touches.forEach((t, i) => {
    if (conv !== null && (t.at > conv.at || conv.at - t.at > window)) return;
    kept.push(i);
  });
  return kept.sort((a, b) => (journey.touches[a] as { at: number }).at - (journey.touches[b] as { at: number }).at || a - b);
}

/**
 * Splits one journey's conversion over its touches under each requested model.
 * @throws TypeError when `markov` or `shapley` is requested without its fit; RangeError for bad options.
 */
export function creditJourney(journey: Journey, options: CreditJourneyOptions): JourneyCredit {
  const ruleOptions = resolveRuleOptions(options);
  if (options.lookbackDays !== undefined && !(options.lookbackDays > 0)) {
    throw new RangeError(`lookbackDays must be > 0, got ${options.lookbackDays}`);
  }
  const kept = keptTouches(journey, options.lookbackDays);
  const converted = journey.conversion !== null;
  const none = converted && kept.length === 0;
  const size = journey.touches.length;
  const models: Partial<Record<ModelName, TouchCredits>> = {};
  const zeros = (): TouchCredits => {
    const z = new Array<number>(size).fill(0);
    return { conversion: z, value: z };
  };
  for (const model of options.models) {
    if (model === 'markov' && options.markov === undefined) throw new TypeError('creditJourney: markov needs options.markov (a MarkovFit)');
    if (model === 'shapley' && options.shapley === undefined) throw new TypeError('creditJourney: shapley needs options.shapley (a ShapleyFit)');
    if (!converted || none) {
      models[model] = zeros();
      continue;
    }
    const n = kept.length;
    if ((RULE_MODELS as readonly string[]).includes(model)) {
      const times = kept.map((i) => (journey.touches[i] as { at: number }).at);
      const w = new Float64Array(n);
      fillRuleWeights(model as RuleModelName, n, w, times, 0, ruleOptions);
      const out = new Array<number>(size).fill(0);
      kept.forEach((i, k) => (out[i] = w[k] as number));
      models[model] = { conversion: out, value: out };
      continue;
    }
    const channels = kept.map((i) => (journey.touches[i] as { channel: string }).channel);
    if (model === 'markov') {
      const fit = options.markov as MarkovFit;
      models[model] = {
        conversion: splitOverTouches(size, kept, channels, (c) => fit.removalEffect.get(c) ?? 0),
        value: splitOverTouches(size, kept, channels, (c) => fit.valueRemovalEffect.get(c) ?? 0),
      };
    } else {
      const { shares } = (options.shapley as ShapleyFit).shares(channels);
      const out = splitOverTouches(size, kept, channels, (c) => shares.get(c) ?? 0);
      models[model] = { conversion: out, value: out };
    }
  }
  return { converted, kept, none, models };
}

/**
 * Gives each distinct channel `weight(c) / Σ weight` (equal shares if all are 0), split
 * equally over that channel's touches; returns fractions aligned with the journey's touches.
 */
function splitOverTouches(size: number, kept: readonly number[], channels: readonly string[], weight: (channel: string) => number): number[] {
  const count = new Map<string, number>();
  for (const c of channels) count.set(c, (count.get(c) ?? 0) + 1);
  let sum = 0;
  for (const c of count.keys()) sum += weight(c);
  const out = new Array<number>(size).fill(0);
  kept.forEach((i, k) => {
    const c = channels[k] as string;
    const share = sum > 0 ? weight(c) / sum : 1 / count.size;
    out[i] = share / (count.get(c) as number);
  });
  return out;
}
