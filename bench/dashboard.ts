/**
 * The dashboard's first view at scale: 1,000,000 touches and 100,000 conversions (90,000
 * credited under all seven models) over the last 180 days in the in-memory store, counters
 * built by the rollup, the real http role on localhost, and Debian's Chromium (playwright-core,
 * headless) opening the Mini App with signed launch data.
 *
 * Prints p50 / max over a few runs of:
 * - time to first view: navigation start until the Overview's figures are in the DOM (page,
 *   bundle, sign-in, `/app/api/me` and the attribution report), with a cold cache (a new
 *   browser context each run) and a warm one;
 * - the baseline, in the same run and browser: loading a static empty page from the same server
 *   (`/healthz`), i.e. what a navigation costs with no work behind it;
 * - the whole Overview (its readiness and alerts sections too), warm;
 * - the Overview's three reports, each alone over HTTP (attribution 30 days, readiness, alerts
 *   of 7 days), for reference.
 *
 * Runs in a child process with an 8 GB heap: `npx tsx bench/dashboard.ts`, or `npm run bench dashboard`.
 * Needs Redis (REDIS_URL) and Chromium at /usr/bin/chromium (CHROMIUM_PATH).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startRoles } from '../app/roles.js';
import { MODEL_NAMES } from '../src/attribution/index.js';
import { loadConfig } from '../src/config.js';
import { signInitData } from '../src/dashboard/index.js';
import { createLogger } from '../src/logger.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, CreditSet, CreditedTouch, StoredTouch } from '../src/store/store.js';
import { makeTouchId, touchEventSchema } from '../src/touch-event.js';
import { seededRandom } from './seeded-random.js';

const WS = 'bench';
const TOUCHES = Number(process.env.BENCH_DASHBOARD_TOUCHES ?? 1_000_000);
const CONVERSIONS = Number(process.env.BENCH_DASHBOARD_CONVERSIONS ?? 100_000);
const PEOPLE = Math.floor(TOUCHES / 5);
const DAYS = 180;
const DAY = 86_400_000;
const GROUPS = 50;
const TZ = 'Asia/Shanghai';
const TOKEN = '7000000077:AAH_bench_token_for_the_dashboard_0001';
const MANAGER = 4242;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const fmt = (ms: number): string => ms.toFixed(ms < 10 ? 1 : 0);
const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

async function child(): Promise<void> {
  const rand = seededRandom(20261202);
  const store = createMemoryStore();
  const end = Date.now();
  const start = end - DAYS * DAY;
  const t0 = performance.now();
  const batch: StoredTouch[] = [];
  for (let i = 0; i < TOUCHES; i++) {
    const person = Math.floor(rand() * PEOPLE);
    const g = person % GROUPS;
    const r = rand();
    const kind = r < 0.7 ? 'message' : r < 0.82 ? 'join' : r < 0.92 ? 'link_click' : 'leave';
    const platform = kind === 'link_click' ? 'web' : 'telegram';
    const chat = kind === 'link_click' ? { id: `-100${g}`, type: 'web' as const } : { id: `-100${g}`, title: `社群 ${g}`, type: 'group' as const };
    const details = kind === 'join' ? { via: 'invite_link', campaign: `c${person % 20}` } : kind === 'leave' ? { via: 'left' } : kind === 'link_click' ? { code: `L${g}`, clickId: `k${i}` } : rand() < 0.3 ? { keywords: ['price'] } : {};
    const event = touchEventSchema.parse({ id: makeTouchId(platform, 'bench', i), workspace: WS, platform, account: 'bot', chat, actor: { profileId: `p${person}` }, kind, details, occurredAt: new Date(start + Math.floor(rand() * DAYS * DAY)).toISOString() });
    batch.push({ ...event, profileId: `p${person}`, applied: true });
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
    const at = new Date(start + 30 * DAY + Math.floor(rand() * (DAYS - 30) * DAY)).toISOString();
    const matched = rand() < 0.9;
    const c: ConversionRecord = { workspace: WS, id: `o${i}`, type: 'purchase', occurredAt: at, value: Math.round(rand() * 50_000) / 100, currency: 'CNY', identifiers: [], fingerprint: `f${i}`, source: 'webhook', receivedAt: at, status: matched ? 'matched' : 'unattributed', match: matched ? { rule: 'tg_id', profileId: `p${person}`, lowConfidence: false } : null, reconciledAt: at };
    conversions.push(c);
    if (!matched) continue;
    const n = 1 + Math.floor(rand() * 6);
    const touches: CreditedTouch[] = Array.from({ length: n }, (_, k) => {
      const g = (person + k) % GROUPS;
      return { touchId: `j${i}.${k}`, at: new Date(Date.parse(at) - (n - k) * DAY).toISOString(), kind: 'message', platform: 'telegram', chatId: `-100${g}`, chatTitle: `社群 ${g}`, campaign: `c${g % 20}`, channel: `telegram/-100${g}/message` } as CreditedTouch;
    });
    // Credits per model: a different, valid split for each (the dashboard's speed does not depend on how they were fitted).
    const models = Object.fromEntries(
      MODEL_NAMES.map((m, mi) => {
        const w = touches.map((_, k) => 1 + ((k + mi) % 3));
        const sum = w.reduce((a, b) => a + b, 0);
        return [m, { conversions: w.map((x) => x / sum), value: w.map((x) => (x / sum) * c.value) }];
      }),
    ) as CreditSet['models'];
    sets.push({ workspace: WS, conversionId: c.id, conversionAt: at, value: c.value, currency: 'CNY', type: 'purchase', rule: 'tg_id', profileId: `p${person}`, lowConfidence: false, touches, models, fitId: 'bench', computedAt: at });
  }
  await store.conversions.insertMany(WS, conversions);
  for (const s of sets) await store.credits.put(WS, s);
  const dataMs = performance.now() - t0;
  const tb = performance.now();
  await rebuildCounters({ store, timeZoneOf: () => TZ, now: () => new Date(end) }, WS);
  const rollupMs = performance.now() - tb;

  const dir = mkdtempSync(join(tmpdir(), 'mf-bench-dash-'));
  const workspaces = { workspaces: [{ id: WS, timezone: TZ, currency: 'CNY', apiKeys: ['bench-dashboard-key-0123456789abcdef'], telegram: { bots: [{ token: TOKEN }] }, roles: { managers: [`telegram:${MANAGER}`] } }] };
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: `bench-dash-${process.pid}`, MIDFUNNEL_DATA_DIR: dir, MIDFUNNEL_HASH_KEY: 'bench-hash-key-0123456789abcdef', MIDFUNNEL_CONFIG: 'ws.json', ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) }, () => JSON.stringify(workspaces));
  const roles = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
  const base = `http://localhost:${roles.address?.port ?? 0}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    console.log(`\nDashboard (in-memory store, ${TZ}): ${TOUCHES.toLocaleString('en')} touches, ${CONVERSIONS.toLocaleString('en')} conversions (${sets.length.toLocaleString('en')} credited × ${MODEL_NAMES.length} models), ${DAYS} days; data built in ${(dataMs / 1000).toFixed(1)} s, counters in ${(rollupMs / 1000).toFixed(1)} s`);
    // Warm-up: the server builds the bundle once at start; the first page load waits for it.
    await (await fetch(`${base}/app`)).text();
    // The Overview's three reports, each alone over HTTP (readiness asks the Bot API: here it cannot be reached).
    const overviewReports = [
      ['attribution, 30 d', `attribution?workspace=${WS}&period=30d&model=linear&by=group`],
      ['readiness', `readiness?workspace=${WS}`],
      ['alerts, 7 d', `alerts?workspace=${WS}&period=7d`],
    ] as const;
    const apiMs = new Map<string, number[]>(overviewReports.map(([name]) => [name, []]));
    for (let i = 0; i < 5; i++) {
      for (const [name, path] of overviewReports) {
        const t = performance.now();
        const res = await fetch(`${base}/v1/reports/${path}`, { headers: { authorization: 'Bearer bench-dashboard-key-0123456789abcdef' } });
        await res.json();
        apiMs.get(name)?.push(performance.now() - t);
      }
    }
    const url = `${base}/app#tgWebAppData=${encodeURIComponent(signInitData(TOKEN, { id: MANAGER, first_name: 'B', language_code: 'en' }))}&tgWebAppVersion=7.10`;
    const RUNS = 5;
    const cold: number[] = [];
    const warm: number[] = [];
    const complete: number[] = [];
    const baseline: number[] = [];
    let figures = '';
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 412, height: 915 } });
      const page = await context.newPage();
      for (const [list, target] of [[baseline, `${base}/healthz`], [cold, url], [warm, url]] as const) {
        if (target === url) await page.goto('about:blank');
        const t = performance.now();
        // The first view: the Overview's figures in the DOM (not every font and image, nor the
        // readiness and alerts sections, which are drawn as their reports come).
        await page.goto(target, { waitUntil: target === url ? 'commit' : 'load' });
        if (target === url) await page.waitForSelector('[data-figure="conversions"]', { timeout: 60_000 });
        list.push(performance.now() - t);
        if (target === url) {
          await page.waitForSelector('.view[aria-busy="false"]', { timeout: 60_000 });
          if (list === warm) complete.push(performance.now() - t);
          // Let the page finish what it does after its first view (fetching the chart code,
          // adding the CJK font) before the next navigation is timed.
          await page.waitForTimeout(1_000);
        }
      }
      figures = (await page.textContent('[data-figure="conversions"]')) ?? '';
      await context.close();
    }
    const line = (name: string, xs: number[]): void => console.log(`  ${name.padEnd(64)} p50 ${fmt(p50(xs)).padStart(6)} ms   max ${fmt(Math.max(...xs)).padStart(6)} ms   (${xs.length} runs)`);
    line('baseline: a static empty page from the same server (/healthz)', baseline);
    line('time to first view, cold cache (page, bundle, sign-in, figures)', cold);
    line('time to first view, warm cache', warm);
    line('the whole Overview (figures, readiness, alerts), warm cache', complete);
    for (const [name, xs] of apiMs) line(`the Overview’s ${name} report alone over HTTP`, xs);
    console.log(`  (the Overview showed ${figures} conversions for 30 d)`);
  } finally {
    await browser.close();
    await roles.close();
  }
}

export async function run(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`\nDashboard: skipped (no Chromium at ${CHROMIUM}; apt-get install chromium)`);
    return;
  }
  const here = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', here, '--child'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`the dashboard benchmark failed (exit ${res.status})`);
}

const argv = process.argv;
if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  if (argv.includes('--child')) await child();
  else await run();
}
