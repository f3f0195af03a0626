/**
 * Rows kept sorted by (time, id) in chunks of bounded size, the in-memory touches' index: an
 * insert or a removal costs a binary search and a splice within one chunk (not a shift of
 * every row), and a time range is a binary search and a walk. Rows arriving in time order
 * (the common case) append to the last chunk.
 */
import { compareCodePoints } from '../rules.js';

/** A row's sort key: milliseconds since the epoch, then the id in code-point order. */
export interface RowKey {
  at: number;
  id: string;
}

export function compareRowKeys(a: RowKey, b: RowKey): number {
  return a.at - b.at || compareCodePoints(a.id, b.id);
}

/** Most rows in one chunk before it is split in two. */
const CHUNK = 512;

export class SortedRows<R extends RowKey> {
  #chunks: R[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Index of the first chunk whose last row is ≥ key (the chunk a key at or after which lives there). */
  #chunkOf(key: RowKey): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.#chunks[mid] as R[];
      if (compareRowKeys(chunk[chunk.length - 1] as R, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  static #lowerBound<R extends RowKey>(chunk: readonly R[], key: RowKey): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRowKeys(chunk[mid] as R, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(row: R): void {
    this.#size++;
    const lastChunk = this.#chunks[this.#chunks.length - 1];
    if (!lastChunk) {
      this.#chunks.push([row]);
      return;
    }
    // In time order (the usual arrival): append.
    if (compareRowKeys(lastChunk[lastChunk.length - 1] as R, row) < 0) {
      if (lastChunk.length < CHUNK) lastChunk.push(row);
      else this.#chunks.push([row]);
      return;
    }
    let ci = this.#chunkOf(row);
    if (ci === this.#chunks.length) ci--;
    const chunk = this.#chunks[ci] as R[];
    chunk.splice(SortedRows.#lowerBound(chunk, row), 0, row);
    if (chunk.length > CHUNK) this.#chunks.splice(ci, 1, chunk.slice(0, CHUNK / 2), chunk.slice(CHUNK / 2));
  }

  /** Removes the row with this key; false when there is none. */
  remove(key: RowKey): boolean {
    const ci = this.#chunkOf(key);
    const chunk = this.#chunks[ci];
    if (!chunk) return false;
    const i = SortedRows.#lowerBound(chunk, key);
    const found = chunk[i];
    if (!found || found.id !== key.id || found.at !== key.at) return false;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.#chunks.splice(ci, 1);
    this.#size--;
    return true;
  }

  /** Rows at or after `from`, in order. */
  *from(from: RowKey): Generator<R> {
    const first = this.#chunkOf(from);
    for (let ci = first; ci < this.#chunks.length; ci++) {
      const chunk = this.#chunks[ci] as R[];
      const start = ci === first ? SortedRows.#lowerBound(chunk, from) : 0;
      for (let i = start; i < chunk.length; i++) yield chunk[i] as R;
    }
  }
}

/** Rows of several sorted lists at or after `from`, merged into one order. */
export function* mergeFrom<R extends RowKey>(lists: ReadonlyArray<SortedRows<R>>, from: RowKey): Generator<R> {
  const heads = lists.map((l) => l.from(from)).map((it) => ({ it, row: it.next() }));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (!h || h.row.done) continue;
      const b = heads[best];
      if (best < 0 || (b && !b.row.done && compareRowKeys(h.row.value, b.row.value) < 0)) best = i;
    }
    const chosen = heads[best];
    if (!chosen || chosen.row.done) return;
    yield chosen.row.value;
    chosen.row = chosen.it.next();
  }
}
