/**
 * Edges from the touches the profile worker recorded (called after a touch is stored, from
 * the workers role; never on a connector's path):
 * - a join through a member's personal invite link (`/myinvite`) → `personal_link`;
 * - a Telegram join where someone else added the member → `added_by` (not when the adder
 *   administers the group, unless the workspace's `referralCountAdminAdds` says so);
 * - a WhatsApp `add` notification (its author added the recipients) → `whatsapp_add`;
 * - a leave of an invitee → the edge's `leftAt` (an invitee who leaves within
 *   `referralMinDays` of joining does not count).
 * A new edge publishes `referral.joined`; an edge that changed re-reconciles the invitee's
 * conversions, so the referral step of their journeys appears or goes (a fast leave takes
 * the inviter's credit back). Everything here is idempotent: a re-delivered touch changes
 * nothing.
 */
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { Logger } from '../logger.js';
import { allTouches } from '../store/paging.js';
import type { ReferralEdge, ReferralKind, Store } from '../store/store.js';
import { referralEdgeId } from '../store/referrals/referral-rules.js';
import { touchCampaign, type TouchEvent } from '../touch-event.js';
import type { WebhookEvent } from '../webhooks/webhook-event.js';
import { referralJoinedEvent } from './referral-events.js';

/** Default of `referralMinDays`. */
export const DEFAULT_REFERRAL_MIN_DAYS = 3;

export interface ReferralSettings {
  referralMinDays?: number;
  referralCountAdminAdds?: boolean;
}

export interface ReferralDeps {
  store: Store;
  settings: (workspace: string) => ReferralSettings | undefined;
  /** Publishes webhook events (`WebhookQueue.publish`); absent: none are published. */
  publish?: (events: readonly WebhookEvent[]) => Promise<unknown>;
  /** Queues conversions to reconcile again (`ReconcileQueue.enqueue`); absent: none are. */
  reconcile?: (workspace: string, conversionIds: readonly string[], cause: string) => Promise<void>;
  log?: Logger;
}

/** What noting a touch did. */
export type ReferralNote = { edge: 'inserted' | 'replaced' | 'kept' | 'left' | 'none'; edgeId?: string };

/** The platform identifier of a touch's actor (Telegram id in clear, WhatsApp id hashed). */
export function actorIdentifier(t: Pick<TouchEvent, 'platform' | 'actor'>): Identifier | null {
  const id = t.actor.userId;
  if (id === undefined) return null;
  if (t.platform === 'telegram') return { type: 'tg_id', value: id };
  if (t.platform === 'whatsapp') return { type: 'wa_id', value: id };
  return null;
}

/** Whether an edge counts for its inviter: the invitee did not leave within `minDays` of joining. */
export function edgeCounts(edge: Pick<ReferralEdge, 'at' | 'leftAt'>, minDays: number): boolean {
  return edge.leftAt === null || Date.parse(edge.leftAt) - Date.parse(edge.at) >= minDays * 86_400_000;
}

/** The profile owning an identifier now, or null. */
export async function profileOf(store: Store, workspace: string, who: Identifier): Promise<string | null> {
  return (await store.identities.find(workspace, [who])).get(identifierKey(who)) ?? null;
}

/** The campaign that brought the inviter into the group: their latest join there with a campaign, at or before `at`. */
async function inviterCampaign(store: Store, workspace: string, inviter: Identifier, chatId: string, at: string): Promise<string | undefined> {
  const profileId = await profileOf(store, workspace, inviter);
  if (profileId === null) return undefined;
  let found: string | undefined;
  for await (const j of allTouches(store, workspace, { profileId, chatId, kinds: ['join'], to: new Date(Date.parse(at) + 1).toISOString() })) {
    const c = touchCampaign(j);
    if (c !== undefined) found = c;
  }
  return found;
}

/** The invitee's first leave of the group after joining, when it arrived before the join did. */
async function firstLeaveAfter(store: Store, workspace: string, invitee: Identifier, chatId: string, at: string): Promise<string | null> {
  const profileId = await profileOf(store, workspace, invitee);
  if (profileId === null) return null;
  for await (const t of allTouches(store, workspace, { profileId, chatId, kinds: ['leave'], from: at, limit: 1 })) return new Date(Date.parse(t.occurredAt)).toISOString();
  return null;
}

/** The edge a join touch makes, if any (before its campaign is looked up). */
async function edgeOfJoin(deps: ReferralDeps, touch: Extract<TouchEvent, { kind: 'join' }>, invitee: Identifier): Promise<{ kind: ReferralKind; inviter: Identifier } | null> {
  const { store } = deps;
  const platform = touch.platform;
  if (platform !== 'telegram' && platform !== 'whatsapp') return null;
  const d = touch.details;
  if (d.inviteLink !== undefined) {
    const link = await store.referrals.linkByUrl(touch.workspace, platform, d.inviteLink);
    if (link && link.chatId === touch.chat.id && identifierKey(link.member) !== identifierKey(invitee)) return { kind: 'personal_link', inviter: link.member };
    return null;
  }
  if (d.via !== 'added' || d.addedBy === undefined || d.addedBy === touch.actor.userId) return null;
  if (d.addedByAdmin === true && deps.settings(touch.workspace)?.referralCountAdminAdds !== true) return null;
  return platform === 'telegram' ? { kind: 'added_by', inviter: { type: 'tg_id', value: d.addedBy } } : { kind: 'whatsapp_add', inviter: { type: 'wa_id', value: d.addedBy } };
}

/** Stores an edge; a new or earlier one publishes `referral.joined` and re-reconciles the invitee's conversions. */
export async function storeEdge(deps: ReferralDeps, edge: ReferralEdge): Promise<ReferralNote> {
  const result = await deps.store.referrals.add(edge.workspace, edge);
  if (result === 'kept') return { edge: 'kept', edgeId: edge.id };
  const [inviter, invitee] = await Promise.all([profileOf(deps.store, edge.workspace, edge.inviter), profileOf(deps.store, edge.workspace, edge.invitee)]);
  if (deps.publish && inviter !== null && invitee !== null) await deps.publish([referralJoinedEvent(edge, inviter, invitee)]);
  await reconcileInvitee(deps, edge.workspace, invitee, 'referral edge');
  return { edge: result, edgeId: edge.id };
}

/** Queues the conversions matched to the invitee again (their referral steps changed). */
async function reconcileInvitee(deps: ReferralDeps, workspace: string, profileId: string | null, cause: string): Promise<void> {
  if (!deps.reconcile || profileId === null) return;
  const profile = await deps.store.profiles.get(workspace, profileId);
  if (!profile || profile.hasConversions === false) return;
  const ids = (await deps.store.conversions.list(workspace, { profileId })).map((c) => c.id);
  if (ids.length > 0) await deps.reconcile(workspace, ids, cause);
}

/** Notes a recorded touch (see the header). */
export async function noteReferralTouch(deps: ReferralDeps, touch: TouchEvent): Promise<ReferralNote> {
  const invitee = actorIdentifier(touch);
  if (invitee === null || (touch.platform !== 'telegram' && touch.platform !== 'whatsapp')) return { edge: 'none' };
  const ws = touch.workspace;
  if (touch.kind === 'leave') {
    const before = (await deps.store.referrals.ofInvitees(ws, [invitee])).find((e) => e.platform === touch.platform && e.chatId === touch.chat.id);
    if (!before) return { edge: 'none' };
    const after = await deps.store.referrals.markLeft(ws, touch.platform, touch.chat.id, invitee, touch.occurredAt);
    if (after && after.leftAt !== before.leftAt) {
      await reconcileInvitee(deps, ws, await profileOf(deps.store, ws, invitee), 'referral leave');
      return { edge: 'left', edgeId: after.id };
    }
    return { edge: 'kept', edgeId: before.id };
  }
  if (touch.kind !== 'join') return { edge: 'none' };
  const found = await edgeOfJoin(deps, touch, invitee);
  if (!found) return { edge: 'none' };
  const campaign = await inviterCampaign(deps.store, ws, found.inviter, touch.chat.id, touch.occurredAt);
  const leftAt = await firstLeaveAfter(deps.store, ws, invitee, touch.chat.id, touch.occurredAt);
  const edge: ReferralEdge = {
    workspace: ws,
    id: referralEdgeId(touch.platform, touch.chat.id, invitee),
    platform: touch.platform,
    chatId: touch.chat.id,
    ...(touch.chat.title !== undefined ? { chatTitle: touch.chat.title } : {}),
    inviter: found.inviter,
    invitee,
    kind: found.kind,
    at: new Date(Date.parse(touch.occurredAt)).toISOString(),
    ...(campaign !== undefined ? { campaign } : {}),
    source: touch.id,
    leftAt,
  };
  return storeEdge(deps, edge);
}
