/**
 * The reconciler: journeys (collapse, leaves, campaign inheritance, lookback, consumed
 * journeys), the matching rules in their order, identity merges through conversions,
 * credits replaced on every run, and the worker on real BullMQ (a person's later
 * conversions re-credited when an earlier one arrives, the sweep, invalid jobs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceConfigSchema, type WorkspaceConfig } from '../src/config.js';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { recordTouch } from '../src/profile/record-touch.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { assembleJourney } from '../src/reconcile/assemble-journey.js';
import { createFitCache, creditConversion } from '../src/reconcile/fit-models.js';
import { rowsOfTouch } from '../src/reports/index.js';
import { reconcileConversion, type ReconcileDeps } from '../src/reconcile/reconcile-conversion.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { conversionsAffectedByTouch } from '../src/reconcile/touch-trigger.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import type { ConversionRecord } from '../src/store/store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { compareTouches, makeTouchId, type TouchEvent } from '../src/touch-event.js';
import { createReconcileWorker, type ReconcileJobResult } from '../workers/reconcile.worker.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const G1 = { id: '-1001', title: '团购群', type: 'group' as const };
const G2 = { id: '-1002', title: 'VIP', type: 'group' as const };
const DAY = 86_400_000;
const MIN = 60_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** A workspace as the configuration file would give it (schema defaults for everything not set). */
function workspace(extra: Partial<WorkspaceConfig> = {}): WorkspaceConfig {
  return {
    ...workspaceConfigSchema.parse({ id: WS, defaultRegion: 'CN', coupons: [{ code: 'SPRING10', campaign: 'spring', chatId: '-1001', platform: 'telegram' }] }),
    ...extra,
  };
}

interface Harness {
  store: Store;
  deps: ReconcileDeps;
  record: (...touches: TouchEvent[]) => Promise<void>;
  convert: (id: string, atMs: number, extra?: Partial<ConversionRecord>) => Promise<void>;
  reconcile: (id: string) => ReturnType<typeof reconcileConversion>;
  owner: (type: 'tg_id' | 'wa_id' | 'phone', value: string) => Promise<string | undefined>;
  kinds: (id: string) => Promise<string[] | undefined>;
}

function harness(settings: WorkspaceConfig = workspace()): Harness {
  const store = createMemoryStore();
  const locker = createMemoryLocker();
  const lockKey = (w: string, p: string): string => `lock:${w}:${p}`;
  const deps: ReconcileDeps = {
    store,
    locker,
    conversionLockKey: (w, k) => `conv:${w}:${k}`,
    profileLockKey: lockKey,
    settings: settingsLookup([settings]),
    fit: createFitCache(store).forMonth,
  };
  return {
    store,
    deps,
    record: async (...touches) => {
      for (const t of touches) await recordTouch({ store, locker, lockKey }, t);
    },
    convert: async (id, atMs, extra = {}) => {
      const c: ConversionRecord = { workspace: WS, id, type: 'purchase', occurredAt: at(atMs), value: 100, currency: 'CNY', identifiers: [], fingerprint: id, source: 'webhook', receivedAt: at(atMs), status: 'pending', match: null, reconciledAt: null, ...extra };
      await store.conversions.insert(WS, c);
    },
    reconcile: (id) => reconcileConversion(deps, WS, id),
    owner: async (type, value) => (await store.identities.find(WS, [{ type, value }])).get(`${type}|${value}`),
    kinds: async (id) => (await store.credits.get(WS, id))?.touches.map((t) => `${t.kind}@${t.chatId}${t.campaign ? `/${t.campaign}` : ''}`),
  };
}

const tg = (userId: string) => ({ userId });

describe('journeys', () => {
  it('collapses messages in one group within 30 minutes into one step (facets merged), keeps other groups and kinds, leaves out leaves', () => {
    const journey = assembleJourney([
      touch({ kind: 'keyword', ref: 'k1', at: at(0), chat: G1, details: { keywords: ['price'] } }),
      touch({ kind: 'keyword', ref: 'k2', at: at(20 * MIN), chat: G1, details: { keywords: ['发货', 'price'] } }),
      touch({ kind: 'keyword', ref: 'k3', at: at(29 * MIN), chat: G2, details: { keywords: ['price'] } }),
      touch({ kind: 'message', ref: 'm1', at: at(25 * MIN), chat: G1 }),
      touch({ kind: 'keyword', ref: 'k4', at: at(30 * MIN), chat: G1, details: { keywords: ['discount'] } }),
      touch({ kind: 'leave', ref: 'l1', at: at(31 * MIN), chat: G1, details: { via: 'left' } }),
      touch({ kind: 'link_click', ref: 'c1', at: at(32 * MIN), platform: 'web', chat: { id: '-1001', type: 'web' }, actor: {}, details: { code: 'a', clickId: 'x1' } }),
      touch({ kind: 'link_click', ref: 'c2', at: at(33 * MIN), platform: 'web', chat: { id: '-1001', type: 'web' }, actor: {}, details: { code: 'b', clickId: 'x2' } }),
      touch({ kind: 'link_click', ref: 'c3', at: at(34 * MIN), platform: 'web', chat: { id: '-1001', type: 'web' }, actor: {}, details: { code: 'a', clickId: 'x3' } }),
    ]);
    // A message is one step whatever it carried: the plain message at 00:25 joins the
    // keyword messages' step at 00:00 (same kind, same group, within 30 minutes).
    expect(journey.map((t) => [t.kind, t.chatId, t.at.slice(11, 16), t.keywords ?? t.links ?? null, t.channel])).toEqual([
      ['message', '-1001', '00:00', ['price', '发货'], 'telegram/-1001/keyword'],
      ['message', '-1002', '00:29', ['price'], 'telegram/-1002/keyword'],
      ['message', '-1001', '00:30', ['discount'], 'telegram/-1001/keyword'],
      ['link_click', '-1001', '00:32', ['a'], 'web/-1001/link_click'],
      ['link_click', '-1001', '00:33', ['b'], 'web/-1001/link_click'],
    ]);
  });

  it('credits group engagement to the campaign of the join that brought the person in', () => {
    const joins = [
      touch({ kind: 'join', ref: 'j1', at: at(0), chat: G1, details: { via: 'invite_link', campaign: 'spring' } }),
      touch({ kind: 'join', ref: 'j2', at: at(3 * DAY), chat: G1, details: { via: 'invite_link', campaign: 'summer' } }),
    ];
    const journey = assembleJourney(
      [
        touch({ kind: 'keyword', ref: 'k1', at: at(1 * DAY), chat: G1 }),
        touch({ kind: 'keyword', ref: 'k2', at: at(1 * DAY), chat: G2 }),
        touch({ kind: 'message', ref: 'm1', at: at(4 * DAY), chat: G1 }),
        touch({ kind: 'dm_start', ref: 'd1', at: at(5 * DAY), chat: { id: '101', type: 'private' }, details: { payload: 'x' } }),
      ],
      joins,
    );
    expect(journey.map((t) => `${t.channel}/${t.campaign ?? '-'}`)).toEqual(['telegram/-1001/keyword/spring', 'telegram/-1002/keyword/-', 'telegram/-1001/message/summer', 'telegram/101/dm_start/-']);
  });
});

describe('a message is one step; ties follow the platform’s order', () => {
  const at0 = '2026-03-01T10:00:00.000Z';
  const tied = (extra: Partial<TouchEvent> & { kind: TouchEvent['kind'] }, ref: string): TouchEvent => ({ ...touch({ kind: extra.kind, ref, at: at0, chat: G1 }), ...extra }) as TouchEvent;

  it('counts a message with a keyword, a mention and a link once for the models, its facets split by=keyword and by=link', () => {
    const join = touch({ kind: 'join', ref: 'j', at: '2026-03-01T09:00:00Z', chat: G1, details: { via: 'invite_link', campaign: 'spring' } });
    const journey = assembleJourney(
      [join, touch({ kind: 'message', ref: 'm', at: '2026-03-01T10:00:00Z', chat: G1, details: { keywords: ['price', '包邮'], mentioned: ['bob'], urls: ['https://shop.example.com/p/1?x=2', 'https://go.example.com/l/Ab3dE5f'] } })],
      [join],
    );
    expect(journey).toHaveLength(2);
    const models = creditConversion(journey, { at: '2026-03-02T00:00:00Z', value: 100 }, null);
    expect(models.linear?.conversions).toEqual([0.5, 0.5]);
    expect(journey[1]).toMatchObject({ kind: 'message', channel: 'telegram/-1001/keyword', campaign: 'spring', keywords: ['price', '包邮'], links: ['shop.example.com/p/1', 'Ab3dE5f'] });
    expect(rowsOfTouch(journey[1]!, 'keyword')).toEqual([
      { key: 'price', label: 'price', share: 0.5 },
      { key: '包邮', label: '包邮', share: 0.5 },
    ]);
    expect(rowsOfTouch(journey[1]!, 'link').map((r) => [r.key, r.share])).toEqual([
      ['shop.example.com/p/1', 0.5],
      ['Ab3dE5f', 0.5],
    ]);
    expect(rowsOfTouch(journey[0]!, 'keyword')).toEqual([{ key: '(none)', label: '(none)', share: 1 }]);
  });

  it('gives last touch to the last keyword message, not to a hash-ordered sibling', () => {
    // Two people's worth of keyword messages ending the journey at the same second as a join
    // elsewhere: the join comes first (kind order), the keyword message is the last step.
    const journey = assembleJourney([
      tied({ kind: 'message', details: { keywords: ['发货'] }, chat: G2 }, 'k'),
      tied({ kind: 'join', details: { via: 'public' } }, 'j'),
    ]);
    expect(journey.map((t) => t.kind)).toEqual(['join', 'message']);
    const last = creditConversion(journey, { at: '2026-03-01T11:00:00Z', value: 50 }, null).last_touch;
    expect(last?.conversions).toEqual([0, 1]);
    expect(rowsOfTouch(journey[1]!, 'keyword')).toEqual([{ key: '发货', label: '发货', share: 1 }]);
  });

  it('orders touches of the same instant by the platform’s event order, then kind, then chat — never by id', () => {
    const a = tied({ kind: 'message', seq: 7, chat: G2 }, 'zzz');
    const b = tied({ kind: 'join', details: { via: 'public' }, seq: 9 }, 'aaa');
    // With Telegram's update order, the message (update 7) came before the join (update 9).
    expect(compareTouches(a, b)).toBeLessThan(0);
    expect(assembleJourney([b, a]).map((t) => t.kind)).toEqual(['message', 'join']);
    // Without it: a join before a message before a click before a leave; then by chat id.
    const { seq: _s1, ...a2 } = a;
    const { seq: _s2, ...b2 } = b;
    void _s1;
    void _s2;
    expect(compareTouches(a2 as TouchEvent, b2 as TouchEvent)).toBeGreaterThan(0);
    const m1 = tied({ kind: 'message', chat: G2 }, 'aaa');
    const m2 = tied({ kind: 'message', chat: G1 }, 'zzz');
    expect(compareTouches(m2, m1)).toBeLessThan(0);
  });
});

describe('matching conversions', () => {
  it('takes a personal click’s member first, unless the order names someone else: then that buyer, invited by the member', async () => {
    const h = harness();
    await h.record(touch({ kind: 'keyword', ref: 'a1', at: at(0), chat: G1, actor: tg('101') }), touch({ kind: 'keyword', ref: 'b1', at: at(0), chat: G2, actor: tg('202') }));
    const alice = await h.owner('tg_id', '101');
    // A click's touch id comes from its click id (as the link service makes it).
    const click = touch({ kind: 'link_click', ref: 'ck', at: at(DAY), platform: 'web', chat: { id: '-1002', type: 'web' }, actor: { profileId: alice as string }, details: { code: 'vip', clickId: 'CK1' } });
    await h.record({ ...click, id: makeTouchId('web', 'click', 'CK1') });
    await h.convert('o0', 2 * DAY, { clickId: 'CK1' });
    expect(await h.reconcile('o0')).toMatchObject({ status: 'matched', match: { rule: 'click_id', profileId: alice, lowConfidence: false }, touches: 2 });
    expect(await h.kinds('o0')).toEqual(['message@-1001', 'link_click@-1002']);
    // Bob (202) bought through Alice's personal link: Bob is matched; the click and Alice's invitation are in his journey.
    const bob = await h.owner('tg_id', '202');
    await h.convert('o1', 3 * DAY, { clickId: 'CK1', identifiers: [{ type: 'tg_id', value: '202' }] });
    expect(await h.reconcile('o1')).toMatchObject({ status: 'matched', match: { rule: 'click_id', profileId: bob, lowConfidence: false }, touches: 3, newEdge: { kind: 'tracked_link', inviter: { type: 'tg_id', value: '101' } } });
    expect(await h.kinds('o1')).toEqual([`message@${G2.id}`, 'referral@-1002', 'link_click@-1002']);
  });

  it('joins an anonymous click to the person the conversion names; without one the click alone is the journey', async () => {
    const h = harness();
    await h.record(touch({ kind: 'join', ref: 'a1', at: at(0), chat: G1, actor: tg('101'), details: { via: 'invite_link', campaign: 'spring' } }));
    // The click is known only from its click record (the touch is not processed yet).
    await h.store.clicks.insert(WS, { workspace: WS, clickId: 'CK2', code: 'vip', touchId: makeTouchId('web', 'click', 'CK2'), at: at(DAY), profileId: null, visitorHash: 'v', chatId: '-1002', campaign: 'vip' });
    await h.convert('o1', 2 * DAY, { clickId: 'CK2', identifiers: [{ type: 'tg_id', value: '101' }] });
    expect(await h.reconcile('o1')).toMatchObject({ match: { rule: 'click_id', profileId: await h.owner('tg_id', '101') } });
    expect(await h.kinds('o1')).toEqual(['join@-1001/spring', 'link_click@-1002/vip']);
    await h.convert('o2', 2 * DAY, { clickId: 'CK2' });
    expect(await h.reconcile('o2')).toMatchObject({ status: 'matched', match: { rule: 'click_id', profileId: null } });
    expect(await h.kinds('o2')).toEqual(['link_click@-1002/vip']);
  });

  it('tries phone before Telegram id when they name two people who cannot merge', async () => {
    const h = harness();
    await h.record(
      touch({ kind: 'message', ref: 'a1', at: at(0), chat: G1, actor: { userId: '101', phoneHash: 'h:phone' } }),
      touch({ kind: 'message', ref: 'b1', at: at(0), chat: G2, actor: tg('202') }),
    );
    await h.convert('o1', DAY, { identifiers: [{ type: 'phone', value: 'h:phone' }, { type: 'tg_id', value: '202' }] });
    expect(await h.reconcile('o1')).toMatchObject({ match: { rule: 'phone', profileId: await h.owner('tg_id', '101') } });
    expect(await h.store.profiles.count(WS)).toBe(2);
  });

  it('merges the Telegram and WhatsApp profiles a conversion links, and credits both platforms’ touches', async () => {
    const h = harness();
    await h.record(
      touch({ kind: 'join', ref: 'w1', at: at(0), platform: 'whatsapp', account: 'wa1', chat: { id: '1203@g.us', type: 'group' }, actor: { userId: 'h:wa', phoneHash: 'h:phone' }, details: { via: 'invite_link', campaign: 'wa-launch' } }),
      touch({ kind: 'keyword', ref: 'a1', at: at(DAY), chat: G1, actor: tg('101') }),
    );
    expect(await h.store.profiles.count(WS)).toBe(2);
    await h.convert('o1', 2 * DAY, { identifiers: [{ type: 'phone', value: 'h:phone' }, { type: 'tg_id', value: '101' }] });
    const r = await h.reconcile('o1');
    expect(await h.store.profiles.count(WS)).toBe(1);
    expect(r).toMatchObject({ match: { rule: 'phone', profileId: await h.owner('tg_id', '101') } });
    expect(await h.owner('wa_id', 'h:wa')).toBe(await h.owner('tg_id', '101'));
    expect(await h.kinds('o1')).toEqual(['join@1203@g.us/wa-launch', 'message@-1001']);
  });

  it('falls back to the coupon’s campaign and group, then to a username (low confidence), else unattributed', async () => {
    const h = harness();
    await h.convert('c1', DAY, { coupon: 'spring10' });
    expect(await h.reconcile('c1')).toMatchObject({ status: 'matched', match: { rule: 'coupon', profileId: null, lowConfidence: false } });
    expect((await h.store.credits.get(WS, 'c1'))?.touches).toEqual([
      { touchId: 'coupon:SPRING10', at: at(DAY), kind: 'coupon', platform: 'telegram', chatId: '-1001', campaign: 'spring', channel: 'telegram/-1001/coupon' },
    ]);

    // Two people have used @alice; the one active most recently gets it.
    await h.record(
      touch({ kind: 'message', ref: 'old', at: at(0), chat: G1, actor: { userId: '301', username: 'alice' } }),
      touch({ kind: 'message', ref: 'new', at: at(DAY), chat: G1, actor: { userId: '302', username: 'Alice' } }),
    );
    await h.convert('u1', 2 * DAY, { telegramUsername: 'alice', coupon: 'UNKNOWN' });
    expect(await h.reconcile('u1')).toMatchObject({ status: 'matched', match: { rule: 'tg_username', profileId: await h.owner('tg_id', '302'), lowConfidence: true } });

    // A phone nobody in the community has: the conversion keeps it (a touchless profile) but is unattributed.
    await h.convert('n1', 2 * DAY, { identifiers: [{ type: 'phone', value: 'h:stranger' }] });
    expect(await h.reconcile('n1')).toMatchObject({ status: 'unattributed', match: null });
    expect(await h.store.credits.get(WS, 'n1')).toBeNull();
    expect((await h.store.conversions.get(WS, 'n1'))?.status).toBe('unattributed');
    const stranger = await h.owner('phone', 'h:stranger');
    expect((await h.store.profiles.get(WS, stranger as string))?.stats.touchCount).toBe(0);
  });

  it('never matches an erased conversion again, and deletes credits that a run racing with the erasure wrote', async () => {
    const h = harness();
    const alice = [{ type: 'tg_id' as const, value: '101' }];
    const erase = (): Promise<string[]> => h.store.conversions.unlinkRelated(WS, { identifiers: alice, profileIds: [], at: at(2 * DAY) });
    await h.record(touch({ kind: 'message', ref: 'm', at: at(0), chat: G1, actor: tg('101') }));
    await h.convert('e1', DAY, { identifiers: alice, coupon: 'SPRING10' });
    expect(await h.reconcile('e1')).toMatchObject({ status: 'matched', match: { rule: 'tg_id' } });
    expect(await erase()).toEqual(['e1']);
    // Its coupon alone would match it; erased, it stays unattributed and its leftover credits go.
    expect(await h.reconcile('e1')).toMatchObject({ status: 'unattributed', match: null, touches: 0 });
    expect(await h.store.credits.get(WS, 'e1')).toBeNull();
    expect(await h.store.conversions.get(WS, 'e1')).toMatchObject({ status: 'unattributed', match: null, erasedAt: at(2 * DAY) });

    // A run that read the conversion before the erasure and writes its credits after it.
    await h.convert('e2', DAY, { identifiers: alice });
    const credits = h.store.credits;
    const put = credits.put.bind(credits);
    credits.put = async (ws, set) => {
      await erase();
      await put(ws, set);
    };
    expect(await h.reconcile('e2')).toMatchObject({ status: 'unattributed', match: null });
    expect(await h.store.credits.get(WS, 'e2')).toBeNull();
    expect(await h.store.conversions.get(WS, 'e2')).toMatchObject({ status: 'unattributed', match: null, erasedAt: at(2 * DAY) });
  });
});

describe('people who asked to be forgotten', () => {
  it('matches nothing through their Telegram id and recreates no profile for it', async () => {
    const h = harness();
    await h.record(touch({ kind: 'join', ref: 'b1', at: at(0), chat: G1, actor: { userId: '202' } }));
    await h.store.community.optOuts.add(WS, 'telegram:101', at(0));
    await h.convert('o1', 2 * DAY, { identifiers: [{ type: 'tg_id', value: '101' }] });
    const r = await h.reconcile('o1');
    expect(r.status).toBe('unattributed');
    expect(await h.owner('tg_id', '101')).toBeUndefined();
    expect(await h.store.profiles.count(WS)).toBe(1);
    // The same order with another person's id still matches them.
    await h.convert('o2', 2 * DAY, { identifiers: [{ type: 'tg_id', value: '101' }, { type: 'tg_id', value: '202' }] });
    expect((await h.reconcile('o2')).match).toMatchObject({ rule: 'tg_id' });
  });

  it('matches nothing through the phone of someone forgotten either', async () => {
    const h = harness();
    await h.record(touch({ kind: 'join', ref: 'b1', at: at(0), chat: G1, actor: { userId: '202', phoneHash: 'H-bob' } }));
    await h.store.community.optOuts.add(WS, 'phone:H-alice', at(0));
    await h.convert('o1', 2 * DAY, { identifiers: [{ type: 'phone', value: 'H-alice' }] });
    expect((await h.reconcile('o1')).status).toBe('unattributed');
    expect(await h.owner('phone', 'H-alice')).toBeUndefined();
    await h.convert('o2', 2 * DAY, { identifiers: [{ type: 'phone', value: 'H-bob' }] });
    expect((await h.reconcile('o2')).match).toMatchObject({ rule: 'phone' });
  });
});

describe('the journey window', () => {
  it('keeps touches from lookback days before the conversion up to it, and stops at the person’s previous conversion', async () => {
    const h = harness();
    const m = (user: string, ref: string, ms: number, chat = G1): TouchEvent => touch({ kind: 'message', ref, at: at(ms), chat, actor: tg(user) });
    await h.record(m('101', 'old', -1, G2), m('101', 'edge', 0), m('101', 'mid', 10 * DAY), m('101', 'late', 30 * DAY + 1, G2));
    await h.convert('only', 30 * DAY, { identifiers: [{ type: 'tg_id', value: '101' }] });
    await h.reconcile('only');
    // A 30-day lookback from day 30 starts exactly at day 0: "edge" is in, "old" (1 ms earlier) and "late" (after) are out.
    expect((await h.store.credits.get(WS, 'only'))?.touches.map((t) => t.touchId)).toEqual([makeTouchId('telegram', 'edge', 'message'), makeTouchId('telegram', 'mid', 'message')]);

    await h.record(m('102', 'b1', 10 * DAY), m('102', 'b2', 21 * DAY, G2));
    const id = [{ type: 'tg_id' as const, value: '102' }];
    await h.convert('first', 20 * DAY, { identifiers: id });
    await h.convert('second', 30 * DAY, { identifiers: id });
    await h.reconcile('first');
    await h.reconcile('second');
    expect(await h.kinds('first')).toEqual(['message@-1001']);
    expect(await h.kinds('second')).toEqual(['message@-1002']);
  });

  it('lets touches count toward every conversion in their window when the workspace says so', async () => {
    const h = harness(workspace({ creditMode: 'every' }));
    await h.record(touch({ kind: 'message', ref: 'm1', at: at(0), chat: G1, actor: tg('101') }), touch({ kind: 'message', ref: 'm2', at: at(5 * DAY), chat: G2, actor: tg('101') }));
    const id = [{ type: 'tg_id' as const, value: '101' }];
    await h.convert('first', DAY, { identifiers: id });
    await h.convert('second', 6 * DAY, { identifiers: id });
    await h.reconcile('first');
    await h.reconcile('second');
    expect(await h.kinds('first')).toEqual(['message@-1001']);
    expect(await h.kinds('second')).toEqual(['message@-1001', 'message@-1002']);
  });

  it('replaces a conversion’s credits on every run, with every rule model (and no data-driven one before a fit)', async () => {
    const h = harness();
    await h.record(touch({ kind: 'join', ref: 'j', at: at(0), chat: G1, actor: tg('101'), details: { via: 'public' } }));
    await h.convert('o1', 7 * DAY, { identifiers: [{ type: 'tg_id', value: '101' }], value: 80 });
    expect(await h.reconcile('o1')).toMatchObject({ touches: 1, fitMissing: true });
    await h.record(touch({ kind: 'keyword', ref: 'k', at: at(7 * DAY), chat: G1, actor: tg('101') }));
    await h.reconcile('o1');
    const set = await h.store.credits.get(WS, 'o1');
    expect(set?.fitId).toBeNull();
    expect(set?.models).toEqual({
      first_touch: { conversions: [1, 0], value: [80, 0] },
      last_touch: { conversions: [0, 1], value: [0, 80] },
      linear: { conversions: [0.5, 0.5], value: [40, 40] },
      position_based: { conversions: [0.5, 0.5], value: [40, 40] },
      // Ages 7 days and 0 with a 7-day half-life: weights ½ and 1.
      time_decay: { conversions: [1 / 3, 2 / 3], value: [(1 / 3) * 80, (2 / 3) * 80] },
    });
    expect(await h.store.credits.count(WS)).toBe(1);
  });
});

describe('which conversions a newly applied touch re-reconciles', () => {
  it('those of the person at or after the touch within the lookback (any later one for a join), never for a leave', async () => {
    const h = harness();
    await h.record(touch({ kind: 'message', ref: 'first', at: at(0), chat: G1, actor: tg('101') }));
    const alice = (await h.owner('tg_id', '101')) as string;
    const id = [{ type: 'tg_id' as const, value: '101' }];
    await h.convert('early', DAY, { identifiers: id });
    await h.convert('late', 40 * DAY, { identifiers: id });
    await h.convert('matched-by-click', 2 * DAY, { match: { rule: 'click_id', profileId: alice, lowConfidence: false }, status: 'matched' });
    await h.convert('someone-else', 2 * DAY, { identifiers: [{ type: 'tg_id', value: '999' }] });
    const affected = async (t: TouchEvent): Promise<string[]> =>
      conversionsAffectedByTouch(h.store, h.deps.settings, t, { status: 'applied', profileId: alice, merged: [], conflicts: [] });
    expect(await affected(touch({ kind: 'keyword', ref: 'k', at: at(12 * 3_600_000), chat: G1, actor: tg('101') }))).toEqual(['early', 'matched-by-click']);
    expect(await affected(touch({ kind: 'keyword', ref: 'k2', at: at(3 * DAY), chat: G1, actor: tg('101') }))).toEqual([]);
    expect(await affected(touch({ kind: 'join', ref: 'j', at: at(-1), chat: G1, actor: tg('101'), details: { via: 'public' } }))).toEqual(['early', 'matched-by-click', 'late']);
    expect(await affected(touch({ kind: 'leave', ref: 'l', at: at(-1), chat: G1, actor: tg('101'), details: { via: 'left' } }))).toEqual([]);
    // A profile merged away by this touch: its conversions come along.
    expect(
      await conversionsAffectedByTouch(h.store, h.deps.settings, touch({ kind: 'message', ref: 'm', at: at(0), chat: G1, actor: tg('555') }), { status: 'applied', profileId: 'p-new', merged: [alice], conflicts: [] }),
    ).toEqual(['matched-by-click']);
  });
});

describe('the reconcile worker (real BullMQ on Redis)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function worker(h: Harness, settings: WorkspaceConfig = workspace()) {
    const prefix = uniquePrefix('rec');
    const producer = createProducerConnection({ url: REDIS_URL });
    const conn = createWorkerConnection({ url: REDIS_URL });
    const queue = new ReconcileQueue({ connection: producer, prefix });
    const results: ReconcileJobResult[] = [];
    const w = createReconcileWorker({ connection: conn, store: h.store, locker: h.deps.locker, log: createLogger('silent'), settings: settingsLookup([settings]), queue, prefix, onProcessed: (r) => results.push(r) });
    cleanups.push(async () => {
      await w.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
      const r = testRedis();
      await deleteKeys(r, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([r.quit(), producer.quit(), conn.quit()]);
    });
    const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out; results so far: ${JSON.stringify(results)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { queue, results, until };
  }

  it('re-credits a person’s later conversion when an earlier one arrives (consumed journeys)', async () => {
    const h = harness();
    const { queue, until } = await worker(h);
    await h.record(touch({ kind: 'message', ref: 'm1', at: at(0), chat: G1, actor: tg('101') }), touch({ kind: 'message', ref: 'm2', at: at(5 * DAY), chat: G2, actor: tg('101') }));
    const id = [{ type: 'tg_id' as const, value: '101' }];
    await h.convert('later', 6 * DAY, { identifiers: id });
    await queue.enqueue(WS, ['later'], 'in');
    await until(async () => (await h.kinds('later'))?.length === 2);
    await h.convert('earlier', DAY, { identifiers: id });
    await queue.enqueue(WS, ['earlier'], 'in');
    await until(async () => JSON.stringify(await h.kinds('later')) === JSON.stringify(['message@-1002']));
    expect(await h.kinds('earlier')).toEqual(['message@-1001']);
  });

  it('sweeps up a conversion that was stored but never queued', async () => {
    const h = harness();
    const { queue, results, until } = await worker(h);
    await h.record(touch({ kind: 'message', ref: 'm1', at: at(0), chat: G1, actor: tg('101') }));
    await h.convert('lost', DAY, { identifiers: [{ type: 'tg_id', value: '101' }] });
    await queue.requestSweep(WS, 'test');
    await until(async () => (await h.store.conversions.get(WS, 'lost'))?.status === 'matched');
    expect(results.find((r) => r.kind === 'sweep')).toEqual({ kind: 'sweep', queued: 1 });
  });

  it('fails invalid job data once, without retrying it', async () => {
    const h = harness();
    const { queue } = await worker(h);
    const job = await queue.queue.add('reconcile', { kind: 'reconcile', workspace: 'Bad Workspace!', conversionId: '' }, { jobId: 'bad-1', attempts: 5 });
    const deadline = Date.now() + 10_000;
    while ((await job.getState()) !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const failed = await queue.queue.getJob('bad-1');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/^invalid reconcile job: workspace: /);
  });
});
