/**
 * A `tracked_link` edge: a member shared their personal tracked link (`/l/<code>/<token>`),
 * someone else clicked it and bought (the conversion carries the click id and the buyer's own
 * identifiers). The edge is the buyer's invitation by the member, at the click's time, in the
 * link's group (or `link:<code>` for a link without one), with the link's campaign.
 */
import { type Identifier } from '../identity/identifier.js';
import type { ReferralEdge, Store } from '../store/store.js';
import { referralEdgeId } from '../store/referrals/referral-rules.js';
import { touchCampaign, type TouchEvent } from '../touch-event.js';

const PREFERRED: ReadonlyArray<Identifier['type']> = ['tg_id', 'wa_id', 'phone', 'email', 'external_id'];

/** The identifier edges name a profile's person by: their platform id first. */
export async function personIdentifier(store: Store, workspace: string, profileId: string): Promise<Identifier | null> {
  const ids = await store.identities.ofProfile(workspace, profileId);
  for (const type of PREFERRED) {
    const found = ids.find((i) => i.type === type);
    if (found) return found;
  }
  return null;
}

/** Stores the edge (first invitation wins); returns it when it is new. */
export async function trackedLinkEdge(
  store: Store,
  workspace: string,
  o: { inviterProfileId: string; inviteeProfileId: string; click: TouchEvent; conversionId: string },
): Promise<ReferralEdge | null> {
  const [inviter, invitee] = await Promise.all([personIdentifier(store, workspace, o.inviterProfileId), personIdentifier(store, workspace, o.inviteeProfileId)]);
  if (!inviter || !invitee) return null;
  const campaign = touchCampaign(o.click);
  const edge: ReferralEdge = {
    workspace,
    id: referralEdgeId('web', o.click.chat.id, invitee),
    platform: 'web',
    chatId: o.click.chat.id,
    ...(o.click.chat.title !== undefined ? { chatTitle: o.click.chat.title } : {}),
    inviter,
    invitee,
    kind: 'tracked_link',
    at: new Date(Date.parse(o.click.occurredAt)).toISOString(),
    ...(campaign !== undefined ? { campaign } : {}),
    source: `conversion:${o.conversionId}`,
    leftAt: null,
  };
  const r = await store.referrals.add(workspace, edge);
  return r === 'kept' ? null : edge;
}
