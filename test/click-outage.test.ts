/**
 * A click recorded while the touch queue's Redis is down keeps its click (stored, marked
 * unqueued) and gets its touch later: once Redis is back, the workers' sweep queues exactly
 * one touch for it and clears the marker.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { createLink } from '../src/links/create-link.js';
import { sweepUnqueuedClicks } from '../src/links/sweep-unqueued-clicks.js';
import { createLogger } from '../src/logger.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { TouchQueue } from '../src/queue/touch-queue.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { makeTouchId } from '../src/touch-event.js';
import { OwnRedis } from './support/own-redis.js';
import { uniquePrefix } from './support/redis.js';

const WS = 'acme';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a click while Redis is down', () => {
  it('still redirects and is stored unqueued; after Redis is back the sweep queues exactly one touch', { timeout: 60_000 }, async () => {
    const redis = await OwnRedis.start();
    cleanups.push(() => redis.down());
    const prefix = uniquePrefix('outage');
    const config = loadConfig(
      { REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-outage-')), MIDFUNNEL_HASH_KEY: 'outage-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json' },
      () => JSON.stringify({ workspaces: [{ id: WS, allowedDomains: ['shop.example.com'] }] }),
    );
    const store = createMemoryStore();
    await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, code: 'down1', destination: 'https://shop.example.com/p', platform: 'telegram', campaign: 'spring', chatId: '-1001' });
    const http: RunningRoles = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
    cleanups.push(() => http.close());

    await redis.down();
    const res = await fetch(`http://127.0.0.1:${http.address?.port}/l/down1`, { redirect: 'manual', headers: { 'user-agent': CHROME } });
    expect(res.status).toBe(302);
    const clickId = new URL(res.headers.get('location') ?? '').searchParams.get('mf_click') ?? '';
    expect(clickId).toMatch(/^[0-9A-Za-z]{16}$/);
    const click = await store.clicks.get(WS, clickId);
    expect(click).toMatchObject({ code: 'down1', campaign: 'spring', chatId: '-1001', queued: false, touchId: makeTouchId('web', 'click', clickId) });
    expect((await store.clicks.listUnqueued(WS)).map((c) => c.clickId)).toEqual([clickId]);

    // Redis is back (empty: the outage lost nothing because the click never got there). The
    // workers role sweeps at start and then on its interval; the profile worker stores the touch.
    await redis.up();
    const workers = await startRoles({ config, roles: ['workers'], log: createLogger('silent'), store, clickSweepIntervalMs: 200 });
    cleanups.push(() => workers.close());
    const touch = await until(() => store.touches.get(WS, makeTouchId('web', 'click', clickId)), (t) => t !== null, 'the click touch');
    expect(touch).toMatchObject({ kind: 'link_click', details: { code: 'down1', clickId, campaign: 'spring' }, chat: { id: '-1001', type: 'web' } });
    expect(await store.clicks.listUnqueued(WS)).toEqual([]);
    expect((await store.clicks.get(WS, clickId))?.queued).toBeUndefined();

    // Exactly one touch job was ever queued for it, however often the sweep runs.
    await new Promise((r) => setTimeout(r, 600));
    const producer = createProducerConnection({ url: redis.url });
    const queue = new TouchQueue({ connection: producer, prefix });
    const counts = await queue.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    expect(counts.completed).toBe(1);
    expect(await sweepUnqueuedClicks({ store, workspaces: [WS], enqueueTouches: (t) => queue.enqueueMany(t), log: createLogger('silent') })).toBe(0);
    expect(await store.touches.count(WS)).toBe(1);
    await queue.close();
    await producer.quit();
  });

  it('a second sweep of the same clicks (two sweepers, or a crash before the marker was cleared) queues nothing twice', async () => {
    const redis = await OwnRedis.start();
    cleanups.push(() => redis.down());
    const store = createMemoryStore();
    const at = '2026-03-01T10:00:00.000Z';
    for (const id of ['c1', 'c2', 'c3']) {
      await store.clicks.insert(WS, { workspace: WS, clickId: id, code: 'x', touchId: makeTouchId('web', 'click', id), at, profileId: null, visitorHash: 'v', chatId: 'link:x', queued: false });
    }
    const producer = createProducerConnection({ url: redis.url });
    const queue = new TouchQueue({ connection: producer, prefix: uniquePrefix('sweep') });
    cleanups.push(async () => {
      await queue.close();
      await producer.quit();
    });
    const log = createLogger('silent');
    const enqueueTouches = (t: Parameters<TouchQueue['enqueueMany']>[0]) => queue.enqueueMany(t);
    // Two sweepers at once both read the three clicks before either clears a marker.
    const [a, b] = await Promise.all([
      sweepUnqueuedClicks({ store, workspaces: [WS], enqueueTouches, log, batchSize: 2 }),
      sweepUnqueuedClicks({ store, workspaces: [WS], enqueueTouches, log, batchSize: 2 }),
    ]);
    expect(a + b).toBeGreaterThanOrEqual(3);
    const jobs = await queue.queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.touch.id).sort()).toEqual(['c1', 'c2', 'c3'].map((id) => makeTouchId('web', 'click', id)).sort());
    expect(await store.clicks.listUnqueued(WS)).toEqual([]);
  });
});
