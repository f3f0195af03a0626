/**
 * Data-driven Shapley attribution.
 *
 * Coalition worth v(T) = conversion rate of all journeys whose set of distinct channels is
 * exactly T (conversions ÷ (conversions + nulls)); 0 for a set never seen. A converting
 * journey with distinct channels S gets, for each i in S,
 *   φ_i = Σ_{T ⊆ S∖{i}} |T|!(|S|−|T|−1)!/|S|! × (v(T ∪ {i}) − v(T)),
 * negative φ set to 0, and its conversion and value are split in proportion to φ (equally if
 * every φ is 0). Exact up to `MAX_EXACT_SHAPLEY_CHANNELS` distinct channels; a journey with
 * more is split equally over its channels and counted. φ is computed once per distinct set.
 */
import type { JourneyTable } from './journey.js';

/** Journeys with more distinct channels than this are split equally instead (2^16 coalitions). */
export const MAX_EXACT_SHAPLEY_CHANNELS = 16;

/** Shapley split of one distinct channel set. */
export interface ShapleyShares {
  /** Fraction of the conversion for each channel of the set; sums to 1. */
  readonly shares: ReadonlyMap<string, number>;
  /** False when the set had more than 16 channels and was split equally without computing φ. */
  readonly exact: boolean;
}

/** Coalition values fitted on all journeys (converting and not); apply them to any journey. */
export interface ShapleyFit {
  /** Number of distinct channel sets seen. */
  readonly coalitionCount: number;
  /** v(T) for a set of channel names (duplicates ignored); 0 for a set never seen. */
  coalitionValue(channels: Iterable<string>): number;
  /** The Shapley split of a converting journey with these distinct channels (duplicates ignored). */
  shares(channels: Iterable<string>): ShapleyShares;
}

const POW2: number[] = Array.from({ length: 53 }, (_, i) => 2 ** i);

/**
 * φ of each of `m` players from `vals[mask]` (worth of each sub-coalition, bit j = player j),
 * clamped at 0 and normalized; equal shares if every φ is 0.
 */
function normalizedShapley(m: number, vals: Float64Array): Float64Array {
  const fact = [1];
  for (let i = 1; i <= m; i++) fact.push((fact[i - 1] as number) * i);
  const weight = new Float64Array(m);
  for (let t = 0; t < m; t++) weight[t] = ((fact[t] as number) * (fact[m - t - 1] as number)) / (fact[m] as number);
  const size = 1 << m;
  const pop = new Uint8Array(size);
  for (let mask = 1; mask < size; mask++) pop[mask] = (pop[mask >> 1] as number) + (mask & 1);
  const phi = new Float64Array(m);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const bit = 1 << i;
    let acc = 0;
    for (let mask = 0; mask < size; mask++) {
      if ((mask & bit) !== 0) continue;
      acc += (weight[pop[mask] as number] as number) * ((vals[mask | bit] as number) - (vals[mask] as number));
    }
    const p = acc > 0 ? acc : 0;
    phi[i] = p;
    sum += p;
  }
  if (sum > 0) for (let i = 0; i < m; i++) phi[i] = (phi[i] as number) / sum;
  else phi.fill(1 / m);
  return phi;
}

/** Coalitions of a table and the cached Shapley split of each. */
export class ShapleyModel implements ShapleyFit {
  private readonly channelIds: Map<string, number>;
  private readonly numericKeys: boolean;
  private readonly coalitionOfKey = new Map<number | string, number>();
  private readonly coalitionConversions: number[] = [];
  private readonly coalitionNulls: number[] = [];
  private readonly coalitionMembers: Int32Array[] = [];
  private readonly shareCache = new Map<number, Float64Array | null>();
  /** Coalition index of each table row. */
  readonly rowCoalition: Int32Array;

  constructor(table: JourneyTable) {
    this.channelIds = new Map(table.channels.map((c, i) => [c, i]));
    this.numericKeys = table.channels.length <= 52;
    this.rowCoalition = new Int32Array(table.rowCount);
    const seen = new Int32Array(table.channels.length).fill(-1);
    let ids = new Int32Array(64);
    const { rowStart, touchChannel } = table;
    for (let r = 0; r < table.rowCount; r++) {
      const start = rowStart[r] as number;
      const end = rowStart[r + 1] as number;
      if (ids.length < end - start) ids = new Int32Array((end - start) * 2);
      let m = 0;
      for (let i = start; i < end; i++) {
        const c = touchChannel[i] as number;
        if (seen[c] === r) continue;
        seen[c] = r;
        // Insertion keeps ids sorted: a canonical order for string keys and member lists.
        let j = m++;
        while (j > 0 && (ids[j - 1] as number) > c) {
          ids[j] = ids[j - 1] as number;
          j--;
        }
        ids[j] = c;
      }
      const key = this.keyOf(ids, m);
      let k = this.coalitionOfKey.get(key);
      if (k === undefined) {
        k = this.coalitionMembers.length;
        this.coalitionOfKey.set(key, k);
        this.coalitionMembers.push(ids.slice(0, m));
        this.coalitionConversions.push(0);
        this.coalitionNulls.push(0);
      }
      this.coalitionConversions[k] = (this.coalitionConversions[k] as number) + (table.conversions[r] as number);
      this.coalitionNulls[k] = (this.coalitionNulls[k] as number) + (table.nulls[r] as number);
      this.rowCoalition[r] = k;
    }
  }

  get coalitionCount(): number {
    return this.coalitionMembers.length;
  }

  /** Distinct channel ids of coalition `k`, ascending. */
  members(k: number): Int32Array {
    return this.coalitionMembers[k] as Int32Array;
  }

  /** Shares of coalition `k`'s members (aligned with `members(k)`), or null beyond 16 channels. */
  memberShares(k: number): Float64Array | null {
    let cached = this.shareCache.get(k);
    if (cached === undefined) {
      const ids = this.coalitionMembers[k] as Int32Array;
      cached = ids.length > MAX_EXACT_SHAPLEY_CHANNELS ? null : normalizedShapley(ids.length, this.subsetValues(ids));
      this.shareCache.set(k, cached);
    }
    return cached;
  }

  coalitionValue(channels: Iterable<string>): number {
    const ids = this.idsOfNames(channels);
    if (ids === null) return 0;
    return this.rateOfKey(this.keyOf(ids, ids.length));
  }

  shares(channels: Iterable<string>): ShapleyShares {
    const names = [...new Set(channels)];
    const m = names.length;
    const out = new Map<string, number>();
    if (m === 0) return { shares: out, exact: true };
    if (m > MAX_EXACT_SHAPLEY_CHANNELS) {
      for (const n of names) out.set(n, 1 / m);
      return { shares: out, exact: false };
    }
    // Unknown channels are players whose every coalition is worth 0 (never seen).
    const known = names.map((n) => this.channelIds.get(n) ?? -1);
    const order = names.map((_, i) => i).filter((i) => (known[i] as number) >= 0);
    order.sort((a, b) => (known[a] as number) - (known[b] as number));
    const ids = Int32Array.from(order.map((i) => known[i] as number));
    const sub = this.subsetValues(ids);
    const vals = new Float64Array(1 << m);
    // Player j of `names`: map each mask over names to the mask over known ids, or 0 if it holds an unknown.
    const bitOf = new Int32Array(m).fill(-1);
    order.forEach((nameIndex, bit) => (bitOf[nameIndex] = bit));
    for (let mask = 1; mask < 1 << m; mask++) {
      let sm = 0;
      let unknown = false;
      for (let j = 0; j < m; j++) {
        if ((mask & (1 << j)) === 0) continue;
        const b = bitOf[j] as number;
        if (b < 0) unknown = true;
        else sm |= 1 << b;
      }
      vals[mask] = unknown ? 0 : (sub[sm] as number);
    }
    const phi = normalizedShapley(m, vals);
    names.forEach((n, j) => out.set(n, phi[j] as number));
    return { shares: out, exact: true };
  }

  private idsOfNames(channels: Iterable<string>): Int32Array | null {
    const set = new Set<number>();
    for (const n of channels) {
      const id = this.channelIds.get(n);
      if (id === undefined) return null;
      set.add(id);
    }
    return Int32Array.from([...set].sort((a, b) => a - b));
  }

  private keyOf(ids: Int32Array, m: number): number | string {
    if (this.numericKeys) {
      let key = 0;
      for (let i = 0; i < m; i++) key += POW2[ids[i] as number] as number;
      return key;
    }
    return ids.subarray(0, m).join(',');
  }

  private rateOfKey(key: number | string): number {
    const k = this.coalitionOfKey.get(key);
    if (k === undefined) return 0;
    const conv = this.coalitionConversions[k] as number;
    const total = conv + (this.coalitionNulls[k] as number);
    return total > 0 ? conv / total : 0;
  }

  /** v of every subset of sorted `ids` (bit j = ids[j]). */
  private subsetValues(ids: Int32Array): Float64Array {
    const m = ids.length;
    const size = 1 << m;
    const vals = new Float64Array(size);
    if (this.numericKeys) {
      const keys = new Float64Array(size);
      for (let mask = 1; mask < size; mask++) {
        const low = mask & -mask;
        const bit = 31 - Math.clz32(low);
        const key = (keys[mask ^ low] as number) + (POW2[ids[bit] as number] as number);
        keys[mask] = key;
        vals[mask] = this.rateOfKey(key);
      }
    } else {
      const picked: number[] = [];
      for (let mask = 1; mask < size; mask++) {
        picked.length = 0;
        for (let j = 0; j < m; j++) if ((mask & (1 << j)) !== 0) picked.push(ids[j] as number);
        vals[mask] = this.rateOfKey(picked.join(','));
      }
    }
    return vals;
  }
}

/** Fits coalition values on all rows of a table (converting and not). */
export function fitShapley(table: JourneyTable): ShapleyFit {
  return new ShapleyModel(table);
}

/** Result of crediting a whole table with Shapley. */
export interface ShapleyCredit {
  readonly conversions: Float64Array;
  readonly value: Float64Array;
  /** Converting rows split equally because they had more than 16 distinct channels. */
  readonly equalSplitRows: number;
}

/** Credits every converting row of a table by its coalition's Shapley split. */
export function creditShapley(table: JourneyTable, model: ShapleyModel): ShapleyCredit {
  const nc = table.channels.length;
  const conversions = new Float64Array(nc);
  const value = new Float64Array(nc);
  let equalSplitRows = 0;
  for (let r = 0; r < table.rowCount; r++) {
    const conv = table.conversions[r] as number;
    const val = table.value[r] as number;
    if (conv === 0 && val === 0) continue;
    const k = model.rowCoalition[r] as number;
    const ids = model.members(k);
    const shares = model.memberShares(k);
    if (shares === null) equalSplitRows++;
    const m = ids.length;
    for (let j = 0; j < m; j++) {
      const c = ids[j] as number;
      const share = shares === null ? 1 / m : (shares[j] as number);
      conversions[c] = (conversions[c] as number) + conv * share;
      value[c] = (value[c] as number) + val * share;
    }
  }
  return { conversions, value, equalSplitRows };
}
