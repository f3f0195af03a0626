/**
 * Reports at scale: 1,000,000 touches and 100,000 conversions (90,000 credited under all
 * seven models) over 180 days, in the in-memory store (no MongoDB on the bench machines), in
 * the Asia/Shanghai time zone, with periods that end mid-day there (as `30d` does), so every
 * report also reads the raw rows of its two partial edge days.
 *
 * Prints:
 * - how long the rollup takes to build every counter of that data set from its raw rows (a
 *   full build: what a first start or a time-zone change costs), and an incremental rollup of
 *   a small burst;
 * - p50 and p95 of every report read from the counters, beside the same report computed the
 *   way it was before counters (`baseline-reports.ts`: raw credit sets, conversions and
 *   touches of the period streamed through Node), in the same run, for 30 and 180 days:
 *   attribution by every dimension (linear vs last touch) and under Markov, every model side
 *   by side, the funnel by group and by campaign, group stats of all groups and of one;
 * - the CSV export (it reads credit sets by design).
 * The counter-based figures are checked against the baseline's before they are timed.
 *
 * Runs in a child process with an 8 GB heap: `npx tsx bench/reports.ts`, or via `npm run bench reports`.
 */
import { seededRandom } from './seeded-random.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODEL_NAMES } from '../src/attribution/index.js';
import { channelOf } from '../src/reconcile/assemble-journey.js';
import { buildFit, creditConversion, loadFit, type FitJourney } from '../src/reconcile/fit-models.js';
import { createReports } from '../src/reports/index.js';
import { dayFinder } from '../src/reports/local-days.js';
import type { Period } from '../src/reports/period.js';
import type { ReportDimension } from '../src/reports/report-types.js';
import { rebuildCounters, rollUp } from '../src/reports/rollup.js';
import type { ConversionRecord, CreditSet, CreditedTouch } from '../src/store/store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { StoredTouch } from '../src/store/store.js';
import { makeTouchId, touchEventSchema, type TouchKind } from '../src/touch-event.js';
import { baselineAttribution, baselineCompareModels, baselineFunnel, baselineGroupStats } from './baseline-reports.js';

const WS = 'bench';
const TOUCHES = Number(process.env.BENCH_REPORT_TOUCHES ?? 1_000_000);
const CONVERSIONS = Number(process.env.BENCH_REPORT_CONVERSIONS ?? 100_000);
const PEOPLE = Math.floor(TOUCHES / 5);
const DAYS = 180;
const DAY = 86_400_000;
const END = Date.parse('2026-06-30T00:00:00Z');
const START = END - DAYS * DAY;
const GROUPS = 50;
const CAMPAIGNS = 20;
const TZ = 'Asia/Shanghai';
const KEYWORDS = ['price', 'discount', '发货', '多少钱', 'size', 'stock', '优惠', 'shipping', 'refund', 'color'];


// `keyword` and `mention` are messages with that facet.
const KIND_WEIGHTS: Array<[TouchKind | 'keyword' | 'mention', number]> = [
  ['message', 0.5],
  ['keyword', 0.2],
  ['join', 0.1],
  ['link_click', 0.08],
  ['mention', 0.05],
  ['leave', 0.04],
  ['dm_start', 0.03],
];

function pickKind(r: number): TouchKind | 'keyword' | 'mention' {
  let acc = 0;
  for (const [k, w] of KIND_WEIGHTS) {
    acc += w;
    if (r < acc) return k;
  }
  return 'message';
}

/** The q-quantile (0..1) of the timings, nearest rank. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

/** p50 and p95 of `runs` runs; stops early (at least 2 runs) once `budgetMs` is spent, and says how many ran. */
async function timings(runs: number, fn: () => Promise<unknown>, budgetMs = Infinity): Promise<{ p50: number; p95: number; runs: number }> {
  const ms: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
    if (i >= 1 && performance.now() - start > budgetMs) break;
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), runs: ms.length };
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 20);
const BASELINE_RUNS = Number(process.env.BENCH_REPORT_BASELINE_RUNS ?? 5);
/** Time a baseline may take before it stops at fewer runs (the raw scans take seconds each). */
const BASELINE_BUDGET_MS = 20_000;

async function child(): Promise<void> {
  const rand = seededRandom(20260630);
  const store = createMemoryStore();
  const t0 = performance.now();

  // Touches: people spread over 50 groups (a few WhatsApp), times uniform over 180 days.
  const batch: StoredTouch[] = [];
  for (let i = 0; i < TOUCHES; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const g = person % GROUPS;
    const kind = pickKind(rand());
    const at = new Date(START + Math.floor(rand() * DAYS * DAY)).toISOString();
    const platform = kind === 'link_click' ? 'web' : g < 40 ? 'telegram' : 'whatsapp';
    const chat = kind === 'link_click' ? { id: `-100${g}`, type: 'web' as const } : kind === 'dm_start' ? { id: String(person), type: 'private' as const } : { id: `-100${g}`, title: `社群 ${g}`, type: 'group' as const };
    const details =
      kind === 'keyword'
        ? { keywords: [KEYWORDS[Math.floor(rand() * KEYWORDS.length)] as string] }
        : kind === 'join'
          ? { via: 'invite_link', campaign: `c${person % CAMPAIGNS}` }
          : kind === 'leave'
            ? { via: 'left' }
            : kind === 'mention'
              ? { mentioned: ['shop'] }
              : kind === 'link_click'
                ? { code: `L${g}`, clickId: `k${i}`, campaign: `c${g % CAMPAIGNS}` }
                : kind === 'dm_start'
                  ? { payload: 'hi' }
                  : {};
    const event = touchEventSchema.parse({ id: makeTouchId(platform, 'bench', i), workspace: WS, platform, account: 'bot', chat, actor: { profileId: `p${person}` }, kind: kind === 'keyword' || kind === 'mention' ? 'message' : kind, details, occurredAt: at });
    batch.push({ ...event, profileId: `p${person}`, applied: true });
    if (batch.length === 10_000) {
      await store.touches.insertMany(WS, batch);
      batch.length = 0;
    }
  }
  await store.touches.insertMany(WS, batch);
  const touchMs = performance.now() - t0;

  // Conversions and their credit sets (journeys of 1-8 touches before the conversion).
  const t1 = performance.now();
  const conversions: ConversionRecord[] = [];
  const journeys: Array<{ conversion: ConversionRecord; touches: CreditedTouch[] }> = [];
  const fitJourneys: FitJourney[] = [];
  for (let i = 0; i < CONVERSIONS; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const atMs = START + 30 * DAY + Math.floor(rand() * (DAYS - 30) * DAY);
    const matched = rand() < 0.9;
    const c: ConversionRecord = {
      workspace: WS,
      id: `o${i}`,
      type: 'purchase',
      occurredAt: new Date(atMs).toISOString(),
      value: Math.round(rand() * 50_000) / 100,
      currency: 'CNY',
      identifiers: [{ type: 'tg_id', value: String(person) }],
      fingerprint: `f${i}`,
      source: 'webhook',
      receivedAt: new Date(atMs).toISOString(),
      status: matched ? 'matched' : 'unattributed',
      match: matched ? { rule: 'tg_id', profileId: `p${person}`, lowConfidence: false } : null,
      reconciledAt: new Date(atMs).toISOString(),
    };
    conversions.push(c);
    if (!matched) continue;
    const n = 1 + Math.floor(rand() * 8);
    const touches: CreditedTouch[] = [];
    for (let k = 0; k < n; k++) {
      const g = (person + Math.floor(rand() * 3)) % GROUPS;
      const step = (['join', 'keyword', 'message', 'link_click', 'message'] as const)[Math.floor(rand() * 5)] ?? 'message';
      const kind: CreditedTouch['kind'] = step === 'keyword' ? 'message' : step;
      const platform = kind === 'link_click' ? 'web' : g < 40 ? 'telegram' : 'whatsapp';
      const t: CreditedTouch = { touchId: `j${i}.${k}`, at: new Date(atMs - Math.floor(rand() * 30 * DAY)).toISOString(), kind, platform, chatId: `-100${g}`, chatTitle: `社群 ${g}`, campaign: `c${g % CAMPAIGNS}`, channel: channelOf({ platform, chatId: `-100${g}`, kind: step }) };
      if (step === 'keyword') t.keywords = [KEYWORDS[Math.floor(rand() * KEYWORDS.length)] as string];
      if (kind === 'link_click') t.links = [`L${g}`];
      touches.push(t);
    }
    touches.sort((a, b) => (a.at < b.at ? -1 : 1));
    journeys.push({ conversion: c, touches });
    fitJourneys.push({ channels: touches.map((t) => t.channel), times: touches.map((t) => Date.parse(t.at)), conversion: { at: atMs, value: c.value } });
  }
  // Non-converting journeys, ten for every conversion's worth of a fit.
  for (let i = 0; i < CONVERSIONS * 2; i++) {
    const n = 1 + Math.floor(rand() * 5);
    const channels: string[] = [];
    const times: number[] = [];
    for (let k = 0; k < n; k++) {
      const g = Math.floor(rand() * GROUPS);
      channels.push(channelOf({ platform: g < 40 ? 'telegram' : 'whatsapp', chatId: `-100${g}`, kind: (['join', 'keyword', 'message'] as const)[k % 3] as string }));
      times.push(START + k * DAY);
    }
    fitJourneys.push({ channels, times, conversion: null });
  }
  const tf = performance.now();
  const fit = loadFit(buildFit({ workspace: WS, month: '2026-06', createdAt: new Date(END).toISOString(), from: new Date(START).toISOString(), to: new Date(END).toISOString() }, fitJourneys));
  const fitMs = performance.now() - tf;
  await store.conversions.insertMany(WS, conversions);
  for (const { conversion: c, touches } of journeys) {
    const set: CreditSet = {
      workspace: WS,
      conversionId: c.id,
      conversionAt: c.occurredAt,
      value: c.value,
      currency: c.currency,
      type: c.type,
      rule: 'tg_id',
      profileId: c.match?.profileId ?? null,
      lowConfidence: false,
      touches,
      models: creditConversion(touches, { at: c.occurredAt, value: c.value }, fit),
      fitId: fit.id,
      computedAt: c.occurredAt,
    };
    await store.credits.put(WS, set);
  }
  const convMs = performance.now() - t1;
  console.log(`\nReports (in-memory store, ${TZ}): ${TOUCHES.toLocaleString('en')} touches, ${CONVERSIONS.toLocaleString('en')} conversions (${journeys.length.toLocaleString('en')} credited × ${MODEL_NAMES.length} models), ${DAYS} days`);
  console.log(`  data: touches stored in ${(touchMs / 1000).toFixed(1)} s, conversions + credits in ${(convMs / 1000).toFixed(1)} s (fit of Markov + Shapley over ${fitJourneys.length.toLocaleString('en')} journeys: ${fmt(fitMs)} ms)`);

  // The rollup: every counter from the raw rows.
  const rollup = { store, timeZoneOf: () => TZ, now: () => new Date(END) };
  const tb = performance.now();
  const built = await rebuildCounters(rollup, WS);
  const buildMs = performance.now() - tb;
  const heap = process.memoryUsage();
  console.log(`  rollup, full build: ${(buildMs / 1000).toFixed(1)} s for ${built.days} days and ${built.people.toLocaleString('en')} people (${((TOUCHES + CONVERSIONS + journeys.length) / (buildMs / 1000)).toLocaleString('en', { maximumFractionDigits: 0 })} rows/s); heap ${(heap.heapUsed / 2 ** 20).toFixed(0)} MB`);

  const reports = createReports(store, [{ id: WS, timezone: TZ }]);
  const period = (days: number): Period => ({ from: new Date(END - days * DAY).toISOString(), to: new Date(END).toISOString(), label: `${days}d` });
  type Timing = { p50: number; p95: number; runs: number };
  type Line = { name: string; counters: Timing; baseline?: Timing; note: string };
  const width = 58;
  console.log(`\n  ${'report'.padEnd(width)}  counters p50 / p95 ms (runs)   baseline p50 / p95 ms (runs)   speed-up (p50)`);
  const print = (l: Line): void => {
    const c = `${fmt(l.counters.p50).padStart(8)} / ${fmt(l.counters.p95).padEnd(6)} (${l.counters.runs})`;
    const b = l.baseline ? `${fmt(l.baseline.p50).padStart(8)} / ${fmt(l.baseline.p95).padEnd(6)} (${l.baseline.runs})` : ''.padEnd(22);
    const x = l.baseline ? `${(l.baseline.p50 / l.counters.p50).toFixed(0)}×` : '';
    console.log(`  ${l.name.padEnd(width)}  ${c.padEnd(30)}  ${b.padEnd(30)}  ${x.padStart(6)}  ${l.note}`);
  };
  const push = print;
  /** Deep equality, numbers within a millionth (sums in another order differ in the last bits). */
  const equal = (a: unknown, b: unknown): boolean => {
    if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      const ka = Object.keys(a).sort();
      const kb = Object.keys(b).sort();
      return equal(ka, kb) && ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
    }
    return a === b;
  };
  const same = (what: string, a: unknown, b: unknown): void => {
    if (!equal(a, b)) throw new Error(`${what}: the counters and the baseline disagree:\n${JSON.stringify(a).slice(0, 2000)}\n${JSON.stringify(b).slice(0, 2000)}`);
  };
  const credit = (rows: ReadonlyArray<{ key: string; credited: { conversions: number; value: number }; lastTouch: { value: number } }>) =>
    rows.map((r) => [r.key, r.credited.conversions, r.credited.value, r.lastTouch.value]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));

  for (const days of [30, 180]) {
    const p = period(days);
    for (const by of ['group', 'campaign', 'keyword', 'link', 'platform'] as ReportDimension[]) {
      const a = await reports.attribution(WS, { period: p, by, model: 'linear' });
      const b = await baselineAttribution(store, WS, { period: p, by, model: 'linear' });
      same(`attribution ${days}d by ${by}`, [a.totals, credit(a.rows)], [b.totals, credit(b.rows)]);
      push({ name: `attribution, ${days} d, by ${by} (linear vs last touch)`, counters: await timings(RUNS, () => reports.attribution(WS, { period: p, by, model: 'linear' })), baseline: await timings(BASELINE_RUNS, () => baselineAttribution(store, WS, { period: p, by, model: 'linear' }), BASELINE_BUDGET_MS), note: `${a.rows.length} rows` });
    }
    const m = await reports.attribution(WS, { period: p, by: 'group', model: 'markov' });
    same(`markov ${days}d`, credit(m.rows), credit((await baselineAttribution(store, WS, { period: p, by: 'group', model: 'markov' })).rows));
    push({ name: `attribution, ${days} d, by group (markov vs last touch)`, counters: await timings(RUNS, () => reports.attribution(WS, { period: p, by: 'group', model: 'markov' })), baseline: await timings(BASELINE_RUNS, () => baselineAttribution(store, WS, { period: p, by: 'group', model: 'markov' }), BASELINE_BUDGET_MS), note: `${m.totals.conversions.toLocaleString('en')} conversions` });
    push({ name: `every model side by side, ${days} d, by campaign`, counters: await timings(RUNS, () => reports.compareModels(WS, { period: p, by: 'campaign' })), baseline: await timings(BASELINE_RUNS, () => baselineCompareModels(store, WS, { period: p, by: 'campaign' }), BASELINE_BUDGET_MS), note: '' });
    for (const by of ['group', 'campaign'] as const) {
      const f = await reports.funnel(WS, { period: p, by });
      const all = f.rows.find((r) => r.key === 'all');
      push({ name: `funnel, ${days} d, by ${by}`, counters: await timings(RUNS, () => reports.funnel(WS, { period: p, by })), baseline: await timings(BASELINE_RUNS, () => baselineFunnel(store, WS, { period: p, by }), BASELINE_BUDGET_MS), note: `${all?.joined.toLocaleString('en')} people joined` });
    }
    const g = await reports.groupStats(WS, { period: p });
    const gb = await baselineGroupStats(store, WS, TZ, { period: p });
    same(`group stats ${days}d`, [g.activeMembers, g.days, g.topKeywords], [gb.activeMembers, gb.days, gb.topKeywords]);
    push({ name: `group stats, ${days} d, all groups`, counters: await timings(RUNS, () => reports.groupStats(WS, { period: p })), baseline: await timings(BASELINE_RUNS, () => baselineGroupStats(store, WS, TZ, { period: p }), BASELINE_BUDGET_MS), note: `${g.activeMembers.toLocaleString('en')} active` });
    push({ name: `group stats, ${days} d, one group`, counters: await timings(RUNS, () => reports.groupStats(WS, { period: p, chatId: '-1007' })), baseline: await timings(BASELINE_RUNS, () => baselineGroupStats(store, WS, TZ, { period: p, chatId: '-1007' }), BASELINE_BUDGET_MS), note: '' });
  }
  let bytes = 0;
  push({ name: 'CSV export, 7 d, every model (reads credit sets)', counters: await timings(3, async () => (bytes = (await reports.exportCredits(WS, { period: period(7) })).length)), note: `${(bytes / 2 ** 20).toFixed(1)} M chars` });

  // An incremental rollup: a burst of 1,000 messages by 100 people on the last day lands and marks its units.
  const dayOf = dayFinder(TZ);
  const burst: StoredTouch[] = [];
  for (let i = 0; i < 1_000; i++) {
    const person = i % 100;
    const event = touchEventSchema.parse({ id: makeTouchId('telegram', 'burst', i), workspace: WS, platform: 'telegram', account: 'bot', chat: { id: `-100${person % GROUPS}`, title: `社群 ${person % GROUPS}`, type: 'group' }, actor: { profileId: `p${person}` }, kind: 'message', details: { keywords: ['price'] }, occurredAt: new Date(END - 1 - i * 1000).toISOString() });
    burst.push({ ...event, profileId: `p${person}`, applied: true });
  }
  await store.touches.insertMany(WS, burst);
  await store.counters.markDirty(WS, [...new Set(burst.map((t) => dayOf(Date.parse(t.occurredAt))))].map((key) => ({ kind: 'day' as const, key })));
  await store.counters.markDirty(WS, [...new Set(burst.map((t) => t.profileId as string))].map((key) => ({ kind: 'person' as const, key })));
  const ti = performance.now();
  const inc = await rollUp(rollup, WS);
  console.log(`\n  rollup, incremental: ${fmt(performance.now() - ti)} ms for a burst of 1,000 messages (${inc.days} day, ${inc.people} people recomputed; the in-memory store reads a person's touches by scanning all of them, MongoDB by its profile index)`);
}

export async function run(): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', here, '--child'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`the reports benchmark failed (exit ${res.status})`);
}

const argv = process.argv;
if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  if (argv.includes('--child')) await child();
  else await run();
}
