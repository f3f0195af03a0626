/**
 * `midfunnel jobs failed|replay`: the jobs that stayed failed, and putting them back.
 *
 * A job stays failed when its payload was proven invalid (dead-lettered at once) or when
 * it used up its attempts (see `src/queue/outcome.ts`). `failed` lists them per queue with
 * why and when, never their data (a kept Telegram update is redacted anyway). `replay`
 * puts failed jobs back in their queue with fresh attempts. Processing is idempotent, so
 * replaying a job whose effect already landed changes nothing, and replaying a job that is
 * no longer failed (replayed already, or finished) is skipped.
 */
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type WorkspaceConfig } from '../config.js';
import { failedKind } from '../queue/outcome.js';
import { communityQueueName, reconcileQueueName, telegramUpdatesQueueName, touchQueueName } from '../queue/keys.js';
import { createProducerConnection, waitReady } from '../queue/redis.js';
import { alignTable } from '../reports/format-report.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';

/** The queues jobs can fail in, by the short name the command takes. */
export const JOB_QUEUES = {
  touches: touchQueueName,
  'telegram-updates': telegramUpdatesQueueName,
  reconcile: reconcileQueueName,
  community: communityQueueName,
} as const;
export type JobQueueName = keyof typeof JOB_QUEUES;
const QUEUE_NAMES = Object.keys(JOB_QUEUES) as JobQueueName[];

const USAGE = `usage: midfunnel jobs failed [--queue ${QUEUE_NAMES.join('|')}] [--workspace W] [--json]
       midfunnel jobs replay <job id>… | --queue Q --all [--workspace W]`;

const HELP = `${USAGE}

failed   lists the jobs that stayed failed: dead-lettered (their payload is invalid; never
         retried) or exhausted (every attempt failed), with the reason and the time. Their
         data is not shown (a kept Telegram update has its text redacted).
replay   puts failed jobs back in their queue with fresh attempts (by id, or every failed job
         of one queue with --all). Replaying is safe: processing is idempotent, and a job that
         is no longer failed is skipped.
`;

/** One failed job as listed. */
export interface FailedJobRow {
  queue: JobQueueName;
  id: string;
  name: string;
  workspace: string | null;
  kind: 'dead-letter' | 'exhausted';
  attempts: number;
  failedAt: string | null;
  reason: string;
}

/** Parts a test passes instead of the configured ones. */
export interface JobsCommandOverrides {
  connection?: Redis;
  prefix?: string;
  workspaces?: readonly WorkspaceConfig[];
}

const PAGE = 500;

/** The workspace a job belongs to, read from its data (never printed). */
function workspaceOf(queue: JobQueueName, data: unknown, botWorkspaces: ReadonlyMap<string, string>): string | null {
  const d = (data ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  switch (queue) {
    case 'touches':
      return str((d.touch as Record<string, unknown> | undefined)?.workspace);
    case 'telegram-updates':
      return botWorkspaces.get(String(d.botId)) ?? null;
    case 'reconcile':
      return str(d.workspace);
    case 'community':
      return str((d.event as Record<string, unknown> | undefined)?.workspace);
  }
}

function rowOf(queue: JobQueueName, job: Job, botWorkspaces: ReadonlyMap<string, string>): FailedJobRow {
  return {
    queue,
    id: String(job.id),
    name: job.name,
    workspace: workspaceOf(queue, job.data, botWorkspaces),
    kind: failedKind(job),
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    reason: (job.failedReason ?? '').split('\n')[0]?.slice(0, 300) ?? '',
  };
}

/** Every failed job of a queue, oldest page first. */
async function* failedJobs(queue: Queue): AsyncGenerator<Job> {
  for (let start = 0; ; start += PAGE) {
    const page = await queue.getFailed(start, start + PAGE - 1);
    for (const job of page) if (job) yield job;
    if (page.length < PAGE) return;
  }
}

/** The `jobs` command; `overrides` replace configured parts (tests). */
export function makeJobsCommand(overrides: JobsCommandOverrides = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(
      argv,
      {
        queue: { type: 'string' },
        workspace: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      USAGE,
    );
    const v = parsed.values;
    if (v.help) {
      io.stdout(HELP);
      return 0;
    }
    const [sub, ...ids] = parsed.positionals;
    if (sub !== 'failed' && sub !== 'replay') throw new UsageError(`expected failed or replay\n${USAGE}`);
    if (v.queue !== undefined && !(QUEUE_NAMES as string[]).includes(v.queue)) throw new UsageError(`unknown queue '${v.queue}'; queues: ${QUEUE_NAMES.join(', ')}`);
    const only = v.queue as JobQueueName | undefined;
    if (sub === 'failed' && (ids.length > 0 || v.all)) throw new UsageError(`jobs failed takes no job ids and no --all\n${USAGE}`);
    if (sub === 'replay') {
      if (ids.length > 0 && v.all) throw new UsageError('give job ids or --queue Q --all, not both');
      if (ids.length === 0 && !v.all) throw new UsageError(`name the jobs to replay, or --queue Q --all\n${USAGE}`);
      if (v.all && only === undefined) throw new UsageError('--all needs --queue Q (one queue at a time)');
      if (ids.length > 0 && v.workspace !== undefined) throw new UsageError('--workspace goes with --all, not with job ids');
    }

    const config = overrides.connection && overrides.prefix !== undefined && overrides.workspaces ? undefined : loadConfig(io.env);
    const workspaces = overrides.workspaces ?? config?.workspaces ?? [];
    if (v.workspace !== undefined && !workspaces.some((w) => w.id === v.workspace)) throw new UsageError(`unknown workspace '${v.workspace}' (not in MIDFUNNEL_CONFIG)`);
    const prefix = overrides.prefix ?? config?.queuePrefix ?? 'midfunnel';
    const botWorkspaces = new Map(workspaces.flatMap((w) => w.telegram.bots.map((b) => [b.token.slice(0, b.token.indexOf(':')), w.id] as const)));
    const ownConnection = overrides.connection === undefined;
    const connection = overrides.connection ?? createProducerConnection({ url: config?.redisUrl ?? 'redis://127.0.0.1:6379' });
    connection.on('error', () => undefined);
    const queues = new Map<JobQueueName, Queue>();
    const queueOf = (name: JobQueueName): Queue => {
      let q = queues.get(name);
      if (!q) {
        q = new Queue(JOB_QUEUES[name](prefix), { connection });
        q.on('error', () => undefined);
        queues.set(name, q);
      }
      return q;
    };
    try {
      try {
        await waitReady(connection, 5_000);
      } catch {
        io.stderr('midfunnel jobs: Redis is not reachable (REDIS_URL); nothing was read or changed\n');
        return 1;
      }
      const inScope = (row: FailedJobRow): boolean => v.workspace === undefined || row.workspace === v.workspace;

      if (sub === 'failed') {
        const rows: FailedJobRow[] = [];
        for (const name of only ? [only] : QUEUE_NAMES) {
          for await (const job of failedJobs(queueOf(name))) {
            const row = rowOf(name, job, botWorkspaces);
            if (inScope(row)) rows.push(row);
          }
        }
        if (v.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) io.stdout(`no failed jobs${only ? ` in ${only}` : ''}${v.workspace ? ` of workspace ${v.workspace}` : ''}\n`);
        else {
          const table = rows.map((r) => [r.queue, r.id, r.workspace ?? '-', r.kind, String(r.attempts), r.failedAt ?? '-', r.reason]);
          io.stdout(`${alignTable([['queue', 'job', 'workspace', 'kind', 'attempts', 'failed at', 'reason'], ...table], () => false)}\n`);
        }
        return 0;
      }

      const replay = async (name: JobQueueName, job: Job): Promise<'replayed' | string> => {
        const state = await job.getState();
        if (state !== 'failed') return `${state}, not failed`;
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        io.stdout(`replayed ${job.id} (${name})\n`);
        return 'replayed';
      };

      let replayed = 0;
      let missing = 0;
      if (v.all && only) {
        const tried = new Set<string>();
        // Replayed jobs leave the failed list: read it again from the start until nothing new is left.
        for (;;) {
          const page = (await queueOf(only).getFailed(0, PAGE - 1)).filter((j): j is Job => j !== undefined && !tried.has(String(j.id)));
          if (page.length === 0) break;
          for (const job of page) {
            tried.add(String(job.id));
            if (!inScope(rowOf(only, job, botWorkspaces))) continue;
            if ((await replay(only, job)) === 'replayed') replayed++;
          }
        }
      } else {
        for (const id of ids) {
          let found = false;
          for (const name of only ? [only] : QUEUE_NAMES) {
            const job = await queueOf(name).getJob(id);
            if (!job) continue;
            found = true;
            const r = await replay(name, job);
            if (r === 'replayed') replayed++;
            else io.stdout(`skipped ${id} (${name}): ${r}\n`);
            break;
          }
          if (!found) {
            missing++;
            io.stderr(`midfunnel jobs: no job ${id} in ${only ?? 'any queue'} (removed after its retention, or never there)\n`);
          }
        }
      }
      io.stdout(`${replayed} job${replayed === 1 ? '' : 's'} replayed\n`);
      return missing > 0 ? 1 : 0;
    } finally {
      for (const q of queues.values()) await q.close().catch(() => undefined);
      if (ownConnection) await connection.quit().catch(() => connection.disconnect());
    }
  };
}

export const runJobs: CliCommand = makeJobsCommand();
