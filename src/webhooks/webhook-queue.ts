/**
 * Producer side of outgoing webhooks: `publish` queues one delivery per event and per
 * subscription that wants its type (`<prefix>-webhooks`, delivered by
 * `workers/webhook.worker.ts`). The job id is built from the event id, so publishing the same
 * event again is a no-op while its delivery is kept (7 days). Secrets never enter Redis: the
 * worker reads the subscription's URL and secret from the configuration when it delivers.
 * A slow or broken subscriber never blocks the pipeline: publishing only adds jobs, and
 * fails fast when Redis is down.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { failFast } from '../queue/fail-fast.js';
import { WEBHOOK_JOB_OPTIONS } from '../queue/job-options.js';
import { webhookJobId, webhookQueueName } from '../queue/keys.js';
import { digest, type WebhookEvent, type WebhookEventType } from './webhook-event.js';

/** One subscription of a workspace (from `webhooks` in the workspace configuration). */
export interface WebhookSubscription {
  /** Unique within the workspace: names the subscription in job ids and listings. */
  id: string;
  url: string;
  /** HMAC key the deliveries are signed with. */
  secret: string;
  /** Event types it receives. */
  events: readonly WebhookEventType[];
}

/** The subscriptions of a workspace (none when it has no `webhooks`). */
export type SubscriptionsLookup = (workspace: string) => readonly WebhookSubscription[];

export interface WebhookJobData {
  workspace: string;
  subscription: string;
  event: WebhookEvent;
}

export class WebhookQueue {
  readonly queue: Queue<WebhookJobData>;
  readonly #connection: Redis;
  readonly #subscriptions: SubscriptionsLookup;

  constructor(options: { connection: Redis; prefix?: string; subscriptions: SubscriptionsLookup }) {
    this.#connection = options.connection;
    this.#subscriptions = options.subscriptions;
    this.queue = new Queue<WebhookJobData>(webhookQueueName(options.prefix ?? 'midfunnel'), { connection: options.connection, defaultJobOptions: WEBHOOK_JOB_OPTIONS });
  }

  /** Queues each event for every subscription of its workspace that wants it; returns how many deliveries were queued. */
  async publish(events: readonly WebhookEvent[]): Promise<number> {
    const jobs = events.flatMap((event) =>
      this.#subscriptions(event.workspace)
        .filter((s) => s.events.includes(event.type))
        .map((s) => ({
          name: event.type,
          data: { workspace: event.workspace, subscription: s.id, event },
          opts: { ...WEBHOOK_JOB_OPTIONS, jobId: webhookJobId(event.workspace, s.id, digest(event.id)) },
        })),
    );
    if (jobs.length === 0) return 0;
    await failFast(this.#connection, 5_000, 'webhook event', () => this.queue.addBulk(jobs));
    return jobs.length;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
