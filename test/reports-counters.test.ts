/**
 * The counter-based reports against a straightforward recomputation from the raw rows
 * (`support/report-data.ts`), on a generated community: every dimension and model, totals,
 * the funnel (distinct people, `all` row included), group stats; over periods of whole local
 * days, relative periods that start and end mid-day, a period inside one day, a daylight-saving
 * day, and a period past the data; in two time zones away from UTC (New York, with its DST
 * switch inside the data, and Kathmandu at +5:45). Also: day figures stay exact while days wait
 * for the rollup, and a time-zone change rebuilds the days in the new zone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES } from '../src/attribution/index.js';
import { createReports, parsePeriod, REPORT_DIMENSIONS, type Period } from '../src/reports/index.js';
import { rebuildCounters, rollUp } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { WS, generate, load, rawCredit, rawFunnel, rawGroupStats, rawTotals, type GeneratedData } from './support/report-data.js';

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

function periods(timeZone: string): Period[] {
  const now = new Date('2026-03-27T14:37:21.500Z');
  return [
    parsePeriod('2026-03-01..2026-03-31', now, timeZone),
    parsePeriod('2026-03-08..2026-03-08', now, timeZone),
    parsePeriod('7d', now, timeZone),
    parsePeriod('30d', now, timeZone),
    parsePeriod('12h', now, timeZone),
    parsePeriod('2026-02-01..2026-05-31', now, timeZone),
    { from: '2026-03-03T05:17:00.000Z', to: '2026-03-19T22:41:13.250Z', label: 'odd' },
  ];
}

/** Checks every report of `store` over `period` against the raw recomputation. */
async function expectExact(store: Store, d: GeneratedData, timeZone: string, period: Period): Promise<void> {
  const reports = createReports(store, [{ id: WS, timezone: timeZone }]);
  const where = `${timeZone} ${period.label}`;
  const totals = rawTotals(d, period);
  for (const by of REPORT_DIMENSIONS) {
    const cmp = await reports.compareModels(WS, { period, by });
    expect([cmp.totals.conversions, cmp.totals.matched, cmp.totals.pending, cmp.totals.lowConfidence, cmp.totals.unattributed.conversions], where).toEqual([totals.conversions, totals.matched, totals.pending, totals.lowConfidence, totals.unattributed]);
    expect(close(cmp.totals.value, totals.value) && close(cmp.totals.unattributed.value, totals.unattributedValue), where).toBe(true);
    for (const model of MODEL_NAMES) {
      const raw = rawCredit(d, period, by, model);
      const got = new Map(cmp.rows.map((r) => [r.key, r.byModel[model]]).filter(([, a]) => a !== undefined && ((a as { conversions: number }).conversions !== 0 || (a as { value: number }).value !== 0)) as Array<[string, { conversions: number; value: number }]>);
      const want = new Map([...raw].filter(([, a]) => a.conversions !== 0 || a.value !== 0));
      expect([...got.keys()].sort(), `${where} ${by} ${model}`).toEqual([...want.keys()].sort());
      for (const [k, a] of want) expect(close(got.get(k)?.conversions ?? NaN, a.conversions) && close(got.get(k)?.value ?? NaN, a.value), `${where} ${by} ${model} ${k}`).toBe(true);
    }
  }
  const markov = await reports.attribution(WS, { period, by: 'campaign', model: 'markov' });
  const rawMarkov = rawCredit(d, period, 'campaign', 'markov');
  for (const r of markov.rows) expect(close(r.credited.value, rawMarkov.get(r.key)?.value ?? 0), `${where} markov ${r.key}`).toBe(true);

  for (const by of ['group', 'campaign'] as const) {
    const f = await reports.funnel(WS, { period, by });
    const want = rawFunnel(d, period, by);
    expect(f.rows.map((r) => r.key).sort(), `${where} funnel by ${by}`).toEqual([...want.keys()].sort());
    for (const r of f.rows) {
      const w = want.get(r.key);
      expect([r.joined, r.engaged, r.clicked, r.converted], `${where} funnel ${by} ${r.key}`).toEqual([w?.joined, w?.engaged, w?.clicked, w?.converted]);
      expect(close(r.value, w?.value ?? NaN), `${where} funnel value ${by} ${r.key}`).toBe(true);
    }
    // The all row is distinct people: never more than the sum of the cohorts, and here strictly fewer.
    const all = f.rows.find((r) => r.key === 'all');
    expect(all?.joined ?? 0).toBeLessThanOrEqual(f.rows.filter((r) => r.key !== 'all').reduce((s, r) => s + r.joined, 0));
  }

  for (const chatId of [undefined, '-1001', '-1003']) {
    const g = await reports.groupStats(WS, { period, ...(chatId ? { chatId } : {}) });
    const want = rawGroupStats(d, period, timeZone, chatId);
    const here = `${where} group stats ${chatId ?? 'all'}`;
    expect(g.activeMembers, here).toBe(want.active);
    expect(g.days.filter((x) => x.messages + x.joins + x.leaves + x.keywordHits > 0).map((x) => [x.day, x.messages, x.keywordHits, x.joins, x.leaves]), here).toEqual(
      [...want.days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, x]) => [day, x.messages, x.keywordHits, x.joins, x.leaves]),
    );
    expect(new Map(g.joinsByCampaign.map((c) => [c.campaign ?? '\u0000null', { joins: c.joins, leaves: c.leaves }])), here).toEqual(want.campaigns);
    expect(new Map(g.topKeywords.map((k) => [k.keyword, k.count])), here).toEqual(want.keywords);
    expect(g.clicks, here).toBe(want.clicks);
  }
}

for (const timeZone of ['America/New_York', 'Asia/Kathmandu']) {
  describe(`reports on counters equal the raw recomputation (${timeZone})`, () => {
    const d = generate(timeZone === 'America/New_York' ? 11 : 12);
    let store: Store;
    beforeAll(async () => {
      store = createMemoryStore();
      await load(store, d);
      await rebuildCounters({ store, timeZoneOf: () => timeZone }, WS);
    });

    it('the data set has what the comparison needs: people in several groups, rejoins, tied clicks, two currencies', () => {
      const joins = d.touches.filter((t) => t.kind === 'join');
      const groupsOf = new Map<string, Set<string>>();
      for (const j of joins) groupsOf.set(j.profileId as string, (groupsOf.get(j.profileId as string) ?? new Set()).add(j.chat.id));
      expect([...groupsOf.values()].filter((g) => g.size > 1).length).toBeGreaterThan(5);
      expect(new Set(d.conversions.map((c) => c.currency)).size).toBe(2);
      expect(d.conversions.filter((c) => c.clickId).length).toBeGreaterThan(2);
      expect(d.credits.filter((c) => !c.models.markov).length).toBeGreaterThan(0);
      // Cohorts overlap: adding the groups up would count people twice.
      const f = rawFunnel(d, { from: '2026-02-01T00:00:00Z', to: '2026-05-01T00:00:00Z' }, 'group');
      const sum = [...f].filter(([k]) => k !== 'all').reduce((n, [, r]) => n + r.joined, 0);
      expect(f.get('all')?.joined).toBeLessThan(sum);
    });

    for (const period of periods(timeZone)) {
      it(`every report over ${period.label} (${period.from} .. ${period.to})`, async () => {
        await expectExact(store, d, timeZone, period);
      });
    }
  });
}

describe('counters stay exact while the rollup catches up, and follow a time-zone change', () => {
  it('days waiting for the rollup are read raw; after the rollup they come from the counters, equal', async () => {
    const timeZone = 'America/New_York';
    const d = generate(21, 40);
    const store = createMemoryStore();
    // Half the rows are in and built; the other half lands afterwards and only marks its units.
    const half = { touches: d.touches.filter((_, i) => i % 2 === 0), conversions: d.conversions.filter((_, i) => i % 2 === 0), credits: d.credits.filter((c) => Number(c.conversionId.slice(1)) % 2 === 0), clicks: d.clicks };
    await load(store, half);
    await rebuildCounters({ store, timeZoneOf: () => timeZone }, WS);
    const rest = { touches: d.touches.filter((_, i) => i % 2 === 1), conversions: d.conversions.filter((_, i) => i % 2 === 1), credits: d.credits.filter((c) => Number(c.conversionId.slice(1)) % 2 === 1), clicks: [] };
    await load(store, rest);
    const { dayFinder } = await import('../src/reports/local-days.js');
    const dayOf = dayFinder(timeZone);
    await store.counters.markDirty(WS, [
      ...rest.touches.map((t) => ({ kind: 'day' as const, key: dayOf(Date.parse(t.occurredAt)) })),
      ...rest.conversions.map((c) => ({ kind: 'day' as const, key: dayOf(Date.parse(c.occurredAt)) })),
      ...[...new Set([...rest.touches.map((t) => t.profileId), ...rest.conversions.map((c) => c.match?.profileId)])].filter((p): p is string => !!p).map((key) => ({ kind: 'person' as const, key })),
    ]);
    const period = parsePeriod('2026-03-01..2026-03-31', new Date(), timeZone);
    const reports = createReports(store, [{ id: WS, timezone: timeZone }]);
    // Day-level figures are exact before the rollup ran: the dirty days are read raw.
    const before = await reports.compareModels(WS, { period, by: 'group' });
    expect(before.totals.conversions).toBe(rawTotals(d, period).conversions);
    for (const [k, a] of rawCredit(d, period, 'group', 'linear')) expect(close(before.rows.find((r) => r.key === k)?.byModel.linear?.value ?? NaN, a.value)).toBe(true);
    // People's figures say they are catching up.
    expect((await reports.funnel(WS, { period, by: 'group' })).notes?.[0]).toMatch(/still being rolled up/);
    const r = await rollUp({ store, timeZoneOf: () => timeZone }, WS);
    expect([r.rebuilt, r.more, r.days > 0, r.people > 0]).toEqual([false, false, true, true]);
    expect(await store.counters.dirty(WS, 'day')).toEqual([]);
    expect((await reports.funnel(WS, { period, by: 'group' })).notes).toBeUndefined();
    await expectExact(store, d, timeZone, period);
  });

  it('a time-zone change rebuilds every day in the new zone at the next rollup', async () => {
    const d = generate(31, 30);
    const store = createMemoryStore();
    await load(store, d);
    await rebuildCounters({ store, timeZoneOf: () => 'UTC' }, WS);
    const utcDays = await store.counters.dayList(WS);
    const r = await rollUp({ store, timeZoneOf: () => 'Asia/Kathmandu' }, WS);
    expect(r.rebuilt).toBe(true);
    expect((await store.counters.state(WS))?.timeZone).toBe('Asia/Kathmandu');
    const [day] = await store.counters.days(WS, { from: '2026-03-01', to: '2026-03-01' }, ['groups']);
    expect(day?.timeZone).toBe('Asia/Kathmandu');
    expect(utcDays.length).toBeGreaterThan(40);
    await expectExact(store, d, 'Asia/Kathmandu', parsePeriod('2026-03-01..2026-03-15', new Date(), 'Asia/Kathmandu'));
  });
});
