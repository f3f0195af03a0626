/**
 * Reading keyword lift and hints from the counters: lift from the people's facts the rollup
 * keeps (`store.counters`), hints from the model comparison, the funnel by group, the lift
 * and (through a provider) the campaign report's ROAS.
 */
import { compareModels } from '../reports/attribution-report.js';
import { funnelReport } from '../reports/funnel-report.js';
import type { Period } from '../reports/period.js';
import type { ModelComparison } from '../reports/report-types.js';
import type { PersonFacts, Store } from '../store/store.js';
import { buildHints, type ShareRow } from './hints.js';
import { keywordLift, liftPeople, type LiftOptions } from './keyword-lift.js';
import type { CampaignRoasProvider, HintsReport, LiftReport } from './optimize-types.js';

/** People's facts read per page. */
const PAGE = 1_000;

/** Every stored person's facts of a workspace, a page at a time. */
export async function* everyPersonFacts(store: Store, workspace: string): AsyncGenerator<PersonFacts[]> {
  let afterId: string | undefined;
  for (;;) {
    const ids = await store.counters.personIds(workspace, { limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
    if (ids.length > 0) yield await store.counters.people(workspace, ids);
    const last = ids[ids.length - 1];
    if (ids.length < PAGE || last === undefined) return;
    afterId = last;
  }
}

/** Keyword lift of the first mentions in `period` (see `keyword-lift.ts`). */
export async function readKeywordLift(store: Store, workspace: string, timeZone: string, period: Period, options: Partial<Omit<LiftOptions, 'from' | 'to' | 'timeZone'>> = {}): Promise<LiftReport> {
  const facts: PersonFacts[] = [];
  let withMentions = 0;
  for await (const page of everyPersonFacts(store, workspace)) {
    for (const f of page) {
      facts.push(f);
      if (f.keywords !== undefined && f.keywords.length > 0) withMentions++;
    }
  }
  const windowDays = options.windowDays ?? 30;
  const minGroup = options.minGroup ?? 30;
  const result = keywordLift(liftPeople(facts), { ...options, from: period.from, to: period.to, timeZone, windowDays, minGroup });
  const notes: string[] = [];
  if (withMentions === 0) notes.push('no keyword mentions in the people’s facts yet (facts built before keywords were kept get them at the next full rollup)');
  if (result.tooFew.length > 0) notes.push(`${result.tooFew.length} keyword(s) left out: fewer than ${minGroup} people in a group`);
  if (Date.parse(period.to) > Date.now() - windowDays * 86_400_000) notes.push(`mentions of the last ${windowDays} days have not had their full ${windowDays} days to convert yet (both groups alike)`);
  return { workspace, period, windowDays, minGroup, rows: result.rows, tooFew: result.tooFew, ...(notes.length > 0 ? { notes } : {}) };
}

function sharesOf(c: ModelComparison): ShareRow[] {
  return c.rows.map((r) => ({ key: r.key, label: r.label, markov: r.byModel.markov?.conversions ?? 0, lastTouch: r.byModel.last_touch?.conversions ?? 0 }));
}

/** The hints of a period (see `hints.ts`); `roas` adds the campaign ROAS rule. */
export async function readHints(store: Store, workspace: string, timeZone: string, period: Period, roas?: CampaignRoasProvider): Promise<HintsReport> {
  const [groups, campaigns, funnel, lift, roasRows] = await Promise.all([
    compareModels(store, workspace, timeZone, { period, by: 'group' }),
    compareModels(store, workspace, timeZone, { period, by: 'campaign' }),
    funnelReport(store, workspace, timeZone, { period, by: 'group' }),
    readKeywordLift(store, workspace, timeZone, period),
    roas ? roas(workspace, period) : Promise.resolve(undefined),
  ]);
  const conversions = groups.totals.matched;
  const hints = buildHints({
    conversions,
    groupShares: sharesOf(groups),
    campaignShares: sharesOf(campaigns),
    ...(roasRows ? { roas: roasRows } : {}),
    lift: lift.rows,
    groups: funnel.rows.map((r) => ({ key: r.key, label: r.label, joined: r.joined, engaged: r.engaged, clicked: r.clicked })),
  });
  const notes: string[] = [];
  if (conversions < 30) notes.push(`${conversions} matched conversions in the period: hints need at least 30`);
  if (!roas) notes.push('campaign ROAS is not available here: the ROAS rule was skipped');
  const missing = groups.notes?.find((n) => /markov|data-driven/i.test(n));
  if (missing) notes.push(missing);
  return { workspace, period, conversions, hints, ...(notes.length > 0 ? { notes } : {}) };
}
