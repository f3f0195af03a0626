/**
 * Retry and retention rules for every queue, in one place. What a processor's outcome does
 * with them is in `outcome.ts`:
 * - `retry` (transient or unknown failures: store or Redis hiccups, a bug) retries with
 *   exponential backoff, up to `attempts`; then the job stays failed, replayable.
 * - `dlq` (invalid job data) fails at once with `UnrecoverableError`, never retried.
 * - Finished jobs are removed after a bounded age and count, so Redis does not grow
 *   without limit; failed jobs are kept longer for inspection.
 *   While a completed job is kept, re-adding its id is a no-op (BullMQ dedupe); after it
 *   is removed, the store's unique touch id makes the re-delivery a no-op instead.
 */
import type { JobsOptions } from 'bullmq';

export const TOUCH_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 100_000 },
};

/** Reconcile, refit and sweep jobs: transient store or Redis failures retry. */
export const RECONCILE_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 200_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 100_000 },
};

/**
 * Telegram updates: every failure but a refused API call retries (see
 * bots/telegram/update-worker.ts), for about an hour in all (1 s doubling, 12 attempts), so
 * an outage of Redis or the Bot API is ridden out. Finished jobs are removed at once, so
 * message text never stays in Redis; failed ones are kept (redacted) for inspection and replay.
 */
export const TELEGRAM_UPDATE_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

/**
 * Outgoing webhook deliveries: a subscriber that is down is retried with backoff for about
 * two days (2 s doubling, capped by BullMQ's attempts), then kept as failed for 30 days.
 * Delivered ones are kept 7 days, so re-publishing an event within that time is a no-op.
 */
export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  attempts: 18,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 100_000 },
};

/**
 * Report jobs (report commands, digest runs): a transient failure (store, Redis, the chat
 * platform's network) retries a few times, soon, because someone is waiting; the last
 * attempt answers that the report failed. Finished jobs are kept a day, so a re-added job id
 * is a no-op; delivery itself is guarded by the job's delivery state (`report-queue.ts`).
 */
export const REPORT_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 20_000 },
};

/**
 * Community events (groups seen, bot rights, migrations) and erasure runs: store writes
 * that retry through an outage for about an hour (1 s doubling, 12 attempts).
 */
export const COMMUNITY_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
};

/** Rollup jobs (counters recomputed from raw rows): transient store or Redis failures retry. */
export const ROLLUP_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
};
