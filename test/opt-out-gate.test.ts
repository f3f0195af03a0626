/**
 * The profile worker's opt-out check (`src/profile/opt-out-gate.ts`) on the real Redis: it
 * reads the store once per person, then only when a writer announced a change on the opt-out
 * channel (`signalOptOutChanges`), or after a reconnection; without a subscriber it reads the
 * store for every touch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createOptOutGate, signalOptOutChanges, type OptOutGate } from '../src/profile/opt-out-gate.js';
import { countStoreCalls } from '../src/store/count-calls.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const alice = touch({ kind: 'message', ref: 'a', at: '2026-03-01T00:00:00Z', actor: { userId: '101' } });
const bob = touch({ kind: 'message', ref: 'b', at: '2026-03-01T00:00:00Z', actor: { userId: '202' } });
const click = touch({ kind: 'link_click', ref: 'c', at: '2026-03-01T00:00:00Z', platform: 'web', chat: { id: 'x', type: 'web' }, actor: { profileId: 'p1' } });

const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('opt-out gate', () => {
  it('reads the store once per person, then again only when a writer announces a change', async () => {
    const prefix = uniquePrefix('optout');
    const counted = countStoreCalls(createMemoryStore());
    const subscriber = testRedis();
    const writer = testRedis();
    closing.push(() => writer.quit().then(() => undefined));
    const gate: OptOutGate = createOptOutGate({ store: counted.store, subscriber, prefix });
    closing.push(() => gate.close());
    await gate.ready;
    const erasing = signalOptOutChanges(counted.store, writer, prefix);

    for (let i = 0; i < 5; i++) expect(await gate.optedOut(alice)).toBe(false);
    expect(await gate.optedOut(bob)).toBe(false);
    expect(await gate.optedOut(click)).toBe(false);
    expect(counted.counts()).toEqual({ 'community.optOuts.has': 2 });

    // Alice asks to be forgotten (the erasure writes through a signalling store).
    await erasing.community.optOuts.add('acme', 'telegram:101', '2026-03-02T00:00:00Z');
    await until(() => gate.optedOut(alice), 'the opt-out to be heard');
    const reads = counted.counts()['community.optOuts.has'] ?? 0;
    expect(await gate.optedOut(alice)).toBe(true);
    expect(await gate.optedOut(bob)).toBe(false);
    expect(counted.counts()['community.optOuts.has']).toBe(reads + 1);

    // A change in another workspace leaves this one's answers alone.
    await erasing.community.optOuts.add('other', 'telegram:101', '2026-03-02T00:00:00Z');
    await new Promise((r) => setTimeout(r, 100));
    expect(await gate.optedOut(alice)).toBe(true);
    expect(counted.counts()['community.optOuts.has']).toBe(reads + 1);

    // Removing an opt-out is announced too.
    expect(await erasing.community.optOuts.remove('acme', 'telegram:101')).toBe(true);
    await until(async () => !(await gate.optedOut(alice)), 'the removal to be heard');
  });

  it('distrusts every answer after the subscription reconnects (messages may have been missed)', async () => {
    const prefix = uniquePrefix('optout');
    const counted = countStoreCalls(createMemoryStore());
    const subscriber = testRedis();
    const gate = createOptOutGate({ store: counted.store, subscriber, prefix });
    closing.push(() => gate.close());
    await gate.ready;
    await gate.optedOut(alice);
    await gate.optedOut(alice);
    expect(counted.total()).toBe(1);
    // Written without a signal while the connection was down.
    await counted.store.community.optOuts.add('acme', 'telegram:101', '2026-03-02T00:00:00Z');
    const closed = new Promise((r) => subscriber.once('close', r));
    const reconnected = new Promise((r) => subscriber.once('ready', r));
    subscriber.disconnect(true);
    await closed;
    // While it is down, nothing cached is trusted.
    expect(await gate.optedOut(alice)).toBe(true);
    await counted.store.community.optOuts.remove('acme', 'telegram:101');
    await reconnected;
    await until(async () => !(await gate.optedOut(alice)), 'the store to be read again');
  });

  it('without a subscriber, reads the store for every touch (an opted-out answer is kept a while)', async () => {
    const counted = countStoreCalls(createMemoryStore());
    const gate = createOptOutGate({ store: counted.store });
    expect(await gate.optedOut(alice)).toBe(false);
    expect(await gate.optedOut(alice)).toBe(false);
    expect(counted.total()).toBe(2);
    await counted.store.community.optOuts.add('acme', 'telegram:101', '2026-03-02T00:00:00Z');
    expect(await gate.optedOut(alice)).toBe(true);
    expect(await gate.optedOut(alice)).toBe(true);
    expect(counted.counts()['community.optOuts.has']).toBe(3);
  });
});
