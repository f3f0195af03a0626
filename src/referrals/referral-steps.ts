/**
 * Referral as a touch: each counted invitation of a person becomes a step of their journey
 * (`kind: 'referral'`, channel `<platform>/<group>/referral`), so every model can credit it and
 * reports `by=referrer` add it up per inviter. The step is at the invitation's time (the join),
 * just before the join itself, and carries the invitation's campaign (see the README, "Referral
 * chains"). Only invitations inside the journey's window count, as touches do, and only those
 * that count for the inviter (the invitee did not leave within `referralMinDays`).
 */
import { identifierKey } from '../identity/identifier.js';
import { channelOf } from '../reconcile/assemble-journey.js';
import type { CreditedTouch, ReferralEdge, Store } from '../store/store.js';
import { edgeCounts } from './record-referral.js';

/** The touch id of an edge's step. */
export const referralTouchId = (edge: Pick<ReferralEdge, 'id'>): string => `referral:${edge.id}`;

/** The referral steps of a person's journey in `[from, to)`. */
export async function referralSteps(store: Store, workspace: string, profileId: string, window: { from: number; to: number; minDays: number }): Promise<CreditedTouch[]> {
  const identifiers = (await store.identities.ofProfile(workspace, profileId)).filter((i) => i.type === 'tg_id' || i.type === 'wa_id' || i.type === 'phone' || i.type === 'email' || i.type === 'external_id');
  if (identifiers.length === 0) return [];
  const edges = (await store.referrals.ofInvitees(workspace, identifiers)).filter((e) => {
    const at = Date.parse(e.at);
    return at >= window.from && at < window.to && edgeCounts(e, window.minDays);
  });
  if (edges.length === 0) return [];
  const owners = await store.identities.find(workspace, edges.map((e) => e.inviter));
  const steps: CreditedTouch[] = [];
  for (const e of edges) {
    const referrer = owners.get(identifierKey(e.inviter)) ?? identifierKey(e.inviter);
    // A person merged with their own inviter did not invite themselves.
    if (referrer === profileId) continue;
    const step: CreditedTouch = {
      touchId: referralTouchId(e),
      at: new Date(Date.parse(e.at)).toISOString(),
      kind: 'referral',
      platform: e.platform,
      chatId: e.chatId,
      channel: channelOf({ platform: e.platform, chatId: e.chatId, kind: 'referral' }),
      referrer,
    };
    if (e.chatTitle !== undefined) step.chatTitle = e.chatTitle;
    if (e.campaign !== undefined) step.campaign = e.campaign;
    steps.push(step);
  }
  return steps;
}

/** The journey with the referral steps in time order: a step goes before every step of the same instant (the join it explains). */
export function withReferralSteps(journey: readonly CreditedTouch[], steps: readonly CreditedTouch[]): CreditedTouch[] {
  if (steps.length === 0) return [...journey];
  const out = [...journey];
  for (const s of [...steps].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.touchId < b.touchId ? -1 : 1))) {
    const at = Date.parse(s.at);
    let i = out.findIndex((t) => Date.parse(t.at) > at || (Date.parse(t.at) === at && t.kind !== 'referral'));
    if (i < 0) i = out.length;
    out.splice(i, 0, s);
  }
  return out;
}
