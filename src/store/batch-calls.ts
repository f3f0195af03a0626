/**
 * Micro-batching, DataLoader-style: calls of the same kind made by concurrent jobs in the same
 * turn of the event loop go to the store as one bulk call, so 16 profile jobs in flight share
 * round trips instead of making 16 each. Batched (per workspace):
 * - `identities.find` → one `identities.find` of every identifier asked for;
 * - `touches.insert` → one `touches.insertEach` (one unordered bulk insert);
 * - `touches.markApplied` → one `touches.markAppliedMany` (one `updateMany`).
 * Every other method goes straight through. A batch is sent once the promise jobs queued when
 * its first call came have run (DataLoader's schedule), so no caller waits on a timer or a
 * later turn of the event loop. When a bulk call fails, each of its calls is made on its own,
 * so one bad call fails only its caller.
 */
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { InsertResult, Store, StoredTouch } from './store.js';

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/** Collects calls per key (the workspace) and sends each key's calls as one bulk call. */
class Batcher<I, O> {
  #queued = new Map<string, Array<Pending<I, O>>>();
  #scheduled = false;
  /** Batches sent and calls they carried, for the benchmark. */
  readonly sent = { batches: 0, calls: 0 };

  constructor(
    private readonly bulk: (key: string, items: I[]) => Promise<O[]>,
    private readonly single: (key: string, item: I) => Promise<O>,
  ) {}

  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const list = this.#queued.get(key) ?? [];
      list.push({ item, resolve, reject });
      this.#queued.set(key, list);
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the promise jobs already queued have run (DataLoader's schedule): the jobs woken
        // by one batch of Redis replies reach this call together, and nobody waits for a timer.
        void Promise.resolve().then(() => process.nextTick(() => this.#flush()));
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queued = this.#queued;
    this.#queued = new Map();
    for (const [key, list] of queued) void this.#send(key, list);
  }

  async #send(key: string, list: Array<Pending<I, O>>): Promise<void> {
    this.sent.batches++;
    this.sent.calls += list.length;
    try {
      const out = await this.bulk(
        key,
        list.map((p) => p.item),
      );
      list.forEach((p, i) => p.resolve(out[i] as O));
    } catch (err) {
      if (list.length === 1) {
        list[0]?.reject(err);
        return;
      }
      await Promise.all(list.map(async (p) => this.single(key, p.item).then(p.resolve, p.reject)));
    }
  }
}

/** A store with batched calls (see the header), and the batch sizes it sent per kind. */
export interface BatchingStore {
  store: Store;
  /** Batches sent so far and the calls they carried, per batched method. */
  batches(): Record<'identities.find' | 'touches.insert' | 'touches.markApplied', { batches: number; calls: number }>;
}

/** Wraps `store` so concurrent calls of the batched kinds share bulk round trips (see the header). */
export function batchStoreCalls(store: Store): BatchingStore {
  const find = new Batcher<readonly Identifier[], Map<string, string>>(
    async (ws, lists) => {
      const owners = await store.identities.find(ws, lists.flat());
      return lists.map((ids) => {
        const mine = new Map<string, string>();
        for (const i of ids) {
          const key = identifierKey(i);
          const owner = owners.get(key);
          if (owner !== undefined) mine.set(key, owner);
        }
        return mine;
      });
    },
    (ws, ids) => store.identities.find(ws, ids),
  );
  const insert = new Batcher<StoredTouch, InsertResult>(
    (ws, touches) => store.touches.insertEach(ws, touches),
    (ws, touch) => store.touches.insert(ws, touch),
  );
  const markApplied = new Batcher<string, void>(
    async (ws, ids) => {
      await store.touches.markAppliedMany(ws, ids);
      return ids.map(() => undefined);
    },
    (ws, id) => store.touches.markApplied(ws, id),
  );
  const batched: Store = {
    ...store,
    identities: {
      ...store.identities,
      find: (ws, ids) => (ids.length === 0 ? Promise.resolve(new Map()) : find.add(ws, ids)),
    },
    touches: {
      ...store.touches,
      insert: (ws, touch) => insert.add(ws, touch),
      markApplied: (ws, id) => markApplied.add(ws, id),
    },
  };
  return {
    store: batched,
    batches: () => ({ 'identities.find': { ...find.sent }, 'touches.insert': { ...insert.sent }, 'touches.markApplied': { ...markApplied.sent } }),
  };
}
