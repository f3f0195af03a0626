/**
 * Campaign cards, cohorts and paths at scale: 1,000,000 touches and 100,000 conversions (about
 * 90,000 credited under the five rule models) over 180 days, in the in-memory store, Asia/Shanghai,
 * with spend entered for every campaign and day. Each report is read from the counters (after a
 * full rollup build) and timed beside the same figures computed by streaming the raw rows of the
 * run (touches of the period and after it, credit sets of the period), in the same run; a few
 * figures are checked equal first.
 *
 * Runs in a child process with an 8 GB heap: `npx tsx bench/campaigns.ts`, or `npm run bench campaigns`.
 * `BENCH_CAMPAIGN_TOUCHES` / `BENCH_CAMPAIGN_CONVERSIONS` scale it down.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCampaignReports } from '../src/campaigns/index.js';
import { isMemberAt } from '../src/campaigns/membership.js';
import { channelOf } from '../src/reconcile/assemble-journey.js';
import { creditConversion } from '../src/reconcile/fit-models.js';
import { everyCreditSet } from '../src/reconcile/read-pages.js';
import { pathOf } from '../src/reports/day-counters.js';
import { dayFinder, daysFrom } from '../src/reports/local-days.js';
import type { Period } from '../src/reports/period.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { allTouches } from '../src/store/paging.js';
import type { ConversionRecord, CreditSet, CreditedTouch, MemberJoin, SpendRow, StoredTouch, Store } from '../src/store/store.js';
import { makeTouchId, touchEventSchema, type TouchKind } from '../src/touch-event.js';
import { seededRandom } from './seeded-random.js';

const WS = 'bench';
const TOUCHES = Number(process.env.BENCH_CAMPAIGN_TOUCHES ?? 1_000_000);
const CONVERSIONS = Number(process.env.BENCH_CAMPAIGN_CONVERSIONS ?? 100_000);
const PEOPLE = Math.floor(TOUCHES / 5);
const DAYS = 180;
const DAY = 86_400_000;
const END = Date.parse('2026-06-30T00:00:00Z');
const START = END - DAYS * DAY;
const GROUPS = 50;
const CAMPAIGNS = 20;
const TZ = 'Asia/Shanghai';
const RUNS = 7;
const KINDS: Array<[TouchKind | 'keyword', number]> = [
  ['message', 0.55],
  ['keyword', 0.2],
  ['join', 0.1],
  ['link_click', 0.08],
  ['leave', 0.07],
];

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1] as number;
}

/** Every join in the period per campaign (each person's first), with their joins and leaves in that group up to `until`, from raw touches. */
async function rawJoins(store: Store, period: Period, until: number): Promise<Map<string, Map<string, MemberJoin>>> {
  const cohorts = new Map<string, Map<string, MemberJoin>>();
  const events = new Map<string, { joins: string[]; leaves: string[] }>();
  for await (const t of allTouches(store, WS, { from: period.from, to: new Date(until).toISOString(), limit: 50_000 })) {
    if ((t.kind !== 'join' && t.kind !== 'leave') || t.profileId === null) continue;
    const k = `${t.profileId}\u0000${t.chat.id}`;
    let e = events.get(k);
    if (!e) events.set(k, (e = { joins: [], leaves: [] }));
    (t.kind === 'join' ? e.joins : e.leaves).push(new Date(t.occurredAt).toISOString());
    if (t.kind !== 'join' || t.occurredAt >= period.to) continue;
    const c = t.details.campaign ?? '(none)';
    let people = cohorts.get(c);
    if (!people) cohorts.set(c, (people = new Map()));
    const at = new Date(t.occurredAt).toISOString();
    const prev = people.get(t.profileId);
    if (!prev || at < prev.at) people.set(t.profileId, { profileId: t.profileId, chatId: t.chat.id, at, campaign: c, engagedAt: null, clickedAt: null, conversions: [], groupJoins: e.joins, groupLeaves: e.leaves });
  }
  return cohorts;
}

/** Baseline card figures: joins (distinct people per campaign), still in at day 30, and linear revenue, from raw rows. */
async function rawCards(store: Store, period: Period): Promise<Map<string, { joins: number; kept30: number; revenue: number }>> {
  const out = new Map<string, { joins: number; kept30: number; revenue: number }>();
  for (const [c, people] of await rawJoins(store, period, END + 31 * DAY)) {
    let kept = 0;
    for (const j of people.values()) if (isMemberAt(j, Date.parse(j.at) + 30 * DAY)) kept++;
    out.set(c, { joins: people.size, kept30: kept, revenue: 0 });
  }
  for await (const s of everyCreditSet(store, WS, { from: period.from, to: period.to, models: ['linear'] })) {
    s.touches.forEach((t, i) => {
      const c = t.campaign ?? '(none)';
      const e = out.get(c) ?? { joins: 0, kept30: 0, revenue: 0 };
      e.revenue += s.models.linear?.value[i] ?? 0;
      out.set(c, e);
    });
  }
  return out;
}

/** Baseline cohorts by campaign: week-0..7 share still in, from raw join and leave touches. */
async function rawCohorts(store: Store, period: Period): Promise<Map<string, number[]>> {
  const cohorts = await rawJoins(store, period, END + 60 * DAY);
  const out = new Map<string, number[]>();
  for (const [c, people] of cohorts) {
    const weeks: number[] = [];
    for (let w = 0; w < 8; w++) {
      let n = 0;
      let kept = 0;
      for (const j of people.values()) {
        const end = Date.parse(j.at) + 7 * (w + 1) * DAY;
        if (end > END) continue;
        n++;
        if (isMemberAt(j, end)) kept++;
      }
      if (n > 0) weeks.push(kept / n);
    }
    out.set(c, weeks);
  }
  return out;
}

/** Baseline paths by campaign: lag and length histograms and paths, from raw credit sets. */
async function rawPaths(store: Store, period: Period): Promise<{ lag: Map<number, number>; paths: Map<string, number>; conversions: number }> {
  const lag = new Map<number, number>();
  const paths = new Map<string, number>();
  let conversions = 0;
  for await (const s of everyCreditSet(store, WS, { from: period.from, to: period.to, models: ['last_touch'] })) {
    const first = s.touches[0];
    if (!first) continue;
    conversions++;
    const d = Math.floor((Date.parse(s.conversionAt) - Date.parse(first.at)) / DAY);
    lag.set(d, (lag.get(d) ?? 0) + 1);
    const p = pathOf(s.touches, 'campaign').steps.join('>');
    paths.set(p, (paths.get(p) ?? 0) + 1);
  }
  return { lag, paths, conversions };
}

async function child(): Promise<void> {
  const rand = seededRandom(20261202);
  const store = createMemoryStore();
  const t0 = performance.now();
  const batch: StoredTouch[] = [];
  for (let i = 0; i < TOUCHES; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const g = person % GROUPS;
    const r = rand();
    let acc = 0;
    let kind: TouchKind | 'keyword' = 'message';
    for (const [k, w] of KINDS) {
      acc += w;
      if (r < acc) {
        kind = k;
        break;
      }
    }
    const at = new Date(START + Math.floor(rand() * DAYS * DAY)).toISOString();
    const platform = kind === 'link_click' ? 'web' : g < 40 ? 'telegram' : 'whatsapp';
    const chat = kind === 'link_click' ? { id: `-100${g}`, type: 'web' as const } : { id: `-100${g}`, title: `社群 ${g}`, type: 'group' as const };
    const details = kind === 'keyword' ? { keywords: ['price'] } : kind === 'join' ? { via: 'invite_link', campaign: `c${person % CAMPAIGNS}` } : kind === 'leave' ? { via: 'left' } : kind === 'link_click' ? { code: `L${g}`, clickId: `k${i}`, campaign: `c${g % CAMPAIGNS}` } : {};
    // Built as the schema would parse it (checked once below), without paying zod per touch.
    const event = { id: makeTouchId(platform, 'bench', i), workspace: WS, platform, account: 'bot', chat, actor: { profileId: `p${person}` }, kind: kind === 'keyword' ? 'message' : kind, details, occurredAt: at };
    if (i === 0) touchEventSchema.parse(event);
    batch.push({ ...event, profileId: `p${person}`, applied: true } as StoredTouch);
    if (batch.length === 10_000) {
      await store.touches.insertMany(WS, batch);
      batch.length = 0;
    }
  }
  await store.touches.insertMany(WS, batch);
  const conversions: ConversionRecord[] = [];
  const sets: CreditSet[] = [];
  for (let i = 0; i < CONVERSIONS; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const atMs = START + 30 * DAY + Math.floor(rand() * (DAYS - 30) * DAY);
    const matched = rand() < 0.9;
    const at = new Date(atMs).toISOString();
    const c: ConversionRecord = { workspace: WS, id: `o${i}`, type: 'purchase', occurredAt: at, value: Math.round(rand() * 50_000) / 100, currency: 'CNY', identifiers: [], fingerprint: `f${i}`, source: 'webhook', receivedAt: at, status: matched ? 'matched' : 'unattributed', match: matched ? { rule: 'tg_id', profileId: `p${person}`, lowConfidence: false } : null, reconciledAt: at };
    conversions.push(c);
    if (!matched) continue;
    const touches: CreditedTouch[] = [];
    const n = 1 + Math.floor(rand() * 8);
    for (let k = 0; k < n; k++) {
      const g = (person + Math.floor(rand() * 3)) % GROUPS;
      const kind = (['join', 'message', 'message', 'link_click'] as const)[Math.floor(rand() * 4)] ?? 'message';
      const platform = kind === 'link_click' ? 'web' : g < 40 ? 'telegram' : 'whatsapp';
      const t: CreditedTouch = { touchId: `j${i}.${k}`, at: new Date(atMs - Math.floor(rand() * 30 * DAY)).toISOString(), kind, platform, chatId: `-100${g}`, chatTitle: `社群 ${g}`, campaign: `c${g % CAMPAIGNS}`, channel: channelOf({ platform, chatId: `-100${g}`, kind }) };
      if (rand() < 0.3) t.keywords = ['price'];
      touches.push(t);
    }
    touches.sort((a, b) => (a.at < b.at ? -1 : 1));
    sets.push({ workspace: WS, conversionId: c.id, conversionAt: at, value: c.value, currency: 'CNY', type: 'purchase', rule: 'tg_id', profileId: `p${person}`, lowConfidence: false, touches, models: creditConversion(touches, { at, value: c.value }, null), fitId: null, computedAt: at });
  }
  await store.conversions.insertMany(WS, conversions);
  for (const s of sets) await store.credits.put(WS, s);
  const spend: SpendRow[] = [];
  const dayOf = dayFinder(TZ);
  for (const day of daysFrom(dayOf(START), dayOf(END - 1))) for (let c = 0; c < CAMPAIGNS; c++) spend.push({ workspace: WS, day, campaign: `c${c}`, amount: 100 + c, currency: 'CNY', source: 'bench', updatedAt: new Date(END).toISOString() });
  await store.campaigns.spend.put(WS, spend);
  for (let c = 0; c < CAMPAIGNS; c++) await store.campaigns.records.put(WS, { workspace: WS, name: `c${c}`, goal: (['awareness', 'engagement', 'conversion'] as const)[c % 3] ?? 'awareness', target: c % 3 === 0 ? { metric: 'joins', value: 2000 } : c % 3 === 1 ? { metric: 'retention', value: 0.5, day: 28 } : { metric: 'roas', value: 2 }, updatedBy: 'bench', updatedAt: new Date(END).toISOString() });
  console.log(`\nCampaigns (in-memory store, ${TZ}): ${TOUCHES.toLocaleString('en')} touches, ${CONVERSIONS.toLocaleString('en')} conversions (${sets.length.toLocaleString('en')} credited), ${CAMPAIGNS} campaigns with spend every day, ${DAYS} days; data in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const tb = performance.now();
  await rebuildCounters({ store, timeZoneOf: () => TZ, now: () => new Date(END) }, WS);
  console.log(`  rollup, full build (with journeys, paths and assists): ${((performance.now() - tb) / 1000).toFixed(1)} s`);

  const reports = createCampaignReports(store, () => ({ timezone: TZ, currency: 'CNY' }));
  const now = new Date(END);
  // 30 days that start and end mid-day in Shanghai, as `30d` does: the edge days are read raw.
  const p30: Period = { from: new Date(END - 90 * DAY - 3_600_000).toISOString(), to: new Date(END - 60 * DAY - 3_600_000).toISOString(), label: '30d' };

  // Figures checked against the baseline before timing.
  const cards = await reports.cards(WS, { period: p30, now });
  const raw = await rawCards(store, p30);
  for (const row of cards.rows) {
    const r = raw.get(row.key);
    const kept = row.retainedD30.share === null ? null : Math.round(row.retainedD30.share * row.retainedD30.people);
    if (!r || r.joins !== row.joins || kept !== r.kept30 || Math.abs(r.revenue - row.revenue.linear) > 0.01) throw new Error(`card ${row.key}: counters ${row.joins}/${kept}/${row.revenue.linear} vs raw ${r?.joins}/${r?.kept30}/${r?.revenue}`);
  }
  const coh = await reports.cohorts(WS, { period: p30, by: 'campaign', now });
  const rawCoh = await rawCohorts(store, p30);
  for (const row of coh.rows) {
    const want = rawCoh.get(row.key) ?? [];
    if (row.weeks.some((w, i) => Math.abs(w.member - (want[i] ?? NaN)) > 1e-4)) throw new Error(`cohort ${row.key} differs from the raw rows`);
  }
  const paths = await reports.paths(WS, { period: p30, by: 'campaign' });
  const rawP = await rawPaths(store, p30);
  const top = paths.topPaths[0];
  if (paths.conversions !== rawP.conversions || !top || rawP.paths.get(top.steps.join('>')) !== top.conversions) throw new Error('paths differ from the raw rows');
  const joins = cards.rows.reduce((s, r) => s + r.joins, 0);
  console.log(`  checked against the raw rows: ${cards.rows.length} cards (${joins.toLocaleString('en')} joins, day-30 retention, linear revenue), ${coh.rows.length} cohorts × 8 weeks, ${paths.conversions.toLocaleString('en')} converting journeys and the top path`);

  const lines: Array<[string, number, number]> = [];
  lines.push(['campaign cards, 30 d, every campaign', await median(RUNS, () => reports.cards(WS, { period: p30, now })), await median(3, () => rawCards(store, p30))]);
  lines.push(['campaign card, 30 d, one campaign', await median(RUNS, () => reports.cards(WS, { period: p30, now, campaign: 'c7' })), await median(3, () => rawCards(store, p30))]);
  lines.push(['cohorts by campaign, 30 d of joins, 8 weeks', await median(RUNS, () => reports.cohorts(WS, { period: p30, by: 'campaign', now })), await median(3, () => rawCohorts(store, p30))]);
  lines.push(['cohorts by join week, 30 d of joins, 8 weeks', await median(RUNS, () => reports.cohorts(WS, { period: p30, by: 'week', now })), NaN]);
  lines.push(['paths by campaign, 30 d', await median(RUNS, () => reports.paths(WS, { period: p30, by: 'campaign' })), await median(3, () => rawPaths(store, p30))]);
  lines.push(['paths by keyword, 30 d', await median(RUNS, () => reports.paths(WS, { period: p30, by: 'keyword' })), NaN]);
  console.log('\n  | report | from the counters, median ms | raw rows streamed (baseline), median ms |');
  console.log('  | --- | --- | --- |');
  for (const [name, ms, base] of lines) console.log(`  | ${name} | ${fmt(ms)} | ${Number.isNaN(base) ? '–' : fmt(base)} |`);
}

export async function run(): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', here, '--child'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`the campaigns benchmark failed (exit ${res.status})`);
}

const argv = process.argv;
if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  if (argv.includes('--child')) await child();
  else await run();
}
