/**
 * Tables of the in-memory adapters: per-workspace maps, a time index (rows kept by id and,
 * lazily, sorted by time then id), and frozen copies for records handed out without a copy.
 * The in-memory store is a test and demo double; these make its reads indexed like
 * MongoDB's, so benchmarks measure indexed reads rather than scans.
 */
import { compareCodePoints, instantOf, plainCopy } from './rules.js';

export function bucket<V>(all: Map<string, Map<string, V>>, workspace: string): Map<string, V> {
  let b = all.get(workspace);
  if (!b) {
    b = new Map();
    all.set(workspace, b);
  }
  return b;
}

export interface TimedRow<T> {
  value: T;
  at: number;
  id: string;
}

export function compareTimed(a: { at: number; id: string }, b: { at: number; id: string }): number {
  return a.at - b.at || compareCodePoints(a.id, b.id);
}

/**
 * Rows of one workspace kept by id and, lazily, sorted by (time, id): inserts append, the
 * first read after a write sorts (TimSort: near-linear on mostly ordered data).
 */
export class TimeIndex<T> {
  readonly byId = new Map<string, TimedRow<T>>();
  #sorted: Array<TimedRow<T>> = [];
  #dirty = false;

  set(id: string, at: number, value: T): void {
    const prev = this.byId.get(id);
    const row = { value, at, id };
    this.byId.set(id, row);
    if (prev) {
      if (prev.at !== at) {
        this.#sorted = this.#sorted.filter((r) => r.id !== id);
        this.#sorted.push(row);
        this.#dirty = true;
      } else {
        const i = this.#position(prev);
        if (this.#sorted[i] === prev) this.#sorted[i] = row;
        else this.#sorted = this.#sorted.map((r) => (r.id === id ? row : r));
      }
      return;
    }
    this.#sorted.push(row);
    this.#dirty = true;
  }

  delete(id: string): boolean {
    const prev = this.byId.get(id);
    if (!prev) return false;
    this.byId.delete(id);
    this.#sorted = this.#sorted.filter((r) => r.id !== id);
    return true;
  }

  #sort(): void {
    if (this.#dirty) {
      this.#sorted.sort(compareTimed);
      this.#dirty = false;
    }
  }

  #position(key: { at: number; id: string }): number {
    this.#sort();
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareTimed(this.#sorted[mid] as TimedRow<T>, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Rows with from ≤ at < to (and strictly after `after`), in order, by binary search. */
  *range(from: number, to: number, after?: { at: number; id: string }): Generator<TimedRow<T>> {
    this.#sort();
    let start = this.#position({ at: from, id: '' });
    if (after && compareTimed(after, { at: from, id: '' }) >= 0) {
      start = this.#position(after);
      const at = this.#sorted[start];
      if (at && at.at === after.at && at.id === after.id) start++;
    }
    for (let i = start; i < this.#sorted.length; i++) {
      const row = this.#sorted[i] as TimedRow<T>;
      if (row.at >= to) return;
      if (after && compareTimed(row, after) <= 0) continue;
      yield row;
    }
  }

  /** Every row in storage order, unsorted and unindexed (the benchmark's baseline). */
  all(): IterableIterator<TimedRow<T>> {
    return this.byId.values();
  }
}

export function timeBounds(q: { from?: string; to?: string }): { from: number; to: number } {
  return {
    from: q.from === undefined ? -Infinity : instantOf(q.from, 'from'),
    to: q.to === undefined ? Infinity : instantOf(q.to, 'to'),
  };
}

export function afterKey(after: { at: string; id: string } | undefined): { at: number; id: string } | undefined {
  return after === undefined ? undefined : { at: instantOf(after.at, 'after.at'), id: after.id };
}

/** Freezes a value and everything in it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A deep, frozen copy as MongoDB would store it (see `plainCopy`). */
export const frozenCopy = <T>(value: T): T => deepFreeze(plainCopy(value));

/** A per-workspace table: `of(workspace)` is that workspace's map (created on first use). */
export function table<V>(): { of: (workspace: string) => Map<string, V>; workspaces: () => IterableIterator<[string, Map<string, V>]> } {
  const all = new Map<string, Map<string, V>>();
  return {
    of(workspace) {
      let t = all.get(workspace);
      if (!t) {
        t = new Map();
        all.set(workspace, t);
      }
      return t;
    },
    workspaces: () => all.entries(),
  };
}

/** Joins key parts with a separator no part contains. */
export const key = (...parts: string[]): string => parts.join('\u0000');
