/**
 * The one outcome every job processor returns, and its one mapping to BullMQ (as
 * PostHog's ingestion steps return `ok | drop | dlq | retry` instead of throwing).
 *
 * - `ok`: done; the job completes with the value.
 * - `drop`: nothing to do, on purpose (an empty update, an opted-out person); the job
 *   completes with `{ dropped: reason }`.
 * - `retry`: not now (Redis, the store or an API unreachable, a lock busy); BullMQ tries
 *   again with the backoff of the queue's job options (`job-options.ts`).
 * - `dlq`: the payload is proven invalid; retrying cannot help. The job fails at once with
 *   `UnrecoverableError` and is kept as a failed job (the dead-letter state), its data
 *   redacted when it holds text, for `midfunnel jobs failed` / `replay`.
 *
 * A processor may also throw: an error it did not classify is unknown, and unknown means
 * `retry` (a bug fixed and deployed heals the job; a dropped job would be lost). Only
 * {@link InvalidPayloadError} maps to `dlq`. A job that used up its attempts stays failed
 * (redacted like a dead-lettered one) and can be replayed too.
 */
import { UnrecoverableError, type Job } from 'bullmq';

export type JobOutcome<T = undefined> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'retry'; reason: string; cause?: unknown }
  | { kind: 'dlq'; reason: string };

/** The job did its work. */
export function ok(): JobOutcome<undefined>;
export function ok<T>(value: T): JobOutcome<T>;
export function ok<T>(value?: T): JobOutcome<T | undefined> {
  return { kind: 'ok', value };
}

/** Nothing to do, on purpose: the job completes. */
export function drop(reason: string): JobOutcome<never> {
  return { kind: 'drop', reason };
}

/** Try again later with backoff. */
export function retry(reason: string, cause?: unknown): JobOutcome<never> {
  return cause === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, cause };
}

/** The payload is proven invalid (say so in `reason`): keep the job as failed, never retry it. */
export function dlq(reason: string): JobOutcome<never> {
  return { kind: 'dlq', reason };
}

/** Thrown by a step that found its payload invalid (the one error that maps to `dlq`). */
export class InvalidPayloadError extends Error {
  override name = 'InvalidPayloadError';
}

/** A `retry` outcome as BullMQ sees it: a failed attempt, retried with backoff. */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
}

const messageOf = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** The outcome of an error a step threw: {@link InvalidPayloadError} → `dlq`, anything else → `retry`. */
export function outcomeOfError(err: unknown): JobOutcome<never> {
  if (err instanceof InvalidPayloadError) return dlq(`invalid payload: ${err.message}`);
  return retry(messageOf(err), err);
}

/** What a job that completed returns (its `returnvalue`). */
export type CompletedJob<T> = { status: 'ok'; value: T } | { status: 'dropped'; reason: string };

export interface OutcomeOptions<D> {
  /**
   * The job's data as it may be kept once the job stays failed (dead-lettered or out of
   * attempts): e.g. a raw update without the text people wrote. Default: kept as it is.
   */
  redact?: (data: D) => D;
  /** Called with every outcome (metrics, logs, tests); errors in it are ignored. */
  onOutcome?: (outcome: JobOutcome<unknown>, job: Job<D>) => void;
}

/** Whether this attempt is the job's last one (BullMQ counts `attemptsMade` after the attempt). */
export function isLastAttempt(job: Pick<Job, 'attemptsMade' | 'opts'>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * Maps an outcome to BullMQ: returns for `ok` and `drop`, throws for `retry` (a plain error:
 * BullMQ retries it with backoff) and `dlq` (`UnrecoverableError`). Before a job is left
 * failed for good, its data is replaced by `redact(data)`.
 */
export async function settleOutcome<D, T>(job: Job<D>, outcome: JobOutcome<T>, options: OutcomeOptions<D> = {}): Promise<CompletedJob<T>> {
  try {
    options.onOutcome?.(outcome, job);
  } catch {
    // An observer must never change what happens to the job.
  }
  switch (outcome.kind) {
    case 'ok':
      return { status: 'ok', value: outcome.value };
    case 'drop':
      return { status: 'dropped', reason: outcome.reason };
    case 'retry':
      if (options.redact && isLastAttempt(job)) await keepRedacted(job, options.redact);
      throw new RetryLaterError(outcome.reason, outcome.cause === undefined ? undefined : { cause: outcome.cause });
    case 'dlq':
      if (options.redact) await keepRedacted(job, options.redact);
      throw new UnrecoverableError(outcome.reason);
  }
}

async function keepRedacted<D>(job: Job<D>, redact: (data: D) => D): Promise<void> {
  // Best effort: a job whose data cannot be rewritten (Redis gone) is retried or failed anyway.
  await job.updateData(redact(job.data)).catch(() => undefined);
}

/**
 * A BullMQ processor from a step that returns an outcome (or throws: see
 * {@link outcomeOfError}). Every processor of the product is built with it.
 */
export function processWithOutcome<D, T>(step: (job: Job<D>) => Promise<JobOutcome<T>>, options: OutcomeOptions<D> = {}): (job: Job<D>) => Promise<CompletedJob<T>> {
  return async (job) => {
    let outcome: JobOutcome<T>;
    try {
      outcome = await step(job);
    } catch (err) {
      outcome = outcomeOfError(err);
    }
    return settleOutcome(job, outcome, options);
  };
}

/** Whether a failed job was dead-lettered (failed before its attempts ran out) rather than exhausted. */
export function failedKind(job: Pick<Job, 'attemptsMade' | 'opts'>): 'dead-letter' | 'exhausted' {
  return job.attemptsMade < (job.opts.attempts ?? 1) ? 'dead-letter' : 'exhausted';
}
