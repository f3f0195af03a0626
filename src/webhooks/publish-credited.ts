/**
 * Publishes `conversion.credited` for conversions whose credits were (re)written, when the
 * workspace has a subscription that wants it; otherwise it reads nothing. An event whose
 * credits did not change has the id it had, so its delivery is not repeated.
 */
import type { Store } from '../store/store.js';
import { conversionCreditedEvent } from './credited-event.js';
import type { SubscriptionsLookup, WebhookQueue } from './webhook-queue.js';

export async function publishCredited(
  deps: { store: Store; webhooks: Pick<WebhookQueue, 'publish'>; subscriptions: SubscriptionsLookup },
  workspace: string,
  conversionIds: readonly string[],
): Promise<number> {
  if (!deps.subscriptions(workspace).some((s) => s.events.includes('conversion.credited'))) return 0;
  const events = [];
  for (const id of conversionIds) {
    const set = await deps.store.credits.get(workspace, id);
    if (set) events.push(conversionCreditedEvent(set));
  }
  return events.length > 0 ? deps.webhooks.publish(events) : 0;
}
