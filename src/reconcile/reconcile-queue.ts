/**
 * Producer side of the reconcile queue (`<prefix>-reconcile`): conversion intake, the touch
 * trigger, sweeps and refits put jobs here; `workers/reconcile.worker.ts` runs them.
 *
 * Refits: `refit-month` jobs refit one month's fit; they are debounced (delayed) and
 * deduplicated per workspace and month (`requestMonthRefits`). A `refit` job refits several
 * months in one run: the months asked for, every month (`force`), or, scheduled daily, the
 * months that need it (`requestRefit`, `schedule`).
 *
 * Each trigger is its own job (the job id names its cause: intake, a touch id, a fit id, a
 * sweep time), so a trigger is never swallowed by an earlier run's kept job; runs of one
 * conversion are serialized by a lock in the worker and read fresh state, so the last one
 * wins with the latest journeys. Re-adding the same cause is a no-op (BullMQ job id dedupe).
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { fitMonthDeduplicationId, reconcileJobId, reconcileQueueName, reconcileSchedulerId, refitJobId, sweepJobId } from '../queue/keys.js';
import { failFast } from '../queue/fail-fast.js';
import { RECONCILE_JOB_OPTIONS } from '../queue/job-options.js';

export { RECONCILE_JOB_OPTIONS };

export type ReconcileJobData =
  | { kind: 'reconcile'; workspace: string; conversionId: string }
  /**
   * Several months in one run: `months` (`YYYY-MM`) when given, else every month with credits
   * when `force`, else (the daily safety net) the months that are dirty or have credits but no fit.
   */
  | { kind: 'refit'; workspace: string; months?: string[]; force?: boolean }
  /** One month, debounced (see `requestMonthRefits`). */
  | { kind: 'refit-month'; workspace: string; month: string }
  | { kind: 'sweep'; workspace: string };

/** How long `waitForResult` waits by default: 10 minutes. */
const DEFAULT_WAIT_MS = 10 * 60_000;

/** A short, colon-free key of an order id (ids may hold any character). */
export function conversionKey(conversionId: string): string {
  return createHash('sha256').update(conversionId).digest('base64url').slice(0, 22);
}

/** A cause part for job ids: letters, digits, `_` and `-` only. */
export function causeOf(label: string): string {
  const clean = label.replace(/[^A-Za-z0-9_-]/g, '_');
  return clean.length <= 40 ? clean : createHash('sha256').update(label).digest('base64url').slice(0, 22);
}

export interface ReconcileQueueOptions {
  /** A producer connection (fails fast when Redis is down). */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Longest an enqueue may take before it fails; default 5 s. */
  timeoutMs?: number;
}

/** Periodic jobs per workspace. */
export interface ReconcileSchedule {
  /** How often the data-driven models are refitted; default daily. */
  refitEveryMs?: number;
  /** How often pending and unattributed conversions are retried; default every 15 minutes. */
  sweepEveryMs?: number;
}

const BULK = 1_000;

export class ReconcileQueue {
  readonly queue: Queue<ReconcileJobData>;
  readonly #connection: Redis;
  readonly #timeoutMs: number;

  constructor(options: ReconcileQueueOptions) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.queue = new Queue<ReconcileJobData>(reconcileQueueName(options.prefix ?? 'midfunnel'), {
      connection: options.connection,
      defaultJobOptions: RECONCILE_JOB_OPTIONS,
    });
  }

  #guard<T>(op: () => Promise<T>): Promise<T> {
    return failFast(this.#connection, this.#timeoutMs, 'job', op);
  }

  /** Queues a reconcile run of each conversion for `cause` (e.g. `in`, a touch id, `f<fit id>`). */
  async enqueue(workspace: string, conversionIds: readonly string[], cause: string): Promise<void> {
    const c = causeOf(cause);
    for (let i = 0; i < conversionIds.length; i += BULK) {
      const jobs = conversionIds.slice(i, i + BULK).map((conversionId) => ({
        name: 'reconcile',
        data: { kind: 'reconcile' as const, workspace, conversionId },
        opts: { ...RECONCILE_JOB_OPTIONS, jobId: reconcileJobId(workspace, conversionKey(conversionId), c) },
      }));
      await this.#guard(() => this.queue.addBulk(jobs));
    }
  }

  /**
   * Asks for a refit now of every month with credits, or of `months` (`YYYY-MM`); each month
   * refitted re-credits its conversions. Returns the job id (its result lists what each month did).
   */
  async requestRefit(workspace: string, cause = `ondemand-${Date.now()}`, months?: readonly string[]): Promise<string> {
    const jobId = refitJobId(workspace, causeOf(cause));
    const data: ReconcileJobData = months === undefined ? { kind: 'refit', workspace, force: true } : { kind: 'refit', workspace, months: [...months], force: true };
    await this.#guard(() => this.queue.add('refit', data, { ...RECONCILE_JOB_OPTIONS, jobId }));
    return jobId;
  }

  /**
   * Queues a refit of each month after `delayMs`, deduplicated per workspace and month: while
   * one waits, asking again adds nothing (it will read the newest data); while one runs, one
   * more run is kept for after it (the data changed under it).
   */
  async requestMonthRefits(workspace: string, months: readonly string[], delayMs: number): Promise<void> {
    if (months.length === 0) return;
    const jobs = months.map((month) => ({
      name: 'refit-month',
      data: { kind: 'refit-month' as const, workspace, month },
      opts: { ...RECONCILE_JOB_OPTIONS, delay: delayMs, deduplication: { id: fitMonthDeduplicationId(workspace, month), keepLastIfActive: true } },
    }));
    await this.#guard(() => this.queue.addBulk(jobs));
  }

  /**
   * The result of a job once it has finished, or undefined when it has not within `timeoutMs`
   * (default 10 minutes; no worker running, or a long queue). Throws with the reason when it failed.
   */
  async waitForResult<T>(jobId: string, timeoutMs = DEFAULT_WAIT_MS, pollMs = 250): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.#guard(() => this.queue.getJob(jobId));
      if (!job) throw new Error(`job ${jobId} is not in the queue (finished jobs are kept for a day)`);
      const state = await this.#guard(() => job.getState());
      // Read again: the copy read before it completed has no return value.
      if (state === 'completed') return (await this.#guard(() => this.queue.getJob(jobId)))?.returnvalue as T;
      if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason}`);
      if (Date.now() + pollMs > deadline) return undefined;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Asks for a sweep now: pending, unattributed and low-confidence conversions are reconciled again. */
  async requestSweep(workspace: string, cause = `ondemand-${Date.now()}`): Promise<void> {
    await this.#guard(() => this.queue.add('sweep', { kind: 'sweep', workspace }, { jobId: sweepJobId(workspace, causeOf(cause)) }));
  }

  /** Creates or updates the periodic refit (of the months that need it) and sweep of each workspace (idempotent). */
  async schedule(workspaces: readonly string[], schedule: ReconcileSchedule = {}): Promise<void> {
    for (const workspace of workspaces) {
      await this.#guard(() =>
        this.queue.upsertJobScheduler(reconcileSchedulerId('refit', workspace), { every: schedule.refitEveryMs ?? 24 * 3_600_000 }, { name: 'refit', data: { kind: 'refit', workspace } }),
      );
      await this.#guard(() =>
        this.queue.upsertJobScheduler(reconcileSchedulerId('sweep', workspace), { every: schedule.sweepEveryMs ?? 15 * 60_000 }, { name: 'sweep', data: { kind: 'sweep', workspace } }),
      );
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
