/**
 * Outgoing webhooks (one public entry): signed events for integrators, delivered through a
 * BullMQ queue with retries (`workers/webhook.worker.ts`).
 */
export { WEBHOOK_EVENT_TYPES, makeEvent, webhookEventSchema, type ConversionCreditedData, type ReferralConvertedData, type ReferralJoinedData, type WebhookEvent, type WebhookEventType } from './webhook-event.js';
export { conversionCreditedEvent } from './credited-event.js';
export { deliverWebhook, DELIVERY_TIMEOUT_MS, type DeliveryOutcome, type DeliveryTarget } from './deliver-webhook.js';
export { WebhookQueue, type SubscriptionsLookup, type WebhookJobData, type WebhookSubscription } from './webhook-queue.js';
export { publishCredited } from './publish-credited.js';
