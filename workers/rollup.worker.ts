/**
 * Processor: rollup (queue `<prefix>-rollup`)
 * Payloads (validated here):
 * - `{ kind: 'rollup', workspace }`: brings the workspace's counters up to date
 *   (`src/reports/rollup.ts` `rollUp`: every dirty day and person recomputed from raw rows, or
 *   a full build when one is due); when units are left after its rounds, asks for another run;
 * - `{ kind: 'tick', workspace }` (scheduled): asks for a rollup of the workspace.
 * Idempotency key: the workspace (one deduplicated rollup job per workspace, see
 *   `src/reports/rollup-queue.ts`); a run replaces counters with what the raw rows say and
 *   marks units clean only if no mark came meanwhile, so re-running it converges.
 * Side effects: day counters and person facts replaced, marks cleared, the counter state's
 *   build time recorded, follow-up rollups queued.
 * Retry class: invalid payload → UnrecoverableError (never retried); anything else (store,
 *   Redis) → retried with backoff (`ROLLUP_JOB_OPTIONS`); a crash leaves the units dirty.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../src/logger.js';
import { rollupQueueName } from '../src/queue/keys.js';
import { rollUp, type RollupOptions, type RollupResult } from '../src/reports/rollup.js';
import type { RollupJobData } from '../src/reports/rollup-queue.js';

const workspace = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const jobSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('rollup'), workspace }), z.object({ kind: z.literal('tick'), workspace })]);

/** What a job did, for logs and tests. */
export type RollupJobResult = ({ kind: 'rollup' } & RollupResult) | { kind: 'tick' };

export interface RollupWorkerOptions extends RollupOptions {
  /** A worker connection (`createWorkerConnection`). */
  connection: Redis;
  /** Asks for another rollup of a workspace (`RollupQueue.requestRollup`). */
  requestRollup: (workspace: string, delayMs?: number) => Promise<void>;
  log: Logger;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Workspaces rolled up at once; default 2. */
  concurrency?: number;
  /** Called after each job (tests observe progress). */
  onProcessed?: (result: RollupJobResult, job: Job<RollupJobData>) => void;
}

/** The job processor, separate from the Worker so it can be called directly. */
export function makeRollupProcessor(options: Omit<RollupWorkerOptions, 'connection'>) {
  return async (job: Job<RollupJobData>): Promise<RollupJobResult> => {
    const parsed = jobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid rollup job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const data = parsed.data;
    let result: RollupJobResult;
    if (data.kind === 'tick') {
      await options.requestRollup(data.workspace, 0);
      result = { kind: 'tick' };
    } else {
      const started = Date.now();
      const r = await rollUp(options, data.workspace);
      if (r.more) await options.requestRollup(data.workspace, 0);
      if (r.rebuilt || r.days + r.people > 0) options.log.info({ workspace: data.workspace, ...r, ms: Date.now() - started }, r.rebuilt ? 'counters built' : 'counters rolled up');
      result = { kind: 'rollup', ...r };
    }
    options.onProcessed?.(result, job);
    return result;
  };
}

export function createRollupWorker(options: RollupWorkerOptions): Worker<RollupJobData, RollupJobResult> {
  const worker = new Worker<RollupJobData, RollupJobResult>(rollupQueueName(options.prefix ?? 'midfunnel'), makeRollupProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 2,
  });
  worker.on('failed', (job, err) => options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'rollup job failed'));
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'rollup worker error'));
  return worker;
}
