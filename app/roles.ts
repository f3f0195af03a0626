/**
 * Composition root: builds the parts each process role needs and wires them together.
 * `all` runs every role in one process (small installs); each role can run alone to
 * scale out (`--role workers` on many machines, one `--role http` behind a balancer).
 * Shutdown is ordered: stop intake (HTTP), close workers, close queues and Redis, close
 * the store.
 */
import { campaignOptimizeOptions } from '../src/campaigns/index.js';
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config.js';
import { createMemoryLocker, createRedisLocker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { profileLockKey, touchQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue } from '../src/queue/touch-queue.js';
import { resolveHashKey } from '../src/secrets.js';
import { signalOptOutChanges } from '../src/profile/opt-out-gate.js';
import { createUnmergePort } from '../src/profile/unmerge-profile.js';
import { openStore, type OpenedStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createProfileWorker, isRecorded } from '../workers/profile.worker.js';
import { createCommunityWorker } from '../workers/community.worker.js';
import { CommunityQueue } from '../src/queue/community-queue.js';
import { DEFAULT_RETENTION_DAYS } from '../src/privacy/retention.js';
import { createCaptureSettings, type CaptureSettings } from '../src/capture/capture-settings.js';
import { startTelegramRole, type TelegramRole } from '../bots/telegram/main.js';
import { TelegramUpdateQueue } from '../bots/telegram/update-queue.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { createReports } from '../src/reports/index.js';
import { ReportQueue, type ModelsPort } from '../src/commands/index.js';
import { createReconcileWorker } from '../workers/reconcile.worker.js';
import { startClickSweeper } from '../src/links/sweep-unqueued-clicks.js';
import { reconcileQueueName } from '../src/queue/keys.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { createFitMarks } from '../src/reconcile/fit-marks.js';
import { makeTouchTrigger } from '../src/reconcile/touch-trigger.js';
import { fitStatus, requestRefit } from '../src/reconcile/fit-status.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { whatsAppAccounts } from '../bots/whatsapp/accounts.js';
import { publishCredited, WebhookQueue, type SubscriptionsLookup } from '../src/webhooks/index.js';
import { createWebhookWorker } from '../workers/webhook.worker.js';
import { noteReferralTouch, publishReferralEvents } from '../src/referrals/index.js';
import { createCounterMarks, type CounterMarks } from '../src/reports/counter-marks.js';
import { RollupQueue } from '../src/reports/rollup-queue.js';
import { timeZoneLookup } from '../src/reports/index.js';
import { createRollupWorker } from '../workers/rollup.worker.js';
import { startWhatsAppRole, type WhatsAppRole } from '../bots/whatsapp/main.js';
import { startHealthServer, startHttpRole } from './http-role.js';

export const ROLES = ['http', 'workers', 'telegram', 'whatsapp'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningRoles {
  roles: Role[];
  /** Where the HTTP server listens, when the http role runs (or the health server, on `HEALTH_PORT`). */
  address: AddressInfo | undefined;
  store: Store;
  metrics: Metrics;
  touchQueue: TouchQueue;
  /** Conversions to reconcile, refits and sweeps. */
  reconcileQueue: ReconcileQueue;
  /** Outgoing webhook events (signed deliveries to the workspaces' subscribers). */
  webhookQueue: WebhookQueue;
  /** Community events from the connectors, and erasure re-runs. */
  communityQueue: CommunityQueue;
  /** Rollups of the report counters. */
  rollupQueue: RollupQueue;
  /** Marks report counters dirty as data lands (see `src/reports/counter-marks.ts`). */
  counterMarks: CounterMarks;
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
  /** Report computations for the bot commands and the report API (tests; otherwise the product's own). */
  reports?: ReportsApi;
  /** Fits of the data-driven models for `/models` and `/refit` (wired to the reconciler). */
  models?: ModelsPort;
  metrics?: Metrics;
  /** How often the workers role queues the touches of clicks recorded while Redis was down; default 60 s. */
  clickSweepIntervalMs?: number;
  /** The time clicks on tracked links are recorded at; default the wall clock (the demo replays a past community). */
  clickClock?: () => Date;
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
  // Intake (the HTTP server) stops first, so nothing new arrives while the rest closes.
  const intake: Array<{ name: string; close: () => Promise<unknown> }> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of [...intake.splice(0), ...closers.reverse()]) {
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
    // Report commands and digest runs: the telegram role adds and answers them.
    const reportQueue = new ReportQueue({ connection: producer, prefix: config.queuePrefix });
    closers.push({ name: 'report queue', close: () => reportQueue.close() });
    const communityQueue = new CommunityQueue({ connection: producer, prefix: config.queuePrefix });
    // A BullMQ object with no 'error' listener crashes the process on a Redis hiccup.
    for (const q of [touchQueue.queue, telegramUpdates.queue, reconcileQueue.queue, reportQueue.queue, communityQueue.queue]) {
      q.on('error', (err: Error) => log.debug({ err: err.message, queue: q.name }, 'queue connection error'));
    }
    closers.push({ name: 'reconcile queue', close: () => reconcileQueue.close() });
    closers.push({ name: 'community queue', close: () => communityQueue.close() });
    // Report counters: data landing marks days and people dirty; the rollup worker (workers role) recomputes them.
    const rollupQueue = new RollupQueue({ connection: producer, prefix: config.queuePrefix });
    rollupQueue.queue.on('error', (err: Error) => log.debug({ err: err.message, queue: rollupQueue.queue.name }, 'queue connection error'));
    closers.push({ name: 'rollup queue', close: () => rollupQueue.close() });
    const timeZoneOf = timeZoneLookup(config.workspaces);
    const counterMarks = createCounterMarks({ store, requestRollup: (ws) => rollupQueue.requestRollup(ws), timeZoneOf, log });
    closers.push({ name: 'counter marks', close: () => counterMarks.flush() });
    const settings = settingsLookup(config.workspaces);
    const subscriptions: SubscriptionsLookup = (ws) => config.workspaces.find((w) => w.id === ws)?.webhooks ?? [];
    const webhookQueue = new WebhookQueue({ connection: producer, prefix: config.queuePrefix, subscriptions });
    webhookQueue.queue.on('error', (err: Error) => log.debug({ err: err.message, queue: webhookQueue.queue.name }, 'queue connection error'));
    closers.push({ name: 'webhook queue', close: () => webhookQueue.close() });
    const reports = options.reports ?? createReports(store, config.workspaces, { telegramApiRoot: config.telegramApiRoot, ...campaignOptimizeOptions(store, (ws) => config.workspaces.find((w) => w.id === ws)) });
    const enqueueReconcile = (ws: string, ids: readonly string[], cause: string): Promise<void> => reconcileQueue.enqueue(ws, ids, cause);

    if (roles.includes('workers')) {
      const conn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis worker', close: () => conn.quit().catch(() => conn.disconnect()) });
      const locker = store.kind === 'memory' ? createMemoryLocker() : createRedisLocker(producer);
      // Data landing in a month's fit window marks that month dirty; its refit follows after refitDelayMs.
      const fitMarks = createFitMarks({ store, queue: reconcileQueue, log, refitDelayMs: config.refitDelayMs });
      closers.push({ name: 'fit marks', close: () => fitMarks.flush() });
      const trigger = makeTouchTrigger({ store, settings, enqueue: enqueueReconcile, marks: fitMarks, log });
      // Joins and leaves make and end referral edges (`src/referrals`); never blocks the profile worker.
      const referralDeps = { store, settings, publish: (events: Parameters<WebhookQueue['publish']>[0]) => webhookQueue.publish(events), reconcile: enqueueReconcile, log };
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
          if (isRecorded(result)) {
            void trigger(result, job.data.touch);
            if (job.data.touch.kind === 'join' || job.data.touch.kind === 'leave') {
              noteReferralTouch(referralDeps, job.data.touch).catch((err: unknown) => log.warn({ touch: job.data.touch.id, err: err instanceof Error ? err.message : String(err) }, 'referral edge not noted'));
            }
            counterMarks.markTouchLanded(job.data.touch.workspace, job.data.touch, result);
          }
        },
      });
      closers.push({ name: 'profile worker', close: () => worker.close() });
      await untilReady(worker, log);
      log.info({ concurrency: config.workerConcurrency, queue: touchQueueName(config.queuePrefix) }, 'profile worker started');
      const reconcileConn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis reconcile worker', close: () => reconcileConn.quit().catch(() => reconcileConn.disconnect()) });
      const reconciler = createReconcileWorker({
        connection: reconcileConn,
        store,
        locker,
        log,
        settings,
        queue: reconcileQueue,
        marks: fitMarks,
        prefix: config.queuePrefix,
        concurrency: Math.max(1, Math.ceil(config.workerConcurrency / 2)),
        onProcessed: (result, job) => {
          // Credits and outcomes changed: the counters of their days and people follow.
          counterMarks.afterReconcile(job.data.workspace, result);
          // A conversion credited: subscribers of conversion.credited hear of it (never blocks the reconciler).
          if (result.kind !== 'reconcile' || result.status !== 'matched') return;
          publishReferralEvents({ store, webhooks: webhookQueue, subscriptions }, job.data.workspace, { conversionId: result.conversionId, ...(result.newEdge ? { newEdge: result.newEdge } : {}) }).catch((err: unknown) =>
            log.warn({ conversion: result.conversionId, err: err instanceof Error ? err.message : String(err) }, 'referral events not published'),
          );
          publishCredited({ store, webhooks: webhookQueue, subscriptions }, job.data.workspace, [result.conversionId]).catch((err: unknown) =>
            log.warn({ conversion: result.conversionId, err: err instanceof Error ? err.message : String(err) }, 'conversion.credited not published'),
          );
        },
      });
      reconciler.on('completed', (_job, result) => metrics.reconcileOutcomes.inc({ result: result.kind === 'reconcile' ? result.status : result.kind }));
      closers.push({ name: 'reconcile worker', close: () => reconciler.close() });
      const webhookConn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis webhook worker', close: () => webhookConn.quit().catch(() => webhookConn.disconnect()) });
      const webhookWorker = createWebhookWorker({ connection: webhookConn, subscriptions, log, metrics, prefix: config.queuePrefix });
      closers.push({ name: 'webhook worker', close: () => webhookWorker.close() });
      await untilReady(webhookWorker, log);
      await untilReady(reconciler, log);
      await reconcileQueue.schedule(config.workspaces.map((w) => w.id));
      log.info({ queue: reconcileQueueName(config.queuePrefix) }, 'reconcile worker started');
      // Clicks recorded while Redis was down get their touches queued once it is back.
      const sweeper = startClickSweeper({
        store,
        workspaces: config.workspaces.map((w) => w.id),
        enqueueTouches: (touches) => touchQueue.enqueueMany(touches),
        log,
        ...(options.clickSweepIntervalMs !== undefined ? { intervalMs: options.clickSweepIntervalMs } : {}),
      });
      closers.push({ name: 'click sweeper', close: () => sweeper.stop() });
      const communityConn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis community worker', close: () => communityConn.quit().catch(() => communityConn.disconnect()) });
      const retentionDays = new Map(config.workspaces.map((w) => [w.id, w.retentionDays]));
      const community = createCommunityWorker({
        connection: communityConn,
        store,
        workspaces: config.workspaces.map((w) => w.id),
        log,
        prefix: config.queuePrefix,
        retentionDaysOf: (ws) => retentionDays.get(ws) ?? DEFAULT_RETENTION_DAYS,
      });
      closers.push({ name: 'community worker', close: () => community.close() });
      await untilReady(community, log);
      await communityQueue.scheduleErasureSweep();
      await communityQueue.scheduleRetentionSweep();
      const rollupConn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis rollup worker', close: () => rollupConn.quit().catch(() => rollupConn.disconnect()) });
      const rollup = createRollupWorker({ connection: rollupConn, store, timeZoneOf, retentionDaysOf: (ws) => retentionDays.get(ws), requestRollup: (ws, delay) => rollupQueue.requestRollup(ws, delay), log, prefix: config.queuePrefix });
      closers.push({ name: 'rollup worker', close: () => rollup.close() });
      await untilReady(rollup, log);
      await rollupQueue.schedule(config.workspaces.map((w) => w.id));
    }

    let address: AddressInfo | undefined;
    if (roles.includes('http')) {
      const http = await startHttpRole({
        config,
        log,
        metrics,
        store,
        producer,
        hashKey: hash.key,
        settings,
        touchQueue,
        reconcileQueue,
        telegramUpdates,
        reports,
        otherQueues: [
          { label: 'webhooks', queue: webhookQueue.queue },
          { label: 'community', queue: communityQueue.queue },
          { label: 'rollup', queue: rollupQueue.queue },
          { label: 'reports', queue: reportQueue.queue },
        ],
        ...(options.clickClock ? { clickClock: options.clickClock } : {}),
      });
      address = http.address;
      intake.push({ name: 'http', close: () => http.close() });
      log.info({ host: address.address, port: address.port }, 'http listening');
    } else if (config.healthPort !== undefined) {
      const health = await startHealthServer({ port: config.healthPort, host: config.host, log, metrics, producer, store });
      address = health.address;
      intake.push({ name: 'health server', close: () => health.close() });
      log.info({ host: address.address, port: address.port }, 'health server listening');
    }
    // The capture settings the connectors map with (keywords, invite links), pushed to this process.
    let capture: CaptureSettings | undefined;
    if (roles.includes('telegram') || (roles.includes('whatsapp') && whatsAppAccounts(config).length > 0)) {
      const c = createCaptureSettings({ store, workspaces: config.workspaces, log, redis: { connection: producer, prefix: config.queuePrefix } });
      closers.push({ name: 'capture settings', close: () => c.close() });
      await c.start();
      capture = c;
    }
    let telegram: TelegramRole | undefined;
    // `/unmerge` (owners) on Telegram and WhatsApp: splits a wrong merge under the profile locks, then re-credits.
    const unmerge = createUnmergePort({
      store,
      locker: store.kind === 'memory' ? createMemoryLocker() : createRedisLocker(producer),
      lockKey: (ws, pid) => profileLockKey(config.queuePrefix, ws, pid),
      enqueue: enqueueReconcile,
    });
    if (roles.includes('telegram')) {
      const conn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis telegram worker', close: () => conn.quit().catch(() => conn.disconnect()) });
      // `/models` shows when the data-driven models were fitted; `/refit` queues a refit job.
      const models: ModelsPort = options.models ?? {
        status: (ws) => fitStatus(store, ws),
        requestRefit: async (ws, period) => {
          const r = await requestRefit(reconcileQueue, ws, period);
          return r.months === null ? 'Refit queued for every month with conversions; credits are replaced as each month is fitted.' : `Refit queued for ${r.months.join(', ')}; credits are replaced as each month is fitted.`;
        },
      };
      telegram = await startTelegramRole({
        config,
        store,
        touches: touchQueue,
        community: communityQueue,
        redis: producer,
        ...(capture ? { capture } : {}),
        updateQueue: telegramUpdates,
        workerConnection: conn,
        hashKey: hash.key,
        log,
        reports,
        reportQueue,
        models,
        unmerge,
      });
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
        const role = await startWhatsAppRole({
          config,
          store,
          touches: touchQueue,
          community: communityQueue,
          ...(capture ? { capture } : {}),
          redis: producer,
          hashKey: hash.key,
          log,
          reports,
          models: options.models ?? {
            status: (ws) => fitStatus(store, ws),
            requestRefit: async (ws, period) => {
              const r = await requestRefit(reconcileQueue, ws, period);
              return r.months === null ? 'Refit queued for every month with conversions; credits are replaced as each month is fitted.' : `Refit queued for ${r.months.join(', ')}; credits are replaced as each month is fitted.`;
            },
          },
          ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
          unmerge,
        });
        whatsapp = role;
        closers.push({ name: 'whatsapp', close: () => role.close() });
      }
    }
    return { roles, address, store, metrics, touchQueue, reconcileQueue, webhookQueue, communityQueue, rollupQueue, counterMarks, telegram, whatsapp, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
