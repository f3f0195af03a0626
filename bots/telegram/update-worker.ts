/**
 * Processor: telegram update (queue `<prefix>-telegram-updates`)
 * Payload: `{ botId, update, redacted? }`: a raw Bot API update as Telegram sent it
 *   (`redacted`: kept without what people wrote after it failed, now replayed).
 * Idempotency key: `tg.<bot id>.<update_id>` (job id and 24-hour deduplication id);
 *   the touches and community events it makes have deterministic ids, so a re-run records
 *   nothing twice (a command re-run after a transient failure may answer twice).
 * Side effects: touches queued on the touch queue, community events on the community queue
 *   (capture reads nothing from the store); commands read and write the store (groups,
 *   invite links, keywords, digests, audit entries) and send messages to Telegram.
 * Retry class (`src/queue/outcome.ts`, `errors.ts`): a malformed job → `dlq`; an update
 *   without a payload, or with ids that are not well-formed Unicode → `drop`; a refused API
 *   call → `dlq` (403: `drop`); everything else, Redis, the store or the Bot API unreachable
 *   and unknown errors alike, → `retry` with backoff (`TELEGRAM_UPDATE_JOB_OPTIONS`). A job
 *   left failed (dead-lettered, or out of attempts) is kept 7 days with the update's text
 *   redacted (`redact-update.ts`), for `midfunnel jobs failed` and `midfunnel jobs replay`.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/logger.js';
import { telegramUpdatesQueueName } from '../../src/queue/keys.js';
import { dlq, processWithOutcome, retry, type JobOutcome } from '../../src/queue/outcome.js';
import type { TelegramBot } from './bot.js';
import { outcomeOfUpdateError } from './errors.js';
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
  /** Called with each outcome (tests). */
  onOutcome?: (outcome: JobOutcome<unknown>, job: Job<TelegramUpdateJobData>) => void;
}

function isUpdate(u: unknown): u is TelegramUpdateJobData['update'] {
  return typeof u === 'object' && u !== null && Number.isSafeInteger((u as { update_id?: unknown }).update_id);
}

/** The update as it may be kept once its job stays failed: without what people wrote. */
export function redactUpdateJob(data: TelegramUpdateJobData): TelegramUpdateJobData {
  return { ...data, update: redactUpdate(data.update) as TelegramUpdateJobData['update'], redacted: true };
}

export function makeTelegramUpdateProcessor(options: Pick<TelegramUpdateWorkerOptions, 'bots' | 'log' | 'onOutcome'>) {
  return processWithOutcome<TelegramUpdateJobData, undefined>(
    async (job) => {
      const { botId, update, redacted } = job.data ?? ({} as Partial<TelegramUpdateJobData>);
      if (typeof botId !== 'string' || !isUpdate(update)) return dlq('invalid job: expected { botId, update } with a numeric update_id');
      const bot = options.bots.get(botId);
      // Another process may have it (a configuration being rolled out): try again later.
      if (!bot) return retry(`no bot ${botId} in this process; is it still configured?`);
      try {
        return await bot.handleUpdate(update, { redacted: redacted === true });
      } catch (err) {
        return outcomeOfUpdateError(err);
      }
    },
    { redact: redactUpdateJob, ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}) },
  );
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
