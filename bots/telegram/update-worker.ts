/**
 * Processor: telegram update (queue `<prefix>-telegram-updates`)
 * Payload: `{ botId, update }`: a raw Bot API update as Telegram sent it.
 * Idempotency key: `tg.<bot id>.<update_id>` (job id and 24-hour deduplication id);
 *   the touches it makes have deterministic ids, so a re-run records nothing twice
 *   (a command re-run after a transient failure may answer twice).
 * Side effects: touches enqueued on the touch queue; groups, invite links, keywords,
 *   digests, audit entries written; messages sent to Telegram.
 * Retry class: `network` errors (Redis, Bot API unreachable or 5xx) retry with backoff;
 *   `api` and `handler` errors, an unknown bot and a malformed payload are
 *   UnrecoverableError. A job that fails for good is kept 7 days with the update's text
 *   redacted (`redact-update.ts`), for inspection; the worker goes on with the next one.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/logger.js';
import { telegramUpdatesQueueName } from '../../src/queue/keys.js';
import type { TelegramBot } from './bot.js';
import { classifyError, UpdateHandlingError } from './errors.js';
import { redactUpdate } from './redact-update.js';
import type { TelegramUpdateJobData } from './update-queue.js';

export interface TelegramUpdateWorkerOptions {
  /** A worker connection (`createWorkerConnection`). */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** The bots of this process by bot id. */
  bots: ReadonlyMap<string, TelegramBot>;
  log: Logger;
  /** Updates handled at once; default 8. */
  concurrency?: number;
  /** Called after each update (tests observe progress). */
  onHandled?: (job: Job<TelegramUpdateJobData>, error?: Error) => void;
}

function isUpdate(u: unknown): u is TelegramUpdateJobData['update'] {
  return typeof u === 'object' && u !== null && Number.isSafeInteger((u as { update_id?: unknown }).update_id);
}

export function makeTelegramUpdateProcessor(options: Pick<TelegramUpdateWorkerOptions, 'bots' | 'log'>) {
  return async (job: Job<TelegramUpdateJobData>): Promise<void> => {
    const { botId, update } = job.data ?? ({} as Partial<TelegramUpdateJobData>);
    if (typeof botId !== 'string' || !isUpdate(update)) throw new UnrecoverableError('invalid job: expected { botId, update } with a numeric update_id');
    const bot = options.bots.get(botId);
    if (!bot) throw new UnrecoverableError(`no bot ${botId} in this process; is it still configured?`);
    try {
      await bot.handleUpdate(update);
    } catch (err) {
      const kind = err instanceof UpdateHandlingError ? err.kind : classifyError(err);
      const attempts = job.opts.attempts ?? 1;
      const final = kind !== 'network' || job.attemptsMade + 1 >= attempts;
      if (final) {
        // Keep the update for inspection, without what people wrote.
        await job.updateData({ botId, update: redactUpdate(update) as TelegramUpdateJobData['update'] }).catch(() => undefined);
      }
      const message = err instanceof Error ? err.message : String(err);
      if (kind !== 'network') throw new UnrecoverableError(message);
      throw err instanceof Error ? err : new Error(message);
    }
  };
}

export function createTelegramUpdateWorker(options: TelegramUpdateWorkerOptions): Worker<TelegramUpdateJobData> {
  const worker = new Worker<TelegramUpdateJobData>(telegramUpdatesQueueName(options.prefix ?? 'midfunnel'), makeTelegramUpdateProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 8,
  });
  worker.on('completed', (job) => options.onHandled?.(job));
  worker.on('failed', (job, err) => {
    options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'telegram update job failed');
    if (job) options.onHandled?.(job, err);
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'telegram update worker error'));
  return worker;
}
