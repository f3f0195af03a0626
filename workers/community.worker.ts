/**
 * Processor: community (queue `<prefix>-community`)
 * Payload: job `event`: `{ event: CommunityEvent }` (a group seen, the bot's status in a
 *   group, a migration; validated again here); jobs `erasure-sweep` and `retention-sweep`:
 *   `{}` (scheduled).
 * Idempotency key: `c.<workspace>.<digest of the event>` while the job is kept; applying an
 *   event is idempotent and order-independent anyway (`applyCommunityEvent`: events older
 *   than a group's last applied one change nothing). An erasure re-run repeats idempotent steps.
 * Side effects: registered groups written (`store.community.groups`); unfinished erasures
 *   of every configured workspace run to the end (`resumeErasures`); touches and clicks older
 *   than each workspace's retention deleted (`applyRetention`).
 * Retry class (`src/queue/outcome.ts`): an invalid event → `dlq`; anything thrown (the store
 *   unreachable, a bug) → `retry` with backoff (`COMMUNITY_JOB_OPTIONS`).
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { applyCommunityEvent, communityEventSchema, type CommunityEventResult } from '../src/capture/community-event.js';
import { resumeErasures } from '../src/commands/erase-member.js';
import type { Logger } from '../src/logger.js';
import { applyRetention, DEFAULT_RETENTION_DAYS } from '../src/privacy/retention.js';
import { COMMUNITY_EVENT_JOB, ERASURE_SWEEP_JOB, RETENTION_SWEEP_JOB, type CommunityJobData } from '../src/queue/community-queue.js';
import { communityQueueName } from '../src/queue/keys.js';
import { dlq, ok, processWithOutcome, type JobOutcome } from '../src/queue/outcome.js';
import type { Store } from '../src/store/store.js';

export interface CommunityWorkerOptions {
  /** A worker connection (`createWorkerConnection`). */
  connection: Redis;
  store: Store;
  /** Configured workspace ids (erasure re-runs look at each). */
  workspaces: readonly string[];
  log: Logger;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Jobs at once; default 1: events of one group are applied one at a time (each reads, then writes the group). */
  concurrency?: number;
  now?: () => Date;
  /** Each workspace's `retentionDays`; default 400 for every workspace. */
  retentionDaysOf?: (workspace: string) => number;
  /** Called with each outcome (tests observe progress). */
  onOutcome?: (outcome: JobOutcome<unknown>, job: Job) => void;
}

type CommunityJob = Job<Partial<CommunityJobData>>;

/** The job processor, separate from the Worker so it can be called directly. */
export function makeCommunityProcessor(options: Omit<CommunityWorkerOptions, 'connection' | 'concurrency'>) {
  const now = options.now ?? (() => new Date());
  return processWithOutcome<Partial<CommunityJobData>, CommunityEventResult | number>(
    async (job: CommunityJob) => {
      if (job.name === ERASURE_SWEEP_JOB) {
        let resumed = 0;
        for (const ws of options.workspaces) resumed += await resumeErasures(options.store, ws, now());
        if (resumed > 0) options.log.warn({ resumed }, 'unfinished erasures completed');
        return ok(resumed);
      }
      if (job.name === RETENTION_SWEEP_JOB) {
        const at = now();
        const results = [];
        for (const ws of options.workspaces) results.push(await applyRetention(options.store, ws, options.retentionDaysOf?.(ws) ?? DEFAULT_RETENTION_DAYS, at));
        options.log.info({ results }, 'retention sweep');
        return ok(results.reduce((n, r) => n + r.touches + r.clicks, 0));
      }
      if (job.name !== COMMUNITY_EVENT_JOB) return dlq(`invalid job: unknown job name ${JSON.stringify(job.name).slice(0, 40)}`);
      const parsed = communityEventSchema.safeParse(job.data?.event);
      if (!parsed.success) return dlq(`invalid community event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const result = await applyCommunityEvent(options.store, parsed.data);
      options.log.debug({ workspace: parsed.data.workspace, kind: parsed.data.kind, chat: parsed.data.chatId, result }, 'community event');
      return ok(result);
    },
    options.onOutcome ? { onOutcome: options.onOutcome as (o: JobOutcome<unknown>, j: CommunityJob) => void } : {},
  );
}

export function createCommunityWorker(options: CommunityWorkerOptions): Worker {
  const worker = new Worker(communityQueueName(options.prefix ?? 'midfunnel'), makeCommunityProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 1,
  });
  worker.on('failed', (job, err) => options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'community job failed'));
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'community worker error'));
  return worker;
}
