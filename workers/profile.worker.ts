/**
 * Processor: profile (queue `<prefix>-touches`)
 * Payload: `{ touch: TouchEvent }`, validated again here.
 * Idempotency key: (workspace, touch id): the BullMQ job id while the job is kept, the
 *   store's unique touch id after that; `recordTouch` makes a re-run a no-op.
 * Side effects: the touch is stored; identities claimed or moved; profiles created,
 *   merged and updated (see `src/profile/record-touch.ts`). Dropped before any of that (not
 *   stored): a touch whose actor opted out (`/forgetme`), result `opted_out` (connectors do
 *   not check: this is where opt-outs apply); and the approval of a join request already
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
import { subjectOf } from '../src/access/roles.js';
import { isRepeatJoin } from '../src/capture/repeat-join.js';
import { recordTouch, type RecordTouchResult } from '../src/profile/record-touch.js';
import { profileLockKey, touchQueueName } from '../src/queue/keys.js';
import { dlq, ok, processWithOutcome, type CompletedJob } from '../src/queue/outcome.js';
import type { TouchJobData } from '../src/queue/touch-queue.js';
import type { Store } from '../src/store/store.js';
import { touchEventSchema, type TouchEvent } from '../src/touch-event.js';

/** A touch dropped, nothing stored: its person asked to be forgotten, or it repeats a recorded join request. */
export interface OptedOutResult {
  status: 'opted_out' | 'repeat_join';
  profileId: null;
  merged: [];
  conflicts: [];
}

/** What a touch job did: `recordTouch`'s result, or dropped (`opted_out`, `repeat_join`). */
export type ProfileJobResult = RecordTouchResult | OptedOutResult;

/** Whether the touch was recorded (not dropped). */
export function isRecorded(result: ProfileJobResult): result is RecordTouchResult {
  return result.status !== 'opted_out' && result.status !== 'repeat_join';
}

/** How long an opted-out answer is cached; a "not opted out" answer never is. */
export const OPT_OUT_CACHE_MS = 60_000;
/** Most cached opted-out subjects; beyond it the cache starts over. */
const OPT_OUT_CACHE_MAX = 10_000;

/**
 * Whether a touch's actor opted out: the subject (`telegram:<id>`, `whatsapp:<hashed id>`,
 * the opt-out store's key) looked up with one indexed read per touch. Only "opted out" is
 * cached ({@link OPT_OUT_CACHE_MS}): caching "not opted out" would let touches queued just
 * before a /forgetme through. Touches without a platform user id (tracked-link clicks carry
 * a profile id, which erasure deletes: `recordTouch` then keeps them anonymous) are not checked.
 */
function makeOptOutCheck(store: Store, now: () => number = Date.now): (touch: TouchEvent) => Promise<boolean> {
  const cache = new Map<string, number>();
  return async (touch) => {
    const { userId } = touch.actor;
    if (userId === undefined || (touch.platform !== 'telegram' && touch.platform !== 'whatsapp')) return false;
    const subject = subjectOf(touch.platform, userId);
    const key = `${touch.workspace}\u0000${subject}`;
    const cachedAt = cache.get(key);
    if (cachedAt !== undefined && now() - cachedAt < OPT_OUT_CACHE_MS) return true;
    if (!(await store.community.optOuts.has(touch.workspace, subject))) {
      cache.delete(key);
      return false;
    }
    if (cache.size >= OPT_OUT_CACHE_MAX) cache.clear();
    cache.set(key, now());
    return true;
  };
}

export interface ProfileWorkerOptions {
  /** A worker connection (`createWorkerConnection`: `maxRetriesPerRequest: null`). */
  connection: Redis;
  store: Store;
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
export function makeProfileProcessor(options: Omit<ProfileWorkerOptions, 'connection' | 'concurrency'>) {
  const prefix = options.prefix ?? 'midfunnel';
  const deps = {
    store: options.store,
    locker: options.locker,
    lockKey: (ws: string, pid: string) => profileLockKey(prefix, ws, pid),
  };
  const optedOut = makeOptOutCheck(options.store);
  return processWithOutcome(async (job: Job<TouchJobData>) => {
    const parsed = touchEventSchema.safeParse(job.data?.touch);
    if (!parsed.success) {
      options.metrics.eventsFailed.inc({ reason: 'invalid' });
      return dlq(`invalid touch: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const skip = (await optedOut(parsed.data)) ? 'opted_out' : (await isRepeatJoin(options.store, parsed.data)) ? 'repeat_join' : null;
    if (skip !== null) {
      const dropped: OptedOutResult = { status: skip, profileId: null, merged: [], conflicts: [] };
      options.metrics.eventsProcessed.inc({ result: dropped.status });
      options.metrics.processingLatency.observe((Date.now() - job.timestamp) / 1000);
      options.onProcessed?.(dropped, job);
      return ok<ProfileJobResult>(dropped);
    }
    const result = await recordTouch(deps, parsed.data);
    options.metrics.eventsProcessed.inc({ result: result.status });
    options.metrics.processingLatency.observe((Date.now() - job.timestamp) / 1000);
    if (result.merged.length > 0 || result.conflicts.length > 0) {
      options.log.info(
        { workspace: parsed.data.workspace, profileId: result.profileId, merged: result.merged, conflicts: result.conflicts },
        'identity resolution',
      );
    }
    options.onProcessed?.(result, job);
    return ok<ProfileJobResult>(result);
  });
}

export function createProfileWorker(options: ProfileWorkerOptions): Worker<TouchJobData, CompletedJob<ProfileJobResult>> {
  const worker = new Worker<TouchJobData, CompletedJob<ProfileJobResult>>(
    touchQueueName(options.prefix ?? 'midfunnel'),
    makeProfileProcessor(options),
    { connection: options.connection, concurrency: options.concurrency ?? 16 },
  );
  worker.on('failed', (job, err) => {
    if (err.name !== 'UnrecoverableError') options.metrics.eventsFailed.inc({ reason: 'error' });
    options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'touch job failed');
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'profile worker error'));
  return worker;
}
