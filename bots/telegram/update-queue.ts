/**
 * Producer side of the Telegram update queue. The webhook route and the polling loop
 * both hand every raw update to `add`; once it resolves the update is durably in Redis,
 * and only then is Telegram told it arrived (200, or the next getUpdates offset).
 *
 * - Job id and deduplication id: `tg.<bot id>.<update_id>`. The deduplication key lives
 *   for 24 hours whatever happens to the job, so a redelivered update is one job even
 *   after the first one finished and was removed.
 * - Finished jobs are removed at once: a raw update holds message text, which is never
 *   kept; failed jobs are kept 7 days for inspection with their text redacted
 *   (see `update-worker.ts`).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Update } from 'telegraf/types';
import { telegramUpdateJobId, telegramUpdatesQueueName } from '../../src/queue/keys.js';
import { failFast } from '../../src/queue/fail-fast.js';
import { TELEGRAM_UPDATE_JOB_OPTIONS } from '../../src/queue/job-options.js';

export interface TelegramUpdateJobData {
  botId: string;
  update: Update;
  /** Set when the update was kept redacted after it failed (what people wrote is gone). */
  redacted?: true;
}

/** How long a delivered update_id is remembered for deduplication. */
export const UPDATE_DEDUPE_TTL_MS = 24 * 3600_000;

export { TELEGRAM_UPDATE_JOB_OPTIONS };

export interface TelegramUpdateQueueOptions {
  /** A producer connection (`createProducerConnection`): fails fast when Redis is down. */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Longest an add may take before it fails; default 5 s. */
  timeoutMs?: number;
}

export class TelegramUpdateQueue {
  readonly queue: Queue<TelegramUpdateJobData>;
  readonly #connection: Redis;
  readonly #timeoutMs: number;

  constructor(options: TelegramUpdateQueueOptions) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.queue = new Queue<TelegramUpdateJobData>(telegramUpdatesQueueName(options.prefix ?? 'midfunnel'), {
      connection: options.connection,
      defaultJobOptions: TELEGRAM_UPDATE_JOB_OPTIONS,
    });
  }

  /**
   * Queues one update. Resolves once Redis has it (or already had it: a duplicate).
   * Throws QueueUnavailableError when Redis cannot take it in time.
   */
  async add(botId: string, update: Update): Promise<void> {
    const id = telegramUpdateJobId(botId, update.update_id);
    await failFast(this.#connection, this.#timeoutMs, 'update', () =>
      this.queue.add('update', { botId, update }, { jobId: id, deduplication: { id, ttl: UPDATE_DEDUPE_TTL_MS } }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
