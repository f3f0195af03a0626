/**
 * Processor: report (queue `<prefix>-reports`), run by the telegram role, whose bots hold
 *   the sending clients the answers go out through.
 * Payload: {@link ReportJobData}: a checked report command (`/report`, `/models`, `/funnel`,
 *   `/groupstats`, `/journey`, `/export`) with the chat to answer in, or a digest run.
 * Idempotency key: the job id (`rc.<bot id>.<update_id>`, `rd.<workspace>.<chat>.<run key>`)
 *   and the job's delivery state in Redis (`ReportQueue.deliverOnce`): a run after the
 *   answers went out sends nothing; a retry goes on after the last answer sent; the report
 *   never overtakes the “working on it” line.
 * Side effects: reads the store (reports), writes audit entries, sends messages to Telegram.
 * Retry class: store, Redis and Telegram network failures retry with backoff
 *   (`REPORT_JOB_OPTIONS`); the last attempt answers that the report failed. A malformed
 *   payload, an unknown bot, and the Bot API refusing a message (4xx) are UnrecoverableError.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { buildDigest, type ReportJobData, type ReportQueue } from '../../src/commands/index.js';
import type { Lang } from '../../src/i18n/index.js';
import type { Logger } from '../../src/logger.js';
import { reportsQueueName } from '../../src/queue/keys.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import type { TelegramBot } from './bot.js';
import { classifyError } from './errors.js';
import { deliverResult, sendAnswers } from './send-answers.js';

export interface TelegramReportWorkerOptions {
  /** A worker connection (`createWorkerConnection`). */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** The bots of this process by bot id. */
  bots: ReadonlyMap<string, TelegramBot>;
  /** The queue's producer side: each job's delivery state. */
  queue: Pick<ReportQueue, 'deliverOnce'>;
  /** Report computations for digests (commands use their bot's command layer). */
  reports?: ReportsApi;
  /** A workspace's time zone (digests); default UTC. */
  timeZoneOf: (workspace: string) => string | undefined;
  /** A workspace's language (digests answer no one); default English. */
  languageOf?: (workspace: string) => Lang | undefined;
  log: Logger;
  /** Reports computed at once; default 2 (reports are heavy; the chat work is not). */
  concurrency?: number;
  /** Called after each job (tests observe progress). */
  onDone?: (job: Job<ReportJobData>, error?: Error) => void;
}

function isJobData(d: unknown): d is ReportJobData {
  if (typeof d !== 'object' || d === null) return false;
  const j = d as Record<string, unknown>;
  if (typeof j.account !== 'string') return false;
  if (j.kind === 'command') return typeof j.job === 'object' && j.job !== null && typeof j.where === 'object' && j.where !== null;
  return j.kind === 'digest' && typeof j.workspace === 'string' && typeof j.chatId === 'string' && (j.frequency === 'daily' || j.frequency === 'weekly') && typeof j.at === 'string';
}

export function makeReportProcessor(options: Omit<TelegramReportWorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'onDone'>) {
  return async (job: Job<ReportJobData>): Promise<void> => {
    const data = job.data;
    if (!isJobData(data)) throw new UnrecoverableError('invalid report job: expected a command or digest job with its account');
    const bot = options.bots.get(data.account);
    if (!bot) throw new UnrecoverableError(`no bot ${data.account} in this process; is it still configured?`);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const id = job.id ?? '';
    try {
      if (data.kind === 'command') {
        const { result, botUsername } = await bot.runReport(data.job, { lastAttempt });
        await options.queue.deliverOnce(id, (from, sent) => deliverResult(bot.telegram, botUsername, data.where, result, { from, sent }));
        return;
      }
      if (!options.reports) throw new UnrecoverableError('digest job in a process without reports');
      const answers = await buildDigest(options.reports, data.workspace, data.frequency, new Date(data.at), options.timeZoneOf(data.workspace) ?? 'UTC', options.languageOf?.(data.workspace) ?? 'en');
      await options.queue.deliverOnce(id, (from, sent) => sendAnswers(bot.telegram, data.chatId, answers, { from, sent }));
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      // The Bot API said no (a 4xx other than 429): the same call will not succeed later.
      if (classifyError(err) === 'api') throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
      throw err;
    }
  };
}

export function createTelegramReportWorker(options: TelegramReportWorkerOptions): Worker<ReportJobData> {
  const worker = new Worker<ReportJobData>(reportsQueueName(options.prefix ?? 'midfunnel'), makeReportProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 2,
  });
  worker.on('completed', (job) => options.onDone?.(job));
  worker.on('failed', (job, err) => {
    options.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: { name: err.name, message: err.message } }, 'report job failed');
    if (job) options.onDone?.(job, err);
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'report worker error'));
  return worker;
}
