/**
 * Processor: webhook delivery (queue `<prefix>-webhooks`)
 * Payload: `{ workspace, subscription, event }`, validated here; the subscription's URL and
 *   secret come from the configuration at delivery time (never from Redis).
 * Idempotency key: the job id (workspace, subscription, event id): one delivery per event and
 *   subscription; receivers also get the event id in `X-Midfunnel-Event-Id`.
 * Side effects: one signed HTTP POST per attempt (`src/webhooks/deliver-webhook.ts`); the
 *   `midfunnel_webhook_deliveries_total{result}` counter.
 * Retry class: 408/429/5xx, timeouts and network failures retry with backoff
 *   (`WEBHOOK_JOB_OPTIONS`); another 4xx and an invalid payload fail at once
 *   (UnrecoverableError, kept for inspection); a subscription removed from the configuration
 *   drops its pending deliveries.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { webhookQueueName } from '../src/queue/keys.js';
import { deliverWebhook, type DeliveryOutcome } from '../src/webhooks/deliver-webhook.js';
import { webhookEventSchema, type WebhookEvent } from '../src/webhooks/webhook-event.js';
import type { SubscriptionsLookup, WebhookJobData } from '../src/webhooks/webhook-queue.js';

const jobSchema = z.object({ workspace: z.string().min(1).max(64), subscription: z.string().min(1).max(64), event: webhookEventSchema });

export type WebhookJobResult = DeliveryOutcome | { result: 'unsubscribed' };

export interface WebhookWorkerOptions {
  connection: Redis;
  subscriptions: SubscriptionsLookup;
  log: Logger;
  metrics: Metrics;
  prefix?: string;
  /** Deliveries at once; default 8. */
  concurrency?: number;
  /** Longest a subscriber may take to answer; default 10 s. */
  timeoutMs?: number;
  now?: () => Date;
}

function deliveryCounter(metrics: Metrics): Counter<'result'> {
  const name = 'midfunnel_webhook_deliveries_total';
  const existing = metrics.registry.getSingleMetric(name);
  if (existing) return existing as Counter<'result'>;
  return new Counter({ name, help: 'Outgoing webhook delivery attempts by result (delivered, retry, rejected, unsubscribed)', labelNames: ['result'], registers: [metrics.registry] });
}

export function makeWebhookProcessor(options: Omit<WebhookWorkerOptions, 'connection' | 'concurrency'>) {
  const counter = deliveryCounter(options.metrics);
  return async (job: Job<WebhookJobData>): Promise<WebhookJobResult> => {
    const parsed = jobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid webhook job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { workspace, subscription, event } = parsed.data;
    const target = options.subscriptions(workspace).find((s) => s.id === subscription);
    if (!target) {
      counter.inc({ result: 'unsubscribed' });
      return { result: 'unsubscribed' };
    }
    const outcome = await deliverWebhook(target, event as WebhookEvent, { ...(options.now ? { now: options.now } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
    counter.inc({ result: outcome.result });
    if (outcome.result === 'delivered') return outcome;
    options.log.warn({ workspace, subscription, event: event.id, status: outcome.status, reason: outcome.reason, attempt: job.attemptsMade + 1 }, 'webhook delivery failed');
    if (outcome.result === 'rejected') throw new UnrecoverableError(outcome.reason);
    throw new Error(outcome.reason);
  };
}

export function createWebhookWorker(options: WebhookWorkerOptions): Worker<WebhookJobData, WebhookJobResult> {
  const worker = new Worker<WebhookJobData, WebhookJobResult>(webhookQueueName(options.prefix ?? 'midfunnel'), makeWebhookProcessor(options), {
    connection: options.connection,
    concurrency: options.concurrency ?? 8,
  });
  worker.on('error', (err) => options.log.error({ err: { name: err.name, message: err.message } }, 'webhook worker error'));
  return worker;
}
