/**
 * The telegram role on real parts for tests: the Bot API stub, the real telegraf bots,
 * the update queue and worker on the real Redis, the touch queue and the profile worker,
 * the community queue and worker, into a memory store. `feed` pushes literal updates
 * through polling (getUpdates) and waits until they are handled and every touch and
 * community event they made is stored.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { Update } from 'telegraf/types';
import { startTelegramRole, type TelegramRole, type TelegramRoleOptions } from '../../bots/telegram/main.js';
import { TelegramUpdateQueue, type TelegramUpdateJobData } from '../../bots/telegram/update-queue.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createMemoryLocker } from '../../src/lock.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { createProducerConnection, createWorkerConnection } from '../../src/queue/redis.js';
import { TouchQueue } from '../../src/queue/touch-queue.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import { ReportQueue } from '../../src/commands/index.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store, StoredTouch } from '../../src/store/store.js';
import { createProfileWorker, type ProfileWorkerOptions } from '../../workers/profile.worker.js';
import { createCommunityWorker } from '../../workers/community.worker.js';
import { CommunityQueue } from '../../src/queue/community-queue.js';
import { BotApiStub } from './bot-api-stub.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './redis.js';

export const BOT = '7000000001';
export const OTHER_BOT = '7000000002';
export const TOKEN = `${BOT}:AAH_test_token_for_midfunnel_0001`;
export const OTHER_TOKEN = `${OTHER_BOT}:AAH_test_token_for_midfunnel_0002`;
export const HASH_KEY = 'test-hash-key-0123456789abcdef';
export const GROUP = -1001234567890;
export const GROUP2 = -1005550001111;
export const MANAGERS_CHAT = -1007770001;
/** People: owner, manager, workspace operator, group admin (of GROUP), admin of GROUP2 only, member, manager of the other workspace. */
export const P = { owner: 505, manager: 4040, operator: 5050, groupAdmin: 909, otherGroupAdmin: 707, member: 202, otherManager: 616 } as const;

export const WORKSPACES = {
  workspaces: [
    {
      id: 'acme',
      keywords: ['price', '价格', '发货', 'discount'],
      telegram: { bots: [{ token: TOKEN, webhookSecret: 'acme-secret-token_1' }] },
      roles: { owners: [`telegram:${P.owner}`], managers: [`telegram:${P.manager}`], operators: [`telegram:${P.operator}`] },
      managersChats: [`telegram:${MANAGERS_CHAT}`],
      timezone: 'Asia/Shanghai',
      allowedDomains: ['shop.example.com'],
    },
    {
      id: 'other',
      keywords: ['price'],
      telegram: { bots: [{ token: OTHER_TOKEN }] },
      roles: { managers: [`telegram:${P.otherManager}`] },
    },
  ],
};

export function testConfig(env: Record<string, string> = {}, workspaces: unknown = WORKSPACES): Config {
  return loadConfig(
    {
      REDIS_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      QUEUE_PREFIX: uniquePrefix('tg'),
      MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-tg-')),
      MIDFUNNEL_HASH_KEY: HASH_KEY,
      MIDFUNNEL_CONFIG: 'workspaces.json',
      ...env,
    },
    () => JSON.stringify(workspaces),
  );
}

let nextUpdateId = 920_000_000;
let nextMessageId = 50_000;

/**
 * A fixture update from `test/fixtures/telegram/`, with fields replaced. Its `update_id`
 * is renumbered so updates reach the bot in the order a test feeds them (Telegram's
 * update ids only grow; getUpdates skips ids below its offset).
 */
export function fixture<T = Update>(name: string, patch: (u: Record<string, any>) => void = () => undefined): T {
  const u = JSON.parse(readFileSync(new URL(`../fixtures/telegram/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
  u.update_id = nextUpdateId++;
  patch(u);
  return u as T;
}

export interface Person {
  id: number;
  username?: string;
  first_name?: string;
}

/** A message update with a bot command, shaped as Telegram sends it (entity `bot_command`). */
export function commandUpdate(text: string, from: Person, chat: { id: number; type: 'private' | 'group' | 'supergroup'; title?: string }): Update {
  const name = /^\/\S+/.exec(text)?.[0] ?? text;
  const user = { id: from.id, is_bot: false, first_name: from.first_name ?? 'User', ...(from.username ? { username: from.username } : {}) };
  const c = chat.type === 'private' ? { id: chat.id, type: 'private', first_name: user.first_name } : { id: chat.id, type: chat.type, title: chat.title ?? 'Group' };
  return {
    update_id: nextUpdateId++,
    message: { message_id: nextMessageId++, from: user, chat: c, date: Math.floor(Date.now() / 1000), text, entities: [{ offset: 0, length: name.length, type: 'bot_command' }] },
  } as unknown as Update;
}

/** A plain group message update. */
export function textUpdate(text: string, from: Person, chatId = GROUP, title = '团购群 Deals'): Update {
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      from: { id: from.id, is_bot: false, first_name: from.first_name ?? 'User', ...(from.username ? { username: from.username } : {}) },
      chat: { id: chatId, type: 'supergroup', title },
      date: Math.floor(Date.now() / 1000),
      text,
    },
  } as unknown as Update;
}

export const privateChat = (id: number) => ({ id, type: 'private' as const });
export const group = (id = GROUP, title = '团购群 Deals') => ({ id, type: 'supergroup' as const, title });

export interface TelegramHarness {
  stub: BotApiStub;
  store: Store;
  role: TelegramRole;
  config: Config;
  touchQueue: TouchQueue;
  updateQueue: TelegramUpdateQueue;
  reportQueue: ReportQueue;
  communityQueue: CommunityQueue;
  /** Failed update jobs seen by the worker (kept for inspection). */
  failed: Array<{ job: Job<TelegramUpdateJobData>; error: Error }>;
  /** Pushes updates through getUpdates and waits until they are handled and their touches stored. */
  feed(updates: readonly Update[], botId?: string): Promise<void>;
  /** Waits until every update id given was handled, then until the touch queue is drained. */
  waitHandled(updateIds: readonly number[]): Promise<void>;
  touches(workspace?: string): Promise<StoredTouch[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Writes to the store before anything starts (the capture settings load at start). */
  seed?: (store: Store) => Promise<void>;
  /** The store the role and workers use, made from the harness's (which `store` stays, for assertions). */
  wrapStore?: (store: Store) => Store;
  /** Reports, or a function making them over the harness's store. */
  reports?: ReportsApi | ((store: Store) => ReportsApi);
  config?: Config;
  now?: () => Date;
  extra?: Partial<TelegramRoleOptions>;
  /** Called by the profile worker after each touch job (as `app/roles.ts` wires its hooks). */
  onProcessed?: ProfileWorkerOptions['onProcessed'];
}

export async function startTelegramHarness(options: HarnessOptions = {}): Promise<TelegramHarness> {
  const stub = await BotApiStub.start();
  stub.addBot(BOT);
  stub.addBot(OTHER_BOT);
  const base = options.config ?? testConfig();
  const config: Config = { ...base, telegramApiRoot: stub.root };
  const prefix = config.queuePrefix;
  const memory = createMemoryStore();
  await memory.init();
  await options.seed?.(memory);
  const store = options.wrapStore ? options.wrapStore(memory) : memory;
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const producer = createProducerConnection({ url: REDIS_URL });
  const profileConn = createWorkerConnection({ url: REDIS_URL });
  const updateConn = createWorkerConnection({ url: REDIS_URL });
  const communityConn = createWorkerConnection({ url: REDIS_URL });
  const cleaner = testRedis();
  const metrics = createMetrics();
  const touchQueue = new TouchQueue({ connection: producer, prefix, metrics });
  const updateQueue = new TelegramUpdateQueue({ connection: producer, prefix });
  const reportQueue = new ReportQueue({ connection: producer, prefix });
  const profileWorker = createProfileWorker({ connection: profileConn, store, locker: createMemoryLocker(), log, metrics, prefix, concurrency: 4, ...(options.onProcessed ? { onProcessed: options.onProcessed } : {}) });
  const communityQueue = new CommunityQueue({ connection: producer, prefix });
  const communityWorker = createCommunityWorker({ connection: communityConn, store, workspaces: config.workspaces.map((w) => w.id), log, prefix });
  const handled = new Set<number>();
  const failed: TelegramHarness['failed'] = [];
  const role = await startTelegramRole({
    config,
    store,
    touches: touchQueue,
    community: communityQueue,
    redis: producer,
    updateQueue,
    reportQueue,
    workerConnection: updateConn,
    hashKey: HASH_KEY,
    log,
    mode: 'polling',
    pollTimeoutSeconds: 1,
    digestIntervalMs: 0,
    ...(options.reports ? { reports: typeof options.reports === 'function' ? options.reports(store) : options.reports } : {}),
    ...(options.now ? { now: options.now } : {}),
    onHandled: (job, error) => {
      handled.add(job.data.update.update_id);
      if (error) failed.push({ job, error });
    },
    ...options.extra,
  });
  await role.ready;

  const drained = async (): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const counts = await Promise.all([touchQueue.queue, communityQueue.queue].map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
      if (counts.every((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0)) return;
      if (Date.now() > deadline) throw new Error(`touch or community queue not drained: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  const waitHandled = async (ids: readonly number[]): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!ids.every((id) => handled.has(id))) {
      if (Date.now() > deadline) throw new Error(`updates not handled: ${ids.filter((id) => !handled.has(id)).join(', ')}`);
      await new Promise((r) => setTimeout(r, 15));
    }
    await drained();
  };
  return {
    stub,
    store: memory,
    role,
    config,
    touchQueue,
    updateQueue,
    reportQueue,
    communityQueue,
    failed,
    waitHandled,
    async feed(updates, botId = BOT) {
      stub.pushUpdates(botId, ...(updates as unknown as Array<Record<string, unknown>>));
      await waitHandled(updates.map((u) => u.update_id));
    },
    touches: (workspace = 'acme') => memory.touches.list(workspace, {}),
    async close() {
      await role.close();
      await profileWorker.close();
      await communityWorker.close();
      for (const q of [touchQueue.queue, updateQueue.queue, reportQueue.queue, communityQueue.queue]) await q.obliterate({ force: true }).catch(() => undefined);
      await touchQueue.close();
      await updateQueue.close();
      await reportQueue.close();
      await communityQueue.close();
      await deleteKeys(cleaner, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([producer.quit(), profileConn.quit(), updateConn.quit(), communityConn.quit(), cleaner.quit()]);
      await stub.close();
      await memory.close();
    },
  };
}
