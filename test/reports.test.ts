/**
 * Reports with numbers worked by hand: attribution per group / campaign / keyword / link /
 * platform against last touch, totals (match rate, unattributed, pending, low confidence),
 * model comparison, funnel (distinct people, with the `all` row), group stats in the
 * workspace's time zone, a member's journey, the CSV export, and `midfunnel report`.
 * Rows are written straight into the store here, so the counters are built from them
 * (`rebuildCounters`) before the reports that read people's facts; the attribution figures
 * hold on raw rows and on counters alike (see `reports-counters.test.ts`).
 */
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { makeReportCommand } from '../src/cli/report.js';
import type { WorkspaceConfig } from '../src/config.js';
import { emptyStats, statsOfTouches } from '../src/profile/profile-stats.js';
import { createReports, parsePeriod, type Period } from '../src/reports/index.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import type { ConversionRecord, CreditSet, CreditedTouch } from '../src/store/store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store, StoredTouch } from '../src/store/store.js';
import { touchEventSchema } from '../src/touch-event.js';

const WS = 'acme';

/** Builds the workspace's counters from what the store holds. */
async function built(store: Store, timeZone = 'UTC'): Promise<Store> {
  await rebuildCounters({ store, timeZoneOf: () => timeZone }, WS);
  return store;
}
const MARCH: Period = { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', label: 'march' };

function conversion(id: string, at: string, value: number, status: ConversionRecord['status'], extra: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    workspace: WS,
    id,
    type: 'purchase',
    occurredAt: at,
    value,
    currency: 'CNY',
    identifiers: [],
    fingerprint: id,
    source: 'webhook',
    receivedAt: at,
    status,
    match: status === 'matched' ? { rule: 'tg_id', profileId: `p-${id}`, lowConfidence: false } : null,
    reconciledAt: status === 'pending' ? null : at,
    ...extra,
  };
}

const J: CreditedTouch = { touchId: 't-j', at: '2026-03-01T00:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring', channel: 'telegram/-1001/join' };
const K: CreditedTouch = { touchId: 't-k', at: '2026-03-02T00:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring', keywords: ['price', '发货'], channel: 'telegram/-1001/keyword' };
const C: CreditedTouch = { touchId: 't-c', at: '2026-03-03T00:00:00.000Z', kind: 'link_click', platform: 'web', chatId: '-1002', chatTitle: '=VIP', campaign: 'vip', links: ['vip1'], channel: 'web/-1002/link_click' };
const M: CreditedTouch = { touchId: 't-m', at: '2026-03-04T00:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1002', chatTitle: '=VIP', channel: 'telegram/-1002/message' };

function credits(c: ConversionRecord, touches: CreditedTouch[], models: CreditSet['models'], extra: Partial<CreditSet> = {}): CreditSet {
  return { workspace: WS, conversionId: c.id, conversionAt: c.occurredAt, value: c.value, currency: c.currency, type: c.type, rule: 'tg_id', profileId: c.match?.profileId ?? null, lowConfidence: false, touches, models, fitId: 'f1', computedAt: c.occurredAt, ...extra };
}

const all = (conv: number[], value: number[]) => ({ conversions: conv, value });

/**
 * c1 (90): J, K, C. c2 (60, low confidence): M only, no data-driven credits yet. c3 (40):
 * matched, no touch in its window. c4 (25) unattributed, c5 (15) pending, c6 in April.
 */
async function attributionStore(): Promise<Store> {
  const store = createMemoryStore();
  const c1 = conversion('c1', '2026-03-10T00:00:00.000Z', 90, 'matched');
  const c2 = conversion('c2', '2026-03-11T00:00:00.000Z', 60, 'matched', { match: { rule: 'tg_username', profileId: 'p2', lowConfidence: true } });
  const c3 = conversion('c3', '2026-03-12T00:00:00.000Z', 40, 'matched');
  const c6 = conversion('c6', '2026-04-02T00:00:00.000Z', 1000, 'matched');
  await store.conversions.insertMany(WS, [c1, c2, c3, conversion('c4', '2026-03-13T00:00:00.000Z', 25, 'unattributed'), conversion('c5', '2026-03-14T00:00:00.000Z', 15, 'pending'), c6]);
  await store.credits.put(
    WS,
    credits(c1, [J, K, C], {
      first_touch: all([1, 0, 0], [90, 0, 0]),
      last_touch: all([0, 0, 1], [0, 0, 90]),
      linear: all([1 / 3, 1 / 3, 1 / 3], [30, 30, 30]),
      position_based: all([0.4, 0.2, 0.4], [36, 18, 36]),
      time_decay: all([0.2, 0.3, 0.5], [18, 27, 45]),
      markov: all([0.25, 0.25, 0.5], [22.5, 22.5, 45]),
      shapley: all([0.5, 0, 0.5], [45, 0, 45]),
    }),
  );
  const one = all([1], [60]);
  await store.credits.put(WS, credits(c2, [M], { first_touch: one, last_touch: one, linear: one, position_based: one, time_decay: one }, { lowConfidence: true, fitId: null, rule: 'tg_username' }));
  const none = all([], []);
  await store.credits.put(WS, credits(c3, [], { first_touch: none, last_touch: none, linear: none, position_based: none, time_decay: none, markov: none, shapley: none }));
  await store.credits.put(WS, credits(c6, [J], { last_touch: all([1], [1000]), linear: all([1], [1000]) }));
  return store;
}

const TOTALS = { conversions: 5, value: 230, matched: 3, unattributed: { conversions: 2, value: 40 }, matchRate: 0.6, lowConfidence: 1, pending: 1 };
const rows = (r: { rows: Array<{ key: string; label: string; credited: { conversions: number; value: number }; lastTouch: { conversions: number; value: number }; difference: { conversions: number; value: number } }> }) =>
  r.rows.map((x) => [x.key, x.label, x.credited.conversions, x.credited.value, x.lastTouch.conversions, x.lastTouch.value, x.difference.conversions, x.difference.value]);

describe('attribution reports', () => {
  it('credits per group under a model beside last touch, with what last touch hides, and every conversion in the totals', async () => {
    const reports = createReports(await attributionStore());
    const r = await reports.attribution(WS, { period: MARCH, by: 'group', model: 'linear' });
    expect(rows(r)).toEqual([
      ['-1002', '=VIP', 1.333333333, 90, 2, 150, -0.666666667, -60],
      ['-1001', '团购群', 0.666666667, 60, 0, 0, 0.666666667, 60],
      ['(none)', '(none)', 1, 40, 1, 40, 0, 0],
    ]);
    expect(r.totals).toEqual(TOTALS);
    expect(r.currencies).toEqual(['CNY']);
    expect(r.notes).toBeUndefined();
  });

  it('splits a step’s credit over its keyword facets, and reads campaigns, links and platforms', async () => {
    const reports = createReports(await attributionStore());
    const by = async (dim: 'keyword' | 'campaign' | 'link' | 'platform') => rows(await reports.attribution(WS, { period: MARCH, by: dim, model: 'linear' }));
    expect(await by('keyword')).toEqual([
      ['(none)', '(none)', 2.666666667, 160, 3, 190, -0.333333333, -30],
      ['price', 'price', 0.166666667, 15, 0, 0, 0.166666667, 15],
      ['发货', '发货', 0.166666667, 15, 0, 0, 0.166666667, 15],
    ]);
    expect(await by('campaign')).toEqual([
      ['(none)', '(none)', 2, 100, 2, 100, 0, 0],
      ['spring', 'spring', 0.666666667, 60, 0, 0, 0.666666667, 60],
      ['vip', 'vip', 0.333333333, 30, 1, 90, -0.666666667, -60],
    ]);
    expect(await by('link')).toEqual([
      ['(none)', '(none)', 2.666666667, 160, 2, 100, 0.666666667, 60],
      ['vip1', 'vip1', 0.333333333, 30, 1, 90, -0.666666667, -60],
    ]);
    expect(await by('platform')).toEqual([
      ['telegram', 'telegram', 1.666666667, 120, 1, 60, 0.666666667, 60],
      ['(none)', '(none)', 1, 40, 1, 40, 0, 0],
      ['web', 'web', 0.333333333, 30, 1, 90, -0.666666667, -60],
    ]);
  });

  it('says when conversions have no data-driven credit yet, and compares every model side by side', async () => {
    const reports = createReports(await attributionStore());
    const markov = await reports.attribution(WS, { period: MARCH, by: 'group', model: 'markov' });
    // c2 has no markov credit yet: only c1's click counts for -1002.
    expect(rows(markov)).toEqual([
      ['-1001', '团购群', 0.5, 45, 0, 0, 0.5, 45],
      ['-1002', '=VIP', 0.5, 45, 2, 150, -1.5, -105],
      ['(none)', '(none)', 1, 40, 1, 40, 0, 0],
    ]);
    expect(markov.notes).toEqual(['markov: 1 conversion not credited yet: no fit covers them and none is queued; /refit (or midfunnel conversions refit) fits them now']);
    const cmp = await reports.compareModels(WS, { period: MARCH, by: 'group' });
    expect(cmp.models).toEqual(['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley']);
    const g1 = cmp.rows.find((x) => x.key === '-1001');
    expect(Object.fromEntries(Object.entries(g1?.byModel ?? {}).map(([m, a]) => [m, [a.conversions, a.value]]))).toEqual({
      first_touch: [1, 90],
      last_touch: [0, 0],
      linear: [0.666666667, 60],
      position_based: [0.6, 54],
      time_decay: [0.5, 45],
      markov: [0.5, 45],
      shapley: [0.5, 45],
    });
    expect(cmp.totals).toEqual(TOTALS);
    await expect(reports.attribution(WS, { period: MARCH, by: 'group', model: 'magic' })).rejects.toThrow("unknown model 'magic'; models: first_touch, last_touch, linear, position_based, time_decay, markov, shapley");
  });

  it('lists each currency’s value apart when conversions come in several', async () => {
    const store = createMemoryStore();
    const usd = conversion('u1', '2026-03-05T00:00:00.000Z', 10, 'matched', { currency: 'USD' });
    const cny = conversion('y1', '2026-03-05T00:00:00.000Z', 70, 'matched');
    await store.conversions.insertMany(WS, [usd, cny]);
    await store.credits.put(WS, credits(usd, [M], { linear: all([1], [10]), last_touch: all([1], [10]) }));
    await store.credits.put(WS, credits(cny, [M], { linear: all([1], [70]), last_touch: all([1], [70]) }));
    const r = await createReports(store).attribution(WS, { period: MARCH, by: 'platform', model: 'linear' });
    expect(r.currencies).toEqual(['CNY', 'USD']);
    expect(r.rows[0]?.credited).toEqual({ conversions: 2, value: 80, byCurrency: { CNY: 70, USD: 10 } });
    expect(r.notes).toEqual(['conversions in 2 currencies (CNY, USD): value sums them as they are; see byCurrency']);
  });
});

/** A stored touch with a profile, valid by the real schema. */
/** A stored touch; `keyword` and `mention` are messages with that facet. */
function t(id: string, kind: StoredTouch['kind'] | 'keyword' | 'mention', at: string, profileId: string | null, chat: { id: string; title?: string; type: 'group' | 'private' | 'web' | 'channel' }, details: Record<string, unknown> = {}): StoredTouch {
  const defaults: Record<string, Record<string, unknown>> = { join: { via: 'public' }, leave: { via: 'left' }, keyword: { keywords: ['price'] }, mention: { mentioned: ['bot'] }, link_click: { code: 'vip1', clickId: `ck-${id}` }, message: {} };
  const stored = kind === 'keyword' || kind === 'mention' ? 'message' : kind;
  const event = touchEventSchema.parse({ id, workspace: WS, platform: chat.type === 'web' ? 'web' : 'telegram', account: 'bot1', chat, actor: profileId ? { profileId } : {}, kind: stored, details: { ...defaults[kind], ...details }, occurredAt: at });
  return { ...event, profileId, applied: true };
}

const G1 = { id: '-1001', title: '团购群', type: 'group' as const };
const G2 = { id: '-1002', title: 'VIP', type: 'group' as const };
const WEB = { id: '-1002', type: 'web' as const };
const day = (d: number, h = 0): string => new Date(Date.UTC(2026, 2, d, h)).toISOString();

describe('funnel', () => {
  async function funnelStore(): Promise<Store> {
    const store = createMemoryStore();
    await store.touches.insertMany(WS, [
      t('j1', 'join', day(1), 'P1', G1, { via: 'invite_link', campaign: 'spring' }),
      t('j2', 'join', day(2), 'P2', G1, { via: 'invite_link', campaign: 'spring' }),
      t('j3', 'join', day(3), 'P3', G1),
      t('j4', 'join', day(5), 'P4', G1, { via: 'invite_link', campaign: 'spring' }),
      t('j0', 'join', '2026-02-20T00:00:00.000Z', 'P0', G1),
      t('k1', 'keyword', day(2), 'P1', G1),
      t('m2', 'message', day(3), 'P2', G2),
      t('n3', 'mention', day(4), 'P3', G1),
      t('k4', 'keyword', day(4), 'P4', G1),
      t('c1', 'link_click', day(3), 'P1', WEB),
      t('c3', 'link_click', day(2), 'P3', WEB),
    ]);
    await store.conversions.insertMany(WS, [
      conversion('o1', day(11), 10, 'matched', { match: { rule: 'tg_id', profileId: 'P1', lowConfidence: false } }),
      conversion('o2', day(6), 10, 'matched', { match: { rule: 'tg_id', profileId: 'P2', lowConfidence: false } }),
      conversion('o3', day(2), 10, 'matched', { match: { rule: 'tg_id', profileId: 'P3', lowConfidence: false } }),
    ]);
    return store;
  }

  it('counts joined → engaged in that group → clicked → converted after joining, with rates, the median days and the revenue', async () => {
    const reports = createReports(await built(await funnelStore()));
    const all = { key: 'all', joined: 4, engaged: 2, clicked: 1, converted: 2, engagedRate: 0.5, clickedRate: 0.25, convertedRate: 0.5, medianDaysToConvert: 7, value: 20 };
    expect((await reports.funnel(WS, { period: MARCH, by: 'group' })).rows).toEqual([
      { key: '-1001', label: '团购群', joined: 4, engaged: 2, clicked: 1, converted: 2, engagedRate: 0.5, clickedRate: 0.25, convertedRate: 0.5, medianDaysToConvert: 7, value: 20 },
      { ...all, label: 'all groups' },
    ]);
    const byCampaign = await reports.funnel(WS, { period: MARCH, by: 'campaign' });
    expect(byCampaign.rows).toEqual([
      { key: 'spring', label: 'spring', joined: 3, engaged: 1, clicked: 1, converted: 2, engagedRate: 0.333333333, clickedRate: 0.333333333, convertedRate: 0.666666667, medianDaysToConvert: 7, value: 20 },
      { key: '(none)', label: '(none)', joined: 1, engaged: 1, clicked: 0, converted: 0, engagedRate: 1, clickedRate: 0, convertedRate: 0, medianDaysToConvert: null, value: 0 },
      { ...all, label: 'all campaigns' },
    ]);
    expect(byCampaign.currencies).toEqual(['CNY']);
    expect(byCampaign.totals).toMatchObject({ conversions: 3, value: 30, matched: 3 });
    expect((await reports.funnel(WS, { period: MARCH, by: 'campaign', key: '(none)' })).rows.map((x) => [x.key, x.joined])).toEqual([
      ['(none)', 1],
      ['all', 1],
    ]);
  });

  it('counts a person in two groups once in the all row (the old total added the groups up)', async () => {
    const store = await funnelStore();
    // P1 also joins VIP through `vip` and buys once more there; P5 joins only VIP.
    await store.touches.insertMany(WS, [
      t('j1b', 'join', day(4), 'P1', G2, { via: 'invite_link', campaign: 'vip' }),
      t('m1b', 'message', day(5), 'P1', G2),
      t('j5', 'join', day(4), 'P5', G2, { via: 'invite_link', campaign: 'vip' }),
    ]);
    await store.conversions.insertMany(WS, [conversion('o6', day(20), 5, 'matched', { match: { rule: 'tg_id', profileId: 'P1', lowConfidence: false } })]);
    const f = await createReports(await built(store)).funnel(WS, { period: MARCH, by: 'group' });
    const row = (key: string) => f.rows.find((r) => r.key === key);
    expect(row('-1001')).toMatchObject({ joined: 4, engaged: 2, converted: 2, value: 25 });
    // P1 joined VIP on day 4, then wrote there and bought on days 11 and 20.
    expect(row('-1002')).toMatchObject({ joined: 2, engaged: 1, clicked: 0, converted: 1, value: 15, medianDaysToConvert: 7 });
    // Five people, not six, and two engaged, not three: P1 counts once, from their first join (day 1).
    expect(row('all')).toMatchObject({ joined: 5, engaged: 2, clicked: 1, converted: 2, value: 25, medianDaysToConvert: 7 });
    expect(f.rows.map((r) => r.key)).toEqual(['-1001', '-1002', 'all']);
  });

  it('counts an anonymous group-link click as the buyer’s once a conversion carries its click id', async () => {
    const store = await funnelStore();
    // P2 clicked a group link on day 4 (anonymous), and bought with its click id.
    await store.touches.insert(WS, t('c2', 'link_click', day(4), null, WEB));
    await store.clicks.insert(WS, { workspace: WS, clickId: 'ck2', code: 'abc', touchId: 'c2', at: day(4), profileId: null, visitorHash: 'v', chatId: '-1001' });
    await store.conversions.insertMany(WS, [conversion('o5', day(7), 10, 'matched', { clickId: 'ck2', match: { rule: 'click_id', profileId: 'P2', lowConfidence: false } })]);
    const row = (await createReports(await built(store)).funnel(WS, { period: MARCH, by: 'group' })).rows[0];
    expect(row).toMatchObject({ joined: 4, clicked: 2, converted: 2, value: 30 });
  });
});

describe('group stats', () => {
  it('counts joins and leaves per campaign, active members, and per local day messages, keyword hits, joins and leaves', async () => {
    const store = createMemoryStore();
    await store.touches.insertMany(WS, [
      t('j0', 'join', '2026-02-01T00:00:00.000Z', 'P9', G1, { via: 'invite_link', campaign: 'winter' }),
      t('j1', 'join', '2026-02-28T17:00:00.000Z', 'P1', G1, { via: 'invite_link', campaign: 'spring' }),
      t('m1', 'message', '2026-02-28T18:00:00.000Z', 'P1', G1),
      t('k1', 'keyword', '2026-03-02T10:00:00.000Z', 'P2', G1, { keywords: ['price', '发货'] }),
      t('k2', 'keyword', '2026-03-02T11:00:00.000Z', 'P2', G2, { keywords: ['price'] }),
      t('l1', 'leave', '2026-03-03T01:00:00.000Z', 'P1', G1),
      t('l9', 'leave', '2026-03-03T02:00:00.000Z', 'P9', G1),
      t('dm', 'message', '2026-03-02T00:00:00.000Z', 'P5', { id: '555', type: 'private' }),
      t('ck', 'link_click', '2026-03-02T00:00:00.000Z', 'P6', WEB),
    ]);
    // P9 joined through `winter` before the period; their profile's source path says so.
    const p9 = await store.touches.list(WS, { profileId: 'P9' });
    await store.profiles.put(WS, { id: 'P9', workspace: WS, identifiers: [], usernames: [], stats: statsOfTouches(p9), createdAt: day(1), updatedAt: day(1) });
    const reports = createReports(await built(store, 'Asia/Shanghai'), [{ id: WS, timezone: 'Asia/Shanghai' }]);
    const period = parsePeriod('2026-03-01..2026-03-03', new Date(), 'Asia/Shanghai');
    const r = await reports.groupStats(WS, { period });
    expect(r.joinsByCampaign).toEqual([
      { campaign: 'spring', joins: 1, leaves: 1 },
      { campaign: 'winter', joins: 0, leaves: 1 },
    ]);
    expect(r.activeMembers).toBe(3);
    expect(r.days).toEqual([
      { day: '2026-03-01', messages: 1, keywordHits: 0, joins: 1, leaves: 0 },
      { day: '2026-03-02', messages: 2, keywordHits: 3, joins: 0, leaves: 0 },
      { day: '2026-03-03', messages: 0, keywordHits: 0, joins: 0, leaves: 2 },
    ]);
    expect(r.topKeywords).toEqual([
      { keyword: 'price', count: 2 },
      { keyword: '发货', count: 1 },
    ]);
    const vip = await reports.groupStats(WS, { period, chatId: '-1002' });
    expect([vip.chatId, vip.activeMembers, vip.topKeywords, vip.days.map((d) => d.keywordHits)]).toEqual(['-1002', 1, [{ keyword: 'price', count: 1 }], [0, 1, 0]]);
  });
});

describe('journeys and export', () => {
  it('finds a member by profile id, Telegram id or @username, with touches and matched conversions', async () => {
    const store = createMemoryStore();
    await store.profiles.put(WS, { id: 'P1', workspace: WS, identifiers: [{ type: 'tg_id', value: '101' }], usernames: ['alice'], stats: { ...emptyStats(), firstSeenAt: day(1) }, createdAt: day(1), updatedAt: day(1) });
    await store.identities.claim(WS, [{ type: 'tg_id', value: '101' }], 'P1');
    await store.touches.insertMany(WS, [t('j1', 'join', day(1), 'P1', G1, { via: 'invite_link', campaign: 'spring' }), t('k1', 'keyword', day(2), 'P1', G1, { keywords: ['price'] })]);
    await store.conversions.insert(WS, conversion('o1', day(3), 99, 'matched', { match: { rule: 'click_id', profileId: 'P1', lowConfidence: false } }));
    const reports = createReports(store);
    const expected = {
      workspace: WS,
      profileId: 'P1',
      usernames: ['alice'],
      firstSeenAt: day(1),
      touches: [
        { at: day(1), kind: 'join', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring' },
        { at: day(2), kind: 'message', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', keywords: ['price'] },
      ],
      conversions: [{ id: 'o1', at: day(3), value: 99, currency: 'CNY', rule: 'click_id' }],
      // The identifiers, masked, with the evidence behind each (none stored for this hand-made profile).
      identities: [{ identifier: 'tg_id:…101', type: 'tg_id', evidence: [] }],
    };
    expect(await reports.journey(WS, 'P1')).toEqual(expected);
    expect(await reports.journey(WS, '101')).toEqual(expected);
    expect(await reports.journey(WS, '@Alice')).toEqual(expected);
    expect(await reports.journey(WS, '@nobody')).toBeNull();
    expect(await reports.journey('other', 'P1')).toBeNull();
  });

  it('exports every credited touch under every model as CSV with a BOM, defusing formula-like cells', async () => {
    const csv = await createReports(await attributionStore()).exportCredits(WS, { period: MARCH });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('\uFEFFconversion_id,conversion_at,type,value,currency,rule,low_confidence,profile_id,touch_id,touch_at,kind,platform,group_id,group_title,campaign,keywords,links,model,credited_conversions,credited_value');
    // c1: 3 touches × 7 models, c2: 1 × 5, c3: one (none) row × 7; then a final line break.
    expect(lines).toHaveLength(1 + 21 + 5 + 7 + 1);
    expect(lines[1]).toBe('c1,2026-03-10T00:00:00.000Z,purchase,90,CNY,tg_id,false,p-c1,t-j,2026-03-01T00:00:00.000Z,join,telegram,-1001,团购群,spring,,,first_touch,1,90');
    expect(lines).toContain("c1,2026-03-10T00:00:00.000Z,purchase,90,CNY,tg_id,false,p-c1,t-c,2026-03-03T00:00:00.000Z,link_click,web,-1002,'=VIP,vip,,vip1,markov,0.5,45");
    expect(lines).toContain('c1,2026-03-10T00:00:00.000Z,purchase,90,CNY,tg_id,false,p-c1,t-k,2026-03-02T00:00:00.000Z,message,telegram,-1001,团购群,spring,price | 发货,,linear,0.3333333333333333,30');
    expect(lines).toContain('c3,2026-03-12T00:00:00.000Z,purchase,40,CNY,tg_id,false,p-c3,(none),,,,,,,,,shapley,1,40');
    expect(lines[lines.length - 1]).toBe('');
  });
});

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, { stdout: (s: string) => void (o.out += s), stderr: (s: string) => void (o.err += s), readFile: async () => Buffer.alloc(0), cwd: '/', env: {}, isTTY: false });
}

describe('midfunnel report', () => {
  const workspaces = [{ id: WS, timezone: 'UTC' }] as unknown as WorkspaceConfig[];

  it('prints the attribution table with last touch, the difference, match rate and unattributed totals', async () => {
    const store = await attributionStore();
    const cmd = makeReportCommand({ store, workspaces, hashKey: 'k'.repeat(32), now: () => new Date('2026-03-31T00:00:00Z') });
    const c = io();
    expect(await cmd(['--workspace', WS, '--since', '2026-03-01..2026-03-31', '--by', 'group', '--model', 'linear'], c)).toBe(0);
    expect(c.out).toBe(
      [
        'acme: credit by group under linear, 2026-03-01..2026-03-31 (2026-03-01T00:00:00.000Z .. 2026-04-01T00:00:00.000Z)',
        '',
        '                linear conv  linear value  last_touch conv  last_touch value  diff conv  diff value',
        '=VIP (-1002)           1.33         90.00             2.00            150.00      -0.67      -60.00',
        '团购群 (-1001)         0.67         60.00             0.00              0.00      +0.67      +60.00',
        '(none)                 1.00         40.00             1.00             40.00       0.00        0.00',
        '',
        'conversions 5  value 230.00 CNY  matched 3  match rate 60.0%  low confidence 1',
        'unattributed 2 conversions, 40.00 CNY (1 not reconciled yet)',
        '',
      ].join('\n'),
    );
    const j = io();
    expect(await cmd(['attribution', '--workspace', WS, '--since', '30d', '--by', 'platform', '--json'], j)).toBe(0);
    const parsed = JSON.parse(j.out) as { by: string; model: string; period: Period; totals: unknown };
    expect([parsed.by, parsed.model, parsed.period]).toEqual(['platform', 'linear', { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z', label: '30d' }]);
    expect(parsed.totals).toEqual({ ...TOTALS });
    const every = io();
    expect(await cmd(['--workspace', WS, '--since', '2026-03-01..2026-03-31', '--model', 'all'], every)).toBe(0);
    expect(every.out).toContain('first_touch conv  last_touch conv  linear conv  position_based conv  time_decay conv  markov conv  shapley conv');
  });

  it('refuses a bad model, dimension or period, and says when a member is unknown', async () => {
    const cmd = makeReportCommand({ store: createMemoryStore(), workspaces, hashKey: 'k'.repeat(32) });
    await expect(cmd(['--workspace', WS, '--model', 'magic'], io())).rejects.toThrow(/--model magic: use one of first_touch, .*shapley, or all/);
    await expect(cmd(['--workspace', WS, '--by', 'city'], io())).rejects.toThrow(/--by city: use one of group, campaign, keyword, link, platform, referrer/);
    await expect(cmd(['--workspace', WS, '--since', 'last week'], io())).rejects.toThrow(/--since: 'last week' is not a period; periods: 7d, 30d, 90d/);
    await expect(cmd(['--since', '7d'], io())).rejects.toThrow(/--workspace is required/);
    await expect(cmd(['funnel', '--workspace', WS, '--by', 'link'], io())).rejects.toThrow(/report funnel --by group or --by campaign/);
    const j = io();
    expect(await cmd(['journey', '@ghost', '--workspace', WS], j)).toBe(1);
    expect(j.err).toBe('midfunnel report: no member @ghost in workspace acme\n');
  });
});
