/**
 * Journeys: the input of every attribution model, and the compact table the models read.
 *
 * Callers hand in either journeys (touches with times, plus a conversion or `null`) or
 * aggregated paths (a channel sequence with counts of conversions and non-conversions, the
 * layout ChannelAttribution uses). Both become one `JourneyTable`: channel names interned to
 * integers, touches in flat typed arrays, one row per journey or path. The models never see
 * `Journey` objects, so a million journeys cost a few typed arrays, not millions of objects.
 */

/** Channel credited when a converting journey has no touch left (after the lookback filter). */
export const NONE_CHANNEL = '(none)';

/** Every model, in the order results list them. */
export const MODEL_NAMES = [
  'first_touch',
  'last_touch',
  'linear',
  'position_based',
  'time_decay',
  'markov',
  'shapley',
] as const;

/** Name of one attribution model. */
export type ModelName = (typeof MODEL_NAMES)[number];

/** Models that split one journey by fixed rules (no fit over all journeys needed). */
export const RULE_MODELS = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay'] as const;

/** Name of a rule-based model. */
export type RuleModelName = (typeof RULE_MODELS)[number];

/** Models that need touch and conversion times: they cannot run on aggregated paths. */
export const TIME_MODELS: ReadonlySet<ModelName> = new Set<ModelName>(['time_decay']);

/** True when `name` is one of `MODEL_NAMES`. */
export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** One touch of a journey. */
export interface Touch {
  /** Channel name, e.g. `tg/deals`; any non-empty string (Chinese names are fine). */
  readonly channel: string;
  /** When the touch happened, epoch milliseconds (UTC). */
  readonly at: number;
}

/** The conversion that closes a journey. */
export interface Conversion {
  /** When it happened, epoch milliseconds (UTC). */
  readonly at: number;
  /** Its value (≥ 0), e.g. order revenue; 0 when unknown. */
  readonly value: number;
}

/** One person's touches, and the conversion they led to (`null`: did not convert). */
export interface Journey {
  /** In any order; they are sorted by time (stable) before crediting. */
  readonly touches: readonly Touch[];
  readonly conversion: Conversion | null;
}

/** One aggregated path: `conversions + nulls` journeys that all made the same channel sequence. */
export interface PathRow {
  /** Channels in order; empty means "no touch" (conversions are then credited to `(none)`). */
  readonly path: readonly string[];
  /** Number of those journeys that converted (≥ 0; need not be an integer). */
  readonly conversions: number;
  /** Sum of their conversion values (≥ 0). */
  readonly value: number;
  /** Number of those journeys that did not convert (≥ 0). */
  readonly nulls: number;
}

/**
 * Journeys or paths in columnar form: what every model reads.
 *
 * Row `r` has touches `rowStart[r] … rowStart[r+1]-1`, sorted by time, at least one touch per
 * row (a converting journey with none gets one `(none)` touch at its conversion time; journeys
 * that neither convert nor keep a touch are counted in `journeys` and have no row).
 */
export interface JourneyTable {
  /** `journeys`: built from journeys with times; `paths`: from aggregated paths (no times). */
  readonly kind: 'journeys' | 'paths';
  /** Channel name of each interned id, in first-seen order. */
  readonly channels: readonly string[];
  readonly rowCount: number;
  /** Length `rowCount + 1`: where each row's touches start in the touch arrays. */
  readonly rowStart: Uint32Array;
  /** Channel id of each touch. */
  readonly touchChannel: Int32Array;
  /** Time of each touch (epoch ms), or `null` for paths. */
  readonly touchTime: Float64Array | null;
  /** Conversions of each row (0 or 1 for a journey). */
  readonly conversions: Float64Array;
  /** Conversion value of each row. */
  readonly value: Float64Array;
  /** Non-conversions of each row (1 or 0 for a journey). */
  readonly nulls: Float64Array;
  /** Conversion time of each row (epoch ms; `NaN` if it did not convert), or `null` for paths. */
  readonly conversionTime: Float64Array | null;
  /**
   * Journeys the table stands for: one per journey given (with or without a row), or for paths
   * the sum of `conversions + nulls` over all rows (each row aggregates that many journeys).
   */
  readonly journeys: number;
}

/** Options for turning journeys into a table. */
export interface JourneyTableOptions {
  /**
   * Drop touches more than this many days before the conversion (touches after the conversion
   * are always dropped). A journey that did not convert has nothing to measure back from, so
   * all its touches are kept. Default: no window.
   */
  readonly lookbackDays?: number;
}

const DAY_MS = 86_400_000;

class GrowableF64 {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

class GrowableI32 {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Builds a `JourneyTable` one journey (or one path) at a time, without keeping the inputs.
 * Parsers feed it line by line; `buildJourneyTable` / `buildPathTable` wrap it for arrays.
 */
export class JourneyTableBuilder {
  readonly kind: 'journeys' | 'paths';
  private readonly lookbackMs: number;
  private readonly channelIds = new Map<string, number>();
  private readonly channels: string[] = [];
  private readonly rowStart = new GrowableF64();
  private readonly touchChannel = new GrowableI32(4096);
  private readonly touchTime = new GrowableF64(4096);
  private readonly conversions = new GrowableF64();
  private readonly value = new GrowableF64();
  private readonly nulls = new GrowableF64();
  private readonly conversionTime = new GrowableF64();
  private journeys = 0;
  // Scratch for one journey's kept touches (reused: no allocation per journey).
  private keptIdx = new Int32Array(64);

  /**
   * @param kind `journeys` (touches have times) or `paths` (aggregated, no times).
   * @param options lookback window; only meaningful for journeys.
   */
  constructor(kind: 'journeys' | 'paths', options: JourneyTableOptions = {}) {
    this.kind = kind;
    const lookback = options.lookbackDays;
    if (lookback !== undefined && !(lookback > 0)) throw new RangeError(`lookbackDays must be > 0, got ${lookback}`);
    this.lookbackMs = lookback === undefined ? Infinity : lookback * DAY_MS;
    this.rowStart.push(0);
  }

  /** Interns a channel name; returns its id. */
  channelId(name: string): number {
    let id = this.channelIds.get(name);
    if (id === undefined) {
      id = this.channels.length;
      this.channels.push(name);
      this.channelIds.set(name, id);
    }
    return id;
  }

  /**
   * Adds one journey given as parallel arrays (the first `count` entries are used), so parsers
   * need not allocate touch objects. Applies the lookback filter and sorts touches by time.
   * @param conversionAt conversion time (epoch ms), or `null` when the journey did not convert.
   * @throws RangeError for a time that is not finite or a value that is negative or not finite.
   */
  addJourneyArrays(
    channels: readonly string[],
    times: ArrayLike<number>,
    count: number,
    conversionAt: number | null,
    conversionValue: number,
  ): void {
    if (this.kind !== 'journeys') throw new TypeError('addJourneyArrays needs a journeys table');
    if (conversionAt !== null && !Number.isFinite(conversionAt)) throw new RangeError(`conversion time must be finite epoch ms, got ${conversionAt}`);
    if (!(conversionValue >= 0) || !Number.isFinite(conversionValue)) throw new RangeError(`conversion value must be a finite number ≥ 0, got ${conversionValue}`);
    this.journeys += 1;
    if (this.keptIdx.length < count) this.keptIdx = new Int32Array(count * 2);
    const kept = this.keptIdx;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const t = times[i] as number;
      if (!Number.isFinite(t)) throw new RangeError(`touch time must be finite epoch ms, got ${t}`);
      if (conversionAt !== null && (t > conversionAt || conversionAt - t > this.lookbackMs)) continue;
      kept[n++] = i;
    }
    sortByTime(kept, n, times);
    if (conversionAt === null) {
      if (n === 0) return;
      for (let k = 0; k < n; k++) {
        const i = kept[k] as number;
        this.touchChannel.push(this.channelId(channels[i] as string));
        this.touchTime.push(times[i] as number);
      }
      this.pushRow(0, 0, 1, NaN);
      return;
    }
    if (n === 0) {
      this.touchChannel.push(this.channelId(NONE_CHANNEL));
      this.touchTime.push(conversionAt);
    } else {
      for (let k = 0; k < n; k++) {
        const i = kept[k] as number;
        this.touchChannel.push(this.channelId(channels[i] as string));
        this.touchTime.push(times[i] as number);
      }
    }
    this.pushRow(1, conversionValue, 0, conversionAt);
  }

  /** Adds one journey (see `addJourneyArrays`). */
  addJourney(journey: Journey): void {
    const names = journey.touches.map((t) => t.channel);
    const times = journey.touches.map((t) => t.at);
    const c = journey.conversion;
    this.addJourneyArrays(names, times, names.length, c === null ? null : c.at, c === null ? 0 : c.value);
  }

  /**
   * Adds one aggregated path (paths tables only). A row with no conversions and no nulls adds
   * nothing; an empty path that converted is credited to `(none)`.
   */
  addPath(path: readonly string[], conversions: number, value: number, nulls: number): void {
    if (this.kind !== 'paths') throw new TypeError('addPath needs a paths table');
    for (const [name, n] of [['conversions', conversions], ['value', value], ['nulls', nulls]] as const) {
      if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`path ${name} must be a finite number ≥ 0, got ${n}`);
    }
    this.journeys += conversions + nulls;
    if (conversions + nulls <= 0) return;
    if (path.length === 0) {
      if (conversions <= 0) return;
      this.touchChannel.push(this.channelId(NONE_CHANNEL));
    } else {
      for (const name of path) this.touchChannel.push(this.channelId(name));
    }
    this.pushRow(conversions, value, nulls, NaN);
  }

  private pushRow(conversions: number, value: number, nulls: number, conversionAt: number): void {
    this.rowStart.push(this.touchChannel.length);
    this.conversions.push(conversions);
    this.value.push(value);
    this.nulls.push(nulls);
    if (this.kind === 'journeys') this.conversionTime.push(conversionAt);
  }

  /** Finishes the table. The builder should not be used afterwards. */
  build(): JourneyTable {
    const rowCount = this.conversions.length;
    const rowStart = new Uint32Array(rowCount + 1);
    for (let r = 0; r <= rowCount; r++) rowStart[r] = this.rowStart.data[r] as number;
    const timed = this.kind === 'journeys';
    return {
      kind: this.kind,
      channels: this.channels.slice(),
      rowCount,
      rowStart,
      touchChannel: this.touchChannel.toArray(),
      touchTime: timed ? this.touchTime.toArray() : null,
      conversions: this.conversions.toArray(),
      value: this.value.toArray(),
      nulls: this.nulls.toArray(),
      conversionTime: timed ? this.conversionTime.toArray() : null,
      journeys: this.journeys,
    };
  }
}

/** Stable sort of `idx[0..n)` by `times[idx]`: insertion sort for short journeys, else a merge. */
function sortByTime(idx: Int32Array, n: number, times: ArrayLike<number>): void {
  if (n <= 32) {
    for (let k = 1; k < n; k++) {
      const i = idx[k] as number;
      const t = times[i] as number;
      let j = k;
      while (j > 0 && (times[idx[j - 1] as number] as number) > t) {
        idx[j] = idx[j - 1] as number;
        j--;
      }
      idx[j] = i;
    }
    return;
  }
  // Array.prototype.sort is stable; index order breaks ties the same way.
  const sorted = Array.from(idx.subarray(0, n)).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  idx.set(sorted);
}

/**
 * Turns journeys into a table: drops touches after the conversion or outside the lookback
 * window, sorts the rest by time, and credits converting journeys left with no touch to `(none)`.
 */
export function buildJourneyTable(journeys: Iterable<Journey>, options: JourneyTableOptions = {}): JourneyTable {
  const builder = new JourneyTableBuilder('journeys', options);
  for (const j of journeys) builder.addJourney(j);
  return builder.build();
}

/** Turns aggregated paths into a table (no times: time-based models cannot run on it). */
export function buildPathTable(rows: Iterable<PathRow>): JourneyTable {
  const builder = new JourneyTableBuilder('paths');
  for (const row of rows) builder.addPath(row.path, row.conversions, row.value, row.nulls);
  return builder.build();
}

/** Totals of a table: what every model's credits add up to. */
export interface AttributionTotals {
  /** Sum of conversions. */
  readonly conversions: number;
  /** Sum of conversion values. */
  readonly value: number;
  /** Journeys the input stands for (see `JourneyTable.journeys`). */
  readonly journeys: number;
}

/** Sums a table's conversions and value. */
export function summarizeTable(table: JourneyTable): AttributionTotals {
  let conversions = 0;
  let value = 0;
  for (let r = 0; r < table.rowCount; r++) {
    conversions += table.conversions[r] as number;
    value += table.value[r] as number;
  }
  return { conversions, value, journeys: table.journeys };
}
