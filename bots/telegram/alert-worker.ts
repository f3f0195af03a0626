/**
 * Processor: daily alerts (queue `<prefix>-alerts`), run by the telegram role, whose bots post them.
 * Payload: {@link AlertJobData} (`{ workspace }`), added by the workspace's job scheduler at its
 *   `alerts.at` local time (`src/optimize/alert-queue.ts`).
 * Idempotency key: the workspace and the local day checked, claimed in the store once the
 *   answers are ready (`runDailyAlerts`): a second run of the same day posts nothing.
 * Side effects: replaces the workspace's `interest:<keyword>` profile tags; asks its bots'
 *   `getWebhookInfo`; posts the alerts (text and small charts) to each Telegram managers' chat.
 * Retry class: store, Redis and Telegram network failures retry with backoff (3 attempts);
 *   an unknown workspace is UnrecoverableError; a workspace without a bot in this process or
 *   without a Telegram managers' chat is skipped.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkspaceConfig } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { runDailyAlerts, type DailyAlertsResult } from '../../src/optimize/daily-alerts.js';
import type { AlertJobData } from '../../src/optimize/alert-queue.js';
import { alertsQueueName } from '../../src/queue/keys.js';
import type { Store } from '../../src/store/store.js';
import type { TelegramBot } from './bot.js';
import { sendAnswers } from './send-answers.js';

export interface TelegramAlertWorkerOptions {
  connection: Redis;
  prefix?: string;
  bots: ReadonlyMap<string, TelegramBot>;
  store: Store;
  workspaces: readonly WorkspaceConfig[];
  log: Logger;
  now?: () => Date;
  /** Draw charts (default true). */
  charts?: boolean;
  onDone?: (job: Job<AlertJobData>, result?: DailyAlertsResult, error?: Error) => void;
}

export function makeAlertProcessor(o: Omit<TelegramAlertWorkerOptions, 'connection' | 'prefix' | 'onDone'>) {
  return async (job: Job<AlertJobData>): Promise<DailyAlertsResult | { status: 'skipped'; reason: string }> => {
    const ws = job.data?.workspace;
    const settings = o.workspaces.find((w) => w.id === ws);
    if (typeof ws !== 'string' || !settings) throw new UnrecoverableError(`alerts job for an unknown workspace ${String(ws)}`);
    const bots = [...o.bots.values()].filter((b) => b.account.workspace === ws);
    const chats = settings.managersChats.filter((c) => c.startsWith('telegram:')).map((c) => c.slice('telegram:'.length));
    if (bots.length === 0) return { status: 'skipped', reason: 'no bot of the workspace in this process' };
    if (chats.length === 0) return { status: 'skipped', reason: 'no Telegram managers’ chat configured' };
    const result = await runDailyAlerts({
      store: o.store,
      workspace: settings,
      probes: bots.map((b) => ({ botId: b.account.botId, getMe: () => b.telegram.getMe(), getWebhookInfo: () => b.telegram.getWebhookInfo() })),
      now: o.now?.() ?? new Date(),
      ...(o.charts !== undefined ? { charts: o.charts } : {}),
    });
    if (result.status === 'checked' && result.answers.length > 0) {
      const bot = bots[0] as TelegramBot;
      for (const chat of chats) await sendAnswers(bot.telegram, chat, result.answers);
      o.log.info({ workspace: ws, day: result.day, alerts: result.alerts.length }, 'alerts posted');
    }
    return result;
  };
}

export function createTelegramAlertWorker(options: TelegramAlertWorkerOptions): Worker<AlertJobData> {
  const worker = new Worker<AlertJobData>(alertsQueueName(options.prefix ?? 'midfunnel'), makeAlertProcessor(options), { connection: options.connection, concurrency: 1 });
  worker.on('completed', (job, result) => options.onDone?.(job, result as DailyAlertsResult));
  worker.on('failed', (job, err) => {
    options.log.warn({ jobId: job?.id, err: { name: err.name, message: err.message } }, 'alerts job failed');
    if (job) options.onDone?.(job, undefined, err);
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'alerts worker error'));
  return worker;
}
