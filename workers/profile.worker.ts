/**
 * Processor: profile (queue `<prefix>-touches`)
 * Payload: `{ touch: TouchEvent }`, validated again here.
 * Idempotency key: (workspace, touch id): the BullMQ job id while the job is kept, the
 *   store's unique touch id after that; `recordTouch` makes a re-run a no-op.
 * Side effects: the touch is stored; identities claimed or moved; profiles created,
 *   merged and updated (see `src/profile/record-touch.ts`: a known person's touch is one
 *   insert, one atomic partial update of the profile and one mark, no lock; concurrent jobs'
 *   inserts, identity reads and marks share bulk round trips). Dropped before any of that
 *   (not stored): a touch whose actor opted out (`/forgetme`), result `opted_out` (checked
 *   against the store only when opt-outs changed: `src/profile/opt-out-gate.ts`; connectors
 *   do not check: this is where opt-outs apply); and the approval of a join request already
 *   recorded as the join, result `repeat_join` (`src/capture/repeat-join.ts`).
 * Retry class (`src/queue/outcome.ts`): invalid payload → `dlq` (never retried); anything
 *   else (store, Redis, a lock wait, an identity race) → `retry` with backoff
 *   (`src/queue/job-options.ts`).
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Locker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { isRepeatJoin } from '../src/capture/repeat-join.js';
import { evidenceOfTouch } from '../src/identity/link-evidence.js';
import { createOptOutGate, type OptOutGate } from '../src/profile/opt-out-gate.js';
import { recordTouch, type RecordTouchResult } from '../src/profile/record-touch.js';
import { profileLockKey, touchQueueName } from '../src/queue/keys.js';
import { dlq, ok, processWithOutcome, type CompletedJob } from '../src/queue/outcome.js';
import type { TouchJobData } from '../src/queue/touch-queue.js';
import { batchStoreCalls } from '../src/store/batch-calls.js';
import type { Store } from '../src/store/store.js';
import { touchEventSchema } from '../src/touch-event.js';

/** A touch of a person who asked to be forgotten: dropped, nothing stored. */
export interface OptedOutResult {
  status: 'opted_out' | 'repeat_join';
  profileId: null;
  merged: [];
  conflicts: [];
}

/** What a touch job did: `recordTouch`'s result, or `opted_out`. */
export type ProfileJobResult = RecordTouchResult | OptedOutResult;

/** Whether the touch was recorded (not dropped). */
export function isRecorded(result: ProfileJobResult): result is RecordTouchResult {
  return result.status !== 'opted_out' && result.status !== 'repeat_join';
}

export interface ProfileWorkerOptions {
  /** A worker connection (`createWorkerConnection`: `maxRetriesPerRequest: null`). */
  connection: Redis;
  store: Store;
  /**
   * Whether concurrent jobs' store calls share bulk round trips (`src/store/batch-calls.ts`);
   * default true. False when `store` batches already (the benchmark counts under its own).
   */
  batch?: boolean;
  /**
   * A Redis connection (the producer's) the worker duplicates to subscribe to opt-out changes,
   * so the opt-out check reads the store only when opt-outs changed (`src/profile/opt-out-gate.ts`);
   * the processes writing opt-outs must then wrap their store with `signalOptOutChanges`.
   * Without it every touch's opt-out is read from the store.
   */
  redis?: Redis;
  locker: Locker;
  log: Logger;
  metrics: Metrics;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Jobs processed at once; default 16. */
  concurrency?: number;
  /** Called after each processed touch, dropped ones included (tests and benchmarks observe progress). */
  onProcessed?: (result: ProfileJobResult, job: Job<TouchJobData>) => void;
}

/** The job processor, separate from the Worker so it can be called directly. */
export function makeProfileProcessor(options: Omit<ProfileWorkerOptions, 'connection' | 'concurrency' | 'redis'> & { optOuts?: OptOutGate }) {
  const prefix = options.prefix ?? 'midfunnel';
  const deps = {
    store: options.batch === false ? options.store : batchStoreCalls(options.store).store,
    locker: options.locker,
    lockKey: (ws: string, pid: string) => profileLockKey(prefix, ws, pid),
  };
  const gate = options.optOuts ?? createOptOutGate({ store: options.store });
  return processWithOutcome(async (job: Job<TouchJobData>) => {
    const parsed = touchEventSchema.safeParse(job.data?.touch);
    if (!parsed.success) {
      options.metrics.eventsFailed.inc({ reason: 'invalid' });
      return dlq(`invalid touch: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const skip = (await gate.optedOut(parsed.data)) ? 'opted_out' : (await isRepeatJoin(options.store, parsed.data)) ? 'repeat_join' : null;
    if (skip !== null) {
      const dropped: OptedOutResult = { status: skip, profileId: null, merged: [], conflicts: [] };
      options.metrics.eventsProcessed.inc({ result: dropped.status });
      options.metrics.processingLatency.observe((Date.now() - job.timestamp) / 1000);
      options.onProcessed?.(dropped, job);
      return ok<ProfileJobResult>(dropped);
    }
    const result = await recordTouch(deps, parsed.data);
    // Why this person has these identifiers: kept when the touch linked some (a new person, a claim, a merge).
    if (result.profileId !== null && result.person?.identitiesChanged) {
      const evidence = evidenceOfTouch(parsed.data, result.profileId, result.merged);
      if (evidence.length > 0) await options.store.identityEvidence.add(parsed.data.workspace, evidence);
    }
    options.metrics.eventsProcessed.inc({ result: result.status });
    options.metrics.processingLatency.observe((Date.now() - job.timestamp) / 1000);
    if (result.merged.length > 0 || result.conflicts.length > 0) {
      options.log.info(
        { workspace: parsed.data.workspace, profileId: result.profileId, merged: result.merged, conflicts: result.conflicts },
        'identity resolution',
      );
    }
    options.onProcessed?.(result, job);
    // BullMQ keeps the return value in Redis with the finished job: the outcome, not the person.
    const { person: _person, ...kept } = result;
    return ok<ProfileJobResult>(kept);
  });
}

export function createProfileWorker(options: ProfileWorkerOptions): Worker<TouchJobData, CompletedJob<ProfileJobResult>> {
  const prefix = options.prefix ?? 'midfunnel';
  const optOuts = createOptOutGate({ store: options.store, prefix, ...(options.redis ? { subscriber: options.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null }) } : {}) });
  const worker = new Worker<TouchJobData, CompletedJob<ProfileJobResult>>(
    touchQueueName(prefix),
    makeProfileProcessor({ ...options, optOuts }),
    { connection: options.connection, concurrency: options.concurrency ?? 16 },
  );
  worker.on('closed', () => optOuts.close());
  worker.on('failed', (job, err) => {
    if (err.name !== 'UnrecoverableError') options.metrics.eventsFailed.inc({ reason: 'error' });
    options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'touch job failed');
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'profile worker error'));
  return worker;
}
