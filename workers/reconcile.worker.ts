/**
 * Processor: reconcile (queue `<prefix>-reconcile`)
 * Payloads (validated here):
 * - `{ kind: 'reconcile', workspace, conversionId }`: match, journey, credits of one conversion
 *   (`src/reconcile/reconcile-conversion.ts`);
 * - `{ kind: 'refit', workspace }`: fit Markov and Shapley over the period's journeys, store the
 *   fit, then queue every matched conversion of the period to be credited with it;
 * - `{ kind: 'sweep', workspace }`: queue pending, unattributed and low-confidence conversions.
 * Idempotency key: the job id (`reconcileJobId`: conversion × cause); a reconcile run replaces
 *   the conversion's credits and outcome, so re-running it converges; runs of one conversion
 *   are serialized by its lock.
 * Side effects: identities claimed and profiles merged (conversion identifiers), credits and
 *   outcomes written, fits stored, follow-up jobs queued (a refit when no fit exists yet; the
 *   person's later conversions when a conversion changed hands, in `consume` mode).
 * Retry class: invalid payload → UnrecoverableError (never retried); anything else (store,
 *   Redis, a lock wait, an identity race) → retried with backoff (`RECONCILE_JOB_OPTIONS`).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Locker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import { conversionLockKey, profileLockKey, reconcileQueueName } from '../src/queue/keys.js';
import { createFitCache, DEFAULT_FIT_DAYS, refitWorkspace } from '../src/reconcile/fit-models.js';
import { reconcileConversion, type ReconcileResult } from '../src/reconcile/reconcile-conversion.js';
import { conversionKey, type ReconcileJobData, type ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { everyConversion } from '../src/reconcile/read-pages.js';
import { conversionsToSweep } from '../src/reconcile/sweep.js';
import { settingsOrDefaults, type SettingsLookup } from '../src/reconcile/workspace-settings.js';
import type { Store } from '../src/store/store.js';

const workspace = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const jobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('reconcile'), workspace, conversionId: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('refit'), workspace }),
  z.object({ kind: z.literal('sweep'), workspace }),
]);

/** What a job did, for logs and tests. */
export type ReconcileJobResult =
  | ({ kind: 'reconcile'; conversionId: string } & ReconcileResult)
  | { kind: 'refit'; fitId: string | null; journeys: number; conversions: number; queued: number }
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
  /** Days of journeys a refit reads; default 90. */
  fitDays?: number;
  now?: () => Date;
  /** Called after each job (tests observe progress). */
  onProcessed?: (result: ReconcileJobResult, job: Job<ReconcileJobData>) => void;
}

/** The job processor, separate from the Worker so it can be called directly. */
export function makeReconcileProcessor(options: Omit<ReconcileWorkerOptions, 'connection' | 'concurrency'>) {
  const prefix = options.prefix ?? 'midfunnel';
  const fits = createFitCache(options.store);
  const now = (): Date => options.now?.() ?? new Date();
  const deps = {
    store: options.store,
    locker: options.locker,
    conversionLockKey: (ws: string, key: string) => conversionLockKey(prefix, ws, key),
    profileLockKey: (ws: string, pid: string) => profileLockKey(prefix, ws, pid),
    settings: options.settings,
    fit: fits.current,
    now,
  };

  async function run(data: z.infer<typeof jobSchema>): Promise<ReconcileJobResult> {
    const { store, queue } = options;
    if (data.kind === 'reconcile') {
      const result = await reconcileConversion(deps, data.workspace, data.conversionId);
      if (result.fitMissing) await queue.requestRefit(data.workspace, 'initial');
      const profileId = result.match?.profileId ?? null;
      if (result.status !== 'missing' && profileId !== result.previousProfileId && settingsOrDefaults(options.settings, data.workspace).creditMode === 'consume') {
        // Consumed journeys: the person's later conversions start after this one now (or no longer do).
        const conversion = await store.conversions.get(data.workspace, data.conversionId);
        const later: string[] = [];
        for (const pid of [profileId, result.previousProfileId]) {
          if (!pid || !conversion) continue;
          const list = await store.conversions.list(data.workspace, { profileId: pid, from: conversion.occurredAt });
          for (const c of list) if (c.id !== conversion.id && !later.includes(c.id)) later.push(c.id);
        }
        if (later.length > 0) await queue.enqueue(data.workspace, later, `n${conversionKey(data.conversionId)}${now().getTime().toString(36)}`);
      }
      return { kind: 'reconcile', conversionId: data.conversionId, ...result };
    }
    if (data.kind === 'refit') {
      const fit = await refitWorkspace(store, data.workspace, { now: now(), days: options.fitDays ?? DEFAULT_FIT_DAYS });
      if (!fit) return { kind: 'refit', fitId: null, journeys: 0, conversions: 0, queued: 0 };
      const ids: string[] = [];
      for await (const c of everyConversion(store, data.workspace, { status: 'matched', from: fit.from })) ids.push(c.id);
      await queue.enqueue(data.workspace, ids, `f${fit.id}`);
      options.log.info({ workspace: data.workspace, fit: fit.id, journeys: fit.journeys, conversions: fit.conversions, requeued: ids.length }, 'models refitted');
      return { kind: 'refit', fitId: fit.id, journeys: fit.journeys, conversions: fit.conversions, queued: ids.length };
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
