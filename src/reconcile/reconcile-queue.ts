/**
 * Producer side of the reconcile queue (`<prefix>-reconcile`): conversion intake, the touch
 * trigger, sweeps and refits put jobs here; `workers/reconcile.worker.ts` runs them.
 *
 * Each trigger is its own job (the job id names its cause: intake, a touch id, a fit id, a
 * sweep time), so a trigger is never swallowed by an earlier run's kept job; runs of one
 * conversion are serialized by a lock in the worker and read fresh state, so the last one
 * wins with the latest journeys. Re-adding the same cause is a no-op (BullMQ job id dedupe).
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { reconcileJobId, reconcileQueueName, reconcileSchedulerId, refitJobId, sweepJobId } from '../queue/keys.js';
import { failFast } from '../queue/fail-fast.js';
import { RECONCILE_JOB_OPTIONS } from '../queue/job-options.js';

export { RECONCILE_JOB_OPTIONS };


export type ReconcileJobData =
  | { kind: 'reconcile'; workspace: string; conversionId: string }
  | { kind: 'refit'; workspace: string }
  | { kind: 'sweep'; workspace: string };

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

  /** Asks for a refit of the data-driven models now (then every conversion of the period is re-credited). */
  async requestRefit(workspace: string, cause = `ondemand-${Date.now()}`): Promise<string> {
    const jobId = refitJobId(workspace, causeOf(cause));
    await this.#guard(() => this.queue.add('refit', { kind: 'refit', workspace }, { jobId }));
    return jobId;
  }

  /** Asks for a sweep now: pending, unattributed and low-confidence conversions are reconciled again. */
  async requestSweep(workspace: string, cause = `ondemand-${Date.now()}`): Promise<void> {
    await this.#guard(() => this.queue.add('sweep', { kind: 'sweep', workspace }, { jobId: sweepJobId(workspace, causeOf(cause)) }));
  }

  /** Creates or updates the periodic refit and sweep of each workspace (idempotent). */
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
