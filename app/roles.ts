/**
 * Composition root: builds the parts each process role needs and wires them together.
 * `all` runs every role in one process (small installs); each role can run alone to
 * scale out (`--role workers` on many machines, one `--role http` behind a balancer).
 * Shutdown is ordered: stop intake (HTTP), close workers, close queues and Redis, close
 * the store.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config.js';
import { HttpApp } from '../src/http/http-app.js';
import { registerHealthRoutes } from '../src/http/health-routes.js';
import { createMemoryLocker, createRedisLocker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { touchQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue } from '../src/queue/touch-queue.js';
import { resolveHashKey } from '../src/secrets.js';
import { signalOptOutChanges } from '../src/profile/opt-out-gate.js';
import { openStore, type OpenedStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createProfileWorker } from '../workers/profile.worker.js';
import { telegramBotAccounts } from '../bots/telegram/bot-accounts.js';
import { startTelegramRole, type TelegramRole } from '../bots/telegram/main.js';
import { TelegramUpdateQueue } from '../bots/telegram/update-queue.js';
import { registerTelegramWebhookRoute } from '../bots/telegram/webhook-route.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { createReports } from '../src/reports/index.js';
import { createReconcileWorker } from '../workers/reconcile.worker.js';
import { registerConversionRoutes } from '../src/conversions/conversion-routes.js';
import { redisClickDedupe, registerLinkRoutes } from '../src/links/link-routes.js';
import { clickDedupeKey, reconcileQueueName } from '../src/queue/keys.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { makeTouchTrigger } from '../src/reconcile/touch-trigger.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { whatsAppAccounts } from '../bots/whatsapp/accounts.js';
import { startWhatsAppRole, type WhatsAppRole } from '../bots/whatsapp/main.js';

export const ROLES = ['http', 'workers', 'telegram', 'whatsapp'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningRoles {
  roles: Role[];
  /** Where the HTTP server listens, when the http role runs. */
  address: AddressInfo | undefined;
  store: Store;
  metrics: Metrics;
  touchQueue: TouchQueue;
  /** Conversions to reconcile, refits and sweeps. */
  reconcileQueue: ReconcileQueue;
  /** The Telegram bots, when the telegram role runs. */
  telegram: TelegramRole | undefined;
  /** The WhatsApp accounts, when the whatsapp role runs (it is skipped without configured accounts). */
  whatsapp: WhatsAppRole | undefined;
  close: () => Promise<void>;
}

export interface StartRolesOptions {
  config: Config;
  roles: readonly Role[];
  log: Logger;
  /** Use this store instead of opening the configured one (tests, demo). */
  store?: Store;
  /** Report computations for the bot commands (tests; otherwise the product's own). */
  reports?: ReportsApi;
  metrics?: Metrics;
}

/**
 * Waits until a BullMQ worker's connections are up, so a stop right after start closes a
 * ready worker (closing one still connecting makes BullMQ emit an error nobody handles).
 * Gives up waiting after 10 s (Redis unreachable): the worker keeps trying by itself.
 */
async function untilReady(worker: { waitUntilReady: () => Promise<unknown>; name: string }, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    worker.waitUntilReady().then(() => true, () => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000))),
  ]);
  clearTimeout(timer);
  if (!waited) log.warn({ queue: worker.name }, 'worker not connected to Redis yet; it keeps trying');
}

export async function startRoles(options: StartRolesOptions): Promise<RunningRoles> {
  const { config, log } = options;
  const roles = [...new Set(options.roles)];
  const metrics = options.metrics ?? createMetrics({ defaults: true });
  const closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        log.warn({ part: c.name, err: err instanceof Error ? err.message : String(err) }, 'error while closing');
      }
    }
    closers.length = 0;
  };
  try {
    let opened: OpenedStore;
    if (options.store) {
      const s = options.store;
      opened = { store: s, close: async () => undefined };
    } else {
      opened = await openStore({ store: config.store, mongoUrl: config.mongoUrl, dataDir: config.dataDir, log });
    }
    closers.push({ name: 'store', close: opened.close });
    const hash = await resolveHashKey(config.hashKey, config.dataDir);
    if (hash.source === 'generated') log.warn({ dataDir: config.dataDir }, 'MIDFUNNEL_HASH_KEY not set: generated one and kept it in the data folder');

    const producer = createProducerConnection({ url: config.redisUrl });
    producer.on('error', (err) => log.debug({ err: err.message }, 'redis (producer)'));
    // Opt-out writes (erasure) tell every profile worker to stop trusting its cached answers.
    const store = signalOptOutChanges(opened.store, producer, config.queuePrefix);
    closers.push({ name: 'redis producer', close: () => producer.quit().catch(() => producer.disconnect()) });
    const touchQueue = new TouchQueue({ connection: producer, prefix: config.queuePrefix, metrics });
    closers.push({ name: 'touch queue', close: () => touchQueue.close() });
    // Raw Telegram updates: the http role (webhook) and the telegram role (polling) add, the telegram role handles.
    const telegramUpdates = new TelegramUpdateQueue({ connection: producer, prefix: config.queuePrefix });
    closers.push({ name: 'telegram update queue', close: () => telegramUpdates.close() });
    const reconcileQueue = new ReconcileQueue({ connection: producer, prefix: config.queuePrefix });
    // A BullMQ object with no 'error' listener crashes the process on a Redis hiccup.
    for (const q of [touchQueue.queue, telegramUpdates.queue, reconcileQueue.queue]) {
      q.on('error', (err: Error) => log.debug({ err: err.message, queue: q.name }, 'queue connection error'));
    }
    closers.push({ name: 'reconcile queue', close: () => reconcileQueue.close() });
    const settings = settingsLookup(config.workspaces);
    const enqueueReconcile = (ws: string, ids: readonly string[], cause: string): Promise<void> => reconcileQueue.enqueue(ws, ids, cause);

    if (roles.includes('workers')) {
      const conn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis worker', close: () => conn.quit().catch(() => conn.disconnect()) });
      const locker = store.kind === 'memory' ? createMemoryLocker() : createRedisLocker(producer);
      const trigger = makeTouchTrigger({ store, settings, enqueue: enqueueReconcile, log });
      const worker = createProfileWorker({
        connection: conn,
        store,
        redis: producer,
        locker,
        log,
        metrics,
        prefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        // A touch applied to a person with conversions re-reconciles them (arrival order must not matter).
        // A dropped touch (its person opted out) was not recorded: nothing to re-reconcile.
        onProcessed: (result, job) => {
          if (result.status !== 'opted_out') void trigger(result, job.data.touch);
        },
      });
      closers.push({ name: 'profile worker', close: () => worker.close() });
      await untilReady(worker, log);
      log.info({ concurrency: config.workerConcurrency, queue: touchQueueName(config.queuePrefix) }, 'profile worker started');
      const reconcileConn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis reconcile worker', close: () => reconcileConn.quit().catch(() => reconcileConn.disconnect()) });
      const reconciler = createReconcileWorker({ connection: reconcileConn, store, locker, log, settings, queue: reconcileQueue, prefix: config.queuePrefix, concurrency: Math.max(1, Math.ceil(config.workerConcurrency / 2)) });
      closers.push({ name: 'reconcile worker', close: () => reconciler.close() });
      await untilReady(reconciler, log);
      await reconcileQueue.schedule(config.workspaces.map((w) => w.id));
      log.info({ queue: reconcileQueueName(config.queuePrefix) }, 'reconcile worker started');
    }

    let address: AddressInfo | undefined;
    if (roles.includes('http')) {
      const app = new HttpApp(log, metrics);
      registerHealthRoutes(app, {
        metrics,
        checks: {
          redis: async () => {
            await producer.ping();
          },
          store: () => store.ping(),
        },
        beforeScrape: async () => {
          const counts = await touchQueue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: 'touches', state }, n);
          const reconcile = await reconcileQueue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, n] of Object.entries(reconcile)) metrics.queueDepth.set({ queue: 'reconcile', state }, n);
        },
      });
      registerLinkRoutes(app, {
        store,
        enqueueTouch: (t) => touchQueue.enqueue(t),
        dedupe: redisClickDedupe(producer),
        dedupeKey: (ws, code, visitor) => clickDedupeKey(config.queuePrefix, ws, code, visitor),
        hashKey: hash.key,
        log,
      });
      registerConversionRoutes(app, { store, settings, hashKey: hash.key, enqueue: enqueueReconcile, log });
      registerTelegramWebhookRoute(app, { bots: telegramBotAccounts(config, hash.key), enqueue: (id, u) => telegramUpdates.add(id, u), log });
      address = await app.listen(config.port, config.host);
      closers.push({ name: 'http', close: () => app.close() });
      log.info({ host: address.address, port: address.port }, 'http listening');
    }
    let telegram: TelegramRole | undefined;
    if (roles.includes('telegram')) {
      const conn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis telegram worker', close: () => conn.quit().catch(() => conn.disconnect()) });
      telegram = await startTelegramRole({ config, store, touches: touchQueue, updateQueue: telegramUpdates, workerConnection: conn, hashKey: hash.key, log, reports: options.reports ?? createReports(store, config.workspaces) });
      const role = telegram;
      closers.push({ name: 'telegram', close: () => role.close() });
      log.info({ bots: role.bots.size, mode: role.mode }, 'telegram role started');
    }
    let whatsapp: WhatsAppRole | undefined;
    if (roles.includes('whatsapp')) {
      // Driving WhatsApp needs Chromium and a paired phone: only with accounts configured (`all` included).
      if (whatsAppAccounts(config).length === 0) {
        roles.splice(roles.indexOf('whatsapp'), 1);
        log.info('whatsapp role skipped: no WhatsApp accounts configured (workspaces[].whatsapp.accounts in MIDFUNNEL_CONFIG); see bots/whatsapp/README.md');
      } else {
        const role = await startWhatsAppRole({ config, store, touches: touchQueue, redis: producer, hashKey: hash.key, log });
        whatsapp = role;
        closers.push({ name: 'whatsapp', close: () => role.close() });
      }
    }
    return { roles, address, store, metrics, touchQueue, reconcileQueue, telegram, whatsapp, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
