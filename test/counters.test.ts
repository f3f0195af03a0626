/**
 * The rollup keeps counters equal to the raw rows whatever happens: a touch delivered twice
 * and units rolled up again count once; a re-credited conversion replaces its old credit; a
 * mark that lands during a recompute keeps its unit dirty; a crash mid-rollup is repaired by
 * the next run; an erased person's days are recounted; a merge leaves one person. The counter
 * marks batch a burst into one write, and read what reconcile jobs changed. Then the rollup
 * worker on the real queue: a burst of landings is rolled up by few jobs, and reports follow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eraseMember } from '../src/commands/erase-member.js';
import { createLogger } from '../src/logger.js';
import { applyRetention } from '../src/privacy/retention.js';
import { createCounterMarks, marksOfReconcile } from '../src/reports/counter-marks.js';
import { createReports, parsePeriod, type Period } from '../src/reports/index.js';
import { rebuildCounters, rollUp } from '../src/reports/rollup.js';
import { RollupQueue } from '../src/reports/rollup-queue.js';
import { createWorkerConnection } from '../src/queue/redis.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, CounterUnit, CreditSet, CreditedTouch, Store, StoredTouch } from '../src/store/store.js';
import { touchEventSchema } from '../src/touch-event.js';
import { createRollupWorker, type RollupJobResult } from '../workers/rollup.worker.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const WS = 'acme';
const TZ = 'Asia/Shanghai';
const MARCH = parsePeriod('2026-03-01..2026-03-31', new Date(), TZ);
const G1 = { id: '-1001', title: '团购群', type: 'group' as const };
const G2 = { id: '-1002', title: 'VIP', type: 'group' as const };
const options = (store: Store) => ({ store, timeZoneOf: () => TZ });
const log = createLogger('silent');

function t(id: string, kind: 'join' | 'message' | 'leave', at: string, profileId: string, chat = G1, details: Record<string, unknown> = {}): StoredTouch {
  const defaults = { join: { via: 'invite_link', campaign: 'spring' }, message: { keywords: ['price'] }, leave: { via: 'left' } };
  const e = touchEventSchema.parse({ id, workspace: WS, platform: 'telegram', account: 'bot', chat, actor: { userId: profileId.slice(1) }, kind, details: { ...defaults[kind], ...details }, occurredAt: at });
  return { ...e, profileId, applied: true };
}

function conversion(id: string, at: string, value: number, profileId: string | null): ConversionRecord {
  return { workspace: WS, id, type: 'purchase', occurredAt: at, value, currency: 'CNY', identifiers: [{ type: 'tg_id', value: profileId?.slice(1) ?? '0' }], fingerprint: id, source: 'webhook', receivedAt: at, status: profileId ? 'matched' : 'unattributed', match: profileId ? { rule: 'tg_id', profileId, lowConfidence: false } : null, reconciledAt: at };
}

function credited(c: ConversionRecord, chatId: string, linear: number): CreditSet {
  const step: CreditedTouch = { touchId: 'x', at: c.occurredAt, kind: 'message', platform: 'telegram', chatId, chatTitle: chatId === G1.id ? G1.title : G2.title, channel: `telegram/${chatId}/message` };
  const all = { conversions: [1], value: [c.value] };
  return { workspace: WS, conversionId: c.id, conversionAt: c.occurredAt, value: c.value, currency: 'CNY', type: 'purchase', rule: 'tg_id', profileId: c.match?.profileId ?? null, lowConfidence: false, touches: [step], models: { first_touch: all, last_touch: all, linear: { conversions: [linear], value: [linear * c.value] } }, fitId: null, computedAt: c.occurredAt };
}

/** Marks of the day (in Shanghai) and the person of each touch, as the profile worker's hook would. */
async function landed(store: Store, touches: readonly StoredTouch[]): Promise<void> {
  const { dayFinder } = await import('../src/reports/local-days.js');
  const dayOf = dayFinder(TZ);
  const units: CounterUnit[] = touches.flatMap((x) => [{ kind: 'day' as const, key: dayOf(Date.parse(x.occurredAt)) }, { kind: 'person' as const, key: x.profileId as string }]);
  await store.counters.markDirty(WS, units);
}

async function seeded(): Promise<Store> {
  const store = createMemoryStore();
  const touches = [t('j1', 'join', '2026-03-01T02:00:00Z', 'P1'), t('m1', 'message', '2026-03-02T02:00:00Z', 'P1'), t('j2', 'join', '2026-03-03T02:00:00Z', 'P2', G2), t('m2', 'message', '2026-03-04T02:00:00Z', 'P2', G2)];
  await store.touches.insertMany(WS, touches);
  const o1 = conversion('o1', '2026-03-10T02:00:00Z', 100, 'P1');
  await store.conversions.insert(WS, o1);
  await store.credits.put(WS, credited(o1, G1.id, 1));
  await rebuildCounters(options(store), WS);
  return store;
}

const groupStats = (store: Store, period: Period = MARCH) => createReports(store, [{ id: WS, timezone: TZ }]).groupStats(WS, { period });
const linearByGroup = async (store: Store) => Object.fromEntries((await createReports(store, [{ id: WS, timezone: TZ }]).attribution(WS, { period: MARCH, by: 'group', model: 'linear' })).rows.map((r) => [r.key, r.credited.value]));

describe('the rollup', () => {
  it('a touch delivered twice and days rolled up again and again count once', async () => {
    const store = await seeded();
    const before = await store.counters.days(WS, { from: '2026-03-01', to: '2026-03-31' }, ['groups', 'keywords', 'totals']);
    const again = t('m1', 'message', '2026-03-02T02:00:00Z', 'P1');
    expect(await store.touches.insert(WS, again)).toBe('duplicate');
    for (let i = 0; i < 3; i++) {
      await landed(store, [again, again]);
      const r = await rollUp(options(store), WS);
      expect([r.days, r.people]).toEqual([1, 1]);
    }
    const after = await store.counters.days(WS, { from: '2026-03-01', to: '2026-03-31' }, ['groups', 'keywords', 'totals']);
    expect(after.map((d) => [d.day, d.parts])).toEqual(before.map((d) => [d.day, d.parts]));
    expect(after.find((d) => d.day === '2026-03-02')?.version).toBe(3);
    const g = await groupStats(store);
    expect(g.days.reduce((n, d) => n + d.messages, 0)).toBe(2);
    expect(g.topKeywords).toEqual([{ keyword: 'price', count: 2 }]);
  });

  it('a re-credited conversion replaces its old credit, it is not added to it', async () => {
    const store = await seeded();
    expect(await linearByGroup(store)).toEqual({ '-1001': 100 });
    // A new fit moves the conversion's credit to VIP (and a refund lowered its value).
    const o1 = { ...conversion('o1', '2026-03-10T02:00:00Z', 80, 'P1') };
    await store.credits.put(WS, credited(o1, G2.id, 0.75));
    const marks = createCounterMarks({ store, requestRollup: async () => undefined, timeZoneOf: () => TZ, log });
    await marks.markCreditsChanged(WS, { conversionAt: o1.occurredAt, profileIds: ['P1'] });
    await rollUp(options(store), WS);
    expect(await linearByGroup(store)).toEqual({ '-1002': 60 });
    // Re-crediting with the same fit again changes nothing.
    await marks.markCreditsChanged(WS, { conversionAt: o1.occurredAt });
    await rollUp(options(store), WS);
    expect(await linearByGroup(store)).toEqual({ '-1002': 60 });
  });

  it('a mark that lands while its day is recomputed keeps the day dirty for the next round', async () => {
    const store = await seeded();
    const late = t('m9', 'message', '2026-03-02T03:00:00Z', 'P2', G1);
    await landed(store, [t('m1', 'message', '2026-03-02T02:00:00Z', 'P1')]);
    // The touch lands (stored, then marked) while the rollup reads that day's touches.
    const list = store.touches.list.bind(store.touches);
    let once = false;
    (store.touches as { list: Store['touches']['list'] }).list = async (ws, q) => {
      const rows = await list(ws, q);
      if (!once && q.from !== undefined && q.profileId === undefined) {
        once = true;
        await store.touches.insert(WS, late);
        await landed(store, [late]);
      }
      return rows;
    };
    const first = await rollUp({ ...options(store), maxRounds: 1 }, WS);
    expect(first.more).toBe(true);
    expect((await store.counters.dirty(WS, 'day')).map((m) => m.key)).toEqual(['2026-03-02']);
    expect((await groupStats(store)).days.find((d) => d.day === '2026-03-02')?.messages).toBe(2);
    await rollUp(options(store), WS);
    expect(await store.counters.dirty(WS, 'day')).toEqual([]);
    const [day] = await store.counters.days(WS, { from: '2026-03-02', to: '2026-03-02' }, ['groups']);
    expect(day?.parts.groups?.find((g) => g.chatId === G1.id)?.messages).toBe(2);
  });

  it('a crash mid-rollup leaves the units dirty, and the next run puts them right', async () => {
    const store = await seeded();
    await store.touches.insert(WS, t('m3', 'message', '2026-03-05T02:00:00Z', 'P1'));
    await landed(store, [t('m3', 'message', '2026-03-05T02:00:00Z', 'P1')]);
    const putDay = store.counters.putDay.bind(store.counters);
    let fail = true;
    (store.counters as { putDay: Store['counters']['putDay'] }).putDay = async (ws, c) => {
      if (fail) {
        fail = false;
        throw new Error('store went away');
      }
      return putDay(ws, c);
    };
    await expect(rollUp(options(store), WS)).rejects.toThrow('store went away');
    expect((await store.counters.dirty(WS, 'day')).map((m) => m.key)).toEqual(['2026-03-05']);
    await rollUp(options(store), WS);
    expect(await store.counters.dirty(WS, 'day')).toEqual([]);
    expect(await store.counters.dirty(WS, 'person')).toEqual([]);
    expect((await groupStats(store)).days.find((d) => d.day === '2026-03-05')?.messages).toBe(1);
  });

  it('an erased person’s facts are emptied and their days recounted: their touches and credits leave every report', async () => {
    const store = await seeded();
    await store.identities.claim(WS, [{ type: 'tg_id', value: '1' }], 'P1');
    await eraseMember(store, WS, 'telegram', '1', new Date('2026-04-01T00:00:00Z'));
    // The erasure marked the person; the next rollup empties their facts and recounts their days.
    expect((await store.counters.dirty(WS, 'person')).map((m) => m.key)).toEqual(['P1']);
    await rollUp(options(store), WS);
    expect((await store.counters.people(WS, ['P1']))[0]?.memberships).toEqual([]);
    // Nothing of theirs was marked but the person: the cascade found their days.
    expect(await store.counters.dirty(WS, 'day')).toEqual([]);
    const g = await groupStats(store);
    expect([g.activeMembers, g.days.reduce((n, d) => n + d.messages + d.joins, 0)]).toEqual([1, 2]);
    const reports = createReports(store, [{ id: WS, timezone: TZ }]);
    const f = await reports.funnel(WS, { period: MARCH, by: 'group' });
    expect(f.rows.map((r) => [r.key, r.joined, r.converted])).toEqual([
      ['-1002', 1, 0],
      ['all', 1, 0],
    ]);
    const a = await reports.attribution(WS, { period: MARCH, by: 'group', model: 'linear' });
    expect([a.rows, a.totals.conversions, a.totals.matched, a.totals.unattributed.value]).toEqual([[], 1, 0, 100]);
  });

  it('retention deletes old touches and clicks; their days keep their touch counters while old orders and re-credits still count', async () => {
    const store = await seeded();
    const now = new Date('2027-04-15T00:00:00Z'); // 400 days back: 2026-03-11
    const kept = { ...options(store), now: () => now, retentionDaysOf: () => 400 };
    const sums = async () => {
      const g = await groupStats(store);
      const a = await createReports(store, [{ id: WS, timezone: TZ }]).attribution(WS, { period: MARCH, by: 'group', model: 'linear' });
      return { messages: g.days.reduce((n, d) => n + d.messages, 0), joins: g.days.reduce((n, d) => n + d.joins, 0), conversions: a.totals.conversions, value: a.totals.value };
    };
    expect(await sums()).toEqual({ messages: 2, joins: 2, conversions: 1, value: 100 });
    await store.touches.insert(WS, t('m9', 'message', '2026-03-20T02:00:00Z', 'P1'));
    await store.clicks.insert(WS, { workspace: WS, clickId: 'old', code: 'c', touchId: 'x', at: '2026-03-01T00:00:00.000Z', profileId: null, visitorHash: 'v', chatId: G1.id });

    const swept = await applyRetention(store, WS, 400, now);
    expect(swept).toEqual({ workspace: WS, before: '2026-03-11T00:00:00.000Z', touches: 4, clicks: 1 });
    expect((await store.touches.list(WS, {})).map((x) => x.id)).toEqual(['m9']);
    expect(await store.clicks.get(WS, 'old')).toBeNull();

    // An old order arrives (an imported history) and lands on a day whose touches are gone.
    const o2 = conversion('o2', '2026-03-03T05:00:00Z', 50, 'P2');
    await store.conversions.insert(WS, o2);
    await store.credits.put(WS, credited(o2, G2.id, 1));
    await store.counters.markDirty(WS, [{ kind: 'day', key: '2026-03-03' }, { kind: 'day', key: '2026-03-02' }, { kind: 'day', key: '2026-03-20' }]);
    await rollUp(kept, WS);
    expect(await sums()).toEqual({ messages: 3, joins: 2, conversions: 2, value: 150 });
    // A full build keeps them too.
    await rebuildCounters(kept, WS);
    expect(await sums()).toEqual({ messages: 3, joins: 2, conversions: 2, value: 150 });
    // Without the horizon, a full build would count only what is left.
    await rebuildCounters(options(store), WS);
    expect(await sums()).toEqual({ messages: 1, joins: 0, conversions: 2, value: 150 });
  });

  it('a merge leaves one person: the merged profile’s facts are emptied, the survivor holds both', async () => {
    const store = await seeded();
    await store.touches.reassign(WS, 'P2', 'P1');
    const marks = createCounterMarks({ store, requestRollup: async () => undefined, timeZoneOf: () => TZ, log, batchMs: 1 });
    marks.markTouchLanded(WS, { occurredAt: '2026-03-04T02:00:00Z' }, { profileId: 'P1', merged: ['P2'] });
    await marks.flush();
    await rollUp(options(store), WS);
    const [p1, p2] = [...(await store.counters.people(WS, ['P1', 'P2']))].sort((a, b) => (a.profileId < b.profileId ? -1 : 1));
    expect(p1?.memberships.map((m) => m.chatId)).toEqual(['-1001', '-1002']);
    expect(p2?.memberships).toEqual([]);
    const f = await createReports(store, [{ id: WS, timezone: TZ }]).funnel(WS, { period: MARCH, by: 'group' });
    expect(f.rows.map((r) => [r.key, r.joined])).toEqual([
      ['-1001', 1],
      ['-1002', 1],
      ['all', 1],
    ]);
    expect((await groupStats(store)).activeMembers).toBe(1);
  });
});

describe('counter marks', () => {
  it('a burst of landings is one write and one rollup request per workspace; waiting marks resolve once written', async () => {
    const store = createMemoryStore();
    const writes: Array<readonly CounterUnit[]> = [];
    const markDirty = store.counters.markDirty.bind(store.counters);
    (store.counters as { markDirty: Store['counters']['markDirty'] }).markDirty = async (ws, units) => {
      writes.push(units);
      return markDirty(ws, units);
    };
    const requested: string[] = [];
    const marks = createCounterMarks({ store, requestRollup: async (ws) => void requested.push(ws), timeZoneOf: () => TZ, log, batchMs: 20 });
    for (let i = 0; i < 200; i++) marks.markTouchLanded(WS, { occurredAt: `2026-03-0${1 + (i % 3)}T20:00:00Z` }, { profileId: `P${i % 10}` });
    marks.markTouchLanded(WS, { occurredAt: 'not a time' }, { profileId: null });
    await marks.flush();
    expect(writes).toHaveLength(1);
    expect(requested).toEqual([WS]);
    // 20:00 UTC is the next day in Shanghai.
    expect((await store.counters.dirty(WS, 'day')).map((m) => [m.key, m.marks])).toEqual([
      ['2026-03-02', 1],
      ['2026-03-03', 1],
      ['2026-03-04', 1],
    ]);
    expect(await store.counters.dirty(WS, 'person')).toHaveLength(10);
    await marks.markPeriodChanged(WS, { from: '2026-02-28T16:00:00Z', to: '2026-03-02T16:00:00Z' });
    expect((await store.counters.dirty(WS, 'day')).map((m) => [m.key, m.marks])).toEqual([
      ['2026-03-01', 1],
      ['2026-03-02', 2],
      ['2026-03-03', 1],
      ['2026-03-04', 1],
    ]);
  });

  it('a failed write rejects the marks awaited on it, and is tried again', async () => {
    const store = createMemoryStore();
    let failures = 1;
    const markDirty = store.counters.markDirty.bind(store.counters);
    (store.counters as { markDirty: Store['counters']['markDirty'] }).markDirty = async (ws, units) => {
      if (failures-- > 0) throw new Error('down');
      return markDirty(ws, units);
    };
    const marks = createCounterMarks({ store, requestRollup: async () => undefined, timeZoneOf: () => TZ, log, batchMs: 1 });
    await expect(marks.markPeopleChanged(WS, ['P1'])).rejects.toThrow('down');
    failures = 1;
    marks.markTouchLanded(WS, { occurredAt: '2026-03-01T00:00:00Z' }, { profileId: 'P2' });
    await new Promise((r) => setTimeout(r, 50));
    await marks.flush();
    expect((await store.counters.dirty(WS, 'person')).map((m) => [m.key, m.marks])).toEqual([
      ['P1', 1],
      ['P2', 1],
    ]);
  });

  it('reads what a reconcile job changed, whatever the job; a conversion run without its time looks it up', async () => {
    expect(marksOfReconcile({ kind: 'reconcile', conversionId: 'o1', status: 'matched', match: { profileId: 'P1' }, previousProfileId: 'P0', touches: 2 })).toEqual([{ conversionId: 'o1', profileIds: ['P1', 'P0'] }]);
    expect(marksOfReconcile({ kind: 'reconcile', conversionId: 'o1', conversionAt: '2026-03-01T00:00:00Z', status: 'unattributed', match: null, previousProfileId: null, mergedProfiles: ['P7'] })).toEqual([
      { conversionId: 'o1', conversionAt: '2026-03-01T00:00:00Z', profileIds: [undefined, undefined, 'P7'] },
    ]);
    expect(marksOfReconcile({ kind: 'reconcile', conversionId: 'o1', status: 'missing' })).toEqual([]);
    expect(marksOfReconcile({ kind: 'refit-month', month: '2026-03', recredited: 4 })).toEqual([{ period: { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' } }]);
    expect(marksOfReconcile({ kind: 'refit', months: [{ month: '2026-12', recredited: 1 }, { month: '2026-11', recredited: 0 }] })).toEqual([{ period: { from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' } }]);
    expect(marksOfReconcile({ kind: 'sweep', queued: 3 })).toEqual([]);
    expect(marksOfReconcile(null)).toEqual([]);

    const store = createMemoryStore();
    await store.conversions.insert(WS, conversion('o1', '2026-03-01T18:00:00Z', 5, 'P1'));
    const marks = createCounterMarks({ store, requestRollup: async () => undefined, timeZoneOf: () => TZ, log, batchMs: 1 });
    marks.afterReconcile(WS, { kind: 'reconcile', conversionId: 'o1', status: 'matched', match: { profileId: 'P1' }, previousProfileId: null });
    marks.afterReconcile(WS, { kind: 'refit-month', month: '2026-02', recredited: 1 });
    await marks.flush();
    const days = (await store.counters.dirty(WS, 'day')).map((m) => m.key);
    // o1 is on March 2 in Shanghai; February in UTC spans Feb 1 08:00 .. Mar 1 08:00 Shanghai time.
    expect([days[0], days[days.length - 1], days.length]).toEqual(['2026-02-01', '2026-03-02', 30]);
    expect((await store.counters.dirty(WS, 'person')).map((m) => m.key)).toEqual(['P1']);
  });
});

describe('the rollup worker on the real queue', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('rolls up a burst of landings in a few deduplicated jobs, and reports follow', async () => {
    const prefix = uniquePrefix('rollup');
    const producer = testRedis();
    const conn = createWorkerConnection({ url: REDIS_URL });
    const store = await seeded();
    const queue = new RollupQueue({ connection: producer, prefix, delayMs: 100 });
    const results: RollupJobResult[] = [];
    const worker = createRollupWorker({ ...options(store), connection: conn, requestRollup: (ws, d) => queue.requestRollup(ws, d), log, prefix, onProcessed: (r) => results.push(r) });
    const marks = createCounterMarks({ store, requestRollup: (ws) => queue.requestRollup(ws), timeZoneOf: () => TZ, log, batchMs: 5 });
    cleanups.push(async () => {
      await worker.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
      await conn.quit();
      await deleteKeys(producer, [`bull:${prefix}*`]);
      await producer.quit();
    });
    await worker.waitUntilReady();
    // 300 messages by 30 people over three days, landing in bursts.
    for (let burst = 0; burst < 3; burst++) {
      const touches = Array.from({ length: 100 }, (_, i) => t(`b${burst}-${i}`, 'message', `2026-03-2${burst}T0${i % 10}:00:00Z`, `Q${i % 30}`, G1, { keywords: ['发货'] }));
      await store.touches.insertMany(WS, touches);
      for (const x of touches) marks.markTouchLanded(WS, x, { profileId: x.profileId });
      await new Promise((r) => setTimeout(r, 20));
    }
    await marks.flush();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const counts = await queue.queue.getJobCounts('waiting', 'active', 'delayed');
      if ((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0 && (await store.counters.dirty(WS, 'day')).length === 0 && (await store.counters.dirty(WS, 'person')).length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const rollups = results.filter((r) => r.kind === 'rollup');
    expect(rollups.length).toBeGreaterThan(0);
    expect(rollups.length).toBeLessThanOrEqual(4);
    expect(rollups.reduce((n, r) => n + (r.kind === 'rollup' ? r.people : 0), 0)).toBeGreaterThanOrEqual(30);
    const g = await groupStats(store);
    expect(g.topKeywords).toContainEqual({ keyword: '发货', count: 300 });
    expect(g.activeMembers).toBe(32);
    expect(g.notes).toBeUndefined();
  });
});
