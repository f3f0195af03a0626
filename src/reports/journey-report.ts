/**
 * One member's journey: their touches (the most recent 500) and their conversions with the
 * rule that matched each. The member is a profile id, a Telegram user id, or `@username`
 * (the most recently active profile that used it).
 */
import { identityLines } from '../identity/link-evidence.js';
import { identifierKey } from '../identity/identifier.js';
import { everyConversion } from '../reconcile/read-pages.js';
import { allTouches } from '../store/paging.js';
import type { Profile, Store } from '../store/store.js';
import { touchCampaign, touchKeywords } from '../touch-event.js';
import type { JourneyReport } from './report-types.js';

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
  const identifiers = await store.identities.ofProfile(workspace, profile.id);
  report.identities = identityLines(identifiers, identifiers.length > 0 ? await store.identityEvidence.ofIdentifiers(workspace, identifiers) : []);
  return report;
}
