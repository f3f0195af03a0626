/**
 * Issue 9's fault test: a burst of Telegram updates through the real webhook route while
 * Redis restarts twice and the store fails for a while; afterwards every update answered
 * 200 has its touches stored exactly once.
 *
 * Real parts: the app's roles (`startRoles`: http, telegram, workers) on a redis-server of
 * the test's own (a free port, `--save '' --appendonly no`, restarted gracefully twice:
 * `test/support/redis-server.ts`), the Bot API stand-in, BullMQ, the telegraf bot, the
 * profile and community workers. The store is wrapped so that for a few seconds every call
 * fails as a MongoDB outage does (`MongoNetworkError`, `MongoServerSelectionError`).
 * "Telegram" resends any update not answered 200, as Telegram does.
 *
 * Checked afterwards, by the deterministic touch ids the burst must make: the stored
 * touches are exactly those (none lost, none extra); every profile's statistics count each
 * of its touches once; joins carry the campaign of their invite link (from the capture
 * settings pushed to the connector); no job of any queue stayed failed.
 *
 * Jobs left active without a worker (taken just before Redis went down, or held by a killed
 * process) go back to their queue after 5 s, as BullMQ's stalled-job check does after their
 * 30 s lock expired (`reclaimStalledJobs`): the test does not wait a minute per fault.
 *
 * With `MONGO_URL` the same burst runs against MongoDB with the workers in a child process
 * that is SIGKILLed twice in the middle of it. Without it that leg is skipped: a killed
 * process's in-memory store is gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles, type Role } from '../app/roles.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { communityQueueName, reconcileQueueName, telegramUpdatesQueueName, touchQueueName } from '../src/queue/keys.js';
import { ERASURE_SWEEP_JOB, RETENTION_SWEEP_JOB } from '../src/queue/community-queue.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { makeTouchId } from '../src/touch-event.js';
import { BotApiStub } from './support/bot-api-stub.js';
import { reclaimStalledJobs, startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { withOutage, type OutageStore } from './support/store-outage.js';
import { BOT, HASH_KEY, OTHER_BOT, TOKEN } from './support/telegram-harness.js';

const WS = 'acme';
const SECRET = 'acme-secret-token_1';
const log = createLogger(process.env.FAULT_LOG_LEVEL ?? 'silent');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const GROUPS = [
  { id: -1002000000001, title: '团购群 A', link: 'https://t.me/+FaultLinkA', campaign: 'spring-a' },
  { id: -1002000000002, title: 'Deals B', link: 'https://t.me/+FaultLinkB', campaign: 'spring-b' },
  { id: -1002000000003, title: 'VIP 群 C', link: 'https://t.me/+FaultLinkC', campaign: 'spring-c' },
] as const;
const USERS = Array.from({ length: 30 }, (_, i) => ({ id: 300_000 + i, username: `fault_user_${i}` }));

interface Burst {
  updates: Array<Record<string, unknown>>;
  /** Touch id → kind, for every touch the burst must make. */
  expected: Map<string, string>;
}

/** About 300 updates: joins through invite links, group messages, /start deep links, leaves. */
function makeBurst(): Burst {
  const updates: Array<Record<string, unknown>> = [];
  const expected = new Map<string, string>();
  const base = Math.floor(Date.parse('2026-03-01T08:00:00Z') / 1000);
  let updateId = 940_000_000;
  let messageId = 70_000;
  const user = (u: (typeof USERS)[number]) => ({ id: u.id, is_bot: false, first_name: 'F', username: u.username });
  USERS.forEach((u, i) => {
    const g = GROUPS[i % 3] as (typeof GROUPS)[number];
    const date = base + i;
    updates.push({
      update_id: updateId++,
      chat_member: {
        chat: { id: g.id, title: g.title, type: 'supergroup' },
        from: user(u),
        date,
        old_chat_member: { user: user(u), status: 'left' },
        new_chat_member: { user: user(u), status: 'member' },
        invite_link: { invite_link: g.link, creator: { id: Number(BOT), is_bot: true, first_name: 'M' }, creates_join_request: false, is_primary: false, is_revoked: false, name: 'link-name' },
      },
    });
    expected.set(makeTouchId('telegram', String(g.id), u.id, date, 'member'), 'join');
  });
  for (let i = 0; i < 240; i++) {
    const u = USERS[i % USERS.length] as (typeof USERS)[number];
    const g = GROUPS[Math.floor(i / USERS.length) % 3] as (typeof GROUPS)[number];
    const id = messageId++;
    const text = ['price for 2?', 'hello all', '今天发货吗', 'see https://shop.example.com/p/1'][i % 4] as string;
    updates.push({ update_id: updateId++, message: { message_id: id, from: user(u), chat: { id: g.id, type: 'supergroup', title: g.title }, date: base + 100 + i, text } });
    expected.set(makeTouchId('telegram', String(g.id), id, 'message'), 'message');
  }
  for (let i = 0; i < 5; i++) {
    const u = USERS[i] as (typeof USERS)[number];
    const id = messageId++;
    const text = `/start camp_${i}`;
    updates.push({ update_id: updateId++, message: { message_id: id, from: user(u), chat: { id: u.id, type: 'private', first_name: 'F' }, date: base + 400 + i, text, entities: [{ offset: 0, length: 6, type: 'bot_command' }] } });
    expected.set(makeTouchId('telegram', String(u.id), id, 'dm_start'), 'dm_start');
  }
  for (let i = 0; i < 10; i++) {
    const u = USERS[i] as (typeof USERS)[number];
    const g = GROUPS[i % 3] as (typeof GROUPS)[number];
    const date = base + 500 + i;
    updates.push({ update_id: updateId++, chat_member: { chat: { id: g.id, title: g.title, type: 'supergroup' }, from: user(u), date, old_chat_member: { user: user(u), status: 'member' }, new_chat_member: { user: user(u), status: 'left' } } });
    expected.set(makeTouchId('telegram', String(g.id), u.id, date, 'left'), 'leave');
  }
  return { updates, expected };
}

function configFor(redisUrl: string, env: Record<string, string>): { config: Config; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'mf-fault-'));
  const file = join(dir, 'workspaces.json');
  writeFileSync(file, JSON.stringify({ workspaces: [{ id: WS, keywords: ['price', '发货'], telegram: { bots: [{ token: TOKEN, webhookSecret: SECRET }] } }] }));
  const full = { REDIS_URL: redisUrl, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: `mft-fault-${process.pid}-${Date.now().toString(36)}`, MIDFUNNEL_DATA_DIR: dir, MIDFUNNEL_HASH_KEY: HASH_KEY, MIDFUNNEL_CONFIG: file, ...env };
  return { config: loadConfig(full), env: full };
}

async function seedLinks(store: Store): Promise<void> {
  for (const g of GROUPS) {
    await store.community.inviteLinks.insert(WS, { workspace: WS, platform: 'telegram', chatId: String(g.id), url: g.link, campaign: g.campaign, createsJoinRequest: false, createdBy: 'telegram:505', createdAt: '2026-02-01T00:00:00Z', revokedAt: null });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Leg {
  redis: OwnRedis;
  config: Config;
  app: RunningRoles;
  /** The store the assertions read (no outage). */
  store: Store;
  outage: OutageStore;
  /** Extra faults once this many touches are stored (the SIGKILLs). */
  extra?: Array<{ after: number; run: () => Promise<void> }>;
  setStoreDown?: (down: boolean) => void;
  /** Store calls refused in other processes (the workers' child). */
  refusedElsewhere?: () => number;
}

/**
 * Posts the burst through the webhook (8 at a time, each resent until answered 200) while
 * the faults run, then checks the store. Returns what happened, for the test's own checks.
 */
async function burstThroughFaults(leg: Leg): Promise<{ resent: number }> {
  const { updates, expected } = makeBurst();
  const base = `http://127.0.0.1:${leg.app.address?.port}`;
  let posted = 0;
  let resent = 0;
  const post = async (u: Record<string, unknown>): Promise<void> => {
    for (;;) {
      try {
        const res = await fetch(`${base}/telegram/${BOT}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify(u) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        expect(res.status).toBe(503);
      } catch {
        // The connection was cut: Telegram sends it again.
      }
      resent++;
      await sleep(100);
    }
  };
  const storeDown = (down: boolean): void => {
    leg.outage.setDown(down);
    leg.setStoreDown?.(down);
  };
  // Faults strike at points of the processing (touches stored so far), so each one hits work in flight.
  const at = (n: number): Promise<void> => until(`${n} touches stored`, async () => (await leg.store.touches.count(WS)) >= n, 60_000);
  const faults = (async () => {
    const steps: Array<{ after: number; run: () => Promise<void> }> = [
      { after: 30, run: () => leg.redis.restart(800) },
      {
        after: 90,
        run: async () => {
          storeDown(true);
          await sleep(3_000);
          storeDown(false);
        },
      },
      { after: 160, run: () => leg.redis.restart(800) },
      ...(leg.extra ?? []),
    ]
      .filter(() => !process.env.FAULT_NONE)
      .sort((a, b) => a.after - b.after);
    for (const s of steps) {
      await at(s.after);
      await s.run();
    }
  })();
  // Jobs a restart or a kill left active without a worker go back to their queue after 5 s
  // (BullMQ's own stalled check would, after their 30 s lock expired).
  const reclaimer = reclaimStalledJobs(leg.redis.url, [touchQueueName, telegramUpdatesQueueName, communityQueueName, reconcileQueueName].map((n) => n(leg.config.queuePrefix)), 5_000, {
    locks: { pattern: `${leg.config.queuePrefix}:lock:*`, ttlMs: 30_000 },
  });
  cleanups.push(() => reclaimer.stop());
  let next = 0;
  const debug = process.env.FAULT_DEBUG
    ? setInterval(() => {
        void leg.store.touches.count(WS).then((n) => process.stderr.write(`[fault] posted ${posted}/${updates.length} resent ${resent} stored ${n}/${expected.size} redis starts ${leg.redis.starts()} refused ${leg.outage.refused()}\n`), () => undefined);
      }, 1000)
    : undefined;
  cleanups.push(async () => clearInterval(debug));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < updates.length) {
        const u = updates[next++] as Record<string, unknown>;
        await post(u);
        posted++;
        // Spread the burst over the faults.
        await sleep(15);
      }
    }),
  );
  await faults;
  expect(posted).toBe(updates.length);
  expect(leg.redis.starts()).toBe(3);
  // Redis was down while updates came in: the webhook refused some (503), and "Telegram" resent them.
  expect(resent).toBeGreaterThan(0);
  // The outage was felt (by the workers; connectors never call the store for these updates).
  await until('the outage reported', async () => leg.outage.refused() + (leg.refusedElsewhere?.() ?? 0) > 0, 10_000);

  if (process.env.FAULT_DEBUG) {
    const r = new Redis(leg.redis.url, { maxRetriesPerRequest: null });
    const qs = [touchQueueName, telegramUpdatesQueueName, communityQueueName, reconcileQueueName].map((name) => new Queue(name(leg.config.queuePrefix), { connection: r }));
    const t = setInterval(() => {
      void Promise.all(qs.map(async (q) => `${q.name.split('-').pop()}=${JSON.stringify(await q.getJobCounts('waiting', 'active', 'delayed', 'failed'))}`)).then((x) => process.stderr.write(`[fault] queues ${x.join(' ')}\n`), () => undefined);
    }, 2000);
    cleanups.push(async () => {
      clearInterval(t);
      for (const q of qs) await q.close();
      r.disconnect();
    });
  }
  // Every accepted update's touches arrive...
  await until('every expected touch stored', async () => (await leg.store.touches.count(WS)) >= expected.size, 90_000);
  // ...and the queues settle with nothing failed.
  const redis = new Redis(leg.redis.url, { maxRetriesPerRequest: null });
  const queues = [touchQueueName, telegramUpdatesQueueName, communityQueueName, reconcileQueueName].map((name) => new Queue(name(leg.config.queuePrefix), { connection: redis }));
  try {
    let quiet = 0;
    await until(
      'the queues to settle',
      async () => {
        const counts = await Promise.all(queues.slice(0, 3).map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
        // Delayed jobs are retries waiting for their backoff; the scheduled erasure and retention sweeps wait there too and do not count.
        const delayed = await Promise.all(queues.slice(0, 3).map(async (q) => (await q.getDelayed()).filter((j) => j.name !== ERASURE_SWEEP_JOB && j.name !== RETENTION_SWEEP_JOB).length));
        quiet = counts.every((c) => Object.values(c).every((n) => n === 0)) && delayed.every((n) => n === 0) ? quiet + 1 : 0;
        return quiet >= 5;
      },
      60_000,
    );
    for (const q of queues) expect(await q.getFailedCount(), `failed jobs in ${q.name}`).toBe(0);
  } finally {
    for (const q of queues) await q.close();
    redis.disconnect();
  }

  // Exactly the expected touches: none lost, none extra, each once.
  const stored = await leg.store.touches.list(WS, {});
  expect(stored.length).toBe(expected.size);
  expect(new Set(stored.map((t) => t.id))).toEqual(new Set(expected.keys()));
  for (const t of stored) expect(t.kind).toBe(expected.get(t.id));
  // Each touch counted once in its person's statistics (a re-run after a fault counted nothing twice).
  const perProfile = new Map<string, number>();
  for (const t of stored) perProfile.set(t.profileId ?? '-', (perProfile.get(t.profileId ?? '-') ?? 0) + 1);
  const profiles = await leg.store.profiles.list(WS);
  expect(profiles).toHaveLength(USERS.length);
  for (const p of profiles) expect(p.stats.touchCount, `touches of ${p.id}`).toBe(perProfile.get(p.id));
  expect(stored.every((t) => t.applied)).toBe(true);
  // Joins carry their invite link's campaign, from the invite links pushed to the connector.
  const campaigns = new Set(stored.filter((t) => t.kind === 'join').map((t) => (t.details as { campaign?: string }).campaign));
  expect(campaigns).toEqual(new Set(GROUPS.map((g) => g.campaign)));
  // The groups were registered by the community worker despite the outages.
  const groups = await leg.store.community.groups.list(WS);
  expect(groups.map((g) => [g.chatId, g.title, g.status]).sort()).toEqual(GROUPS.map((g) => [String(g.id), g.title, 'active']).sort());
  return { resent };
}

async function startLeg(roles: Role[], store: OutageStore, env: Record<string, string> = {}) {
  const redis = await startOwnRedis();
  cleanups.push(() => redis.stop());
  const stub = await BotApiStub.start();
  stub.addBot(BOT);
  stub.addBot(OTHER_BOT);
  cleanups.push(() => stub.close());
  const { config, env: full } = configFor(redis.url, { PUBLIC_BASE_URL: 'https://bots.example.test', TELEGRAM_API_ROOT: stub.root, ...env });
  const app = await startRoles({ config, roles, log, store: store.store });
  cleanups.push(() => app.close());
  await app.telegram?.ready;
  return { redis, config, app, env: full };
}

describe('fault test: a Telegram burst through Redis restarts and a store outage', () => {
  it('stores every accepted update’s touches exactly once', { timeout: 110_000 }, async () => {
    const memory = createMemoryStore();
    await seedLinks(memory);
    const outage = withOutage(memory);
    const { redis, config, app } = await startLeg(['http', 'telegram', 'workers'], outage);
    await burstThroughFaults({ redis, config, app, store: memory, outage });
  });

  it.skipIf(!process.env.MONGO_URL)(
    'with the workers in a process SIGKILLed twice mid-burst, still exactly once (needs MONGO_URL: a killed process’s in-memory store is gone)',
    { timeout: 115_000 },
    async () => {
      const mongoUrl = `${(process.env.MONGO_URL ?? '').replace(/\/[^/]*$/, '')}/mf_fault_${process.pid}_${Date.now().toString(36)}`;
      const opened = await openStore({ store: 'mongo', mongoUrl, dataDir: tmpdir(), log });
      cleanups.push(async () => {
        const { default: mongoose } = await import('mongoose');
        const conn = await mongoose.createConnection(mongoUrl).asPromise();
        await conn.dropDatabase().catch(() => undefined);
        await conn.close();
      });
      cleanups.push(() => opened.close());
      await seedLinks(opened.store);
      const outage = withOutage(opened.store);
      const { redis, config, app, env } = await startLeg(['http', 'telegram'], outage, { MONGO_URL: mongoUrl, MIDFUNNEL_STORE: 'mongo' });

      // Three worker processes from the start (a deployment scaled out); two are SIGKILLed mid-work.
      let storeDown = false;
      let childRefused = 0;
      let kills = 0;
      const children: ChildProcess[] = [];
      cleanups.push(async () => {
        for (const c of children) c.kill('SIGKILL');
      });
      const spawnWorkers = async (): Promise<ChildProcess> => {
        const c = fork(join(import.meta.dirname, 'support', 'fault-workers.ts'), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
        children.push(c);
        c.on('message', (m: { refused?: number }) => {
          if (typeof m?.refused === 'number') childRefused += m.refused;
        });
        await new Promise<void>((resolve, reject) => {
          c.stdout?.on('data', (d: Buffer) => {
            if (process.env.FAULT_DEBUG) process.stderr.write(`[child] ${d.toString()}`);
            if (d.toString().includes('ready')) resolve();
          });
          c.once('exit', (code) => reject(new Error(`workers exited (${code}) before they were ready`)));
        });
        c.send({ storeDown });
        return c;
      };
      const live = await Promise.all([spawnWorkers(), spawnWorkers(), spawnWorkers()]);
      /** SIGKILL one worker process mid-work; the jobs and locks it held come free as stalled jobs and expired locks do. */
      const killWorkers = async (): Promise<void> => {
        const c = live.shift();
        if (!c) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
        kills++;
      };
      await burstThroughFaults({
        redis,
        config,
        app,
        store: opened.store,
        outage,
        setStoreDown: (down) => {
          storeDown = down;
          for (const c of live) c.send({ storeDown: down });
        },
        refusedElsewhere: () => childRefused,
        extra: [
          { after: 60, run: killWorkers },
          { after: 200, run: killWorkers },
        ],
      });
      expect(kills).toBe(2);
    },
  );
});
