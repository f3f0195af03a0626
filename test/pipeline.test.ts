/**
 * The touch pipeline end to end on the real parts: TouchQueue → BullMQ on the real
 * Redis → profile worker (concurrency 8, Redis profile locks) → store. A burst with
 * duplicates and out-of-order events must produce exactly the expected profiles,
 * identity merges included, whatever the delivery order.
 */
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue, type TouchJobData } from '../src/queue/touch-queue.js';
import { signalOptOutChanges } from '../src/profile/opt-out-gate.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Profile, Store } from '../src/store/store.js';
import type { TouchEvent } from '../src/touch-event.js';
import { createProfileWorker, type ProfileJobResult } from '../workers/profile.worker.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const G1 = { id: '-1001', title: '团购群 Deals', type: 'group' as const };
const G2 = { id: '120363000000000001@g.us', title: 'VIP', type: 'group' as const };
const H = 'hash-of-phone-alice';
const W = 'hash-of-wa-alice';
const ALICE = { userId: '101', username: 'Alice_Shop' };

const w1 = touch({ kind: 'join', ref: 'w1', at: '2026-02-28T09:00:00Z', platform: 'whatsapp', account: 'wa1', chat: G2, actor: { userId: W, phoneHash: H }, details: { via: 'invite_link', campaign: 'wa-launch' } });
const a1 = touch({ kind: 'join', ref: 'a1', at: '2026-03-01T10:00:00Z', chat: G1, actor: ALICE, details: { via: 'invite_link', inviteLink: 'https://t.me/+spring', campaign: 'spring' } });
const rest: TouchEvent[] = [
  // One message with a keyword and a mention: one touch.
  touch({ kind: 'message', ref: 'a2', at: '2026-03-02T10:00:00Z', chat: G1, actor: ALICE, details: { keywords: ['price'], mentioned: ['shopbot'] } }),
  // Alice shares her contact in a private chat: links her Telegram id to her phone (and so to WhatsApp).
  touch({ kind: 'message', ref: 'a5', at: '2026-03-03T08:00:00Z', chat: { id: '101', type: 'private' }, actor: { ...ALICE, phoneHash: H } }),
  touch({ kind: 'keyword', ref: 'w2', at: '2026-03-04T01:00:00+08:00', platform: 'whatsapp', account: 'wa1', chat: G2, actor: { userId: W, phoneHash: H }, details: { keywords: ['发货'] } }),
  touch({ kind: 'join', ref: 'b1', at: '2026-03-01T11:00:00Z', chat: G1, actor: { userId: '202', username: 'bob' }, details: { via: 'public' } }),
  touch({ kind: 'keyword', ref: 'b2', at: '2026-03-01T12:00:00Z', chat: G1, actor: { userId: '202', username: 'bob' }, details: { keywords: ['发货', 'price'] } }),
  touch({ kind: 'leave', ref: 'b3', at: '2026-03-05T00:00:00Z', chat: G1, actor: { userId: '202', username: 'bob' }, details: { via: 'left' } }),
  // A group link clicked by nobody known yet: stored, anonymous.
  touch({ kind: 'link_click', ref: 'x1', at: '2026-03-02T00:00:00Z', platform: 'web', account: 'links', chat: { id: '-1001', type: 'web' }, actor: {}, details: { code: 'spring1', clickId: 'ck1', campaign: 'spring' } }),
];

const EXPECTED_ALICE = {
  identifiers: [
    { type: 'phone', value: H },
    { type: 'tg_id', value: '101' },
    { type: 'wa_id', value: W },
  ],
  usernames: ['alice_shop'],
  stats: {
    touchCount: 5,
    firstSeenAt: '2026-02-28T09:00:00.000Z',
    firstTouchId: w1.id,
    firstSource: { platform: 'whatsapp', chatId: G2.id, chatTitle: 'VIP', campaign: 'wa-launch' },
    lastActiveAt: '2026-03-03T17:00:00.000Z',
    counts: { join: 2, message: 3 },
    keywords: [
      { keyword: 'price', count: 1 },
      { keyword: '发货', count: 1 },
    ],
    groups: [
      { platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals', chatTitleAt: '2026-03-02T10:00:00.000Z', joins: 1, leaves: 0, firstJoinedAt: '2026-03-01T10:00:00.000Z', lastJoinedAt: '2026-03-01T10:00:00.000Z', lastActiveAt: '2026-03-02T10:00:00.000Z' },
      { platform: 'whatsapp', chatId: G2.id, chatTitle: 'VIP', chatTitleAt: '2026-03-03T17:00:00.000Z', joins: 1, leaves: 0, firstJoinedAt: '2026-02-28T09:00:00.000Z', lastJoinedAt: '2026-02-28T09:00:00.000Z', lastActiveAt: '2026-03-03T17:00:00.000Z' },
    ],
    activeDays: ['2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03'],
    sourcePath: [
      { platform: 'whatsapp', chatId: G2.id, chatTitle: 'VIP', campaign: 'wa-launch', kind: 'join', at: '2026-02-28T09:00:00.000Z', touchId: w1.id },
      { platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals', campaign: 'spring', kind: 'join', at: '2026-03-01T10:00:00.000Z', touchId: a1.id },
    ],
    sourcePathDropped: 0,
  },
};

const EXPECTED_BOB = {
  identifiers: [{ type: 'tg_id', value: '202' }],
  usernames: ['bob'],
  stats: {
    touchCount: 3,
    firstSeenAt: '2026-03-01T11:00:00.000Z',
    firstSource: { platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals' },
    lastActiveAt: '2026-03-05T00:00:00.000Z',
    counts: { join: 1, message: 1, leave: 1 },
    keywords: [
      { keyword: 'price', count: 1 },
      { keyword: '发货', count: 1 },
    ],
    groups: [
      { platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals', chatTitleAt: '2026-03-05T00:00:00.000Z', joins: 1, leaves: 1, firstJoinedAt: '2026-03-01T11:00:00.000Z', lastJoinedAt: '2026-03-01T11:00:00.000Z', lastLeftAt: '2026-03-05T00:00:00.000Z', lastActiveAt: '2026-03-05T00:00:00.000Z' },
    ],
    activeDays: ['2026-03-01', '2026-03-05'],
    sourcePathDropped: 0,
  },
};

interface Harness {
  store: Store;
  /** What an erasing process writes opt-outs through: the change is announced to the workers. */
  signalling: Store;
  queue: TouchQueue;
  results: Map<string, ProfileJobResult>;
  waitFor: (n: number) => Promise<void>;
  close: () => Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(): Promise<Harness> {
  const prefix = uniquePrefix('pipe');
  const store = createMemoryStore();
  await store.init();
  const producer = createProducerConnection({ url: REDIS_URL });
  const workerConn = createWorkerConnection({ url: REDIS_URL });
  const lockConn = testRedis();
  const metrics = createMetrics();
  const queue = new TouchQueue({ connection: producer, prefix, metrics });
  const results = new Map<string, ProfileJobResult>();
  let processed = 0;
  const worker = createProfileWorker({
    connection: workerConn,
    store,
    redis: producer,
    locker: createRedisLocker(lockConn),
    log: createLogger('silent'),
    metrics,
    prefix,
    concurrency: 8,
    onProcessed: (r, job: Job<TouchJobData>) => {
      processed++;
      results.set(job.data.touch.id, r);
    },
  });
  const h: Harness = {
    store,
    signalling: signalOptOutChanges(store, producer, prefix),
    queue,
    results,
    waitFor: async (n) => {
      const deadline = Date.now() + 20_000;
      while (processed < n) {
        if (Date.now() > deadline) throw new Error(`only ${processed} of ${n} touches processed`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: async () => {
      await worker.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
      await deleteKeys(lockConn, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([producer.quit(), workerConn.quit(), lockConn.quit()]);
      await store.close();
    },
  };
  open.push(h);
  return h;
}

/** Profiles as comparable content: without their random ids and wall-clock times. */
async function profileContents(store: Store): Promise<Array<Partial<Profile>>> {
  const all = await store.profiles.list('acme');
  return all
    .map(({ identifiers, usernames, stats }) => ({ identifiers, usernames, stats }))
    .sort((a, b) => JSON.stringify(a.identifiers).localeCompare(JSON.stringify(b.identifiers)));
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('touch pipeline (real BullMQ on real Redis)', () => {
  it('turns a burst with duplicates and out-of-order events into exactly the expected profiles, merging identities', async () => {
    const h = await harness();
    // Alice's WhatsApp and Telegram profiles exist first, as two people…
    await h.queue.enqueueMany([w1, a1]);
    await h.waitFor(2);
    expect(await h.store.profiles.count('acme')).toBe(2);
    // …then the rest arrives shuffled, with duplicates, including her contact share that links them.
    const burst = shuffled([...rest, ...rest.slice(0, 4), a1, w1], 7);
    for (const t of burst) await h.queue.enqueue(t);
    await h.waitFor(2 + rest.length);

    const merge = h.results.get(rest[1]!.id);
    expect(merge?.status).toBe('applied');
    expect(merge?.merged).toHaveLength(1);

    const profiles = await profileContents(h.store);
    expect(profiles).toHaveLength(2);
    const [alice, bob] = profiles[0]!.identifiers!.length === 3 ? profiles : [profiles[1], profiles[0]];
    expect(alice).toEqual(EXPECTED_ALICE);
    expect(bob).toMatchObject(EXPECTED_BOB);
    expect(await h.store.touches.count('acme')).toBe(2 + rest.length);

    // Every stored touch points at an existing profile, or is the anonymous click.
    const touches = await h.store.touches.list('acme', {});
    const ids = new Set((await h.store.profiles.list('acme')).map((p) => p.id));
    for (const t of touches) {
      expect(t.applied).toBe(true);
      if (t.kind === 'link_click') expect(t.profileId).toBeNull();
      else expect(ids.has(t.profileId ?? '')).toBe(true);
    }
  });

  it('gives the same profiles whatever the delivery order', async () => {
    const all = [w1, a1, ...rest];
    const outcomes = [];
    for (const order of [[...all].reverse(), shuffled(all, 42)]) {
      const h = await harness();
      await h.queue.enqueueMany(order);
      await h.waitFor(all.length);
      outcomes.push(await profileContents(h.store));
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toContainEqual(EXPECTED_ALICE);
  });

  it('dedupes for good in the store after BullMQ has forgotten the job', async () => {
    const h = await harness();
    await h.queue.enqueueMany([w1, a1, ...rest]);
    await h.waitFor(2 + rest.length);
    const before = await profileContents(h.store);
    await h.queue.queue.clean(0, 10_000, 'completed');
    await h.queue.enqueue(a1);
    await h.queue.enqueue(rest[4]!);
    await h.waitFor(4 + rest.length);
    expect(h.results.get(a1.id)?.status).toBe('duplicate');
    expect(h.results.get(rest[4]!.id)?.status).toBe('duplicate');
    expect(await profileContents(h.store)).toEqual(before);
  });

  it('never merges through a shared identifier: a second Telegram account with the same phone stays apart', async () => {
    const h = await harness();
    await h.queue.enqueueMany([w1, a1, ...rest]);
    await h.waitFor(2 + rest.length);
    const carol = touch({ kind: 'message', ref: 'c1', at: '2026-03-06T00:00:00Z', chat: G1, actor: { userId: '303', phoneHash: H } });
    await h.queue.enqueue(carol);
    await h.waitFor(3 + rest.length);
    const r = h.results.get(carol.id);
    expect(r?.merged).toEqual([]);
    expect(r?.conflicts).toEqual([{ profileId: expect.any(String), reason: 'both profiles have a different tg_id' }]);
    const profiles = await profileContents(h.store);
    expect(profiles).toHaveLength(3);
    expect(profiles).toContainEqual(EXPECTED_ALICE);
    expect(profiles.find((p) => p.identifiers?.[0]?.value === '303')?.identifiers).toEqual([{ type: 'tg_id', value: '303' }]);
  });

  it('drops the touches of a person who opts out after the worker has seen them', async () => {
    const h = await harness();
    await h.queue.enqueueMany([a1, rest[0]!]);
    await h.waitFor(2);
    await h.signalling.community.optOuts.add('acme', 'telegram:101', '2026-03-06T00:00:00.000Z');
    // The workers hear of it on the opt-out channel; give the message a moment.
    await new Promise((r) => setTimeout(r, 200));
    const later = touch({ kind: 'keyword', ref: 'a9', at: '2026-03-06T01:00:00Z', chat: G1, actor: ALICE, details: { keywords: ['price'] } });
    const bobs = touch({ kind: 'message', ref: 'b9', at: '2026-03-06T01:00:00Z', chat: G1, actor: { userId: '202' } });
    await h.queue.enqueueMany([later, bobs]);
    await h.waitFor(4);
    expect(h.results.get(later.id)?.status).toBe('opted_out');
    expect(h.results.get(bobs.id)?.status).toBe('applied');
    expect(await h.store.touches.get('acme', later.id)).toBeNull();
  });

  it('rejects invalid job data without retrying it', async () => {
    const h = await harness();
    const job = await h.queue.queue.add('bad', { touch: { id: 'x', kind: 'nope' } as unknown as TouchEvent }, { jobId: 'bad-1', attempts: 5 });
    const deadline = Date.now() + 10_000;
    let state = await job.getState();
    while (state !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      state = await job.getState();
    }
    expect(state).toBe('failed');
    const failed = await h.queue.queue.getJob('bad-1');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('invalid touch');
  });
});
