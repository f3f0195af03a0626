/**
 * Erasure on request, end to end on the real parts: `startRoles` with the http, workers and
 * telegram roles (real HTTP server, Telegram webhook into the real telegraf bot against the
 * Bot API stand-in, BullMQ on the real Redis: touch queue → profile worker, reconcile queue →
 * reconcile worker), the in-memory store, and the reports read back from it.
 *
 * Alice (Telegram 101) writes "price?" in 团购群, clicks her personal link to `deal1`, and
 * buys for 120 CNY (the order carries her Telegram id, phone and click id): a matched,
 * credited conversion. Bob (202) writes "发货" and buys for 50; Dave clicks the group link
 * anonymously. Alice then sends /forgetme and confirms. Afterwards nothing of hers remains but
 * her order, unlinked and unattributed; a touch of hers still queued is dropped by the worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { signBody } from '../src/conversions/verify-signature.js';
import { createLink } from '../src/links/create-link.js';
import { personalLinkUrl } from '../src/links/member-tokens.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createReports } from '../src/reports/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { BotApiStub } from './support/bot-api-stub.js';
import { deleteKeys, testRedis } from './support/redis.js';
import { BOT, commandUpdate, GROUP, OTHER_BOT, P, privateChat, testConfig, textUpdate, WORKSPACES } from './support/telegram-harness.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const WEBHOOK_SECRET = 'acme-secret-token_1';
const CONVERSION_SECRET = 'acme-webhook-secret-0123456789';
const DAY = 86_400_000;
const CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const alice = { id: 101, username: 'alice_shop' };
const bob = { id: P.member };

const open: Array<{ app: RunningRoles; stub: BotApiStub; prefix: string }> = [];
afterEach(async () => {
  for (const { app, stub, prefix } of open.splice(0)) {
    await app.close();
    await stub.close();
    const redis = testRedis();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
    await redis.quit();
  }
});

async function start() {
  const stub = await BotApiStub.start();
  stub.addBot(BOT);
  stub.addBot(OTHER_BOT);
  const [acme, ...rest] = WORKSPACES.workspaces;
  const workspaces = { workspaces: [{ ...acme, secret: CONVERSION_SECRET, defaultRegion: 'CN' }, ...rest] };
  const config = testConfig({ PUBLIC_BASE_URL: 'https://bots.example.test', TELEGRAM_API_ROOT: stub.root }, workspaces);
  const store = createMemoryStore();
  const app = await startRoles({ config, roles: ['http', 'workers', 'telegram'], log: createLogger('silent'), store, metrics: createMetrics() });
  open.push({ app, stub, prefix: config.queuePrefix });
  await app.telegram?.ready;
  const base = `http://127.0.0.1:${app.address?.port}`;
  return { app, stub, store, base };
}

async function postUpdate(base: string, update: unknown): Promise<void> {
  const res = await fetch(`${base}/telegram/${BOT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
    body: JSON.stringify(update),
  });
  expect(res.status).toBe(200);
}

async function postConversion(base: string, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(`${base}/v1/conversions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-midfunnel-signature': signBody(CONVERSION_SECRET, text, Math.floor(Date.now() / 1000)) },
    body: text,
  });
  expect(res.status).toBe(202);
}

/** Follows a tracked link; returns the `mf_click` id of the redirect. */
async function click(url: string, ua: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': ua } });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '').searchParams.get('mf_click') ?? '';
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the touch and reconcile queues have had no work for 300 ms in a row; no job may fail. */
async function settle(app: RunningRoles): Promise<void> {
  const deadline = Date.now() + 30_000;
  let idle = 0;
  while (idle < 6) {
    if (Date.now() > deadline) throw new Error('queues did not settle');
    const counts = await Promise.all([app.touchQueue.queue, app.reconcileQueue.queue].map((q) => q.getJobCounts('waiting', 'active', 'prioritized', 'failed')));
    if (counts.some((c) => (c.failed ?? 0) > 0)) throw new Error(`a job failed: ${JSON.stringify(counts)}`);
    const busy = counts.reduce((n, c) => n + (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0), 0);
    idle = busy === 0 ? idle + 1 : 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const textsTo = (stub: BotApiStub, chatId: number): string[] =>
  stub
    .callsTo('sendMessage', BOT)
    .filter((c) => String(c.payload.chat_id) === String(chatId))
    .map((c) => String(c.payload.text));

async function totals(store: Store, period: { from: string; to: string }) {
  const r = await createReports(store).attribution(WS, { period: { ...period, label: 'test' }, by: 'group', model: 'linear' });
  return { totals: r.totals, credited: r.rows.reduce((sum, row) => sum + row.credited.value, 0) };
}

describe('erasure on request (/forgetme), end to end', () => {
  it('erases the person’s touches, identities, clicks and tokens, unlinks their order, and drops their queued touches', { timeout: 90_000 }, async () => {
    const { app, stub, store, base } = await start();
    const T = Date.now();
    const period = { from: new Date(T - 30 * DAY).toISOString(), to: new Date(T + DAY).toISOString() };

    // Activity: group messages through the webhook; a personal-link click; an anonymous click.
    await postUpdate(base, textUpdate('price?', alice));
    await postUpdate(base, textUpdate('发货', bob));
    await until(() => store.touches.list(WS, {}), (t) => ['101', '202'].every((u) => t.some((x) => x.actor.userId === u)), 'group touches');
    await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, code: 'deal1', destination: 'https://shop.example.com/p/1', platform: 'telegram', campaign: 'spring', chatId: String(GROUP), chatTitle: '团购群 Deals' });
    const personal = await personalLinkUrl(store, { workspace: WS, code: 'deal1', baseUrl: base, member: { identifier: { type: 'tg_id', value: '101' } } });
    const token = personal.split('/').pop() ?? '';
    const aliceClick = await click(personal, CHROME);
    const daveClick = await click(`${base}/l/deal1`, SAFARI);
    await settle(app);

    const at = new Date(T + 60_000).toISOString();
    await postConversion(base, { id: 'o-alice', workspace: WS, occurred_at: at, value: 120, currency: 'CNY', type: 'purchase', customer: { telegram_id: '101', phone: '138 0013 8000', telegram_username: 'alice_shop' }, click_id: aliceClick });
    await postConversion(base, { id: 'o-bob', workspace: WS, occurred_at: at, value: 50, currency: 'CNY', type: 'purchase', customer: { telegram_id: String(P.member) } });
    await settle(app);

    // Before: Alice's order is matched through her click and credited to her touches.
    const alicePid = (await store.identities.find(WS, [{ type: 'tg_id', value: '101' }])).get('tg_id|101') ?? '';
    const aliceIdentifiers = await store.identities.ofProfile(WS, alicePid);
    expect(aliceIdentifiers.map((i) => i.type).sort()).toEqual(['phone', 'tg_id']);
    expect(await store.conversions.get(WS, 'o-alice')).toMatchObject({ status: 'matched', match: { rule: 'click_id', profileId: alicePid } });
    expect((await store.credits.get(WS, 'o-alice'))?.touches.map((t) => t.channel.split('/')[2]).sort()).toEqual(['keyword', 'link_click']);
    expect((await store.clicks.get(WS, aliceClick))?.profileId).toBe(alicePid);
    expect((await store.memberTokens.get(WS, token))?.member).toEqual({ type: 'tg_id', value: '101' });
    expect((await store.touches.list(WS, { profileId: alicePid })).length).toBe(2);
    expect(await totals(store, period)).toMatchObject({ totals: { conversions: 2, matched: 2, unattributed: { conversions: 0, value: 0 } }, credited: 170 });

    // /forgetme, then the confirmation with the code the bot sent.
    await postUpdate(base, commandUpdate('/forgetme', alice, privateChat(alice.id)));
    const prompt = await until(async () => textsTo(stub, alice.id), (t) => t.length === 1, 'the confirmation prompt');
    const code = /\/forgetme ([A-Z0-9]{6})/.exec(prompt[0] ?? '')?.[1] ?? '';
    expect(code).toMatch(/^[A-Z0-9]{6}$/);
    await postUpdate(base, commandUpdate(`/forgetme ${code}`, alice, privateChat(alice.id)));
    const answers = await until(async () => textsTo(stub, alice.id), (t) => t.length === 2, 'the erasure answer');
    expect(answers[1]).toMatch(/^Done: your data is erased \(2 activity records, 1 profile\)\. 1 order\(s\) stay in the shop’s figures, no longer linked to you\./);
    await settle(app);

    // Nothing of Alice's remains: profile, touches, identifiers, her click, her token.
    expect(await store.profiles.get(WS, alicePid)).toBeNull();
    expect(await store.touches.list(WS, { profileId: alicePid })).toEqual([]);
    expect((await store.touches.list(WS, {})).filter((t) => t.actor.userId === '101' || t.actor.profileId === alicePid)).toEqual([]);
    expect(await store.identities.find(WS, aliceIdentifiers)).toEqual(new Map());
    // Every identifier she had is opted out, her phone hash included, so no later order brings her back.
    const phone = aliceIdentifiers.find((i) => i.type === 'phone');
    expect(await store.community.optOuts.has(WS, `phone:${phone?.value}`)).toBe(true);
    expect(await store.community.optOuts.has(WS, 'telegram:101')).toBe(true);
    expect(await store.clicks.get(WS, aliceClick)).toBeNull();
    expect(await store.memberTokens.get(WS, token)).toBeNull();
    // Her order stays, unlinked: no identifiers, username, click id, match or credits.
    const order = await store.conversions.get(WS, 'o-alice');
    expect(order).toMatchObject({ id: 'o-alice', value: 120, currency: 'CNY', status: 'unattributed', match: null, identifiers: [], erasedAt: expect.any(String) });
    expect(order).not.toHaveProperty('clickId');
    expect(order).not.toHaveProperty('telegramUsername');
    expect(await store.credits.get(WS, 'o-alice')).toBeNull();
    // Others are untouched: Bob's order and credits, Dave's anonymous click.
    expect(await store.conversions.get(WS, 'o-bob')).toMatchObject({ status: 'matched', match: { rule: 'tg_id' } });
    expect(await store.credits.get(WS, 'o-bob')).not.toBeNull();
    expect((await store.clicks.get(WS, daveClick))?.profileId).toBeNull();
    // Reports count the sale as unattributed, never credited to her touches.
    expect(await totals(store, period)).toEqual({ totals: { conversions: 2, value: 170, matched: 1, unattributed: { conversions: 1, value: 120 }, matchRate: 0.5, lowConfidence: 0, pending: 0 }, credited: 50 });

    // Reconciling the order again (the sweep would) changes nothing and recreates no identity.
    await app.reconcileQueue.enqueue(WS, ['o-alice'], 'after-erasure');
    await settle(app);
    expect(await store.conversions.get(WS, 'o-alice')).toMatchObject({ status: 'unattributed', match: null });
    expect(await store.credits.get(WS, 'o-alice')).toBeNull();
    expect(await store.identities.find(WS, aliceIdentifiers)).toEqual(new Map());

    // A touch of hers still in the queue (enqueued before the connector saw the opt-out) is dropped.
    const profilesBefore = await store.profiles.count(WS);
    const group = { id: String(GROUP), title: '团购群 Deals', type: 'group' as const };
    const late = touch({ kind: 'keyword', ref: 'late-alice', at: new Date().toISOString(), chat: group, actor: { userId: '101', username: 'alice_shop' }, details: { keywords: ['price'] } });
    const other = touch({ kind: 'message', ref: 'late-bob', at: new Date().toISOString(), chat: group, actor: { userId: String(P.member) }, details: {} });
    await app.touchQueue.enqueueMany([late, other]);
    await settle(app);
    expect(await store.touches.get(WS, late.id)).toBeNull();
    expect(await store.touches.get(WS, other.id)).not.toBeNull();
    expect(await store.identities.find(WS, [{ type: 'tg_id', value: '101' }])).toEqual(new Map());
    expect(await store.profiles.count(WS)).toBe(profilesBefore);
    expect((await store.profiles.list(WS)).flatMap((p) => p.usernames)).not.toContain('alice_shop');
    const processed = (await app.metrics.eventsProcessed.get()).values.find((v) => v.labels.result === 'opted_out');
    expect(processed?.value).toBe(1);
  });
});
