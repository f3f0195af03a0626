/**
 * The reconciler at scale: 1,000,000 touches stored (200,000 people, 180 days, in-memory
 * store), 20,000 conversions of 20,000 people reconciled one by one with `reconcileConversion`
 * (match by Telegram id, journey, credits under all seven models, writes), as the reconcile
 * worker runs them, without the queue (BullMQ's own ceiling is in the pipeline benchmark).
 *
 * Prints, each beside the same-run baseline of the bare reads a reconcile cannot avoid (the
 * conversion, and its person's touches of the lookback window):
 * - a first pass, before any fit exists (rule models only; the months get marked for refits);
 * - the refit of every month (fit + bulk re-credit inside the refit, as the refit job does);
 * - a second pass with every month fitted (all seven models): the steady state.
 *
 * Runs in a child process with an 8 GB heap: `npx tsx bench/reconcile.ts`, or `npm run bench reconcile`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMemoryLocker } from '../src/lock.js';
import { emptyStats } from '../src/profile/profile-stats.js';
import { createFitCache } from '../src/reconcile/fit-models.js';
import { monthOf, monthRange } from '../src/reconcile/fit-window.js';
import { reconcileConversion, type ReconcileDeps } from '../src/reconcile/reconcile-conversion.js';
import { refitMonth } from '../src/reconcile/refit-month.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { allTouches } from '../src/store/paging.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, Profile, StoredTouch } from '../src/store/store.js';
import { makeTouchId, touchEventSchema, type TouchKind } from '../src/touch-event.js';
import { seededRandom } from './seeded-random.js';

const WS = 'bench';
const TOUCHES = Number(process.env.BENCH_RECONCILE_TOUCHES ?? 1_000_000);
const CONVERSIONS = Number(process.env.BENCH_RECONCILE_CONVERSIONS ?? 20_000);
const PEOPLE = Math.floor(TOUCHES / 5);
const DAYS = 180;
const DAY = 86_400_000;
const END = Date.parse('2026-06-30T00:00:00Z');
const START = END - DAYS * DAY;
const GROUPS = 50;
const LOOKBACK_DAYS = 30;

// No deep-link starts: their channel is the person's private chat, one channel per person,
// which would make the fits' Markov chains as big as the community (see the README).
const KINDS: Array<[TouchKind, number]> = [
  ['message', 0.77],
  ['join', 0.1],
  ['link_click', 0.08],
  ['leave', 0.05],
];

function pickKind(r: number): TouchKind {
  let acc = 0;
  for (const [k, w] of KINDS) {
    acc += w;
    if (r < acc) return k;
  }
  return 'message';
}

const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en')}/s`;

async function child(): Promise<void> {
  const rand = seededRandom(20260701);
  const store = createMemoryStore();
  const t0 = performance.now();
  const batch: StoredTouch[] = [];
  for (let i = 0; i < TOUCHES; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const g = (person + Math.floor(rand() * 3)) % GROUPS;
    const kind = pickKind(rand());
    const at = new Date(START + Math.floor(rand() * DAYS * DAY)).toISOString();
    const platform = kind === 'link_click' ? 'web' : 'telegram';
    const chat = kind === 'link_click' ? { id: `-100${g}`, type: 'web' as const } : { id: `-100${g}`, title: `社群 ${g}`, type: 'group' as const };
    const details = kind === 'join' ? { via: 'invite_link', campaign: `c${g % 20}` } : kind === 'leave' ? { via: 'left' } : kind === 'link_click' ? { code: `L${g}`, clickId: `k${i}` } : {};
    const event = touchEventSchema.parse({ id: makeTouchId(platform, 'bench', i), workspace: WS, platform, account: 'bot', chat, actor: { userId: String(person) }, kind, details, occurredAt: at });
    batch.push({ ...event, profileId: `p${person}`, applied: true });
    if (batch.length === 10_000) {
      await store.touches.insertMany(WS, batch);
      batch.length = 0;
    }
  }
  await store.touches.insertMany(WS, batch);
  const touchMs = performance.now() - t0;

  // The people who buy: their profiles and Telegram ids, and one conversion each.
  const conversions: ConversionRecord[] = [];
  const buyers = new Set<number>();
  while (buyers.size < CONVERSIONS) buyers.add(Math.floor(rand() * PEOPLE));
  let n = 0;
  for (const person of buyers) {
    const pid = `p${person}`;
    const profile: Profile = {
      workspace: WS,
      id: pid,
      identifiers: [{ type: 'tg_id', value: String(person) }],
      usernames: [],
      stats: { ...emptyStats(), touchCount: 5 },
      createdAt: new Date(START).toISOString(),
      updatedAt: new Date(START).toISOString(),
    };
    await store.profiles.put(WS, profile);
    await store.identities.claim(WS, profile.identifiers, pid);
    const at = new Date(START + 40 * DAY + Math.floor(rand() * (DAYS - 40) * DAY)).toISOString();
    conversions.push({ workspace: WS, id: `o${n++}`, type: 'purchase', occurredAt: at, value: Math.round(rand() * 50_000) / 100, currency: 'CNY', identifiers: profile.identifiers, fingerprint: `f${n}`, source: 'webhook', receivedAt: at, status: 'pending', match: null, reconciledAt: null });
  }
  await store.conversions.insertMany(WS, conversions);
  console.log(`\nReconciler (in-memory store): ${TOUCHES.toLocaleString('en')} touches of ${PEOPLE.toLocaleString('en')} people over ${DAYS} days; ${CONVERSIONS.toLocaleString('en')} conversions (touches stored in ${(touchMs / 1000).toFixed(1)} s)`);

  // Baseline: the bare reads of one reconcile (the conversion, its person's window of touches); best of 3.
  let read = 0;
  const baseline = async (): Promise<number> => {
    const tb = performance.now();
    read = 0;
    for (const c of conversions) {
      const conv = await store.conversions.get(WS, c.id);
      const to = Date.parse(c.occurredAt);
      for await (const t of allTouches(store, WS, { profileId: `p${conv?.identifiers[0]?.value ?? ''}`, from: new Date(to - LOOKBACK_DAYS * DAY).toISOString(), to: new Date(to + 1).toISOString() })) if (t) read++;
    }
    return performance.now() - tb;
  };
  let baseMs = Infinity;
  for (let i = 0; i < 3; i++) baseMs = Math.min(baseMs, await baseline());

  const locker = createMemoryLocker();
  const fits = createFitCache(store);
  const deps: ReconcileDeps = {
    store,
    locker,
    conversionLockKey: (w, k) => `c:${w}:${k}`,
    profileLockKey: (w, p) => `p:${w}:${p}`,
    settings: settingsLookup([{ id: WS, allowedDomains: [], lookbackDays: LOOKBACK_DAYS, creditMode: 'consume', coupons: [], defaultRegion: 'CN', timezone: 'UTC' }]),
    fit: fits.forMonth,
  };
  const pass = async (): Promise<{ ms: number; touches: number }> => {
    const t = performance.now();
    let touches = 0;
    for (const c of conversions) touches += (await reconcileConversion(deps, WS, c.id)).touches;
    return { ms: performance.now() - t, touches };
  };
  const first = await pass();

  const tr = performance.now();
  const months = monthRange(monthOf(START + 40 * DAY), monthOf(END - 1));
  let recredited = 0;
  const perMonth: string[] = [];
  for (const m of months) {
    const tm = performance.now();
    const r = await refitMonth({ store, locker, conversionLockKey: deps.conversionLockKey, fits }, WS, m);
    recredited += r.recredited;
    perMonth.push(`${m} ${r.journeys.toLocaleString('en')} journeys ${(performance.now() - tm).toFixed(0)} ms`);
  }
  const refitMs = performance.now() - tr;
  let second = await pass();
  for (let i = 0; i < 2; i++) {
    const again = await pass();
    if (again.ms < second.ms) second = again;
  }

  const rows: Array<[string, string, string]> = [
    ['bare reads: conversion + its person’s window of touches (baseline)', rate(CONVERSIONS, baseMs), `${(read / CONVERSIONS).toFixed(1)} touches read per conversion`],
    ['reconcile, first pass (no fit yet: 5 rule models)', rate(CONVERSIONS, first.ms), `${(first.touches / CONVERSIONS).toFixed(1)} journey touches per conversion; ${(baseMs / first.ms).toFixed(2)}× the baseline`],
    [`refit of ${months.length} months + bulk re-credit`, rate(recredited, refitMs), `${recredited.toLocaleString('en')} conversions re-credited in ${(refitMs / 1000).toFixed(1)} s`],
    ['reconcile, steady state (every month fitted: 7 models; best of 3)', rate(CONVERSIONS, second.ms), `${(baseMs / second.ms).toFixed(2)}× the baseline`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n  ${'run'.padEnd(width)}  conversions/s`);
  for (const [name, r, note] of rows) console.log(`  ${name.padEnd(width)}  ${r.padStart(12)}  ${note}`);
  console.log(`  refits: ${perMonth.join('; ')}`);
}

export async function run(): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', here, '--child'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`the reconciler benchmark failed (exit ${res.status})`);
}

const argv = process.argv;
if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  if (argv.includes('--child')) await child();
  else await run();
}
