/**
 * Reports at scale: 1,000,000 touches and 100,000 conversions (90,000 credited under all
 * seven models) over 180 days, in the in-memory store (no MongoDB on the bench machines;
 * the memory adapter keeps conversions and credits in time-sorted indexes like MongoDB's
 * `workspace_time` ones, but its touch reads scan and sort, which MongoDB's indexes do not).
 *
 * Prints, each the median of 3 runs:
 * - reading a 30-day period's credits through the time index, against the baseline of a
 *   raw scan of every credit set filtered by time (what a report would cost without it);
 * - the attribution report (30 days, each dimension; and 180 days), the model comparison,
 *   the funnel, group stats, and a 7-day CSV export;
 * - one refit of Markov and Shapley over every journey (pure, from the generated journeys).
 *
 * Runs in a child process with an 8 GB heap: `npx tsx bench/reports.ts`, or via `npm run bench reports`.
 */
import { seededRandom } from './seeded-random.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODEL_NAMES } from '../src/attribution/index.js';
import { channelOf } from '../src/reconcile/assemble-journey.js';
import { buildFit, creditConversion, loadFit, type FitJourney } from '../src/reconcile/fit-models.js';
import { everyCreditSet } from '../src/reconcile/read-pages.js';
import { createReports } from '../src/reports/index.js';
import type { Period } from '../src/reports/period.js';
import type { ReportDimension } from '../src/reports/report-types.js';
import type { ConversionRecord, CreditSet, CreditedTouch } from '../src/store/store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { plainCopy } from '../src/store/rules.js';
import type { StoredTouch } from '../src/store/store.js';
import { makeTouchId, touchEventSchema, type TouchKind } from '../src/touch-event.js';

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function child(): Promise<void> {
  const rand = seededRandom(20260630);
  const store = createMemoryStore();
  const repos = store;
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
  const heap = process.memoryUsage();
  console.log(`\nReports (in-memory store): ${TOUCHES.toLocaleString('en')} touches, ${CONVERSIONS.toLocaleString('en')} conversions (${journeys.length.toLocaleString('en')} credited × ${MODEL_NAMES.length} models), ${DAYS} days`);
  console.log(`  data: touches stored in ${(touchMs / 1000).toFixed(1)} s, conversions + credits in ${(convMs / 1000).toFixed(1)} s; heap ${(heap.heapUsed / 2 ** 20).toFixed(0)} MB`);
  console.log(`  refit (Markov + Shapley) over ${fitJourneys.length.toLocaleString('en')} journeys: ${fmt(fitMs)} ms`);

  const reports = createReports(store, [{ id: WS, timezone: 'Asia/Shanghai' }]);
  const period = (days: number): Period => ({ from: new Date(END - days * DAY).toISOString(), to: new Date(END).toISOString(), label: `${days}d` });
  const p30 = period(30);
  const rows: Array<[string, number, string]> = [];

  // The read alone: indexed period query against a raw scan of every credit set.
  let indexedCount = 0;
  const indexed = await time(3, async () => {
    indexedCount = 0;
    for await (const s of everyCreditSet(store, WS, { from: p30.from, to: p30.to, models: ['linear', 'last_touch'] })) if (s) indexedCount++;
  });
  let scanned = 0;
  const scan = await time(3, async () => {
    const from = Date.parse(p30.from);
    const to = Date.parse(p30.to);
    const out: CreditSet[] = [];
    for (const s of repos.scanCredits(WS)) {
      const at = Date.parse(s.conversionAt);
      if (at >= from && at < to) out.push(plainCopy({ ...s, models: { linear: s.models.linear, last_touch: s.models.last_touch } }) as CreditSet);
    }
    out.sort((a, b) => (a.conversionAt < b.conversionAt ? -1 : a.conversionAt > b.conversionAt ? 1 : a.conversionId < b.conversionId ? -1 : 1));
    scanned = out.length;
  });
  if (scanned !== indexedCount) throw new Error(`the scan found ${scanned} credit sets, the index ${indexedCount}`);
  rows.push(['read 30 d of credits: raw scan of all credit sets (baseline)', scan, `${scanned.toLocaleString('en')} of ${journeys.length.toLocaleString('en')} sets`]);
  rows.push(['read 30 d of credits: time index', indexed, `${(scan / indexed).toFixed(1)}× faster`]);

  for (const by of ['group', 'campaign', 'keyword', 'link', 'platform'] as ReportDimension[]) {
    let n = 0;
    rows.push([`attribution report, 30 d, by ${by} (linear vs last touch)`, await time(3, async () => (n = (await reports.attribution(WS, { period: p30, by, model: 'linear' })).rows.length)), `${n} rows`]);
  }
  rows.push(['attribution report, 180 d, by group (markov vs last touch)', await time(3, () => reports.attribution(WS, { period: period(180), by: 'group', model: 'markov' })), 'every conversion']);
  rows.push(['model comparison, 30 d, by campaign (7 models)', await time(3, () => reports.compareModels(WS, { period: p30, by: 'campaign' })), '']);
  rows.push(['funnel, 30 d, by group (touch scans)', await time(3, () => reports.funnel(WS, { period: p30, by: 'group' })), '']);
  rows.push(['group stats, 30 d, all groups (touch scans)', await time(3, () => reports.groupStats(WS, { period: p30 })), '']);
  let bytes = 0;
  rows.push(['CSV export, 7 d, every model', await time(3, async () => (bytes = (await reports.exportCredits(WS, { period: period(7) })).length)), `${(bytes / 2 ** 20).toFixed(1)} M chars`]);

  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n  ${'query'.padEnd(width)}  median ms (3 runs)`);
  for (const [name, ms, note] of rows) console.log(`  ${name.padEnd(width)}  ${fmt(ms).padStart(9)}  ${note}`);
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
