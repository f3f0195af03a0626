/**
 * Producer side of the rollup queue (`<prefix>-rollup`): the counter marks ask for a rollup of
 * a workspace after data landed; `workers/rollup.worker.ts` runs it.
 *
 * One rollup per workspace at a time: jobs are deduplicated per workspace, so while one waits
 * (its short delay lets a burst of marks be recomputed once) asking again adds nothing, and
 * while one runs one more run is kept for after it (BullMQ `keepLastIfActive`). A periodic tick
 * per workspace asks again, so marks whose job was lost (Redis down at the time) are still
 * rolled up.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { failFast } from '../queue/fail-fast.js';
import { ROLLUP_JOB_OPTIONS } from '../queue/job-options.js';
import { rollupDeduplicationId, rollupQueueName, rollupSchedulerId } from '../queue/keys.js';

/** A rollup of one workspace, or a tick that asks for one. */
export type RollupJobData = { kind: 'rollup'; workspace: string } | { kind: 'tick'; workspace: string };

/** Default wait between the first mark of a burst and its rollup: 1 s. */
export const DEFAULT_ROLLUP_DELAY_MS = 1_000;
/** Default time between ticks: 5 minutes. */
export const DEFAULT_TICK_EVERY_MS = 5 * 60_000;

export interface RollupQueueOptions {
  /** A producer connection (fails fast when Redis is down). */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Longest an enqueue may take before it fails; default 5 s. */
  timeoutMs?: number;
  /** Wait before a requested rollup runs; default {@link DEFAULT_ROLLUP_DELAY_MS}. */
  delayMs?: number;
}

export class RollupQueue {
  readonly queue: Queue<RollupJobData>;
  readonly #connection: Redis;
  readonly #timeoutMs: number;
  readonly #delayMs: number;

  constructor(options: RollupQueueOptions) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#delayMs = options.delayMs ?? DEFAULT_ROLLUP_DELAY_MS;
    this.queue = new Queue<RollupJobData>(rollupQueueName(options.prefix ?? 'midfunnel'), { connection: options.connection, defaultJobOptions: ROLLUP_JOB_OPTIONS });
  }

  /** Asks for a rollup of a workspace after `delayMs` (default: the queue's delay); see the header. */
  async requestRollup(workspace: string, delayMs = this.#delayMs): Promise<void> {
    await failFast(this.#connection, this.#timeoutMs, 'rollup job', () =>
      this.queue.add('rollup', { kind: 'rollup', workspace }, { ...ROLLUP_JOB_OPTIONS, delay: delayMs, deduplication: { id: rollupDeduplicationId(workspace), keepLastIfActive: true } }),
    );
  }

  /** Creates or updates each workspace's periodic tick (idempotent), and asks for a first rollup now. */
  async schedule(workspaces: readonly string[], tickEveryMs = DEFAULT_TICK_EVERY_MS): Promise<void> {
    for (const workspace of workspaces) {
      await failFast(this.#connection, this.#timeoutMs, 'rollup schedule', () =>
        this.queue.upsertJobScheduler(rollupSchedulerId(workspace), { every: tickEveryMs }, { name: 'tick', data: { kind: 'tick', workspace } }),
      );
      await this.requestRollup(workspace, 0);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
