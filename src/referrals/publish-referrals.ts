/**
 * Publishes the referral events of a reconcile run: `referral.converted` for each referral
 * step of the conversion's stored credits, and `referral.joined` for an edge the run made (a
 * personal tracked link). Reads nothing when no subscription of the workspace wants them.
 * Event ids are deterministic, so a re-run publishes nothing new.
 */
import type { ReferralEdge, Store } from '../store/store.js';
import type { SubscriptionsLookup } from '../webhooks/webhook-queue.js';
import type { WebhookEvent } from '../webhooks/webhook-event.js';
import { profileOf } from './record-referral.js';
import { referralConvertedEvents, referralJoinedEvent } from './referral-events.js';

export async function publishReferralEvents(
  deps: { store: Store; webhooks: { publish(events: readonly WebhookEvent[]): Promise<number> }; subscriptions: SubscriptionsLookup },
  workspace: string,
  run: { conversionId: string; newEdge?: ReferralEdge },
): Promise<number> {
  const wanted = new Set(deps.subscriptions(workspace).flatMap((s) => s.events));
  const events: WebhookEvent[] = [];
  if (run.newEdge && wanted.has('referral.joined')) {
    const [inviter, invitee] = await Promise.all([profileOf(deps.store, workspace, run.newEdge.inviter), profileOf(deps.store, workspace, run.newEdge.invitee)]);
    if (inviter !== null && invitee !== null) events.push(referralJoinedEvent(run.newEdge, inviter, invitee));
  }
  if (wanted.has('referral.converted')) {
    const set = await deps.store.credits.get(workspace, run.conversionId);
    if (set) events.push(...referralConvertedEvents(set));
  }
  return events.length > 0 ? deps.webhooks.publish(events) : 0;
}
