/**
 * The daily alert checks (`<prefix>-alerts`): one BullMQ job scheduler per workspace, firing
 * at the workspace's `alerts.at` local time in its time zone (a cron pattern with `tz`). The
 * telegram role runs the worker (`bots/telegram/alert-worker.ts`), because alerts are posted
 * through the bots.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { alertSchedulerId, alertsQueueName } from '../queue/keys.js';

export interface AlertJobData {
  workspace: string;
}

/** What scheduling needs of a workspace's configuration. */
export interface AlertScheduleWorkspace {
  id: string;
  timezone?: string;
  alerts?: { at: string };
}

/** The cron pattern of a local `HH:MM`. */
export function dailyPattern(at: string): string {
  const m = /^(\d{2}):(\d{2})$/.exec(at);
  if (!m) throw new RangeError(`alerts.at: ${at} is not a local time like 09:00`);
  return `${Number(m[2])} ${Number(m[1])} * * *`;
}

export class AlertQueue {
  readonly queue: Queue<AlertJobData>;

  constructor(options: { connection: Redis; prefix?: string }) {
    this.queue = new Queue<AlertJobData>(alertsQueueName(options.prefix ?? 'midfunnel'), {
      connection: options.connection,
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: { count: 200 }, removeOnFail: { count: 500 } },
    });
  }

  /** Creates or moves each workspace's daily scheduler (idempotent: one per workspace). */
  async schedule(workspaces: readonly AlertScheduleWorkspace[]): Promise<void> {
    for (const w of workspaces) {
      await this.queue.upsertJobScheduler(alertSchedulerId(w.id), { pattern: dailyPattern(w.alerts?.at ?? '09:00'), tz: w.timezone ?? 'UTC' }, { name: 'alerts', data: { workspace: w.id } });
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
