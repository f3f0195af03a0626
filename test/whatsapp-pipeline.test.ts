/**
 * The whatsapp role end to end on the real parts, without a browser: `startWhatsAppRole`
 * with a real whatsapp-web.js `Client` whose browser-facing calls answer from fixtures
 * (`initialize` emits `ready`; `getChatById` returns a real `GroupChat`; the page's
 * `evaluate` answers the invite code), the account lease on the real Redis, the real
 * TouchQueue (BullMQ on Redis) and profile worker, the community queue and worker, into a
 * memory store. A sequence of the
 * library's own event objects goes in; the profiles that come out are asserted, and no
 * stored byte carries a clear phone number, linked id or message text.
 */
import { mkdtempSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wwebjs from 'whatsapp-web.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startWhatsAppRole, type WhatsAppRole } from '../bots/whatsapp/main.js';
import { workspaceConfigSchema, type Config } from '../src/config.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { createRedisLocker } from '../src/lock.js';
import { createLogger, type Logger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { whatsappAccountLeaseKey } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { QueueUnavailableError, TouchQueue } from '../src/queue/touch-queue.js';
import type { TouchEvent } from '../src/touch-event.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Profile, Store } from '../src/store/store.js';
import { createProfileWorker } from '../workers/profile.worker.js';
import { createCommunityWorker } from '../workers/community.worker.js';
import { CommunityQueue } from '../src/queue/community-queue.js';
import { CLEAR_LIDS, CLEAR_PHONES, GroupChat, groupChatData, WA, waEvent } from './fixtures/whatsapp/index.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const HASH_KEY = 'test-hash-key-0123456789abcdef';
const hash = makePseudonymizer(HASH_KEY, 'acme');
const INVITE_CODE = 'FxSpring24AbCdEf';
const PHONE_OF_LID: Record<string, string> = { [WA.bobLid]: WA.bob, [WA.meLid]: WA.me };

/** A real whatsapp-web.js Client whose browser is replaced by fixture answers. */
class FixtureClient extends wwebjs.Client {
  constructor() {
    super({});
    // GroupChat#getInviteCode asks the page; the page answers with the group's current code.
    (this as unknown as { pupPage: unknown }).pupPage = { evaluate: async () => ({ code: INVITE_CODE }) };
  }
  override async initialize(): Promise<void> {
    (this as unknown as { info: unknown }).info = { wid: { server: 'c.us', user: '8613700137000', _serialized: WA.me }, pushname: 'Shop' };
    this.emit('authenticated');
    this.emit('ready');
  }
  override async destroy(): Promise<void> {}
  override async getChatById(chatId: string): Promise<wwebjs.Chat> {
    if (chatId !== WA.group) throw new Error('no such chat');
    return new GroupChat(this, groupChatData()) as unknown as wwebjs.Chat;
  }
  override async getContactLidAndPhone(userIds: string[]): Promise<{ lid: string; pn: string }[]> {
    return userIds.map((id) => (id.endsWith('@lid') ? { lid: id, pn: PHONE_OF_LID[id] ?? (undefined as unknown as string) } : { lid: id === WA.me ? WA.meLid : (undefined as unknown as string), pn: id }));
  }
}

interface Harness {
  store: Store;
  role: WhatsAppRole;
  client: () => FixtureClient;
  /** Touch jobs processed, dropped ones (opted out, repeated joins) included. */
  processed: () => number;
  waitProcessed: (n: number) => Promise<void>;
  /** Waits until the community worker has applied every queued event. */
  communityDrained: () => Promise<void>;
  leaseOwner: () => Promise<string | null>;
  close: () => Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface HarnessOptions {
  /** Wraps the real touch queue (to make Redis look unreachable). */
  touches?: (queue: TouchQueue) => { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  log?: Logger;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const prefix = uniquePrefix('wa');
  const store = createMemoryStore();
  await store.init();
  await store.community.inviteLinks.insert('acme', {
    workspace: 'acme',
    platform: 'whatsapp',
    chatId: WA.group,
    url: `https://chat.whatsapp.com/${INVITE_CODE}`,
    campaign: 'spring-ads',
    createsJoinRequest: false,
    createdBy: 'whatsapp:operator',
    createdAt: '2026-02-20T00:00:00.000Z',
    revokedAt: null,
  });
  const producer = createProducerConnection({ url: REDIS_URL });
  const workerConn = createWorkerConnection({ url: REDIS_URL });
  const redis = testRedis();
  const queue = new TouchQueue({ connection: producer, prefix });
  let processed = 0;
  const worker = createProfileWorker({ connection: workerConn, store, locker: createRedisLocker(redis), log: createLogger('silent'), metrics: createMetrics(), prefix, concurrency: 4, onProcessed: () => void processed++ });
  const communityConn = createWorkerConnection({ url: REDIS_URL });
  const community = new CommunityQueue({ connection: producer, prefix });
  const communityWorker = createCommunityWorker({ connection: communityConn, store, workspaces: ['acme'], log: createLogger('silent'), prefix });
  const config: Pick<Config, 'workspaces' | 'dataDir' | 'queuePrefix'> = {
    workspaces: [workspaceConfigSchema.parse({ id: 'acme', keywords: ['price', '价格', '发货', 'discount'], whatsapp: { accounts: [{ id: 'wa1' }] } })],
    dataDir: mkdtempSync(join(tmpdir(), 'mf-wa-')),
    queuePrefix: prefix,
  };
  let current: FixtureClient | undefined;
  const role = await startWhatsAppRole({
    config,
    store,
    touches: options.touches ? options.touches(queue) : queue,
    community,
    redis: producer,
    hashKey: HASH_KEY,
    log: options.log ?? createLogger(process.env.WA_TEST_LOG ?? 'silent'),
    retryDelayMs: 20,
    createClient: () => (current = new FixtureClient()),
    leaseTtlMs: 3_000,
  });
  const h: Harness = {
    store,
    role,
    client: () => {
      if (!current) throw new Error('no client yet');
      return current;
    },
    processed: () => processed,
    waitProcessed: (n) => until(`${n} touches processed (got ${processed})`, () => processed >= n),
    communityDrained: () =>
      until('the community queue drained', async () => {
        const c = await community.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0;
      }),
    leaseOwner: () => redis.get(whatsappAccountLeaseKey(prefix, 'wa1')),
    close: async () => {
      await role.close();
      await worker.close();
      await communityWorker.close();
      await queue.queue.obliterate({ force: true });
      await community.queue.obliterate({ force: true });
      await queue.close();
      await community.close();
      await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([producer.quit(), workerConn.quit(), communityConn.quit(), redis.quit()]);
      await store.close();
    },
  };
  open.push(h);
  return h;
}

const wa = (e164: string) => ({ wa: hash('wa_id', e164), phone: hash('phone', e164) });
const ALICE = wa('+8613800138001');
const BOB = wa('+447700900123');
const CAROL = wa('+14155550100');
const DAVE = hash('wa_id', WA.daveLid);
const ADMIN = wa('+8613900139000');

async function profileOf(store: Store, waId: string): Promise<Profile> {
  const found = (await store.profiles.list('acme')).filter((p) => p.identifiers.some((i) => (i.type === 'wa_id' || i.type === 'wa_lid') && i.value === waId));
  expect(found).toHaveLength(1);
  return found[0] as Profile;
}

describe('whatsapp connector: events → touch queue → profiles', () => {
  it('records a community’s joins, activity, keywords, mentions, links and private starts as pseudonymous profiles', async () => {
    const h = await harness();
    await until('the account ready', () => h.role.accounts()[0]?.state === 'ready');
    expect(await h.leaseOwner()).toMatch(/\//);
    const client = h.client();

    let expected = 0;
    const feed = async (name: string, touches: number, mutate?: (d: Record<string, unknown>) => void): Promise<void> => {
      const { event, args } = waEvent(name, client, mutate);
      client.emit(event, ...args);
      expected += touches;
      await h.waitProcessed(expected);
    };
    // Objects the connector must drop without a touch and without stopping.
    const noise = (): void => {
      for (const name of ['message-from-me', 'message-status-broadcast', 'message-edit', 'message-e2e-notification']) {
        const { event, args } = waEvent(name, client);
        client.emit(event, ...args);
      }
      client.emit('message', { id: { id: 'junk' }, from: 42 });
      client.emit('message', null);
      client.emit('group_join', { chatId: WA.group, recipientIds: 'all' });
      client.emit('group_membership_request', undefined);
      client.emit('group_update', waEvent('notification-subject', client).args[0]);
    };

    await feed('notification-add-self', 0);
    await feed('notification-invite', 1);
    await feed('notification-add', 2);
    await feed('notification-membership-request', 1);
    // The approval of Carol's request is queued and dropped by the profile worker: not a second join.
    await feed('notification-add-approved', 1);
    const repeats = 1;
    noise();
    // A message is one touch whatever it carries; a click-to-chat code is one dm_start.
    await feed('message-group-text', 1);
    await feed('message-group-lid-author', 1);
    await feed('message-group-bob-lid', 1);
    await feed('message-group-image-caption', 1);
    await feed('message-private-ref', 1);
    await feed('notification-leave', 1);
    await feed('notification-remove', 1);
    await h.role.close();
    // Everything the handler enqueued has been processed, and nothing more was made.
    await h.waitProcessed(expected);
    const touches = await h.store.touches.list('acme', {});
    expect(touches).toHaveLength(expected - repeats);
    expect(expected - repeats).toBe(11);

    const alice = await profileOf(h.store, ALICE.wa);
    expect(alice.identifiers).toEqual([
      { type: 'phone', value: ALICE.phone },
      { type: 'wa_id', value: ALICE.wa },
    ]);
    expect(alice.stats).toMatchObject({
      touchCount: 3,
      firstSeenAt: '2026-03-01T10:00:00.000Z',
      firstSource: { platform: 'whatsapp', chatId: WA.group, chatTitle: WA.groupTitle, campaign: 'spring-ads' },
      counts: { join: 1, message: 1, dm_start: 1 },
    });
    expect(alice.stats.sourcePath.map((s) => [s.kind, s.campaign])).toEqual([
      ['join', 'spring-ads'],
      ['dm_start', 'spring24'],
    ]);
    expect(alice.stats.keywords).toEqual([
      { keyword: 'price', count: 1 },
      { keyword: '价格', count: 1 },
    ]);

    // Bob: added by the admin, wrote as his linked id (phone known), then removed: one person.
    const bob = await profileOf(h.store, BOB.wa);
    expect(bob.identifiers).toEqual([
      { type: 'phone', value: BOB.phone },
      { type: 'wa_id', value: BOB.wa },
      { type: 'wa_lid', value: hash('wa_id', WA.bobLid) },
    ]);
    expect(bob.stats.counts).toEqual({ join: 1, message: 1, leave: 1 });
    expect(bob.stats.groups).toEqual([expect.objectContaining({ chatId: WA.group, joins: 1, leaves: 1 })]);

    // Dave: a linked id whose phone nobody knows: a profile without a phone.
    const dave = await profileOf(h.store, DAVE);
    expect(dave.identifiers).toEqual([{ type: 'wa_lid', value: DAVE }]);
    expect(dave.stats.counts).toEqual({ join: 1, message: 1, leave: 1 });

    // Carol: one join (her request), not two; then a captioned photo.
    const carol = await profileOf(h.store, CAROL.wa);
    expect(carol.stats.counts).toEqual({ join: 1, message: 1 });
    expect(touches.find((t) => t.kind === 'message' && t.actor.userId === CAROL.wa)?.details).toEqual({ keywords: ['price', '发货'], urls: ['https://shop.example.com/sale'] });
    expect(carol.stats.sourcePath.map((s) => s.kind)).toEqual(['join']);
    expect(touches.find((t) => t.kind === 'join' && t.actor.userId === CAROL.wa)?.details).toEqual({ via: 'join_request', inviteLink: `https://chat.whatsapp.com/${INVITE_CODE}`, campaign: 'spring-ads' });
    expect(touches.find((t) => t.kind === 'join' && t.actor.userId === BOB.wa)?.details).toEqual({ via: 'added', addedBy: ADMIN.wa });
    expect(await h.store.profiles.count('acme')).toBe(4);

    // The group is registered (by the community worker) with its title, the account as an admin, and who added it (hashed).
    await h.communityDrained();
    const group = await h.store.community.groups.get('acme', 'whatsapp', WA.group);
    expect(group).toMatchObject({ title: WA.groupTitle, status: 'active', account: 'wa1', botIsAdmin: true, addedBy: `whatsapp:${ADMIN.wa}` });

    // Privacy: nothing stored carries a phone number, a linked id or message text.
    const everything = JSON.stringify({
      touches,
      profiles: await h.store.profiles.list('acme'),
      groups: await h.store.community.groups.list('acme'),
    });
    for (const clear of [...CLEAR_PHONES, ...CLEAR_LIDS, '这个价格还有吗', 'jacket', 'discount code', '新款到了', 'want%20to%20order']) expect(everything).not.toContain(clear);

    // Shutdown released the account's lease for a standby process.
    expect(await h.leaseOwner()).toBeNull();
  });

  it('drops malformed objects with a debug log and goes on; drops people who opted out', async () => {
    const chunks: string[] = [];
    const log = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => void (chunks.push(c.toString()), cb()) }));
    const h = await harness({ log });
    await until('the account ready', () => h.role.accounts()[0]?.state === 'ready');
    const client = h.client();
    await h.store.community.optOuts.add('acme', `whatsapp:${CAROL.wa}`, '2026-03-01T00:00:00.000Z');
    const hostile = new Proxy({}, { get: () => { throw new Error('boom'); } });
    client.emit('message', hostile);
    client.emit('group_leave', hostile);
    client.emit('message', { id: { id: 'x', fromMe: false }, from: WA.group, author: WA.alice, type: 'chat', timestamp: 'yesterday' });
    for (const name of ['message-group-image-caption', 'message-private-plain', 'message-group-text']) {
      const { event, args } = waEvent(name, client);
      client.emit(event, ...args);
    }
    // Carol's two touches are queued (connectors do not read opt-outs) and dropped by the profile worker.
    await h.waitProcessed(3);
    await h.role.close();
    const touches = await h.store.touches.list('acme', {});
    expect(touches.map((t) => t.actor.userId)).toEqual([ALICE.wa]);
    const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; reason?: string });
    const drops = lines.filter((l) => l.msg === 'event dropped');
    expect(drops.map((l) => [l.level, l.reason])).toEqual(
      expect.arrayContaining([
        [20, 'unreadable object (Error)'],
        [20, 'message without a valid timestamp'],
      ]),
    );
    expect(drops).toHaveLength(3);
    // Nothing worse than debug for them, and never the text of the messages.
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(chunks.join('')).not.toContain('新款到了');
  });

  it('holds touches while Redis is unreachable and sends them once it is back', async () => {
    let down = true;
    let refused = 0;
    const h = await harness({
      touches: (queue) => ({
        enqueueMany: async (t) => {
          if (down) {
            refused++;
            throw new QueueUnavailableError('Redis is not reachable (connection reconnecting)');
          }
          await queue.enqueueMany(t);
        },
      }),
    });
    await until('the account ready', () => h.role.accounts()[0]?.state === 'ready');
    const client = h.client();
    for (const name of ['notification-invite', 'message-group-text']) {
      const { event, args } = waEvent(name, client);
      client.emit(event, ...args);
    }
    await until('a few refused sends', () => refused >= 3);
    expect(h.processed()).toBe(0);
    down = false;
    await h.waitProcessed(2);
    await h.role.close();
    const touches = await h.store.touches.list('acme', {});
    expect(touches.map((t) => t.kind).sort()).toEqual(['join', 'message']);
  });
});
