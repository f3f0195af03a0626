/**
 * Conversions in, journeys matched, every touch credited, end to end on the real parts:
 * the real HTTP server (tracked-link clicks, signed conversion webhooks), BullMQ on the real
 * Redis (touch queue → profile worker; reconcile queue → reconcile worker), the in-memory
 * store, and the reports read back from stored credits.
 *
 * The community (T = the test's start):
 * - Alice (Telegram 101) joins 团购群 (-1001) through the `spring` invite at T−5d, says
 *   "price" there at T−3d, clicks the `vip1` link posted in 品牌VIP (-1002) at T, and buys
 *   for 120 CNY (the order carries her mf_click and Telegram id).
 * - Carol (303) joins 品牌VIP through the `vip` invite at T−6d, says "发货" at T−1d, buys for 50.
 * - Bob (202) joins 团购群 at T−4d, writes at T−2d, never buys. Dave clicks `vip1`, never buys.
 * - An order for 30 CNY from an email nobody knows stays unattributed.
 *
 * Channels (platform/group/kind): J = join@-1001, K = keyword@-1001, C = click@-1002,
 * J2/K2 = join/keyword@-1002, M = message@-1001. Journeys: Alice J→K→C (120), Carol J2→K2
 * (50), Bob J→M (no), Dave C (no).
 *
 * Worked by hand, per group (conversions; value):
 * - first_touch: -1001 1; 120 — -1002 1; 50.   last_touch: -1001 0; 0 — -1002 2; 170.
 * - linear: -1001 2/3; 80 — -1002 4/3; 90.   position_based (40/20/40): -1001 0.6; 72 — -1002 1.4; 98.
 * - shapley: v({J,K,C}) = v({J2,K2}) = 1, every other set 0 → equal split: as linear.
 * - markov (order 1): start→J ½, →J2 ¼, →C ¼; J→K ½, J→M ½; K→C; C→conv ½, C→null ½;
 *   J2→K2→conv; M→null. P(conv) = ½. Removal effects J ¼, K ¼, C ½, J2 ½, K2 ½, M 0, so
 *   Alice splits ¼ ¼ ½ and Carol ½ ½ → -1001 0.5; 60 — -1002 1.5; 110. (The value chain
 *   gives the same proportions: E[value] 42.5; without J or K 27.5; without C 12.5.)
 * - time_decay (half-life 7 d): weights 2^(−age/7d) of the touch times as stored.
 * Totals: 3 conversions, 200 CNY, 2 matched (match rate 2/3), 1 unattributed for 30.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { signBody } from '../src/conversions/verify-signature.js';
import { createLink } from '../src/links/create-link.js';
import { createLogger } from '../src/logger.js';
import { createReports } from '../src/reports/index.js';
import type { AttributionReport } from '../src/reports/report-types.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const SECRET = 'acme-webhook-secret-0123456789';
const WS = 'acme';
const DAY = 86_400_000;
const CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

async function start(store: Store, roles: Array<'http' | 'workers'> = ['http', 'workers']): Promise<{ base: string; app: RunningRoles }> {
  const prefix = uniquePrefix('e2e');
  const workspaces = { workspaces: [{ id: WS, secret: SECRET, allowedDomains: ['shop.example.com'], defaultRegion: 'CN', timezone: 'Asia/Shanghai' }] };
  const config = loadConfig(
    { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-e2e-')), MIDFUNNEL_HASH_KEY: 'e2e-hash-key-0123456789abcdef', MIDFUNNEL_CONFIG: 'ws.json' },
    () => JSON.stringify(workspaces),
  );
  const app = await startRoles({ config, roles, log: createLogger('silent'), store });
  running.push({ app, prefix });
  return { base: `http://127.0.0.1:${app.address?.port}`, app };
}

/**
 * Waits until neither queue has work for 300 ms in a row (triggers are queued right after a
 * touch job ends). Delayed jobs are the periodic refit and sweep: not counted. No job may fail.
 */
async function settle(app: RunningRoles, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let idle = 0;
  while (idle < 6) {
    if (Date.now() > deadline) throw new Error('queues did not settle');
    const counts = await Promise.all([app.touchQueue.queue, app.reconcileQueue.queue].map((q) => q.getJobCounts('waiting', 'active', 'prioritized', 'failed')));
    const failed = counts.reduce((n, c) => n + (c.failed ?? 0), 0);
    if (failed > 0) {
      const jobs = await app.reconcileQueue.queue.getFailed();
      throw new Error(`a job failed: ${jobs.map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`);
    }
    const busy = counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0), 0);
    idle = busy === 0 ? idle + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function postConversion(base: string, body: unknown, options: { secret?: string; t?: number; header?: string } = {}): Promise<{ status: number; json: Record<string, unknown>; text: string; header: string }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const header = options.header ?? signBody(options.secret ?? SECRET, text, options.t ?? Math.floor(Date.now() / 1000));
  const res = await fetch(`${base}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-midfunnel-signature': header }, body: text });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, text, header };
}

async function click(base: string, path: string, ua: string): Promise<URL> {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', headers: { 'user-agent': ua } });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

function communityTouches(T: number) {
  const at = (ms: number): string => new Date(T + ms).toISOString();
  const G1 = { id: '-1001', title: '团购群', type: 'group' as const };
  const G2 = { id: '-1002', title: '品牌VIP', type: 'group' as const };
  return [
    touch({ kind: 'join', ref: 'a-join', at: at(-5 * DAY), chat: G1, actor: { userId: '101', username: 'alice' }, details: { via: 'invite_link', campaign: 'spring' } }),
    touch({ kind: 'keyword', ref: 'a-kw', at: at(-3 * DAY), chat: G1, actor: { userId: '101' }, details: { keywords: ['price'] } }),
    touch({ kind: 'join', ref: 'c-join', at: at(-6 * DAY), chat: G2, actor: { userId: '303' }, details: { via: 'invite_link', campaign: 'vip' } }),
    touch({ kind: 'keyword', ref: 'c-kw', at: at(-1 * DAY), chat: G2, actor: { userId: '303' }, details: { keywords: ['发货'] } }),
    touch({ kind: 'join', ref: 'b-join', at: at(-4 * DAY), chat: G1, actor: { userId: '202' }, details: { via: 'public' } }),
    touch({ kind: 'message', ref: 'b-msg', at: at(-2 * DAY), chat: G1, actor: { userId: '202' } }),
  ];
}

function conversions(T: number, aliceClick: string) {
  const at = new Date(T + 60_000).toISOString();
  return {
    alice: { id: 'o-1001', workspace: WS, occurred_at: at, value: 120, currency: 'CNY', type: 'purchase', customer: { telegram_id: '101', phone: '138 0013 8000' }, click_id: aliceClick },
    carol: { id: 'o-1002', workspace: WS, occurred_at: at, value: '50.00', currency: 'cny', type: 'purchase', customer: { telegram_id: 303 } },
    stranger: { id: 'o-1003', workspace: WS, occurred_at: at, value: 30, currency: 'CNY', type: 'purchase', customer: { email: ' Nobody@Example.com ' } },
  };
}

const HALF_LIFE = 7 * DAY;

/** The report by group for every model, as [key, conversions, value] rows sorted by key. */
async function reportByGroup(store: Store, since: { from: string; to: string }): Promise<Record<string, Array<[string, number, number]>>> {
  const reports = createReports(store, [{ id: WS, timezone: 'Asia/Shanghai' }]);
  const out: Record<string, Array<[string, number, number]>> = {};
  for (const model of ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley']) {
    const r = await reports.attribution(WS, { period: { ...since, label: 'test' }, by: 'group', model });
    out[model] = r.rows.map((row): [string, number, number] => [row.key, round(row.credited.conversions), round(row.credited.value)]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
  return out;
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The expected table (time_decay from the touch times the store holds). */
async function expected(store: Store): Promise<Record<string, Array<[string, number, number]>>> {
  const alice = await store.credits.get(WS, 'o-1001');
  const carol = await store.credits.get(WS, 'o-1002');
  if (!alice || !carol) throw new Error('credits missing');
  const w = (at: string, conv: string): number => 2 ** (-(Date.parse(conv) - Date.parse(at)) / HALF_LIFE);
  const [j, k, c] = alice.touches.map((t) => w(t.at, alice.conversionAt)) as [number, number, number];
  const g1 = (j + k) / (j + k + c);
  return {
    first_touch: [['-1001', 1, 120], ['-1002', 1, 50]],
    last_touch: [['-1001', 0, 0], ['-1002', 2, 170]],
    linear: [['-1001', round(2 / 3), 80], ['-1002', round(4 / 3), 90]],
    position_based: [['-1001', 0.6, 72], ['-1002', 1.4, 98]],
    time_decay: [['-1001', round(g1), round(120 * g1)], ['-1002', round(1 - g1 + 1), round(120 * (1 - g1) + 50)]],
    markov: [['-1001', 0.5, 60], ['-1002', 1.5, 110]],
    shapley: [['-1001', round(2 / 3), 80], ['-1002', round(4 / 3), 90]],
  };
}

async function untilEqual<T>(read: () => Promise<T>, want: () => Promise<T>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [got, exp] = [await read().catch(() => undefined), await want().catch(() => undefined)];
    if (got !== undefined && JSON.stringify(got) === JSON.stringify(exp)) return;
    if (Date.now() > deadline) {
      expect(got).toEqual(exp);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function checkTotals(store: Store, period: { from: string; to: string }): Promise<AttributionReport> {
  const r = await createReports(store).attribution(WS, { period: { ...period, label: 'test' }, by: 'platform', model: 'linear' });
  expect(r.totals).toEqual({ conversions: 3, value: 200, matched: 2, unattributed: { conversions: 1, value: 30 }, matchRate: 0.666666667, lowConfidence: 0, pending: 0 });
  expect(r.currencies).toEqual(['CNY']);
  // By platform: Alice's click is web, the rest Telegram; last touch credits the click with all of Alice.
  expect(r.rows.map((x) => [x.key, round(x.credited.value), round(x.lastTouch.value), round(x.difference.value)])).toEqual([
    ['telegram', 130, 50, 80],
    ['web', 40, 120, -80],
  ]);
  return r;
}

describe('attribution end to end (HTTP, BullMQ on Redis, reconcile worker, reports)', () => {
  it('credits group touches, a tracked-link click and a signed conversion under every model, exactly', { timeout: 90_000 }, async () => {
    const store = createMemoryStore();
    const { base, app } = await start(store);
    const T = Date.now();
    const period = { from: new Date(T - 30 * DAY).toISOString(), to: new Date(T + DAY).toISOString() };
    await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, code: 'vip1', destination: 'https://shop.example.com/p/1?ref=tg#top', platform: 'telegram', campaign: 'vip', chatId: '-1002', chatTitle: '品牌VIP' });

    await app.touchQueue.enqueueMany(communityTouches(T));
    await settle(app);
    const aliceUrl = await click(base, '/l/vip1', CHROME);
    expect(aliceUrl.origin + aliceUrl.pathname + aliceUrl.hash).toBe('https://shop.example.com/p/1#top');
    expect([...aliceUrl.searchParams.keys()]).toEqual(['ref', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'mf_click']);
    expect(aliceUrl.searchParams.get('utm_content')).toBe('品牌VIP');
    const aliceClick = aliceUrl.searchParams.get('mf_click') as string;
    await click(base, '/l/vip1', SAFARI); // Dave
    await settle(app);

    const orders = conversions(T, aliceClick);
    const first = await postConversion(base, orders.alice);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ status: 'accepted', id: 'o-1001' });
    expect((await postConversion(base, orders.carol)).status).toBe(202);
    expect((await postConversion(base, orders.stranger)).status).toBe(202);
    await settle(app);
    await app.reconcileQueue.requestRefit(WS, 'test-1');
    await settle(app);

    await untilEqual(() => reportByGroup(store, period), () => expected(store));
    const alice = await store.conversions.get(WS, 'o-1001');
    expect(alice?.match).toEqual({ rule: 'click_id', profileId: expect.any(String), lowConfidence: false });
    expect(alice?.match?.profileId).toBe((await store.identities.find(WS, [{ type: 'tg_id', value: '101' }])).get('tg_id|101'));
    expect((await store.conversions.get(WS, 'o-1002'))?.match?.rule).toBe('tg_id');
    expect((await store.conversions.get(WS, 'o-1003'))?.status).toBe('unattributed');
    await checkTotals(store, period);

    // A replayed webhook changes nothing; a tampered one, or a stale signature, is refused.
    const replay = await postConversion(base, first.text, { header: first.header });
    expect(replay).toMatchObject({ status: 200, json: { status: 'duplicate', id: 'o-1001' } });
    const tampered = await postConversion(base, first.text.replace('"value":120', '"value":1200'), { header: first.header });
    expect(tampered.status).toBe(401);
    expect(tampered.json.error).toMatch(/does not match/);
    const stale = await postConversion(base, { ...orders.alice, id: 'o-late' }, { t: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(await store.conversions.get(WS, 'o-late')).toBeNull();
    expect((await store.conversions.get(WS, 'o-1001'))?.value).toBe(120);
    expect(await store.conversions.count(WS)).toBe(3);
  });

  it('gives the same credits when the conversions arrive before the group touches are processed', { timeout: 90_000 }, async () => {
    const store = createMemoryStore();
    const { base, app } = await start(store);
    const T = Date.now();
    const period = { from: new Date(T - 30 * DAY).toISOString(), to: new Date(T + DAY).toISOString() };
    await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, code: 'vip1', destination: 'https://shop.example.com/p/1?ref=tg#top', platform: 'telegram', campaign: 'vip', chatId: '-1002', chatTitle: '品牌VIP' });
    const aliceClick = (await click(base, '/l/vip1', CHROME)).searchParams.get('mf_click') as string;
    await click(base, '/l/vip1', SAFARI);
    const orders = conversions(T, aliceClick);
    for (const o of [orders.alice, orders.carol, orders.stranger]) expect((await postConversion(base, o)).status).toBe(202);
    await settle(app);
    // Before the touches: Alice's order has only her click; nobody knows Carol yet.
    expect((await store.credits.get(WS, 'o-1001'))?.touches.map((t) => t.kind)).toEqual(['link_click']);
    expect((await store.conversions.get(WS, 'o-1002'))?.status).toBe('unattributed');

    await app.touchQueue.enqueueMany(communityTouches(T));
    await settle(app);
    await app.reconcileQueue.requestRefit(WS, 'test-2');
    await settle(app);

    await untilEqual(() => reportByGroup(store, period), () => expected(store));
    expect((await store.credits.get(WS, 'o-1001'))?.touches.map((t) => t.channel.split('/')[2])).toEqual(['join', 'keyword', 'link_click']);
    expect((await store.conversions.get(WS, 'o-1002'))?.match?.rule).toBe('tg_id');
    await checkTotals(store, period);
  });
});
