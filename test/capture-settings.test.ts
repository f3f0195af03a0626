/**
 * The capture settings pushed to connector processes (`src/capture/capture-settings.ts`),
 * on the real Redis: a change written through the announcing store in one "process"
 * reaches another process's copy through pub/sub at once, and through the version key when
 * the announcement was missed; a reload while the store is down keeps the last good copy;
 * keywords that are not well-formed Unicode never reach a matcher.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { announceCaptureChange, announceCaptureChanges, createCaptureNotifier, createCaptureSettings, type CaptureSettings } from '../src/capture/capture-settings.js';
import { createLogger } from '../src/logger.js';
import { captureVersionKey } from '../src/queue/keys.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { withOutage } from './support/store-outage.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const log = createLogger('silent');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const keyword = (word: string) => ({ workspace: 'acme', keyword: word, key: word.toLowerCase(), addedBy: 'telegram:1', addedAt: '2026-03-01T00:00:00Z' });
const link = (url: string, campaign: string) => ({ workspace: 'acme', platform: 'telegram' as const, chatId: '-1001', url, campaign, createsJoinRequest: false, createdBy: 'telegram:1', createdAt: '2026-03-01T00:00:00Z', revokedAt: null });

async function setup(store: Store, checkMs = 60_000) {
  const prefix = uniquePrefix('cap');
  const producer = createProducerConnection({ url: REDIS_URL });
  producer.on('error', () => undefined);
  const made: CaptureSettings[] = [];
  const make = async (s: Store = store): Promise<CaptureSettings> => {
    const c = createCaptureSettings({ store: s, workspaces: [{ id: 'acme', keywords: ['price'] }], log, redis: { connection: producer, prefix }, checkMs, reloadMs: 3_600_000 });
    await c.start();
    made.push(c);
    return c;
  };
  cleanups.push(async () => {
    for (const c of made) await c.close();
    const r = testRedis();
    await deleteKeys(r, [`${prefix}*`]);
    await r.quit();
    await producer.quit();
  });
  return { prefix, producer, make };
}

describe('capture settings pushed to connectors', () => {
  it('a /track or /invite written in one process reaches another process at once (pub/sub)', async () => {
    const store = createMemoryStore();
    const { prefix, producer, make } = await setup(store);
    const here = await make();
    const there = await make();
    expect(there.matcher('acme').match('price of 优惠券?')).toEqual(['price']);
    // The command layer's store in process "here" announces its writes.
    const commands = announceCaptureChanges(store, createCaptureNotifier({ connection: producer, prefix, local: here, log }));
    await commands.community.keywords.add('acme', keyword('优惠券'));
    // This process's copy is current as soon as the write returns; the other one follows.
    expect(here.matcher('acme').match('price of 优惠券?')).toEqual(['price', '优惠券']);
    await until('the other process reloaded', () => there.matcher('acme').match('优惠券').length === 1);
    await commands.community.inviteLinks.insert('acme', link('https://t.me/+Spring', 'spring'));
    await until('the link reached the other process', () => there.inviteLink('acme', 'telegram', 'https://t.me/+Spring')?.campaign === 'spring');
    await commands.community.inviteLinks.markRevoked('acme', 'telegram', 'https://t.me/+Spring', '2026-03-02T00:00:00Z');
    await until('the revocation reached the other process', () => there.inviteLink('acme', 'telegram', 'https://t.me/+Spring')?.revoked === true);
    expect(there.inviteLink('acme', 'telegram', 'https://t.me/+Spring')?.campaign).toBe('spring');
    await commands.community.keywords.remove('acme', '优惠券');
    await until('the removal reached the other process', () => there.matcher('acme').match('优惠券').length === 0);
    // A write that changed nothing announces nothing.
    const before = await testRedisGet(captureVersionKey(prefix, 'acme'));
    expect(await commands.community.keywords.remove('acme', 'nothing')).toBe(false);
    expect(await testRedisGet(captureVersionKey(prefix, 'acme'))).toBe(before);
  });

  it('a change whose announcement was missed is picked up from the version key; the CLI announces through the configured Redis', async () => {
    const store = createMemoryStore();
    const { prefix, make } = await setup(store, 50);
    const there = await make();
    // Written without any announcement (another process whose publish was lost): nothing changes yet.
    await store.community.keywords.add('acme', keyword('discount'));
    await new Promise((r) => setTimeout(r, 200));
    expect(there.matcher('acme').match('discount').length).toBe(0);
    // Only the version key moves (as when Redis restarted between the bump and the publish).
    const r = testRedis();
    await r.incr(captureVersionKey(prefix, 'acme'));
    await r.quit();
    await until('the version check reloaded', () => there.matcher('acme').match('discount').length === 1);
    // `midfunnel invites` announces from the environment's configuration.
    await store.community.inviteLinks.insert('acme', link('https://t.me/+Cli', 'cli'));
    expect(await announceCaptureChange({ REDIS_URL, QUEUE_PREFIX: prefix }, 'acme')).toBe(true);
    await until('the CLI change arrived', () => there.inviteLink('acme', 'telegram', 'https://t.me/+Cli')?.campaign === 'cli');
    expect(await announceCaptureChange({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: prefix }, 'acme')).toBe(false);
  });

  it('keeps serving the last good copy while the store is down, and catches up after', async () => {
    const memory = createMemoryStore();
    await memory.community.keywords.add('acme', keyword('发货'));
    const outage = withOutage(memory);
    const { make } = await setup(outage.store, 50);
    const c = await make();
    expect(c.matcher('acme').match('今天发货吗 price')).toEqual(['发货', 'price']);
    outage.setDown(true);
    await memory.community.keywords.add('acme', keyword('包邮'));
    expect(await c.reload('acme')).toBe(false);
    expect(c.matcher('acme').match('今天发货吗 包邮')).toEqual(['发货']);
    outage.setDown(false);
    // A failed load is tried again at the next check, without any announcement.
    await until('the stale copy reloaded', () => c.matcher('acme').match('包邮').length === 1);
  });

  it('starts with the configured keywords when the store is down at start, and never compiles malformed keywords', async () => {
    const memory = createMemoryStore();
    await memory.community.keywords.add('acme', keyword('bad\ud800'));
    await memory.community.keywords.add('acme', keyword('good'));
    const outage = withOutage(memory);
    outage.setDown(true);
    const { make } = await setup(outage.store, 50);
    const c = await make();
    expect(c.matcher('acme').match('price good')).toEqual(['price']);
    outage.setDown(false);
    await until('loaded after the outage', () => c.matcher('acme').match('good').length === 1);
    expect(c.matcher('acme').match('bad\ud800 good')).toEqual(['good']);
    // An unknown workspace maps with nothing but never fails.
    expect(c.matcher('nope').match('price')).toEqual([]);
  });
});

async function testRedisGet(key: string): Promise<string | null> {
  const r = testRedis();
  try {
    return await r.get(key);
  } finally {
    await r.quit();
  }
}
