/**
 * Producer side of the community queue: connectors hand it community events (groups seen,
 * bot rights, migrations; see `capture/community-event.ts`), the community worker writes
 * them to the store. Once `add` resolves, the event is durably in Redis.
 *
 * Job ids: `c.<workspace>.<digest of the event>`, so the same event from a redelivered
 * update, or from two bots in one group, is one job while it is kept. The queue also
 * carries the periodic re-run of unfinished erasures (job name `erasure-sweep`) and the daily
 * retention sweep (`retention-sweep`).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { communityEventDigest, parseCommunityEvent, type CommunityEvent } from '../capture/community-event.js';
import { failFast } from './fail-fast.js';
import { COMMUNITY_JOB_OPTIONS } from './job-options.js';
import { communityJobId, communityQueueName, erasureSweepSchedulerId, retentionSweepSchedulerId } from './keys.js';

export interface CommunityJobData {
  event: CommunityEvent;
}

/** Job name of a community event. */
export const COMMUNITY_EVENT_JOB = 'event';
/** Job name of the periodic erasure re-run. */
export const ERASURE_SWEEP_JOB = 'erasure-sweep';
/** Job name of the daily retention sweep (raw rows older than each workspace's `retentionDays`). */
export const RETENTION_SWEEP_JOB = 'retention-sweep';
/** How often the retention sweep runs; default once a day. */
export const RETENTION_SWEEP_EVERY_MS = 24 * 3_600_000;
/** How often unfinished erasures are looked for; default every 5 minutes. */
export const ERASURE_SWEEP_EVERY_MS = 5 * 60_000;

export interface CommunityQueueOptions {
  /** A producer connection (`createProducerConnection`): fails fast when Redis is down. */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Longest an add may take before it fails; default 5 s. */
  timeoutMs?: number;
}

export class CommunityQueue {
  readonly queue: Queue<CommunityJobData | Record<string, never>>;
  readonly #connection: Redis;
  readonly #timeoutMs: number;

  constructor(options: CommunityQueueOptions) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.queue = new Queue(communityQueueName(options.prefix ?? 'midfunnel'), { connection: options.connection, defaultJobOptions: COMMUNITY_JOB_OPTIONS });
  }

  /** Validates and queues events; throws a ZodError for an invalid one (nothing queued), QueueUnavailableError when Redis is down. */
  async addMany(events: readonly CommunityEvent[]): Promise<void> {
    if (events.length === 0) return;
    const valid = events.map((e) => parseCommunityEvent(e));
    await failFast(this.#connection, this.#timeoutMs, 'community event', () =>
      this.queue.addBulk(valid.map((event) => ({ name: COMMUNITY_EVENT_JOB, data: { event }, opts: { ...COMMUNITY_JOB_OPTIONS, jobId: communityJobId(event.workspace, communityEventDigest(event)) } }))),
    );
  }

  /** Schedules the periodic erasure re-run (idempotent: one scheduler per queue). */
  async scheduleErasureSweep(everyMs = ERASURE_SWEEP_EVERY_MS): Promise<void> {
    await this.queue.upsertJobScheduler(erasureSweepSchedulerId(), { every: everyMs }, { name: ERASURE_SWEEP_JOB, data: {}, opts: COMMUNITY_JOB_OPTIONS });
  }

  /** Schedules the daily retention sweep (idempotent: one scheduler per queue). */
  async scheduleRetentionSweep(everyMs = RETENTION_SWEEP_EVERY_MS): Promise<void> {
    await this.queue.upsertJobScheduler(retentionSweepSchedulerId(), { every: everyMs }, { name: RETENTION_SWEEP_JOB, data: {}, opts: COMMUNITY_JOB_OPTIONS });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
