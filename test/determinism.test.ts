/**
 * Deterministic credits: one data set (18 people on Telegram and WhatsApp, two of them on
 * both; 4 groups with invite-link campaigns; joins, messages, deep-link starts, leaves;
 * anonymous tracked-link clicks; 42 orders from February to June 2026 and November 2026,
 * some matched by Telegram id, some by WhatsApp number, some by click id, one by coupon, two
 * nobody's) fed through the real product: the HTTP server (signed conversion webhooks), BullMQ
 * on Redis (touch queue → profile worker; reconcile queue → reconcile worker with its debounced
 * month refits), the in-memory store. Twice, in two orders with different timing:
 * - run A: every touch first, then the orders one by one; 1 worker slot, refits 50 ms after data;
 * - run B: the orders first (concurrently, last first), then the touches in reverse order in
 *   small bursts; 8 worker slots, refits 400 ms after data; once all that has settled, the
 *   touches of three people who never buy (they change the fits only as non-converting journeys).
 * Once the queues are idle, every stored credit set must be the same in both runs: every model,
 * every touch, every value, exactly (`computedAt` aside; profile ids, which are random, are
 * compared as the identifiers of the person they name).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { seededRandom } from '../bench/seeded-random.js';
import { MODEL_NAMES } from '../src/attribution/index.js';
import { loadConfig } from '../src/config.js';
import { signBody } from '../src/conversions/verify-signature.js';
import { identifierKey } from '../src/identity/identifier.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { clickTouch } from '../src/links/record-click.js';
import { createLogger } from '../src/logger.js';
import { fitStatus } from '../src/reconcile/fit-status.js';
import { monthOf } from '../src/reconcile/fit-window.js';
import { createReports } from '../src/reports/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ClickRecord, CreditSet, Store, TrackedLink } from '../src/store/store.js';
import type { TouchEvent } from '../src/touch-event.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const SECRET = 'determinism-webhook-secret-0123';
const HASH_KEY = 'determinism-hash-key-0123456789abcdef';
const DAY = 86_400_000;
const START = Date.parse('2026-01-10T00:00:00Z');
const hash = makePseudonymizer(HASH_KEY, WS);

const TG_GROUPS = [
  { id: '-1001', title: '团购群', type: 'group' as const, campaign: 'spring' },
  { id: '-1002', title: '品牌VIP', type: 'group' as const, campaign: 'vip' },
  { id: '-1003', title: 'Deals', type: 'group' as const, campaign: 'deals' },
];
const WA_GROUP = { id: '120363000000000001@g.us', title: '发货群', type: 'group' as const, campaign: 'wa-launch' };

interface Dataset {
  links: TrackedLink[];
  clicks: ClickRecord[];
  touches: TouchEvent[];
  /** Touches of three people who never buy: they feed the fits only as non-converting journeys. */
  lurkers: TouchEvent[];
  orders: Array<Record<string, unknown>>;
}

/** The data set (fixed seed): see the header. */
function dataset(): Dataset {
  const rand = seededRandom(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const touches: TouchEvent[] = [];
  const people = Array.from({ length: 18 }, (_, i) => {
    const tg = i < 14 ? String(1001 + i) : undefined;
    const phone = i >= 12 ? `+8613800138${String(i).padStart(3, '0')}` : undefined;
    return { i, tg, phone, waId: phone ? hash('wa_id', phone) : undefined, phoneHash: phone ? hash('phone', phone) : undefined };
  });
  for (const p of people) {
    const join = START + rand() * 60 * DAY;
    const add = (kind: TouchEvent['kind'], ref: string, at: number, onWhatsApp: boolean, group: (typeof TG_GROUPS)[number] | typeof WA_GROUP, details?: Record<string, unknown>): void => {
      const chat = { id: group.id, title: group.title, type: group.type };
      const actor = onWhatsApp ? { userId: p.waId as string, phoneHash: p.phoneHash as string } : { userId: p.tg as string };
      touches.push(touch({ kind, ref: `p${p.i}-${ref}`, at: iso(at), platform: onWhatsApp ? 'whatsapp' : 'telegram', account: onWhatsApp ? 'wa1' : 'bot1', chat, actor, ...(details ? { details } : {}) }));
    };
    for (const onWhatsApp of [false, true]) {
      if (onWhatsApp ? !p.phone : !p.tg) continue;
      const home = onWhatsApp ? WA_GROUP : pick(TG_GROUPS);
      const viaLink = rand() < 0.67;
      add('join', 'join', join, onWhatsApp, home, viaLink ? { via: 'invite_link', campaign: home.campaign } : { via: 'public' });
      const messages = 3 + Math.floor(rand() * 6);
      for (let m = 0; m < messages; m++) {
        const group = onWhatsApp || rand() < 0.7 ? home : pick(TG_GROUPS);
        add('message', `m${m}`, join + rand() * 110 * DAY, onWhatsApp, group, {});
      }
      if (!onWhatsApp && rand() < 0.3) {
        const chat = { id: p.tg as string, type: 'private' as const };
        touches.push(touch({ kind: 'dm_start', ref: `p${p.i}-dm`, at: iso(join + rand() * 30 * DAY), chat, actor: { userId: p.tg as string }, details: { payload: 'spring' } }));
      }
      if (rand() < 0.2) add('leave', 'leave', join + 120 * DAY, onWhatsApp, home, { via: 'left' });
    }
  }
  // Two people keep talking in the autumn and buy again in November.
  for (const i of [0, 1]) {
    for (let m = 0; m < 4; m++) {
      touches.push(touch({ kind: 'message', ref: `p${i}-autumn${m}`, at: iso(Date.parse('2026-10-20T00:00:00Z') + m * 6 * DAY + i * 3_600_000), chat: TG_GROUPS[m % 3] as TouchEvent['chat'], actor: { userId: String(1001 + i) } }));
    }
  }

  const lurkers: TouchEvent[] = [];
  for (let i = 0; i < 3; i++) {
    const group = TG_GROUPS[i] as (typeof TG_GROUPS)[number];
    const chat = { id: group.id, title: group.title, type: group.type };
    const actor = { userId: String(2001 + i) };
    lurkers.push(touch({ kind: 'join', ref: `l${i}-join`, at: iso(START + (20 + i * 25) * DAY), chat, actor, details: { via: 'invite_link', campaign: group.campaign } }));
    for (let m = 0; m < 5; m++) lurkers.push(touch({ kind: 'message', ref: `l${i}-m${m}`, at: iso(START + (21 + i * 25 + m * 4) * DAY), chat, actor }));
  }

  const links: TrackedLink[] = [
    { workspace: WS, code: 'vip1', destination: 'https://shop.example.com/p/1', platform: 'telegram', campaign: 'vip', chatId: '-1002', chatTitle: '品牌VIP', createdAt: '2026-01-01T00:00:00.000Z' },
    { workspace: WS, code: 'deal2', destination: 'https://shop.example.com/p/2', platform: 'telegram', campaign: 'deals', chatId: '-1003', chatTitle: 'Deals', createdAt: '2026-01-01T00:00:00.000Z' },
  ];
  const clicks: ClickRecord[] = [];
  for (let k = 0; k < 8; k++) {
    const link = links[k % 2] as TrackedLink;
    const at = iso(START + 40 * DAY + rand() * 100 * DAY);
    const clickId = `ck${String(k).padStart(2, '0')}`;
    const t = clickTouch(link, { clickId, at, profileId: null });
    clicks.push({ workspace: WS, clickId, code: link.code, touchId: t.id, at, profileId: null, visitorHash: `v${k}`, chatId: link.chatId as string, ...(link.chatTitle ? { chatTitle: link.chatTitle } : {}), ...(link.campaign ? { campaign: link.campaign } : {}) });
    touches.push(t);
  }

  const orders: Array<Record<string, unknown>> = [];
  const order = (n: number, at: number, customer: Record<string, unknown>, extra: Record<string, unknown> = {}): void => {
    orders.push({ id: `o-${String(n).padStart(3, '0')}`, workspace: WS, occurred_at: iso(at), value: Math.round(rand() * 50_000) / 100, currency: 'CNY', type: 'purchase', customer, ...extra });
  };
  for (let n = 0; n < 34; n++) {
    const p = pick(people);
    const customer: Record<string, unknown> = {};
    if (p.tg) customer.telegram_id = p.tg;
    if (p.phone && (!p.tg || rand() < 0.8)) customer.whatsapp = p.phone;
    order(n, START + 35 * DAY + rand() * 110 * DAY, customer);
  }
  // Click ids: the click's journey alone (nobody named), or joined to the person the order names.
  for (let k = 0; k < 4; k++) {
    const c = clicks[k] as ClickRecord;
    const customer = k % 2 === 0 ? {} : { telegram_id: (people[k] as { tg: string }).tg };
    order(34 + k, Date.parse(c.at) + (k + 1) * 3_600_000, customer, { click_id: c.clickId });
  }
  order(38, START + 70 * DAY, { email: 'nobody@example.com' }, { coupon: 'spring10' });
  order(39, START + 80 * DAY, { email: 'stranger@example.com' });
  order(40, Date.parse('2026-11-15T10:00:00Z'), { telegram_id: '1001' });
  order(41, Date.parse('2026-11-20T10:00:00Z'), { telegram_id: '1002' });
  return { links, clicks, touches, lurkers, orders };
}

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

async function start(store: Store, concurrency: number, refitDelayMs: number): Promise<{ base: string; app: RunningRoles }> {
  const prefix = uniquePrefix('det');
  const workspaces = { workspaces: [{ id: WS, secret: SECRET, allowedDomains: ['shop.example.com'], defaultRegion: 'CN', timezone: 'UTC', coupons: [{ code: 'SPRING10', campaign: 'spring', chatId: '-1001', platform: 'telegram' }] }] };
  const config = loadConfig(
    {
      REDIS_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: String(concurrency),
      REFIT_DELAY_MS: String(refitDelayMs),
      MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-det-')),
      MIDFUNNEL_HASH_KEY: HASH_KEY,
      MIDFUNNEL_CONFIG: 'ws.json',
    },
    () => JSON.stringify(workspaces),
  );
  const app = await startRoles({ config, roles: ['http', 'workers'], log: createLogger('silent'), store });
  running.push({ app, prefix });
  return { base: `http://127.0.0.1:${app.address?.port}`, app };
}

/**
 * Waits until neither queue has had work for 600 ms in a row: nothing waiting, active or
 * prioritized, and no delayed job but the periodic ones (`repeat:` ids; a debounced month
 * refit or a retry is work still to do). No job may fail.
 */
async function settle(app: RunningRoles, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let idle = 0;
  while (idle < 12) {
    if (Date.now() > deadline) throw new Error('queues did not settle');
    const queues = [app.touchQueue.queue, app.reconcileQueue.queue];
    const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized', 'failed')));
    const failed = counts.reduce((n, c) => n + (c.failed ?? 0), 0);
    if (failed > 0) {
      const jobs = [...(await app.reconcileQueue.queue.getFailed()), ...(await app.touchQueue.queue.getFailed())];
      throw new Error(`a job failed: ${jobs.map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`);
    }
    const delayed = (await Promise.all(queues.map((q) => q.getDelayed()))).flat().filter((j) => !String(j.id).startsWith('repeat:'));
    const busy = counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0), 0) + delayed.length;
    idle = busy === 0 ? idle + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function post(base: string, body: Record<string, unknown>): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(`${base}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-midfunnel-signature': signBody(SECRET, text, Math.floor(Date.now() / 1000)) }, body: text });
  expect(res.status, `${String(body.id)}: ${await res.clone().text()}`).toBe(202);
}

type Snapshot = Record<string, { status: string; rule: string | null; person: string | null; credits: Omit<CreditSet, 'computedAt'> | null }>;

/** Every conversion's outcome and credits, profile ids replaced by the identifiers of the person they name. */
async function snapshot(store: Store): Promise<Snapshot> {
  const personOf = async (profileId: string | null | undefined): Promise<string | null> => {
    if (!profileId) return null;
    const p = await store.profiles.get(WS, profileId);
    return p ? p.identifiers.map(identifierKey).sort().join(' ') : `missing profile ${profileId}`;
  };
  const out: Snapshot = {};
  for (const c of await store.conversions.list(WS, {})) {
    const set = await store.credits.get(WS, c.id);
    let credits: Snapshot[string]['credits'] = null;
    if (set) {
      const { computedAt: _computedAt, ...rest } = set;
      void _computedAt;
      credits = { ...rest, profileId: await personOf(set.profileId) };
    }
    out[c.id] = { status: c.status, rule: c.match?.rule ?? null, person: await personOf(c.match?.profileId), credits };
  }
  return out;
}

/** Checks one run on its own: every matched conversion credited under every model with its month's current, clean fit. */
async function checkComplete(store: Store, snap: Snapshot): Promise<void> {
  const status = new Map((await fitStatus(store, WS)).map((s) => [s.month, s]));
  for (const [id, c] of Object.entries(snap)) {
    if (c.status !== 'matched') {
      expect(c.credits, id).toBeNull();
      continue;
    }
    const set = c.credits as NonNullable<typeof c.credits>;
    expect(Object.keys(set.models).sort(), id).toEqual([...MODEL_NAMES].sort());
    const month = status.get(monthOf(set.conversionAt));
    expect(month?.dirty, `${id}: fit of its month is clean`).toBe(false);
    expect(set.fitId, id).toBe(month?.fitId);
    if (set.touches.length > 0) {
      for (const m of MODEL_NAMES) expect(set.models[m]?.conversions.reduce((a, b) => a + b, 0), `${id} ${m}`).toBeCloseTo(1, 9);
    }
  }
}

describe('deterministic credits (HTTP, BullMQ on Redis, profile and reconcile workers, debounced refits)', () => {
  it('gives exactly the same stored credits for every model whatever the arrival order, timing and worker count', { timeout: 300_000 }, async () => {
    const data = dataset();
    const prepare = async (store: Store): Promise<void> => {
      for (const l of data.links) await store.links.insert(WS, l);
      // A click is recorded when it happens, before the order that carries its id.
      for (const c of data.clicks) await store.clicks.insert(WS, c);
    };

    // Run A: touches first, then orders one by one; one worker slot; refits 50 ms after data.
    const storeA = createMemoryStore();
    await prepare(storeA);
    const a = await start(storeA, 1, 50);
    await a.app.touchQueue.enqueueMany([...data.lurkers, ...data.touches]);
    await settle(a.app);
    for (const o of data.orders) await post(a.base, o);
    await settle(a.app);
    const snapA = await snapshot(storeA);
    await checkComplete(storeA, snapA);

    // Run B: orders first (last first, five at a time), then the touches in reverse, in bursts; 8 slots; refits 400 ms after data.
    const storeB = createMemoryStore();
    await prepare(storeB);
    const b = await start(storeB, 8, 400);
    const reversed = [...data.orders].reverse();
    for (let i = 0; i < reversed.length; i += 5) await Promise.all(reversed.slice(i, i + 5).map((o) => post(b.base, o)));
    await new Promise((r) => setTimeout(r, 200));
    const touches = [...data.touches].reverse();
    for (let i = 0; i < touches.length; i += 9) {
      await b.app.touchQueue.enqueueMany(touches.slice(i, i + 9));
      await new Promise((r) => setTimeout(r, 15));
    }
    await settle(b.app);
    const before = await fitStatus(storeB, WS);
    await b.app.touchQueue.enqueueMany(data.lurkers);
    await settle(b.app);
    // The lurkers changed the fits of the months their touches fall in (and the 90 days after).
    const after = await fitStatus(storeB, WS);
    expect(after.filter((m) => m.fitId !== before.find((x) => x.month === m.month)?.fitId).map((m) => m.month)).toEqual(['2026-02', '2026-03', '2026-04', '2026-05', '2026-06']);
    const snapB = await snapshot(storeB);
    await checkComplete(storeB, snapB);

    // The data set is what the header says: matched, by each rule, and over 5 months.
    const matched = Object.values(snapA).filter((c) => c.status === 'matched');
    expect(matched.length).toBeGreaterThanOrEqual(36);
    expect(new Set(matched.map((c) => c.rule))).toEqual(new Set(['tg_id', 'phone', 'click_id', 'coupon']));
    expect(new Set(matched.map((c) => monthOf((c.credits as CreditSet).conversionAt))).size).toBeGreaterThanOrEqual(5);
    expect(Object.values(snapA).filter((c) => c.status === 'unattributed')).toHaveLength(1);

    // Exactly the same: toStrictEqual compares every number with Object.is, and the JSON texts (17 digits) agree.
    expect(snapB).toStrictEqual(snapA);
    expect(JSON.stringify(snapB)).toBe(JSON.stringify(snapA));
    expect(await fitStatus(storeB, WS).then((s) => s.map(({ fittedAt: _f, ...rest }) => rest))).toEqual(await fitStatus(storeA, WS).then((s) => s.map(({ fittedAt: _f, ...rest }) => rest)));

    // Markov and Shapley credit every matched order of March–May, asked for in December: their totals are the matched conversions.
    const period = { from: '2026-03-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z', label: '2026-03-01..2026-05-31' };
    const reports = createReports(storeA, [{ id: WS, timezone: 'UTC' }]);
    for (const model of ['markov', 'shapley']) {
      const r = await reports.attribution(WS, { period, by: 'group', model });
      const credited = r.rows.reduce((n, row) => n + row.credited.conversions, 0);
      expect(r.totals.matched).toBeGreaterThan(20);
      expect(credited, model).toBeCloseTo(r.totals.matched, 6);
      expect((r.notes ?? []).filter((n) => n.includes('not credited')), model).toEqual([]);
    }
  });
});
