/**
 * One member's journey: their touches (the most recent 500) and their conversions with the
 * rule that matched each. The member is a profile id, a Telegram user id, or `@username`
 * (the most recently active profile that used it). Referral chains: who brought them into each
 * group and whom they brought (both named as the journey names people).
 */
import { identityLines } from '../identity/link-evidence.js';
import { identifierKey, type Identifier } from '../identity/identifier.js';
import { everyConversion } from '../reconcile/read-pages.js';
import { allTouches } from '../store/paging.js';
import type { Profile, ReferralEdge, Store } from '../store/store.js';
import { touchCampaign, touchKeywords } from '../touch-event.js';
import { memberLabel } from './report-labels.js';
import type { JourneyReferral, JourneyReport } from './report-types.js';

/** Touches listed per journey (the most recent ones). */
export const JOURNEY_TOUCH_LIMIT = 500;

async function byUsername(store: Store, workspace: string, name: string): Promise<Profile | null> {
  const found = await store.profiles.findByUsername(workspace, name.replace(/^@/, '').toLowerCase());
  found.sort((a, b) => ((b.stats.lastActiveAt ?? '') < (a.stats.lastActiveAt ?? '') ? -1 : (b.stats.lastActiveAt ?? '') > (a.stats.lastActiveAt ?? '') ? 1 : 0));
  return found[0] ?? null;
}

/** The profile a member reference names, or null. */
export async function findMember(store: Store, workspace: string, member: string): Promise<Profile | null> {
  const m = member.trim();
  if (m === '') return null;
  if (m.startsWith('@')) return byUsername(store, workspace, m);
  if (/^\d{1,20}$/.test(m)) {
    const id = { type: 'tg_id' as const, value: m };
    const owner = (await store.identities.find(workspace, [id])).get(identifierKey(id));
    if (owner) return store.profiles.get(workspace, owner);
  }
  return (await store.profiles.get(workspace, m)) ?? (/^[A-Za-z0-9_]{4,32}$/.test(m) ? byUsername(store, workspace, m) : null);
}

export async function journeyReport(store: Store, workspace: string, member: string): Promise<JourneyReport | null> {
  const profile = await findMember(store, workspace, member);
  if (!profile) return null;
  const touches: JourneyReport['touches'] = [];
  for await (const t of allTouches(store, workspace, { profileId: profile.id })) {
    const row: JourneyReport['touches'][number] = { at: t.occurredAt, kind: t.kind, platform: t.platform, chatId: t.chat.id };
    if (t.chat.title !== undefined) row.chatTitle = t.chat.title;
    const c = touchCampaign(t);
    if (c !== undefined) row.campaign = c;
    const keywords = touchKeywords(t);
    if (keywords.length > 0) row.keywords = [...keywords];
    touches.push(row);
  }
  const conversions: JourneyReport['conversions'] = [];
  for await (const c of everyConversion(store, workspace, { profileId: profile.id })) {
    conversions.push({ id: c.id, at: c.occurredAt, value: c.value, currency: c.currency, rule: c.match?.rule ?? 'unattributed' });
  }
  const omitted = Math.max(0, touches.length - JOURNEY_TOUCH_LIMIT);
  const report: JourneyReport = {
    workspace,
    profileId: profile.id,
    usernames: profile.usernames,
    firstSeenAt: profile.stats.firstSeenAt,
    touches: touches.slice(omitted),
    conversions,
  };
  if (omitted > 0) report.touchesOmitted = omitted;
  const referrals = await journeyReferrals(store, workspace, profile.id);
  if (referrals.invitedBy.length > 0 || referrals.invited.length > 0) report.referrals = referrals;
  const identifiers = await store.identities.ofProfile(workspace, profile.id);
  report.identities = identityLines(identifiers, identifiers.length > 0 ? await store.identityEvidence.ofIdentifiers(workspace, identifiers) : []);
  return report;
}

/** Who brought the person (into each group) and whom they brought, named as the journey names people. */
async function journeyReferrals(store: Store, workspace: string, profileId: string): Promise<{ invitedBy: JourneyReferral[]; invited: JourneyReferral[] }> {
  const ids = await store.identities.ofProfile(workspace, profileId);
  if (ids.length === 0) return { invitedBy: [], invited: [] };
  const [inbound, outbound] = await Promise.all([store.referrals.ofInvitees(workspace, ids), store.referrals.ofInviters(workspace, ids)]);
  const others = [...inbound.map((e) => e.inviter), ...outbound.map((e) => e.invitee)];
  const owners = others.length > 0 ? await store.identities.find(workspace, others) : new Map<string, string>();
  const labels = new Map<string, string>();
  const ref = async (e: ReferralEdge, other: Identifier): Promise<JourneyReferral> => {
    const pid = owners.get(identifierKey(other)) ?? null;
    let label = pid === null ? (other.type === 'tg_id' ? `member …${other.value.slice(-4)}` : 'member (not seen yet)') : labels.get(pid);
    if (label === undefined && pid !== null) {
      const p = await store.profiles.get(workspace, pid);
      label = memberLabel({ profileId: pid, usernames: p?.usernames ?? [] });
      labels.set(pid, label);
    }
    return { profileId: pid, label: label ?? '', kind: e.kind, at: e.at, chatId: e.chatId, ...(e.chatTitle !== undefined ? { chatTitle: e.chatTitle } : {}), leftAt: e.leftAt };
  };
  const invitedBy: JourneyReferral[] = [];
  for (const e of inbound) invitedBy.push(await ref(e, e.inviter));
  const invited: JourneyReferral[] = [];
  for (const e of outbound) invited.push(await ref(e, e.invitee));
  return { invitedBy, invited };
}
