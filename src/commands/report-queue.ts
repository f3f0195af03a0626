/**
 * The report queue (`<prefix>-reports`): report commands and digest runs are computed and
 * answered here, never inside a chat platform's update handler. The telegram role runs the
 * worker (`bots/telegram/report-worker.ts`), because answers go out through the bots'
 * sending clients; any process of that role may answer any job.
 *
 * A report that takes long answers “working on it” first, exactly once, and then the report,
 * exactly once, in that order. Both sides keep a small delivery state per job in Redis (a
 * hash, {@link reportStateKey}, kept a day):
 * - `first`: who got there first, set once (`HSETNX`): `notice` (the asking side, after
 *   waiting {@link NOTICE_AFTER_MS} in vain) or `answer` (the worker, with the answers ready).
 *   When the worker is first, no notice is sent; when the notice is first, the worker waits
 *   until it is sent (`noticed`) before answering, so it never overtakes it.
 * - `sent`: how many answers went out (a retried job goes on after them); `done`: all did
 *   (a job run again after that sends nothing).
 * One run at a time delivers: it holds a lock key ({@link DELIVERY_LOCK_MS}, renewed after
 * each answer), so a stalled job picked up again while its first run still sends waits for
 * it instead of sending the answers twice; if that run died, the lock expires and the next
 * one goes on after the answers already sent.
 */
import { t } from '../i18n/index.js';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { failFast } from '../queue/fail-fast.js';
import { waitReady } from '../queue/redis.js';
import { REPORT_JOB_OPTIONS } from '../queue/job-options.js';
import { reportDeliveryLockKey, reportsQueueName, reportStateKey } from '../queue/keys.js';
import type { CommunityPlatform, DigestFrequency } from '../store/store.js';
import type { ReportJob } from './command-handler.js';

/** How long the asking side waits for the answers before it says “working on it”. */
export const NOTICE_AFTER_MS = 2_000;
/** What the asking side says when a report takes longer (English; Telegram says it in the asker’s language). */
export const WORKING_ON_IT = t('en', 'report.working');
/** How long a delivering run holds its lock without sending another answer. */
export const DELIVERY_LOCK_MS = 60_000;
/** How long a report job's delivery state is kept. */
export const REPORT_STATE_TTL_MS = 24 * 3600_000;

export type ReportJobData =
  | {
      kind: 'command';
      platform: CommunityPlatform;
      /** The bot (account) that received the command and answers it. */
      account: string;
      job: ReportJob;
      /** The chat the command came from and the asker (private answers go to them). */
      where: { chatId: string; userId: string };
    }
  | {
      kind: 'digest';
      platform: CommunityPlatform;
      account: string;
      workspace: string;
      chatId: string;
      frequency: DigestFrequency;
      /** When the run was due (ISO): the digest covers the day or week before it. */
      at: string;
      runKey: string;
    };

export interface ReportQueueOptions {
  /** A producer connection (`createProducerConnection`): fails fast when Redis is down. */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  /** Longest an add may take before it fails; default 5 s. */
  timeoutMs?: number;
  /** Poll interval of the delivery state; default 50 ms. */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ReportQueue {
  readonly queue: Queue<ReportJobData>;
  readonly #connection: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #pollMs: number;

  constructor(options: ReportQueueOptions) {
    this.#connection = options.connection;
    this.#prefix = options.prefix ?? 'midfunnel';
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#pollMs = options.pollMs ?? 50;
    this.queue = new Queue<ReportJobData>(reportsQueueName(this.#prefix), { connection: options.connection, defaultJobOptions: REPORT_JOB_OPTIONS });
  }

  /** The delivery state lives on the producer connection, which does not queue commands while it connects. */
  async #ready(): Promise<void> {
    if (this.#connection.status !== 'ready') await waitReady(this.#connection, this.#timeoutMs);
  }

  #key(jobId: string): string {
    return reportStateKey(this.#prefix, jobId);
  }

  async #set(jobId: string, field: string, value: string): Promise<void> {
    const key = this.#key(jobId);
    await this.#connection.multi().hset(key, field, value).pexpire(key, REPORT_STATE_TTL_MS).exec();
  }

  async #claimFirst(jobId: string, who: 'notice' | 'answer'): Promise<string> {
    const key = this.#key(jobId);
    const res = await this.#connection.multi().hsetnx(key, 'first', who).pexpire(key, REPORT_STATE_TTL_MS).hget(key, 'first').exec();
    return String(res?.[2]?.[1] ?? who);
  }

  async #until(jobId: string, field: string, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      if ((await this.#connection.hget(this.#key(jobId), field)) !== null) return true;
      if (Date.now() >= end) return false;
      await sleep(this.#pollMs);
    }
  }

  /** Queues a report job; re-adding a job id that is queued, running or recently done is a no-op. */
  async add(jobId: string, data: ReportJobData): Promise<void> {
    await failFast(this.#connection, this.#timeoutMs, 'report', () => this.queue.add(data.kind, data, { jobId }));
  }

  /**
   * The asking side, after `add`: waits up to `waitMs` for the answers. If they are not out
   * by then and the worker has not begun answering, sends `notice` (exactly once per job)
   * and returns without waiting for the report. If the worker has begun, waits up to
   * `finishMs` for it to finish, so the chat's next update is handled after the answers.
   */
  async awaitAnswers(jobId: string, options: { notice: () => Promise<void>; waitMs?: number; finishMs?: number }): Promise<'answered' | 'noticed' | 'answering'> {
    await this.#ready();
    if (await this.#until(jobId, 'done', options.waitMs ?? NOTICE_AFTER_MS)) return 'answered';
    const first = await this.#claimFirst(jobId, 'notice');
    if (first === 'notice') {
      const noticed = await this.#connection.hget(this.#key(jobId), 'noticed');
      // An earlier run of this update claimed the notice already: it is not sent twice.
      if (noticed !== null) return 'noticed';
      try {
        await options.notice();
      } finally {
        await this.#set(jobId, 'noticed', '1');
      }
      return 'noticed';
    }
    return (await this.#until(jobId, 'done', options.finishMs ?? 30_000)) ? 'answered' : 'answering';
  }

  /**
   * The answering side: delivers a job's answers once. `deliver(from, sent)` sends the
   * answers from index `from` on and awaits `sent(n)` after each (n answers out). Waits for
   * a notice claimed first to be sent (at most `noticeWaitMs`). Returns `already` when the
   * answers went out before (a job run again).
   */
  async deliverOnce(jobId: string, deliver: (from: number, sent: (n: number) => Promise<void>) => Promise<void>, options: { noticeWaitMs?: number } = {}): Promise<'delivered' | 'already'> {
    await this.#ready();
    const key = this.#key(jobId);
    if ((await this.#connection.hget(key, 'done')) !== null) return 'already';
    if ((await this.#claimFirst(jobId, 'answer')) === 'notice') await this.#until(jobId, 'noticed', options.noticeWaitMs ?? 15_000);
    const lock = reportDeliveryLockKey(this.#prefix, jobId);
    const token = randomUUID();
    const waitEnd = Date.now() + DELIVERY_LOCK_MS + 30_000;
    while ((await this.#connection.set(lock, token, 'PX', DELIVERY_LOCK_MS, 'NX')) !== 'OK') {
      // Another run delivers: once it is done there is nothing left to send.
      if ((await this.#connection.hget(key, 'done')) !== null) return 'already';
      if (Date.now() > waitEnd) throw new Error(`report ${jobId}: another run holds the delivery`);
      await sleep(this.#pollMs * 4);
    }
    try {
      if ((await this.#connection.hget(key, 'done')) !== null) return 'already';
      const from = Number((await this.#connection.hget(key, 'sent')) ?? '0');
      await deliver(Number.isSafeInteger(from) && from > 0 ? from : 0, async (n) => {
        await this.#set(jobId, 'sent', String(n));
        await this.#connection.pexpire(lock, DELIVERY_LOCK_MS);
      });
      await this.#set(jobId, 'done', '1');
      return 'delivered';
    } finally {
      // Only our own lock is released (it may have expired and been taken by another run).
      await this.#connection.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, lock, token).catch(() => undefined);
    }
  }

  /** Whether a job's answers are out. */
  async delivered(jobId: string): Promise<boolean> {
    await this.#ready();
    return (await this.#connection.hget(this.#key(jobId), 'done')) !== null;
  }

  /** Waits up to `timeoutMs` for a job's answers to be out. */
  async waitDelivered(jobId: string, timeoutMs: number): Promise<boolean> {
    await this.#ready();
    return this.#until(jobId, 'done', timeoutMs);
  }

  async close(): Promise<void> {
    // Closing while BullMQ still initializes the connection leaves its init rejecting with
    // no listener (an unhandled rejection): let it settle first (briefly; Redis may be down).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.waitUntilReady().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
    clearTimeout(timer);
    await this.queue.close();
  }
}
