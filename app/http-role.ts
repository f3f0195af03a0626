/**
 * The http role: one Fastify server with health, readiness and metrics, tracked links,
 * conversion intake, the report API and Telegram webhooks. Parts that serve HTTP export
 * `registerXRoutes(app, deps)`; add the call below, before the server listens.
 *
 * Processes without the http role may still serve health and metrics alone, on
 * `HEALTH_PORT` ({@link startHealthServer}), for container health checks and scrapes.
 */
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config.js';
import { registerConversionRoutes } from '../src/conversions/conversion-routes.js';
import { registerHealthRoutes, type HealthRoutesOptions } from '../src/http/health-routes.js';
import { closeHttpApp, createHttpApp, listenHttpApp } from '../src/http/http-app.js';
import { redisClickDedupe, registerLinkRoutes } from '../src/links/link-routes.js';
import { createGroupLinkState } from '../src/group-links/group-links.js';
import { registerGroupLinkRoutes } from '../src/group-links/group-link-routes.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { clickDedupeKey } from '../src/queue/keys.js';
import { keepRejectedPayload } from '../src/queue/rejected-payloads.js';
import type { TouchQueue } from '../src/queue/touch-queue.js';
import { watchQueueEvents, type QueueEventsWatcher } from '../src/queue/watch-queue-events.js';
import type { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import type { SettingsLookup } from '../src/reconcile/workspace-settings.js';
import type { Store } from '../src/store/store.js';
import { telegramBotAccounts } from '../bots/telegram/bot-accounts.js';
import type { TelegramUpdateQueue } from '../bots/telegram/update-queue.js';
import { registerTelegramWebhookRoute } from '../bots/telegram/webhook-route.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { registerReportApi } from './report-api-route.js';
import { createDashboardAuth, registerDashboardRoutes } from '../src/dashboard/index.js';
import { campaignApiReports } from '../src/campaigns/campaign-api.js';
import { createCampaignReports } from '../src/campaigns/index.js';
import { registerSpendApi } from './spend-api-route.js';
import { alertsApiReport } from '../src/optimize/alerts-report.js';

/** How long a stopping server lets open requests finish before cutting their connections. */
export const HTTP_CLOSE_GRACE_MS = 5_000;

export interface HttpRoleDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  store: Store;
  /** The producer connection (readiness, click dedupe, refused payloads). */
  producer: Redis;
  hashKey: string;
  settings: SettingsLookup;
  touchQueue: TouchQueue;
  reconcileQueue: ReconcileQueue;
  telegramUpdates: TelegramUpdateQueue;
  /** The report computations the report API answers with (`GET /v1/reports/<name>`). */
  reports: ReportsApi;
  /** More queues whose depth, stalled and failed jobs `/metrics` shows (e.g. `webhooks`). */
  otherQueues?: ReadonlyArray<{ label: string; queue: Pick<Queue, 'getJobCounts' | 'name'> }>;
  /** The time clicks on tracked links are recorded at; default the wall clock (the demo replays a past community). */
  clickClock?: () => Date;
}

export interface RunningHttp {
  app: FastifyInstance;
  address: AddressInfo;
  /** Counts stalled and failed jobs per queue; `ready` once it reads the streams. */
  queueEvents: QueueEventsWatcher;
  close(): Promise<void>;
}

/** Queue depth per queue and state, read from Redis when `/metrics` is scraped. */
function queueDepthRefresher(metrics: Metrics, queues: ReadonlyArray<{ label: string; queue: Pick<Queue, 'getJobCounts'> }>): () => Promise<void> {
  return async () => {
    for (const { label, queue } of queues) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: label, state }, n);
    }
  };
}

function readinessChecks(producer: Redis, store: Store): HealthRoutesOptions['checks'] {
  return {
    redis: async () => {
      await producer.ping();
    },
    store: () => store.ping(),
  };
}

export async function startHttpRole(deps: HttpRoleDeps): Promise<RunningHttp> {
  const { config, log, metrics, store, producer } = deps;
  const app = createHttpApp({ log, metrics, trustProxy: config.trustProxy });
  const watched: Array<{ label: string; queue: Pick<Queue, 'getJobCounts' | 'name'> }> = [
    { label: 'touches', queue: deps.touchQueue.queue },
    { label: 'reconcile', queue: deps.reconcileQueue.queue },
    { label: 'telegram-updates', queue: deps.telegramUpdates.queue },
    ...(deps.otherQueues ?? []),
  ];
  const queueEvents = watchQueueEvents({ redisUrl: config.redisUrl, queues: watched.map((w) => ({ label: w.label, name: w.queue.name })), metrics, log });
  registerHealthRoutes(app, { metrics, checks: readinessChecks(producer, store), beforeScrape: queueDepthRefresher(metrics, watched) });
  registerLinkRoutes(app, {
    store,
    enqueueTouch: (t) => deps.touchQueue.enqueue(t),
    dedupe: redisClickDedupe(producer),
    dedupeKey: (ws, code, visitor) => clickDedupeKey(config.queuePrefix, ws, code, visitor),
    hashKey: deps.hashKey,
    log,
    ...(deps.clickClock ? { now: deps.clickClock } : {}),
  });
  registerGroupLinkRoutes(app, {
    store,
    enqueueTouch: (t) => deps.touchQueue.enqueue(t),
    dedupe: redisClickDedupe(producer),
    dedupeKey: (ws, code, visitor) => clickDedupeKey(config.queuePrefix, ws, code, visitor),
    hashKey: deps.hashKey,
    log,
    ...(deps.clickClock ? { now: deps.clickClock } : {}),
    state: createGroupLinkState(producer, config.queuePrefix),
  });
  registerConversionRoutes(app, { store, settings: deps.settings, hashKey: deps.hashKey, enqueue: (ws, ids, cause) => deps.reconcileQueue.enqueue(ws, ids, cause), log });
  const dashboard = createDashboardAuth({ workspaces: config.workspaces, grants: (ws, subject) => store.community.grants.ofSubject(ws, subject), redis: producer, prefix: config.queuePrefix, hashKey: deps.hashKey });
  registerDashboardRoutes(app, { auth: dashboard, workspaces: config.workspaces, log });
  const campaignReports = createCampaignReports(store, (ws) => config.workspaces.find((w) => w.id === ws));
  registerReportApi(app, { reports: deps.reports, workspaces: config.workspaces, groups: (ws) => store.community.groups.list(ws), dashboard, extra: { ...campaignApiReports(campaignReports), alerts: alertsApiReport(store) } });
  registerSpendApi(app, { store, workspaces: config.workspaces });
  registerTelegramWebhookRoute(app, {
    bots: telegramBotAccounts(config, deps.hashKey),
    enqueue: (id, u) => deps.telegramUpdates.add(id, u),
    keepRejected: (record) => keepRejectedPayload(producer, config.queuePrefix, record),
    log,
  });
  let address: AddressInfo;
  try {
    address = await listenHttpApp(app, config.port, config.host);
  } catch (err) {
    await queueEvents.close();
    throw err;
  }
  return {
    app,
    address,
    queueEvents,
    close: async () => {
      await closeHttpApp(app, HTTP_CLOSE_GRACE_MS);
      await queueEvents.close();
    },
  };
}

/** `/healthz`, `/readyz` and `/metrics` alone, for processes without the http role (`HEALTH_PORT`). */
export async function startHealthServer(deps: { port: number; host: string; log: Logger; metrics: Metrics; producer: Redis; store: Store }): Promise<{ address: AddressInfo; close(): Promise<void> }> {
  const app = createHttpApp({ log: deps.log, metrics: deps.metrics });
  registerHealthRoutes(app, { metrics: deps.metrics, checks: readinessChecks(deps.producer, deps.store) });
  const address = await listenHttpApp(app, deps.port, deps.host);
  return { address, close: () => closeHttpApp(app, HTTP_CLOSE_GRACE_MS) };
}
