/**
 * Markov-chain attribution by removal effect, computed exactly.
 *
 * The chain: states are the channels (order K: sliding K-tuples of channels, no padding; a
 * path shorter than K is one state of its whole path), plus `(start)`, `(conversion)` and
 * `(null)`. Consecutive identical states of a path are merged. Every path adds its
 * `conversions + nulls` to each transition it makes (starting at `(start)`), its conversions
 * to `last state → (conversion)` and its nulls to `last state → (null)`.
 *
 * Removal effect of channel k: 1 − P(conversion | every state containing k leads to `(null)`)
 * / P(conversion). Conversions are credited `total × RE_k / Σ RE`. The value chain is the same
 * chain where reaching `(conversion)` from state s is worth the mean conversion value of the
 * paths ending in s; its removal effects are normalized on their own.
 *
 * "Exactly" means solving the absorbing chain as a linear system, not simulating it and with
 * no step limit: the transient states are split into strongly connected components (Tarjan),
 * solved sinks first; a component with up to `DENSE_LIMIT` states by Gaussian elimination, a
 * bigger one by Gauss–Seidel sweeps until the change is below 1e-15 relative (or stops
 * shrinking at the floating-point floor). A removal re-solves only the components that can
 * reach a removed state. Building the chain is one pass over the rows; solving depends on the
 * number of states and transitions only, not on the number of journeys.
 *
 * Converting journeys left with no touch (a lone `(none)` touch in the table) are kept out of
 * the chain: `attribute` credits them to `(none)` exactly, like every other model does, and
 * splits the remaining conversions by removal effect. (Keeping them in would not change how
 * the rest is shared among the real channels, only blur `(none)`'s own credit.)
 */
import { NONE_CHANNEL, type JourneyTable } from './journey.js';

/** Biggest strongly connected component solved by dense Gaussian elimination. */
const DENSE_LIMIT = 160;
/** Gauss–Seidel stops when the biggest change of a sweep is below this, relative to the values. */
const RELATIVE_TOLERANCE = 1e-15;
/** Keys `from * EDGE_KEY + to` identify transitions while counting them. */
const EDGE_KEY = 2 ** 26;

/** An absorbing Markov chain built from a table. State 0 is `(start)`. */
export interface MarkovChain {
  readonly order: number;
  readonly channels: readonly string[];
  /** Number of states, `(start)` included; `(conversion)` and `(null)` are not stored as states. */
  readonly stateCount: number;
  /** Transitions between states in CSR form: state s's go from `edgeStart[s]` to `edgeStart[s+1]-1`. */
  readonly edgeStart: Int32Array;
  readonly edgeTo: Int32Array;
  readonly edgeProb: Float64Array;
  /** P(s → (conversion)). */
  readonly conversionReward: Float64Array;
  /** P(s → (conversion)) × mean conversion value of the paths ending in s. */
  readonly valueReward: Float64Array;
  /** Distinct channel ids in each state, CSR form. */
  readonly stateChannelStart: Int32Array;
  readonly stateChannels: Int32Array;
}

/** Per-channel removal effects of a chain (indexed by channel id). */
export interface MarkovSolution {
  /** P(conversion) of the whole chain. */
  readonly conversionProbability: number;
  /** Expected conversion value per path of the whole chain. */
  readonly expectedValue: number;
  readonly removalEffect: Float64Array;
  readonly valueRemovalEffect: Float64Array;
}

/** A fitted Markov model: removal effects per channel, reusable on single journeys. */
export interface MarkovFit {
  readonly order: number;
  /** Transient states in the chain (`(start)` not counted). */
  readonly stateCount: number;
  /** Transitions between transient states and from `(start)`. */
  readonly transitionCount: number;
  readonly conversionProbability: number;
  readonly expectedValue: number;
  /** Removal effect of each channel on P(conversion), in [0, 1]. */
  readonly removalEffect: ReadonlyMap<string, number>;
  /** Removal effect of each channel on the expected conversion value, in [0, 1]. */
  readonly valueRemovalEffect: ReadonlyMap<string, number>;
}

class GrowI32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }
  private grow(): void {
    const next = new Int32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

class GrowF64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  add(i: number, v: number): void {
    this.data[i] = (this.data[i] as number) + v;
  }
}

/** Validates a Markov order (a positive integer); throws `RangeError` otherwise. */
export function checkMarkovOrder(order: number): void {
  if (!Number.isInteger(order) || order < 1) throw new RangeError(`markov order must be a positive integer, got ${order}`);
}

/** Builds the order-K chain of a table in one pass over its rows. */
export function buildMarkovChain(table: JourneyTable, order = 1): MarkovChain {
  checkMarkovOrder(order);
  const nc = table.channels.length;
  const base = nc + 1;
  // Tuple keys are numbers Σ (c_i + 1)·base^i while they stay exact, else strings.
  const numericKeys = Math.pow(base, order) < Number.MAX_SAFE_INTEGER;
  const stateOfKey = new Map<number | string, number>();
  const stateOfChannel = new Int32Array(nc).fill(-1); // order 1 fast path
  const stateChannelStart = new GrowI32();
  const stateChannels = new GrowI32();
  const convEnd = new GrowF64();
  const nullEnd = new GrowF64();
  const valueEnd = new GrowF64();
  const outWeight = new GrowF64();
  const edgeOfKey = new Map<number, number>();
  const edgeFrom = new GrowI32();
  const edgeTo = new GrowI32();
  const edgeWeight = new GrowF64();

  const newState = (channels: ArrayLike<number>, from: number, count: number): number => {
    const id = convEnd.length;
    if (id >= EDGE_KEY) throw new RangeError(`markov chain has more than ${EDGE_KEY} states; use a lower order`);
    stateChannelStart.push(stateChannels.length);
    for (let i = 0; i < count; i++) {
      const c = channels[from + i] as number;
      let seen = false;
      for (let j = stateChannelStart.data[id] as number; j < stateChannels.length; j++) {
        if (stateChannels.data[j] === c) seen = true;
      }
      if (!seen) stateChannels.push(c);
    }
    convEnd.push(0);
    nullEnd.push(0);
    valueEnd.push(0);
    outWeight.push(0);
    return id;
  };
  newState([], 0, 0); // (start)

  const stateOfTuple = (touch: Int32Array, from: number, count: number): number => {
    let key: number | string;
    if (numericKeys) {
      let k = 0;
      for (let i = count - 1; i >= 0; i--) k = k * base + (touch[from + i] as number) + 1;
      key = k;
    } else {
      key = Array.prototype.join.call(touch.subarray(from, from + count), ',');
    }
    let s = stateOfKey.get(key);
    if (s === undefined) {
      s = newState(touch, from, count);
      stateOfKey.set(key, s);
    }
    return s;
  };

  const addEdge = (from: number, to: number, w: number): void => {
    const key = from * EDGE_KEY + to;
    const e = edgeOfKey.get(key);
    if (e === undefined) {
      edgeOfKey.set(key, edgeFrom.length);
      edgeFrom.push(from);
      edgeTo.push(to);
      edgeWeight.push(w);
    } else {
      edgeWeight.add(e, w);
    }
  };

  const { rowStart, touchChannel } = table;
  const none = table.channels.indexOf(NONE_CHANNEL);
  let seq = new Int32Array(64);
  for (let r = 0; r < table.rowCount; r++) {
    const conv = table.conversions[r] as number;
    const nulls = table.nulls[r] as number;
    const w = conv + nulls;
    if (!(w > 0)) continue;
    const start = rowStart[r] as number;
    const n = (rowStart[r + 1] as number) - start;
    if (n === 1 && touchChannel[start] === none) continue;
    if (seq.length < n) seq = new Int32Array(n * 2);
    let m = 0;
    let prevState = -1;
    if (order === 1) {
      for (let i = 0; i < n; i++) {
        const c = touchChannel[start + i] as number;
        let s = stateOfChannel[c] as number;
        if (s < 0) {
          s = newState(touchChannel, start + i, 1);
          stateOfChannel[c] = s;
        }
        if (s !== prevState) seq[m++] = prevState = s;
      }
    } else if (n < order) {
      seq[m++] = stateOfTuple(touchChannel, start, n);
    } else {
      for (let j = 0; j + order <= n; j++) {
        const s = stateOfTuple(touchChannel, start + j, order);
        if (s !== prevState) seq[m++] = prevState = s;
      }
    }
    let from = 0;
    outWeight.add(0, w);
    for (let i = 0; i < m; i++) {
      const to = seq[i] as number;
      addEdge(from, to, w);
      outWeight.add(to, w);
      from = to;
    }
    convEnd.add(from, conv);
    nullEnd.add(from, nulls);
    valueEnd.add(from, table.value[r] as number);
  }
  stateChannelStart.push(stateChannels.length);

  const stateCount = convEnd.length;
  const edgeCount = edgeFrom.length;
  const edgeStart = new Int32Array(stateCount + 1);
  for (let e = 0; e < edgeCount; e++) edgeStart[(edgeFrom.data[e] as number) + 1]! += 1;
  for (let s = 0; s < stateCount; s++) edgeStart[s + 1]! += edgeStart[s] as number;
  const fill = edgeStart.slice(0, stateCount);
  const to = new Int32Array(edgeCount);
  const prob = new Float64Array(edgeCount);
  for (let e = 0; e < edgeCount; e++) {
    const f = edgeFrom.data[e] as number;
    const slot = fill[f]!++;
    to[slot] = edgeTo.data[e] as number;
    prob[slot] = (edgeWeight.data[e] as number) / (outWeight.data[f] as number);
  }
  const conversionReward = new Float64Array(stateCount);
  const valueReward = new Float64Array(stateCount);
  for (let s = 1; s < stateCount; s++) {
    const out = outWeight.data[s] as number;
    if (out > 0) {
      conversionReward[s] = (convEnd.data[s] as number) / out;
      valueReward[s] = (valueEnd.data[s] as number) / out;
    }
  }
  return {
    order,
    channels: table.channels,
    stateCount,
    edgeStart,
    edgeTo: to,
    edgeProb: prob,
    conversionReward,
    valueReward,
    stateChannelStart: stateChannelStart.data.slice(0, stateChannelStart.length),
    stateChannels: stateChannels.data.slice(0, stateChannels.length),
  };
}

interface Components {
  /** States grouped by component, components in reverse topological order (sinks first). */
  readonly members: Int32Array;
  /** Component c's states are `members[start[c] … start[c+1]-1]`. */
  readonly start: Int32Array;
  readonly count: number;
  readonly componentOf: Int32Array;
}

/** Tarjan's strongly connected components over states 1…S-1, iterative (no recursion limit). */
function findComponents(chain: MarkovChain): Components {
  const S = chain.stateCount;
  const { edgeStart, edgeTo } = chain;
  const index = new Int32Array(S).fill(-1);
  const low = new Int32Array(S);
  const onStack = new Uint8Array(S);
  const stack = new Int32Array(S);
  const callNode = new Int32Array(S);
  const callEdge = new Int32Array(S);
  const members = new Int32Array(Math.max(S - 1, 0));
  const componentOf = new Int32Array(S).fill(-1);
  const starts: number[] = [0];
  let sp = 0;
  let next = 0;
  let filled = 0;
  for (let root = 1; root < S; root++) {
    if (index[root] !== -1) continue;
    let csp = 0;
    index[root] = low[root] = next++;
    stack[sp++] = root;
    onStack[root] = 1;
    callNode[csp] = root;
    callEdge[csp++] = edgeStart[root] as number;
    while (csp > 0) {
      const v = callNode[csp - 1] as number;
      const e = callEdge[csp - 1] as number;
      if (e < (edgeStart[v + 1] as number)) {
        callEdge[csp - 1] = e + 1;
        const w = edgeTo[e] as number;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack[sp++] = w;
          onStack[w] = 1;
          callNode[csp] = w;
          callEdge[csp++] = edgeStart[w] as number;
        } else if (onStack[w] === 1 && (index[w] as number) < (low[v] as number)) {
          low[v] = index[w] as number;
        }
        continue;
      }
      csp--;
      if (csp > 0) {
        const u = callNode[csp - 1] as number;
        if ((low[v] as number) < (low[u] as number)) low[u] = low[v] as number;
      }
      if (low[v] === index[v]) {
        const c = starts.length - 1;
        let w: number;
        do {
          w = stack[--sp] as number;
          onStack[w] = 0;
          componentOf[w] = c;
          members[filled++] = w;
        } while (w !== v);
        starts.push(filled);
      }
    }
  }
  return { members, start: Int32Array.from(starts), count: starts.length - 1, componentOf };
}

/** Solves absorbing values h = r + P h, two reward vectors at once, component by component. */
class ChainSolver {
  private readonly chain: MarkovChain;
  private readonly comps: Components;
  private readonly local: Int32Array;
  private readonly matrix: Float64Array;
  private readonly rhs: Float64Array;

  constructor(chain: MarkovChain) {
    this.chain = chain;
    this.comps = findComponents(chain);
    this.local = new Int32Array(chain.stateCount);
    let biggest = 0;
    for (let c = 0; c < this.comps.count; c++) {
      const size = (this.comps.start[c + 1] as number) - (this.comps.start[c] as number);
      if (size <= DENSE_LIMIT && size > biggest) biggest = size;
    }
    this.matrix = new Float64Array(biggest * biggest);
    this.rhs = new Float64Array(biggest * 2);
  }

  get componentCount(): number {
    return this.comps.count;
  }

  /**
   * Solves every component for which `affected(c)` says so, in sink-first order, writing into
   * `hc` / `hv` (values of other components are read as they are). Removed states stay 0.
   */
  solve(hc: Float64Array, hv: Float64Array, removed: Uint8Array, affected: Uint8Array | null): void {
    const { members, start, count, componentOf } = this.comps;
    const { edgeStart, edgeTo } = this.chain;
    for (let c = 0; c < count; c++) {
      const from = start[c] as number;
      const to = start[c + 1] as number;
      if (affected !== null) {
        // A component changes if it holds a removed state or leads into a changed component;
        // those come earlier in this order, so one pass decides it.
        let hit = 0;
        for (let i = from; i < to && hit === 0; i++) {
          const s = members[i] as number;
          if (removed[s] === 1) {
            hit = 1;
            break;
          }
          for (let e = edgeStart[s] as number; e < (edgeStart[s + 1] as number); e++) {
            const t = edgeTo[e] as number;
            const ct = componentOf[t] as number;
            if (ct !== c && affected[ct] === 1) {
              hit = 1;
              break;
            }
          }
        }
        affected[c] = hit;
        if (hit === 0) continue;
      }
      const size = to - from;
      if (size <= DENSE_LIMIT) this.solveDense(c, from, size, hc, hv, removed);
      else this.solveIterative(from, to, hc, hv, removed);
    }
  }

  /** Value of `(start)`: Σ P(start → t) h(t). */
  startValue(h: Float64Array): number {
    const { edgeStart, edgeTo, edgeProb } = this.chain;
    let sum = 0;
    for (let e = edgeStart[0] as number; e < (edgeStart[1] as number); e++) sum += (edgeProb[e] as number) * (h[edgeTo[e] as number] as number);
    return sum;
  }

  private solveDense(c: number, from: number, m: number, hc: Float64Array, hv: Float64Array, removed: Uint8Array): void {
    const { members, componentOf } = this.comps;
    const { edgeStart, edgeTo, edgeProb, conversionReward, valueReward } = this.chain;
    const a = this.matrix;
    const b = this.rhs;
    const local = this.local;
    for (let j = 0; j < m; j++) local[members[from + j] as number] = j;
    a.fill(0, 0, m * m);
    for (let j = 0; j < m; j++) {
      const s = members[from + j] as number;
      a[j * m + j] = 1;
      if (removed[s] === 1) {
        b[2 * j] = 0;
        b[2 * j + 1] = 0;
        continue;
      }
      let bc = conversionReward[s] as number;
      let bv = valueReward[s] as number;
      for (let e = edgeStart[s] as number; e < (edgeStart[s + 1] as number); e++) {
        const t = edgeTo[e] as number;
        const p = edgeProb[e] as number;
        if (componentOf[t] === c) {
          a[j * m + (local[t] as number)]! -= p;
        } else {
          bc += p * (hc[t] as number);
          bv += p * (hv[t] as number);
        }
      }
      b[2 * j] = bc;
      b[2 * j + 1] = bv;
    }
    // Gaussian elimination with partial pivoting on (I − P_cc) h = b.
    for (let k = 0; k < m; k++) {
      let pivot = k;
      let best = Math.abs(a[k * m + k] as number);
      for (let i = k + 1; i < m; i++) {
        const v = Math.abs(a[i * m + k] as number);
        if (v > best) {
          best = v;
          pivot = i;
        }
      }
      if (pivot !== k) {
        for (let j = k; j < m; j++) {
          const t = a[k * m + j] as number;
          a[k * m + j] = a[pivot * m + j] as number;
          a[pivot * m + j] = t;
        }
        for (let q = 0; q < 2; q++) {
          const t = b[2 * k + q] as number;
          b[2 * k + q] = b[2 * pivot + q] as number;
          b[2 * pivot + q] = t;
        }
      }
      const akk = a[k * m + k] as number;
      for (let i = k + 1; i < m; i++) {
        const f = (a[i * m + k] as number) / akk;
        if (f === 0) continue;
        for (let j = k + 1; j < m; j++) a[i * m + j]! -= f * (a[k * m + j] as number);
        b[2 * i]! -= f * (b[2 * k] as number);
        b[2 * i + 1]! -= f * (b[2 * k + 1] as number);
      }
    }
    for (let k = m - 1; k >= 0; k--) {
      let sc = b[2 * k] as number;
      let sv = b[2 * k + 1] as number;
      for (let j = k + 1; j < m; j++) {
        sc -= (a[k * m + j] as number) * (b[2 * j] as number);
        sv -= (a[k * m + j] as number) * (b[2 * j + 1] as number);
      }
      const akk = a[k * m + k] as number;
      b[2 * k] = sc / akk;
      b[2 * k + 1] = sv / akk;
    }
    for (let j = 0; j < m; j++) {
      const s = members[from + j] as number;
      // Clamp tiny negative round-off: absorbing values are probabilities and values ≥ 0.
      hc[s] = removed[s] === 1 ? 0 : Math.max(0, b[2 * j] as number);
      hv[s] = removed[s] === 1 ? 0 : Math.max(0, b[2 * j + 1] as number);
    }
  }

  private solveIterative(from: number, to: number, hc: Float64Array, hv: Float64Array, removed: Uint8Array): void {
    const { members } = this.comps;
    const { edgeStart, edgeTo, edgeProb, conversionReward, valueReward } = this.chain;
    for (let i = from; i < to; i++) {
      const s = members[i] as number;
      if (removed[s] === 1) hc[s] = hv[s] = 0;
    }
    // Gauss–Seidel. The chain is substochastic with an exit reachable from every state, so
    // the sweeps contract; stop when a sweep changes nothing beyond 1e-15 relative, or when
    // the change has stopped shrinking for a while at the round-off floor (so a slowly
    // contracting component cannot spin forever on rounding noise).
    let bestChange = Infinity;
    let sinceBest = 0;
    for (;;) {
      let maxDc = 0;
      let maxC = 0;
      let maxDv = 0;
      let maxV = 0;
      for (let i = from; i < to; i++) {
        const s = members[i] as number;
        if (removed[s] === 1) continue;
        let c = conversionReward[s] as number;
        let v = valueReward[s] as number;
        for (let e = edgeStart[s] as number; e < (edgeStart[s + 1] as number); e++) {
          const t = edgeTo[e] as number;
          const p = edgeProb[e] as number;
          c += p * (hc[t] as number);
          v += p * (hv[t] as number);
        }
        const dc = Math.abs(c - (hc[s] as number));
        const dv = Math.abs(v - (hv[s] as number));
        if (dc > maxDc) maxDc = dc;
        if (dv > maxDv) maxDv = dv;
        if (c > maxC) maxC = c;
        if (v > maxV) maxV = v;
        hc[s] = c;
        hv[s] = v;
      }
      const change = Math.max(maxC > 0 ? maxDc / maxC : 0, maxV > 0 ? maxDv / maxV : 0);
      if (change <= RELATIVE_TOLERANCE) return;
      if (change < bestChange) {
        bestChange = change;
        sinceBest = 0;
      } else if (change < 1e-12 && ++sinceBest >= 50) {
        return;
      }
    }
  }
}

/**
 * Solves a chain: P(conversion), expected value, and each channel's removal effects. One
 * solve for the whole chain plus one per channel, each over the components it can change.
 */
export function solveRemovalEffects(chain: MarkovChain): MarkovSolution {
  const S = chain.stateCount;
  const nc = chain.channels.length;
  const solver = new ChainSolver(chain);
  const hc = new Float64Array(S);
  const hv = new Float64Array(S);
  const removed = new Uint8Array(S);
  solver.solve(hc, hv, removed, null);
  const conversionProbability = solver.startValue(hc);
  const expectedValue = solver.startValue(hv);
  const removalEffect = new Float64Array(nc);
  const valueRemovalEffect = new Float64Array(nc);
  if (!(conversionProbability > 0) && !(expectedValue > 0)) {
    return { conversionProbability, expectedValue, removalEffect, valueRemovalEffect };
  }

  // States containing each channel (inverse of stateChannels).
  const { stateChannelStart, stateChannels } = chain;
  const channelStateStart = new Int32Array(nc + 1);
  for (let i = 0; i < stateChannels.length; i++) channelStateStart[(stateChannels[i] as number) + 1]! += 1;
  for (let k = 0; k < nc; k++) channelStateStart[k + 1]! += channelStateStart[k] as number;
  const channelStates = new Int32Array(stateChannels.length);
  const fill = channelStateStart.slice(0, nc);
  for (let s = 1; s < S; s++) {
    for (let i = stateChannelStart[s] as number; i < (stateChannelStart[s + 1] as number); i++) {
      const k = stateChannels[i] as number;
      channelStates[fill[k]!++] = s;
    }
  }

  const wc = new Float64Array(S);
  const wv = new Float64Array(S);
  const affected = new Uint8Array(solver.componentCount);
  for (let k = 0; k < nc; k++) {
    const from = channelStateStart[k] as number;
    const to = channelStateStart[k + 1] as number;
    // A channel whose states never lead to a conversion removes nothing: skip the solve.
    let matters = false;
    for (let i = from; i < to; i++) {
      const s = channelStates[i] as number;
      if ((hc[s] as number) > 0 || (hv[s] as number) > 0) matters = true;
    }
    if (!matters) continue;
    for (let i = from; i < to; i++) removed[channelStates[i] as number] = 1;
    wc.set(hc);
    wv.set(hv);
    solver.solve(wc, wv, removed, affected);
    for (let i = from; i < to; i++) removed[channelStates[i] as number] = 0;
    const pc = solver.startValue(wc);
    const pv = solver.startValue(wv);
    removalEffect[k] = conversionProbability > 0 ? Math.max(0, 1 - pc / conversionProbability) : 0;
    valueRemovalEffect[k] = expectedValue > 0 ? Math.max(0, 1 - pv / expectedValue) : 0;
  }
  return { conversionProbability, expectedValue, removalEffect, valueRemovalEffect };
}

/** Options of the Markov model. */
export interface MarkovOptions {
  /** Chain order K ≥ 1 (states are K-tuples of channels). Default 1. */
  readonly order?: number;
}

/**
 * Fits the Markov model on all rows of a table (converting and not): the removal effect of
 * every channel. Apply it to one journey with `creditJourney`, or to the whole table with
 * `attribute`.
 */
export function fitMarkov(table: JourneyTable, options: MarkovOptions = {}): MarkovFit {
  const chain = buildMarkovChain(table, options.order ?? 1);
  const solution = solveRemovalEffects(chain);
  return toMarkovFit(chain, solution);
}

/** Packages a chain and its solution as a `MarkovFit`. */
export function toMarkovFit(chain: MarkovChain, solution: MarkovSolution): MarkovFit {
  const removalEffect = new Map<string, number>();
  const valueRemovalEffect = new Map<string, number>();
  chain.channels.forEach((name, k) => {
    removalEffect.set(name, solution.removalEffect[k] as number);
    valueRemovalEffect.set(name, solution.valueRemovalEffect[k] as number);
  });
  return {
    order: chain.order,
    stateCount: chain.stateCount - 1,
    transitionCount: chain.edgeTo.length,
    conversionProbability: solution.conversionProbability,
    expectedValue: solution.expectedValue,
    removalEffect,
    valueRemovalEffect,
  };
}

/**
 * Splits `total` over channels in proportion to `effects` (zeros when all effects are 0,
 * which only happens when nothing converted).
 */
export function splitByEffect(total: number, effects: Float64Array): Float64Array {
  const out = new Float64Array(effects.length);
  let sum = 0;
  for (let k = 0; k < effects.length; k++) sum += effects[k] as number;
  if (!(sum > 0)) return out;
  for (let k = 0; k < effects.length; k++) out[k] = (total * (effects[k] as number)) / sum;
  return out;
}
