/**
 * One delivery attempt of an event to a subscriber: a signed JSON POST, answered within a
 * time limit. Signed like the incoming conversion webhook: `X-Midfunnel-Signature:
 * t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the subscription's secret;
 * the event id rides in `X-Midfunnel-Event-Id` (receivers dedupe on it) and its type in
 * `X-Midfunnel-Event`.
 *
 * Outcomes: any 2xx is `delivered`; 408, 429, 5xx, a timeout or a network failure is `retry`
 * (the queue backs off and tries again); any other 4xx is `rejected` (the endpoint refuses
 * this event: retrying the same request cannot help, so it is kept as failed for inspection).
 */
import { signBody } from '../conversions/verify-signature.js';
import type { WebhookEvent } from './webhook-event.js';

/** Longest a subscriber may take to answer; default 10 s. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface DeliveryTarget {
  url: string;
  secret: string;
}

export type DeliveryOutcome =
  | { result: 'delivered'; status: number; ms: number }
  | { result: 'retry'; status: number | null; ms: number; reason: string }
  | { result: 'rejected'; status: number; ms: number; reason: string };

export async function deliverWebhook(
  target: DeliveryTarget,
  event: WebhookEvent,
  options: { now?: () => Date; timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<DeliveryOutcome> {
  const body = JSON.stringify(event);
  const unix = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'midfunnel-webhooks/1',
        'x-midfunnel-signature': signBody(target.secret, body, unix),
        'x-midfunnel-event': event.type,
        'x-midfunnel-event-id': event.id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? DELIVERY_TIMEOUT_MS),
    });
    // The answer's body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${(options.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s` : (e.cause?.code ?? e.message ?? String(err));
    return { result: 'retry', status: null, ms: ms(), reason: why };
  }
  if (res.status >= 200 && res.status < 300) return { result: 'delivered', status: res.status, ms: ms() };
  if (res.status === 408 || res.status === 429 || res.status >= 500) return { result: 'retry', status: res.status, ms: ms(), reason: `HTTP ${res.status}` };
  return { result: 'rejected', status: res.status, ms: ms(), reason: `HTTP ${res.status}: the endpoint refused the event` };
}
