/**
 * The store wrappers of the hot path: the call counter (every repository call counted by name,
 * the calls themselves unchanged) and the micro-batcher (concurrent calls of one kind, per
 * workspace, share one bulk call; each caller gets its own answer; a failing bulk call falls
 * back to single calls, so one bad call fails only its caller).
 */
import { describe, expect, it } from 'vitest';
import { batchStoreCalls } from '../src/store/batch-calls.js';
import { countStoreCalls } from '../src/store/count-calls.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { StoredTouch } from '../src/store/store.js';
import { touch as event } from './support/touches.js';

const stored = (ref: string, workspace = 'acme'): StoredTouch => ({ ...event({ kind: 'message', ref, at: '2026-03-01T00:00:00Z', workspace }), profileId: 'p1', applied: false });

describe('countStoreCalls', () => {
  it('counts every call by repository and method, nested repositories included, and passes calls through', async () => {
    const counted = countStoreCalls(createMemoryStore());
    const s = counted.store;
    expect(await s.touches.insert('acme', stored('a'))).toBe('inserted');
    expect(await s.touches.insert('acme', stored('a'))).toBe('duplicate');
    await s.identities.claim('acme', [{ type: 'tg_id', value: '1' }], 'p1');
    expect(await s.community.optOuts.has('acme', 'telegram:1')).toBe(false);
    await s.ping();
    expect(counted.counts()).toEqual({ 'community.optOuts.has': 1, 'identities.claim': 1, ping: 1, 'touches.insert': 2 });
    expect(counted.total()).toBe(5);
    counted.reset();
    expect(counted.total()).toBe(0);
    expect(await s.touches.count('acme')).toBe(1);
    expect(counted.counts()).toEqual({ 'touches.count': 1 });
  });
});

describe('batchStoreCalls', () => {
  it('sends concurrent calls of one kind as one bulk call per workspace, each caller getting its own answer', async () => {
    const counted = countStoreCalls(createMemoryStore());
    await counted.store.identities.claim('acme', [{ type: 'tg_id', value: '1' }], 'p1');
    await counted.store.identities.claim('acme', [{ type: 'tg_id', value: '2' }], 'p2');
    await counted.store.touches.insert('acme', stored('old'));
    counted.reset();
    const { store, batches } = batchStoreCalls(counted.store);
    const [found1, found2, none, inserts] = await Promise.all([
      store.identities.find('acme', [{ type: 'tg_id', value: '1' }]),
      store.identities.find('acme', [{ type: 'tg_id', value: '2' }, { type: 'tg_id', value: '9' }]),
      store.identities.find('acme', []),
      Promise.all([store.touches.insert('acme', stored('a')), store.touches.insert('acme', stored('old')), store.touches.insert('acme', stored('a')), store.touches.insert('other', stored('a', 'other'))]),
    ]);
    expect(found1).toEqual(new Map([['tg_id|1', 'p1']]));
    expect(found2).toEqual(new Map([['tg_id|2', 'p2']]));
    expect(none).toEqual(new Map());
    expect(inserts).toEqual(['inserted', 'duplicate', 'duplicate', 'inserted']);
    await Promise.all(['a', 'old'].map((ref) => store.touches.markApplied('acme', event({ kind: 'message', ref, at: '2026-03-01T00:00:00Z' }).id)));
    expect(counted.counts()).toEqual({ 'identities.find': 1, 'touches.insertEach': 2, 'touches.markAppliedMany': 1 });
    expect(batches()['touches.insert']).toEqual({ batches: 2, calls: 4 });
    expect((await counted.store.touches.list('acme', {})).map((t) => t.applied)).toEqual([true, true]);
    // Calls made one after another are not held back for each other.
    counted.reset();
    await store.touches.insert('acme', stored('b'));
    await store.touches.insert('acme', stored('c'));
    expect(counted.counts()).toEqual({ 'touches.insertEach': 2 });
  });

  it('falls back to single calls when a bulk call fails, so only the bad call fails', async () => {
    const counted = countStoreCalls(createMemoryStore());
    const { store } = batchStoreCalls(counted.store);
    const bad = { ...stored('bad'), occurredAt: 'yesterday' };
    const results = await Promise.allSettled([store.touches.insert('acme', stored('x')), store.touches.insert('acme', bad), store.touches.insert('acme', stored('y'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(await counted.store.touches.count('acme')).toBe(2);
    expect(counted.counts()).toMatchObject({ 'touches.insertEach': 1, 'touches.insert': 3 });
  });
});
