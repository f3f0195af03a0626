/**
 * Referral chains through the real telegraf bot (Bot API stub, real Redis and BullMQ, the
 * profile worker with the referral hook as `app/roles.ts` wires it): `/myinvite` makes a
 * personal invite link once and reuses it; `chat_member` joins through it make edges; a member
 * added by another member is an edge, one added by an admin is not; a fast leave takes the
 * credit back (the invitee's conversion is reconciled again without the referral step); the
 * leaderboard's revenue is the invitees' credited revenue computed by hand, second-degree counts
 * are right; referral webhooks reach a local receiver signed, once per event id.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'telegraf/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../src/conversions/verify-signature.js';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { createFitCache } from '../src/reconcile/fit-models.js';
import { reconcileConversion } from '../src/reconcile/reconcile-conversion.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { noteReferralTouch, publishReferralEvents, type ReferralDeps } from '../src/referrals/index.js';
import { createReports } from '../src/reports/index.js';
import { createReportApi } from '../src/reports/report-api.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import type { ConversionRecord, CreditSet } from '../src/store/store.js';
import { WebhookQueue, type WebhookSubscription } from '../src/webhooks/index.js';
import { isRecorded } from '../workers/profile.worker.js';
import { createWebhookWorker } from '../workers/webhook.worker.js';
import { REDIS_URL } from './support/redis.js';
import { BOT, commandUpdate, fixture, GROUP, P, privateChat, startTelegramHarness, testConfig, WORKSPACES, type TelegramHarness } from './support/telegram-harness.js';

const WS = 'acme';
const SECRET = 'referral-receiver-secret-01';
const DAY = 86_400;
const API_KEY = 'acme-reports-key-0123456789abcdef';
/** People: Alice joined through the spring campaign and invites; Bob, Carol, Dan join through her link; Erin through Bob's; Frank is added by Carol; Hank by an admin. */
const U = { alice: 301, bob: 302, carol: 303, dan: 304, erin: 305, frank: 306, hank: 307 } as const;
const T0 = Math.floor(Date.now() / 1000) - 20 * DAY;

let h: TelegramHarness;
const pending: Array<Promise<unknown>> = [];
const reconcileAsked: string[] = [];
const got: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
let closeReceiver: () => Promise<void>;
let webhooks: WebhookQueue;
let closeWebhooks: () => Promise<void>;
let deps: ReferralDeps;

const person = (id: number) => ({ id, is_bot: false, first_name: `P${id}`, username: `user${id}` });

/** A `chat_member` update: `user` joins GROUP at `at`, through `link` or added by `by`. */
function joinUpdate(user: number, at: number, o: { link?: { url: string; name?: string }; by?: number } = {}): Update {
  return fixture('chat-member-join-invite-link', (u) => {
    const m = u.chat_member;
    m.date = at;
    m.from = person(o.by ?? user);
    m.old_chat_member = { user: person(user), status: 'left' };
    m.new_chat_member = { user: person(user), status: 'member' };
    if (o.link) {
      m.invite_link = { ...m.invite_link, invite_link: o.link.url };
      if (o.link.name !== undefined) m.invite_link.name = o.link.name;
      else delete m.invite_link.name;
    } else delete m.invite_link;
  });
}

function leaveUpdate(user: number, at: number): Update {
  return fixture('chat-member-left', (u) => {
    const m = u.chat_member;
    m.date = at;
    m.from = person(user);
    m.old_chat_member = { user: person(user), status: 'member' };
    m.new_chat_member = { user: person(user), status: 'left' };
  });
}

/** Feeds updates and waits for the referral notes they started. */
async function feed(...updates: Update[]): Promise<void> {
  await h.feed(updates);
  while (pending.length > 0) await Promise.all(pending.splice(0));
}

const texts = (chatId: number): string[] => h.stub.callsTo('sendMessage').filter((c) => String(c.payload.chat_id) === String(chatId)).map((c) => String(c.payload.text));

async function myinvite(user: number): Promise<string> {
  const before = texts(user).length;
  await feed(commandUpdate('/myinvite', person(user), privateChat(user)));
  const answer = texts(user).slice(before).join('\n');
  const url = /https:\/\/t\.me\/\+\S+/.exec(answer)?.[0];
  if (!url) throw new Error(`no link in: ${answer}`);
  return url;
}

function conversion(id: string, at: number, tgId: number, value: number): ConversionRecord {
  const iso = new Date(at * 1000).toISOString();
  return { workspace: WS, id, type: 'purchase', occurredAt: iso, value, currency: 'CNY', identifiers: [{ type: 'tg_id', value: String(tgId) }], fingerprint: id, source: 'webhook', receivedAt: iso, status: 'pending', match: null, reconciledAt: null };
}

const reconcileDeps = () => ({
  store: h.store,
  locker: createMemoryLocker(),
  conversionLockKey: (w: string, k: string) => `c:${w}:${k}`,
  profileLockKey: (w: string, p: string) => `p:${w}:${p}`,
  settings: settingsLookup(h.config.workspaces),
  fit: createFitCache(h.store).forMonth,
});

async function reconcile(...ids: string[]): Promise<void> {
  for (const id of ids) await reconcileConversion(reconcileDeps(), WS, id);
}

const profileOf = async (tgId: number): Promise<string> => (await h.store.identities.find(WS, [{ type: 'tg_id', value: String(tgId) }])).get(`tg_id|${tgId}`) as string;

beforeAll(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeReceiver = () => new Promise<void>((r) => server.close(() => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const subscription: WebhookSubscription = { id: 'crm', url, secret: SECRET, events: ['referral.joined', 'referral.converted'] };
  const ws = WORKSPACES.workspaces[0] as Record<string, unknown>;
  const config = testConfig({}, { workspaces: [{ ...ws, webhooks: [subscription], apiKeys: [API_KEY] }, WORKSPACES.workspaces[1]] });
  const producer = createProducerConnection({ url: REDIS_URL });
  const workerConn = createWorkerConnection({ url: REDIS_URL });
  const subscriptions = (w: string): WebhookSubscription[] => (w === WS ? [subscription] : []);
  webhooks = new WebhookQueue({ connection: producer, prefix: config.queuePrefix, subscriptions });
  const worker = createWebhookWorker({ connection: workerConn, subscriptions, log: createLogger('silent'), metrics: createMetrics(), prefix: config.queuePrefix });
  closeWebhooks = async () => {
    await worker.close();
    await webhooks.queue.obliterate({ force: true }).catch(() => undefined);
    await webhooks.close();
    await Promise.all([producer.quit(), workerConn.quit()]);
  };
  h = await startTelegramHarness({
    config,
    reports: (store) => createReports(store, config.workspaces),
    seed: async (store) => {
      await store.community.groups.upsert(WS, { workspace: WS, platform: 'telegram', chatId: String(GROUP), title: '团购群 Deals', account: BOT, status: 'active', botIsAdmin: true, at: new Date((T0 - DAY) * 1000).toISOString() });
    },
    onProcessed: (result, job) => {
      const t = job.data.touch;
      if (isRecorded(result) && (t.kind === 'join' || t.kind === 'leave')) pending.push(noteReferralTouch(deps, t));
    },
  });
  deps = {
    store: h.store,
    settings: (w) => h.config.workspaces.find((x) => x.id === w),
    publish: (events) => webhooks.publish(events),
    reconcile: async (_w, ids) => {
      reconcileAsked.push(...ids);
    },
  };
  h.stub.setMember(GROUP, P.groupAdmin, 'administrator');
}, 60_000);

afterAll(async () => {
  await h?.close();
  await closeWebhooks?.();
  await closeReceiver?.();
});

describe('referral chains on Telegram', () => {
  let aliceLink = '';
  let bobLink = '';

  it('/myinvite makes a personal invite link once, named with a short member code, and reuses it', async () => {
    await feed(joinUpdate(U.alice, T0, { link: { url: 'https://t.me/+springCampaignLink', name: 'spring' } }));
    aliceLink = await myinvite(U.alice);
    const created = h.stub.callsTo('createChatInviteLink');
    expect(created).toHaveLength(1);
    expect(String(created[0]?.payload.chat_id)).toBe(String(GROUP));
    const name = String(created[0]?.payload.name);
    expect(name).toMatch(/^ref:[A-Za-z0-9_-]{8}$/);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(texts(U.alice).at(-1)).toContain('You brought 0 people, 0 still here.');

    expect(await myinvite(U.alice)).toBe(aliceLink);
    expect(h.stub.callsTo('createChatInviteLink')).toHaveLength(1);
  });

  it('joins through the link are edges; a join through it is no campaign of its own; an add by a member counts, an add by an admin does not', async () => {
    await feed(
      joinUpdate(U.bob, T0 + 1 * DAY, { link: { url: aliceLink, name: 'ref:whatever' } }),
      joinUpdate(U.carol, T0 + 1 * DAY + 60, { link: { url: aliceLink } }),
      joinUpdate(U.dan, T0 + 2 * DAY, { link: { url: aliceLink } }),
    );
    bobLink = await myinvite(U.bob);
    expect(bobLink).not.toBe(aliceLink);
    await feed(
      joinUpdate(U.erin, T0 + 5 * DAY, { link: { url: bobLink } }),
      joinUpdate(U.frank, T0 + 6 * DAY, { by: U.carol }),
      joinUpdate(U.hank, T0 + 6 * DAY + 60, { by: P.groupAdmin }),
    );
    const edges = await h.store.referrals.list(WS);
    const pairs = edges.map((e) => `${e.inviter.value}>${e.invitee.value}:${e.kind}:${e.campaign ?? '-'}`);
    expect(pairs).toEqual([`${U.alice}>${U.bob}:personal_link:spring`, `${U.alice}>${U.carol}:personal_link:spring`, `${U.alice}>${U.dan}:personal_link:spring`, `${U.bob}>${U.erin}:personal_link:-`, `${U.carol}>${U.frank}:added_by:-`]);
    // The personal link's name never became a campaign of the join.
    const bobJoin = (await h.touches()).find((t) => t.kind === 'join' && t.actor.userId === String(U.bob));
    expect(bobJoin?.kind === 'join' ? bobJoin.details.campaign : 'x').toBeUndefined();
    expect(texts(U.bob).at(-1)).toContain('You brought 0 people');

    // The same join delivered again is the same edge (no second event either; checked below).
    await feed(joinUpdate(U.bob, T0 + 1 * DAY, { link: { url: aliceLink } }));
    expect(await h.store.referrals.list(WS)).toHaveLength(5);
  });

  it('a fast leave takes the inviter’s credit back: the invitee’s conversion is reconciled again without the referral step', async () => {
    await h.store.conversions.insert(WS, conversion('o-dan', T0 + 2 * DAY + DAY / 2, U.dan, 80));
    await reconcile('o-dan');
    const alice = await profileOf(U.alice);
    const before = (await h.store.credits.get(WS, 'o-dan')) as CreditSet;
    expect(before.touches.map((t) => t.kind)).toEqual(['referral', 'join']);
    expect(before.touches[0]?.referrer).toBe(alice);
    expect(before.touches[0]?.channel).toBe(`telegram/${GROUP}/referral`);

    await feed(leaveUpdate(U.dan, T0 + 3 * DAY));
    expect(reconcileAsked).toContain('o-dan');
    await reconcile(...reconcileAsked.splice(0));
    const after = (await h.store.credits.get(WS, 'o-dan')) as CreditSet;
    expect(after.touches.map((t) => t.kind)).toEqual(['join']);
    expect((await h.store.referrals.list(WS)).find((e) => e.invitee.value === String(U.dan))?.leftAt).toBe(new Date((T0 + 3 * DAY) * 1000).toISOString());
    expect(texts(U.alice).length).toBeGreaterThan(0);
    expect(await myinvite(U.alice)).toBe(aliceLink);
    expect(texts(U.alice).at(-1)).toContain('You brought 2 people, 2 still here.');
  });

  it('the leaderboard’s revenue is the invitees’ credited revenue, second-degree counts are right, over the bot and the API', async () => {
    await h.store.conversions.insert(WS, conversion('o-bob', T0 + 6 * DAY, U.bob, 100));
    await h.store.conversions.insert(WS, conversion('o-carol', T0 + 7 * DAY, U.carol, 50));
    await h.store.conversions.insert(WS, conversion('o-erin', T0 + 8 * DAY, U.erin, 40));
    await reconcile('o-bob', 'o-carol', 'o-erin');
    const [alice, bob, carol] = await Promise.all([profileOf(U.alice), profileOf(U.bob), profileOf(U.carol)]);

    // By hand: each invitee's journey is their referral step and their join; linear credits them half each.
    const sets = (await h.store.credits.getMany(WS, ['o-bob', 'o-carol', 'o-erin'])).sort((a, b) => (a.conversionId < b.conversionId ? -1 : 1));
    const creditedTotal = (s: CreditSet, model: 'linear' | 'first_touch') => (s.models[model]?.value ?? []).reduce((x, v) => x + v, 0);
    const referralPart = (s: CreditSet, model: 'linear' | 'first_touch') => s.touches.reduce((x, t, i) => x + (t.kind === 'referral' ? (s.models[model]?.value[i] ?? 0) : 0), 0);
    const byId = Object.fromEntries(sets.map((s) => [s.conversionId, s]));
    expect(referralPart(byId['o-bob'] as CreditSet, 'linear')).toBe(50);
    const aliceRevenue = creditedTotal(byId['o-bob'] as CreditSet, 'linear') + creditedTotal(byId['o-carol'] as CreditSet, 'linear');
    expect(aliceRevenue).toBe(150);

    // The people figures (who joined through which campaign) are the rollup's.
    await rebuildCounters({ store: h.store, timeZoneOf: () => 'Asia/Shanghai' }, WS);
    const period = { from: new Date((T0 - DAY) * 1000).toISOString(), to: new Date(Date.now() + DAY * 1000).toISOString(), label: '21d' };
    const r = await createReports(h.store, h.config.workspaces).referrals!(WS, { period });
    const rowOf = (key: string) => r.rows.find((x) => x.key === key);
    expect(r.rows.map((x) => x.key)).toEqual([alice, bob, carol]);
    expect(rowOf(alice)).toMatchObject({ label: `@user${U.alice}`, joined: 3, invitees: 2, stillInDay7: 2, converted: 2, revenue: aliceRevenue, referralCredit: 75, secondDegree: 2, byKind: { personal_link: 2 } });
    expect(rowOf(bob)).toMatchObject({ joined: 1, invitees: 1, converted: 1, revenue: 40, referralCredit: 20, secondDegree: 0 });
    expect(rowOf(carol)).toMatchObject({ joined: 1, invitees: 1, converted: 0, revenue: 0, secondDegree: 0, byKind: { added_by: 1 } });
    // k-factor: Alice joined through spring and brought two counted invitees.
    expect(r.kFactor.find((k) => k.campaign === 'spring')).toEqual({ campaign: 'spring', members: 1, invitees: 2, kFactor: 2 });
    // Joins: 7 people joined (Alice, Bob, Carol, Dan, Erin, Frank, Hank); 4 through counted invitations (Bob, Carol, Erin, Frank).
    expect(r.shares).toMatchObject({ joined: 7, referredJoined: 4, joinShare: Math.round((4 / 7) * 1e9) / 1e9, value: 270, referralValue: 50 + 25 + 20, revenueShare: Math.round((95 / 270) * 1e9) / 1e9 });

    // Under first touch the referral step (before the join) takes the whole value.
    const first = await createReports(h.store, h.config.workspaces).referrals!(WS, { period, model: 'first_touch' });
    expect(first.rows.find((x) => x.key === alice)).toMatchObject({ revenue: creditedTotal(byId['o-bob'] as CreditSet, 'first_touch') + creditedTotal(byId['o-carol'] as CreditSet, 'first_touch'), referralCredit: 150 });

    // by=referrer aggregates the referral steps.
    const byReferrer = await createReports(h.store, h.config.workspaces).attribution(WS, { period, by: 'referrer', model: 'linear' });
    expect(Object.fromEntries(byReferrer.rows.filter((x) => x.key !== '(none)').map((x) => [x.key, x.credited.value]))).toEqual({ [alice]: 75, [bob]: 20 });

    // The API answers the same rows (INTERFACES.md shape).
    const api = createReportApi({ reports: createReports(h.store, h.config.workspaces), workspaces: h.config.workspaces, groups: async () => [] });
    const res = await api({ name: 'referrals', query: new URLSearchParams({ workspace: WS, period: '30d' }), headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { rows: Array<Record<string, unknown>> };
    expect(body.rows[0]).toMatchObject({ key: alice, label: `@user${U.alice}`, invitees: 2, converted: 2, revenue: 150, second_degree: 2 });

    // Managers get the table in chat; names only for them.
    await feed(commandUpdate('/referrals 30d', person(P.manager), privateChat(P.manager)));
    await h.feed([]);
    const deadline = Date.now() + 10_000;
    while (!texts(P.manager).some((t) => t.includes('Referrals')) && Date.now() < deadline) await new Promise((res2) => setTimeout(res2, 50));
    const table = texts(P.manager).find((t) => t.includes('Referrals')) ?? '';
    expect(table).toContain(`@user${U.alice}`);
    expect(table).toMatch(/150\.00\s+2\s+3/);
    await feed(commandUpdate('/referrals 30d', person(U.bob), privateChat(U.bob)));
    expect(texts(U.bob).at(-1)).toBe('This command is for managers.');
  });

  it('/journey shows who brought the person and whom they brought', async () => {
    const j = await createReports(h.store, h.config.workspaces).journey(WS, `@user${U.bob}`);
    expect(j?.referrals?.invitedBy.map((x) => [x.label, x.kind])).toEqual([[`@user${U.alice}`, 'personal_link']]);
    expect(j?.referrals?.invited.map((x) => x.label)).toEqual([`@user${U.erin}`]);
  });

  it('referral webhooks are delivered signed, once per event id', async () => {
    for (const id of ['o-bob', 'o-carol', 'o-erin', 'o-dan']) {
      await publishReferralEvents({ store: h.store, webhooks, subscriptions: (w) => (w === WS ? [{ id: 'crm', url: 'x', secret: SECRET, events: ['referral.joined', 'referral.converted'] }] : []) }, WS, { conversionId: id });
      // Published twice: the same event id is one delivery.
      await publishReferralEvents({ store: h.store, webhooks, subscriptions: (w) => (w === WS ? [{ id: 'crm', url: 'x', secret: SECRET, events: ['referral.joined', 'referral.converted'] }] : []) }, WS, { conversionId: id });
    }
    // 5 edges (Bob, Carol, Dan, Erin, Frank) + 3 converted invitees with a referral step (Bob, Carol, Erin).
    const deadline = Date.now() + 15_000;
    while (got.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(8);
    const ids = got.map((g) => String(g.headers['x-midfunnel-event-id']));
    expect(new Set(ids).size).toBe(8);
    for (const g of got) expect(verifySignature(String(g.headers['x-midfunnel-signature']), Buffer.from(g.body), SECRET, new Date())).toEqual({ ok: true });
    const events = got.map((g) => JSON.parse(g.body) as { type: string; data: Record<string, any> });
    expect(events.filter((e) => e.type === 'referral.joined')).toHaveLength(5);
    const converted = events.filter((e) => e.type === 'referral.converted');
    const alice = await profileOf(U.alice);
    expect(converted.find((e) => e.data.conversion.id === 'o-bob')?.data).toMatchObject({ inviter: { profileId: alice }, invitee: { profileId: await profileOf(U.bob) }, conversion: { value: 100 }, credited: { linear: 50, first_touch: 100 } });
  });
});
