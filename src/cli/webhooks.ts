/**
 * `midfunnel webhooks deliveries --workspace W [--state …] [--limit N] [--json]`: the
 * outgoing webhook deliveries kept in Redis (delivered ones for 7 days, failed ones for 30),
 * newest first: event, subscription, state, attempts, the last failure reason.
 *
 * Exit codes: 0 listed; 2 bad command line or unknown workspace; 1 the configuration or Redis
 * cannot be reached.
 */
import { Queue, type Job, type JobType } from 'bullmq';
import { loadConfig } from '../config.js';
import { webhookQueueName } from '../queue/keys.js';
import { createProducerConnection, waitReady } from '../queue/redis.js';
import { alignTable } from '../reports/format-report.js';
import type { WebhookJobData } from '../webhooks/webhook-queue.js';
import { requireWorkspace } from './require-workspace.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';

const STATES = ['completed', 'failed', 'waiting', 'delayed', 'active'] as const;
const USAGE = `usage: midfunnel webhooks deliveries --workspace W [--state ${STATES.join('|')}|all] [--limit N] [--json]`;

/** One delivery as listed. */
export interface DeliveryLine {
  event: string;
  type: string;
  subscription: string;
  state: string;
  attempts: number;
  queuedAt: string;
  finishedAt: string | null;
  /** Why the last attempt failed (HTTP status or network error); null when it did not. */
  lastError: string | null;
}

export const runWebhooks: CliCommand = async (argv, io) => {
  const parsed = parseCommandLine(
    argv,
    { workspace: { type: 'string' }, state: { type: 'string', default: 'all' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    USAGE,
  );
  const v = parsed.values;
  if (v.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals[0] !== 'deliveries' || parsed.positionals.length !== 1) throw new UsageError(`expected 'deliveries'\n${USAGE}`);
  if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
  const states: JobType[] = v.state === 'all' ? [...STATES] : (STATES as readonly string[]).includes(v.state) ? [v.state as JobType] : [];
  if (states.length === 0) throw new UsageError(`--state is one of ${STATES.join(', ')}, all`);
  const limit = Number(v.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit is a whole number from 1 to 10000');
  const config = loadConfig(io.env);
  requireWorkspace(config.workspaces, v.workspace);
  const ws = config.workspaces.find((w) => w.id === v.workspace) as (typeof config.workspaces)[number];

  const connection = createProducerConnection({ url: config.redisUrl });
  connection.on('error', () => undefined);
  const queue = new Queue<WebhookJobData>(webhookQueueName(config.queuePrefix), { connection });
  try {
    await waitReady(connection, 5_000).catch(() => {
      throw new Error(`Redis at ${config.redisUrl} cannot be reached`);
    });
    const lines: DeliveryLine[] = [];
    for (const state of states) {
      // Jobs of every workspace share the queue: read in pages and keep this workspace's.
      for (let start = 0; ; start += 500) {
        const page = await queue.getJobs([state], start, start + 499, false);
        for (const job of page) if (job?.data?.workspace === ws.id) lines.push(lineOf(job, state));
        if (page.length < 500) break;
      }
    }
    lines.sort((a, b) => (a.queuedAt < b.queuedAt ? 1 : a.queuedAt > b.queuedAt ? -1 : 0));
    const shown = lines.slice(0, limit);
    if (v.json) io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
    else if (shown.length === 0) io.stdout(`no webhook deliveries kept for ${ws.id}${ws.webhooks.length === 0 ? ' (it has no webhooks configured)' : ''}\n`);
    else io.stdout(`${alignTable([['queued', 'event', 'subscription', 'state', 'attempts', 'last error'], ...shown.map((l) => [l.queuedAt.slice(0, 19).replace('T', ' '), `${l.type} ${l.event}`, l.subscription, l.state, String(l.attempts), l.lastError ?? ''])], () => false)}\n`);
    return 0;
  } finally {
    await queue.close().catch(() => undefined);
    await connection.quit().catch(() => connection.disconnect());
  }
};

function lineOf(job: Job<WebhookJobData>, state: string): DeliveryLine {
  return {
    event: job.data.event.id,
    type: job.data.event.type,
    subscription: job.data.subscription,
    state: state === 'completed' ? 'delivered' : state,
    attempts: job.attemptsMade,
    queuedAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    lastError: job.failedReason ? job.failedReason.slice(0, 200) : null,
  };
}
