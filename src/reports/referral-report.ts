/**
 * The referral leaderboard (`/referrals`, `GET /v1/reports/referrals`): inviters ranked by the
 * revenue of the people they brought, for the invitations made in a period (the cohort: edges
 * whose join is in the period, of one group or all).
 *
 * Per inviter (a profile; an inviter nobody has a profile for yet is keyed by their identifier):
 * - `joined`: invitations of the cohort; `invitees`: those that count (the invitee did not leave
 *   within `referralMinDays`); `stillInDay7`: counted invitees who did not leave within 7 days;
 *   `engaged`: counted invitees who wrote in that group after joining; `converted`: counted
 *   invitees with a matched conversion after joining, before the period's end;
 * - `revenue`: for each counted invitation, the invitee's conversions matched after the join and
 *   before the period's end, each with the whole value its credits hold under the model (the sum
 *   over every step of its journey: the conversion's value when the model credited it, 0 when it
 *   did not, e.g. Markov before the month's first fit). An invitee brought into two groups by two
 *   inviters counts for both;
 * - `referralCredit`: the part of that value the model credited to this inviter's referral steps
 *   in the period (counters, `by=referrer`);
 * - `secondDegree`: the counted invitees (any time before the period's end, any group) of this
 *   inviter's counted invitees of the cohort.
 * Then k-factor per campaign (counted invitees whose invitation carries the campaign, per distinct
 * person who joined through it in the period) and the shares of joins (distinct people brought
 * by a counted invitation / distinct people who joined) and of revenue (value credited to referral
 * steps / value of every conversion of the period) that came through referrals.
 *
 * It reads the edges, the invitees' conversions and credit sets (indexed by person) and the
 * counters; never the workspace's touches at large.
 */
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { ModelName } from '../attribution/index.js';
import { allTouches } from '../store/paging.js';
import type { ReferralEdge, Store } from '../store/store.js';
import { attributionReport, checkModel, NONE_KEY, round } from './attribution-report.js';
import { funnelReport } from './funnel-report.js';
import type { Period } from './period.js';
import { memberLabel } from './report-labels.js';
import type { ReferralReport, ReferralRow } from './report-types.js';

const DAY_MS = 86_400_000;

export interface ReferralReportOptions {
  period: Period;
  model?: string;
  chatId?: string;
  /** `referralMinDays` of the workspace; default 3. */
  minDays?: number;
}

const counts = (e: ReferralEdge, minDays: number): boolean => e.leftAt === null || Date.parse(e.leftAt) - Date.parse(e.at) >= minDays * DAY_MS;

/** Computes the leaderboard (see the header). */
export async function referralReport(store: Store, workspace: string, timeZone: string, options: ReferralReportOptions): Promise<ReferralReport> {
  const { period } = options;
  const model = checkModel(options.model ?? 'linear') as ModelName;
  const minDays = options.minDays ?? 3;
  const all = await store.referrals.list(workspace, { to: period.to });
  const from = Date.parse(period.from);
  const cohort = all.filter((e) => Date.parse(e.at) >= from && (options.chatId === undefined || e.chatId === options.chatId));

  // Who the identifiers are now (one read for every edge).
  const ids = new Map<string, Identifier>();
  for (const e of all) {
    ids.set(identifierKey(e.inviter), e.inviter);
    ids.set(identifierKey(e.invitee), e.invitee);
  }
  const owners = ids.size > 0 ? await store.identities.find(workspace, [...ids.values()]) : new Map<string, string>();
  const personOf = (i: Identifier): string => owners.get(identifierKey(i)) ?? identifierKey(i);

  // Counted invitees per inviter over every edge before the period's end (for the second degree).
  const brought = new Map<string, number>();
  for (const e of all) if (counts(e, minDays)) brought.set(personOf(e.inviter), (brought.get(personOf(e.inviter)) ?? 0) + 1);

  const [byReferrer, funnel] = await Promise.all([
    attributionReport(store, workspace, timeZone, { period, by: 'referrer', model }),
    funnelReport(store, workspace, timeZone, { period, by: 'campaign' }),
  ]);
  const creditOf = new Map(byReferrer.rows.map((r) => [r.key, r.credited.value]));

  const conversionsCache = new Map<string, Array<{ at: number; value: number }>>();
  const conversionsOf = async (profileId: string): Promise<Array<{ at: number; value: number }>> => {
    const hit = conversionsCache.get(profileId);
    if (hit) return hit;
    const list = (await store.conversions.list(workspace, { profileId, to: period.to })).filter((c) => c.status === 'matched');
    const sets = new Map((await store.credits.getMany(workspace, list.map((c) => c.id))).map((s) => [s.conversionId, s]));
    const out = list.map((c) => {
      const credit = sets.get(c.id)?.models[model];
      return { at: Date.parse(c.occurredAt), value: credit ? credit.value.reduce((s, v) => s + v, 0) : 0 };
    });
    conversionsCache.set(profileId, out);
    return out;
  };

  const rows = new Map<string, ReferralRow & { profileId: string | null }>();
  for (const e of cohort) {
    const inviter = personOf(e.inviter);
    const invitee = personOf(e.invitee);
    if (inviter === invitee) continue;
    let row = rows.get(inviter);
    if (!row) {
      row = { key: inviter, label: inviter, profileId: owners.get(identifierKey(e.inviter)) ?? null, joined: 0, invitees: 0, stillInDay7: 0, engaged: 0, converted: 0, revenue: 0, referralCredit: creditOf.get(inviter) ?? 0, secondDegree: 0, byKind: {} };
      rows.set(inviter, row);
    }
    row.joined++;
    if (!counts(e, minDays)) continue;
    row.invitees++;
    row.byKind[e.kind] = (row.byKind[e.kind] ?? 0) + 1;
    if (counts(e, 7)) row.stillInDay7++;
    row.secondDegree += brought.get(invitee) ?? 0;
    const inviteeProfile = owners.get(identifierKey(e.invitee));
    if (inviteeProfile === undefined) continue;
    const joinedAt = Date.parse(e.at);
    for await (const _ of allTouches(store, workspace, { profileId: inviteeProfile, chatId: e.chatId, kinds: ['message'], from: e.at, limit: 1 })) {
      row.engaged++;
      break;
    }
    const after = (await conversionsOf(inviteeProfile)).filter((c) => c.at >= joinedAt);
    if (after.length > 0) row.converted++;
    row.revenue += after.reduce((s, c) => s + c.value, 0);
  }

  // Labels as /journey shows people: @usernames, else a short masked id.
  for (const row of rows.values()) {
    const p = row.profileId ? await store.profiles.get(workspace, row.profileId) : null;
    row.label = p ? memberLabel({ profileId: p.id, usernames: p.usernames }) : row.key.startsWith('tg_id:') ? `member …${row.key.slice(-4)}` : 'member (not seen yet)';
  }
  const sorted = [...rows.values()]
    .map(({ profileId: _p, ...r }) => ({ ...r, revenue: round(r.revenue), referralCredit: round(r.referralCredit) }))
    .sort((a, b) => b.revenue - a.revenue || b.invitees - a.invitees || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // k-factor per campaign: counted invitations carrying it, per distinct person who joined through it.
  const invitedBy = new Map<string | null, number>();
  const referred = new Set<string>();
  for (const e of cohort) {
    if (!counts(e, minDays)) continue;
    referred.add(personOf(e.invitee));
    invitedBy.set(e.campaign ?? null, (invitedBy.get(e.campaign ?? null) ?? 0) + 1);
  }
  const members = new Map<string | null, number>();
  for (const r of funnel.rows) if (r.key !== 'all') members.set(r.key === NONE_KEY ? null : r.key, r.joined);
  const campaigns = [...new Set([...members.keys(), ...invitedBy.keys()])];
  const kFactor = campaigns
    .map((campaign) => {
      const m = members.get(campaign) ?? 0;
      const inv = invitedBy.get(campaign) ?? 0;
      return { campaign, members: m, invitees: inv, kFactor: m > 0 ? round(inv / m) : null };
    })
    .sort((a, b) => (b.kFactor ?? -1) - (a.kFactor ?? -1) || b.invitees - a.invitees || String(a.campaign).localeCompare(String(b.campaign)));

  const joined = funnel.rows.find((r) => r.key === 'all')?.joined ?? 0;
  const referralValue = round(byReferrer.rows.filter((r) => r.key !== NONE_KEY).reduce((s, r) => s + r.credited.value, 0));
  const value = byReferrer.totals.value;
  const notes = [...(byReferrer.notes ?? [])];
  return {
    workspace,
    period,
    model,
    minDays,
    ...(options.chatId !== undefined ? { chatId: options.chatId } : {}),
    rows: sorted,
    kFactor,
    shares: { joined, referredJoined: referred.size, joinShare: joined > 0 ? round(referred.size / joined) : 0, value, referralValue, revenueShare: value > 0 ? round(referralValue / value) : 0 },
    totals: byReferrer.totals,
    currencies: byReferrer.currencies,
    notes,
  };
}
