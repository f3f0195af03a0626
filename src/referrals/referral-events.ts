/**
 * The referral webhook events: `referral.joined` once per invitation edge (its id is built
 * from the edge's id, so the same invitation is one event however often it is noted), and
 * `referral.converted` once per conversion and referral step, carrying what each model
 * credited to that step.
 */
import type { CreditSet, ReferralEdge } from '../store/store.js';
import { makeEvent, type ReferralConvertedData, type ReferralJoinedData, type WebhookEvent } from '../webhooks/webhook-event.js';

/** `referral.joined` of an edge, with the profile ids the identifiers resolve to now. */
export function referralJoinedEvent(edge: ReferralEdge, inviterProfileId: string, inviteeProfileId: string): WebhookEvent<'referral.joined', ReferralJoinedData> {
  const data: ReferralJoinedData = {
    inviter: { profileId: inviterProfileId },
    invitee: { profileId: inviteeProfileId },
    kind: edge.kind,
    platform: edge.platform,
    group: { id: edge.chatId, ...(edge.chatTitle !== undefined ? { title: edge.chatTitle } : {}) },
    ...(edge.campaign !== undefined ? { campaign: edge.campaign } : {}),
  };
  return makeEvent('referral.joined', edge.workspace, edge.at, data, ['edge', edge.id]);
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** `referral.converted` events of a credit set: one per referral step of its journey. */
export function referralConvertedEvents(set: CreditSet): Array<WebhookEvent<'referral.converted', ReferralConvertedData>> {
  if (!set.profileId) return [];
  const out: Array<WebhookEvent<'referral.converted', ReferralConvertedData>> = [];
  set.touches.forEach((t, i) => {
    if (t.kind !== 'referral' || t.referrer === undefined) return;
    const credited: Record<string, number> = {};
    for (const [model, c] of Object.entries(set.models)) if (c) credited[model] = round(c.value[i] ?? 0);
    const data: ReferralConvertedData = {
      inviter: { profileId: t.referrer },
      invitee: { profileId: set.profileId as string },
      conversion: { id: set.conversionId, occurredAt: set.conversionAt, value: set.value, currency: set.currency },
      credited,
    };
    out.push(makeEvent('referral.converted', set.workspace, set.conversionAt, data, [set.conversionId, t.touchId]));
  });
  return out;
}
