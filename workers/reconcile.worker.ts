/**
 * Processor: reconcile (queue `<prefix>-reconcile`)
 * Payloads (validated here):
 * - `{ kind: 'reconcile', workspace, conversionId }`: match, journey, credits of one conversion
 *   (`src/reconcile/reconcile-conversion.ts`); then marks the months whose fits the run changed
 *   the data of (debounced `refit-month` jobs);
 * - `{ kind: 'refit-month', workspace, month }`: refit one month's fit and re-credit that
 *   month's conversions in bulk (`src/reconcile/refit-month.ts`);
 * - `{ kind: 'refit', workspace, months?, force? }`: the same for several months in one run:
 *   `months`, or every month with credits (`force`), or (the daily safety net) the months that
 *   are dirty or have credits without a fit; the result lists what each month did;
 * - `{ kind: 'sweep', workspace }`: queue pending, unattributed and low-confidence conversions.
 * Idempotency key: the job id (`reconcileJobId`: conversion × cause; refits: the cause, or the
 *   month's deduplication id); a reconcile run replaces the conversion's credits and outcome,
 *   and a refit gives the same fit id for the same data, so re-running either converges. Runs
 *   of one conversion and a bulk re-credit are serialized by the conversion's lock.
 * Side effects: identities claimed and profiles merged (conversion identifiers), credits and
 *   outcomes written, fits stored and made current, months marked dirty, follow-up jobs queued
 *   (month refits; the person's later conversions when a conversion changed hands, in
 *   `consume` mode).
 * Retry class: invalid payload → UnrecoverableError (never retried); anything else (store,
 *   Redis, a lock wait, an identity race) → retried with backoff (`RECONCILE_JOB_OPTIONS`).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Locker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import { conversionLockKey, profileLockKey, reconcileQueueName } from '../src/queue/keys.js';
import { createFitCache } from '../src/reconcile/fit-models.js';
import { createFitMarks, type FitMarks } from '../src/reconcile/fit-marks.js';
import { monthsToRefit } from '../src/reconcile/fit-status.js';
import { DEFAULT_FIT_DAYS, MAX_FIT_MONTHS } from '../src/reconcile/fit-window.js';
import { reconcileConversion, type ReconcileResult } from '../src/reconcile/reconcile-conversion.js';
import { conversionKey, type ReconcileJobData, type ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { refitMonth, type RefitMonthResult } from '../src/reconcile/refit-month.js';
import { conversionsToSweep } from '../src/reconcile/sweep.js';
import { settingsOrDefaults, type SettingsLookup } from '../src/reconcile/workspace-settings.js';
import type { Store } from '../src/store/store.js';

const workspace = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const jobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('reconcile'), workspace, conversionId: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('refit'), workspace, months: z.array(month).min(1).max(MAX_FIT_MONTHS).optional(), force: z.boolean().optional() }),
  z.object({ kind: z.literal('refit-month'), workspace, month }),
  z.object({ kind: z.literal('sweep'), workspace }),
]);

/** What a job did, for logs and tests. */
export type ReconcileJobResult =
  | ({ kind: 'reconcile'; conversionId: string } & ReconcileResult)
  | { kind: 'refit'; months: RefitMonthResult[] }
  | ({ kind: 'refit-month' } & RefitMonthResult)
  | { kind: 'sweep'; queued: number };

export interface ReconcileWorkerOptions {
  /** A worker connection (`createWorkerConnection`). */
  connection: Redis;
  store: Store;
  locker: Locker;
  log: Logger;
  settings: SettingsLookup;
  /** Producer for follow-up jobs. */
  queue: ReconcileQueue;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Jobs processed at once; default 8. */
  concurrency?: number;
  /** Days of journeys before a month that its fit reads; default 90. */
  fitDays?: number;
  /**
   * Where months are marked dirty (shared with the touch trigger); default: marks of this
   * worker's own, refitting a month 5 minutes after its last mark (`refitDelayMs`).
   */
  marks?: FitMarks;
  /** Wait before a marked month is refitted, for the default `marks`; default 5 minutes. */
  refitDelayMs?: number;
  now?: () => Date;
  /** Called after each job (tests observe progress). */
  onProcessed?: (result: ReconcileJobResult, job: Job<ReconcileJobData>) => void;
}

/** The job processor, separate from the Worker so it can be called directly. */
export function makeReconcileProcessor(options: Omit<ReconcileWorkerOptions, 'connection' | 'concurrency'>) {
  const prefix = options.prefix ?? 'midfunnel';
  const fits = createFitCache(options.store);
  const now = (): Date => options.now?.() ?? new Date();
  const fitDays = options.fitDays ?? DEFAULT_FIT_DAYS;
  const marks = options.marks ?? createFitMarks({ store: options.store, queue: options.queue, log: options.log, fitDays, ...(options.refitDelayMs !== undefined ? { refitDelayMs: options.refitDelayMs } : {}) });
  const deps = {
    store: options.store,
    locker: options.locker,
    conversionLockKey: (ws: string, key: string) => conversionLockKey(prefix, ws, key),
    profileLockKey: (ws: string, pid: string) => profileLockKey(prefix, ws, pid),
    settings: options.settings,
    fit: fits.forMonth,
    fits,
    fitDays,
    now,
  };

  async function run(data: z.infer<typeof jobSchema>): Promise<ReconcileJobResult> {
    const { store, queue } = options;
    if (data.kind === 'reconcile') {
      const result = await reconcileConversion(deps, data.workspace, data.conversionId);
      await marks.markMonths(data.workspace, result.fitMonths);
      const profileId = result.match?.profileId ?? null;
      const again = new Set<string>();
      if (result.status !== 'missing' && profileId !== result.previousProfileId && settingsOrDefaults(options.settings, data.workspace).creditMode === 'consume') {
        // Consumed journeys: the person's later conversions start after this one now (or no longer do).
        const conversion = await store.conversions.get(data.workspace, data.conversionId);
        for (const pid of [profileId, result.previousProfileId]) {
          if (!pid || !conversion) continue;
          for (const c of await store.conversions.list(data.workspace, { profileId: pid, from: conversion.occurredAt })) again.add(c.id);
        }
      }
      // Conversions matched to profiles this one merged away name a person that no longer exists.
      if (result.mergedProfiles.length > 0) for (const c of await store.conversions.related(data.workspace, { identifiers: [], profileIds: result.mergedProfiles })) again.add(c.id);
      again.delete(data.conversionId);
      if (again.size > 0) await queue.enqueue(data.workspace, [...again], `n${conversionKey(data.conversionId)}${now().getTime().toString(36)}`);
      return { kind: 'reconcile', conversionId: data.conversionId, ...result };
    }
    if (data.kind === 'refit-month') {
      const r = await refitMonth(deps, data.workspace, data.month);
      options.log.info({ workspace: data.workspace, ...r }, 'month refitted');
      return { kind: 'refit-month', ...r };
    }
    if (data.kind === 'refit') {
      const plan = data.months ? { refit: [...new Set(data.months)].sort(), clean: [] } : await monthsToRefit(store, data.workspace, { force: data.force === true, now: now() });
      const months: RefitMonthResult[] = [];
      for (const m of plan.refit) months.push(await refitMonth(deps, data.workspace, m));
      for (const m of plan.clean) months.push({ month: m.month, status: 'clean', fitId: m.fitId, previousFitId: m.fitId, journeys: m.journeys, conversions: m.conversions, recredited: 0 });
      months.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
      options.log.info({ workspace: data.workspace, refitted: plan.refit.length, clean: plan.clean.length, recredited: months.reduce((n, m) => n + m.recredited, 0) }, 'models refitted');
      return { kind: 'refit', months };
    }
    const ids = await conversionsToSweep(store, options.settings, data.workspace, now());
    if (ids.length > 0) await queue.enqueue(data.workspace, ids, `s${now().getTime().toString(36)}`);
    return { kind: 'sweep', queued: ids.length };
  }

  return async (job: Job<ReconcileJobData>): Promise<ReconcileJobResult> => {
    const parsed = jobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid reconcile job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const result = await run(parsed.data);
    options.onProcessed?.(result, job);
    return result;
  };
}

export function createReconcileWorker(options: ReconcileWorkerOptions): Worker<ReconcileJobData, ReconcileJobResult> {
  const worker = new Worker<ReconcileJobData, ReconcileJobResult>(reconcileQueueName(options.prefix ?? 'midfunnel'), makeReconcileProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 8,
  });
  worker.on('failed', (job, err) => {
    options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'reconcile job failed');
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'reconcile worker error'));
  return worker;
}
