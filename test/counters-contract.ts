/**
 * The counters' contract (marks, day counters, person facts, state): what every adapter must
 * do, as one `describe` suite. `test/store.test.ts` runs it on the in-memory adapter always and
 * on MongoDB when one is reachable. The heart of it: a write REPLACES (the same counters put
 * twice read once; a re-credit put over the old one leaves no trace of the old one), a stale
 * write (lower version) is refused, and a mark that arrives during a recompute keeps the unit
 * dirty.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CounterMark, DayCounters, PersonFacts, Store } from '../src/store/store.js';
import { DAY_PARTS, emptyFacts } from '../src/store/counters/counter-repo.js';

const A = 'a';
const B = 'b';
const TZ = 'Asia/Shanghai';

/** A day's counters: one conversion of `value` credited to group -1001 under linear and last touch. */
export function dayCounters(day: string, value: number, extra: Partial<DayCounters> = {}, workspace = A): DayCounters {
  return {
    workspace,
    timeZone: TZ,
    day,
    version: 1,
    computedAt: '2026-03-10T00:00:00+08:00',
    parts: {
      totals: { byCurrency: [{ currency: 'CNY', conversions: 1, value, matched: 1, lowConfidence: 0, unattributed: 0, unattributedValue: 0, pending: 0 }], creditSets: 1, missing: { markov: 1 } },
      'credits.linear.group': [{ key: '-1001', label: '团购群', currency: 'CNY', conversions: 1, value }],
      'credits.last_touch.group': [{ key: '-1001', label: '团购群', currency: 'CNY', conversions: 1, value }],
      'credits.linear.keyword': [
        { key: 'a.b$c', label: 'a.b$c', currency: 'CNY', conversions: 0.5, value: value / 2 },
        { key: '发货', label: '发货', currency: 'CNY', conversions: 0.5, value: value / 2 },
      ],
      groups: [{ chatId: '-1001', chatTitle: '团购群', messages: 3, keywordHits: 2, joins: 1, leaves: 0, anonymousLeaves: 0 }],
      joins: [{ chatId: '-1001', campaign: 'spring.2026', joins: 1 }],
      keywords: [{ chatId: '-1001', keyword: '发货', hits: 2 }],
      clicks: [{ link: 'abc', chatId: '-1001', campaign: null, clicks: 1 }],
    },
    ...extra,
  };
}

/** A person in group -1001 (joined through `spring` on March 1) and, when `second`, in -1002. */
export function facts(profileId: string, extra: Partial<PersonFacts> = {}, workspace = A): PersonFacts {
  return {
    workspace,
    profileId,
    timeZone: TZ,
    version: 1,
    computedAt: '2026-03-10T00:00:00.000Z',
    activeDays: ['2026-03-01', '2026-03-05'],
    touchDays: ['2026-03-01', '2026-03-05'],
    conversions: [{ id: 'o1', at: '2026-03-06T00:00:00.000Z', value: 99, currency: 'CNY' }],
    clicks: ['2026-03-05T12:00:00.000Z'],
    memberships: [
      {
        chatId: '-1001',
        chatTitle: '团购群',
        activeDays: ['2026-03-01', '2026-03-05'],
        joins: [{ at: '2026-03-01T10:00:00.000Z', campaign: 'spring', engagedAt: '2026-03-05T10:00:00.000Z' }],
        leaves: [{ at: '2026-03-20T00:00:00.000Z', campaign: 'spring' }],
      },
    ],
    ...extra,
  };
}

const keys = (marks: CounterMark[]): string[] => marks.map((m) => m.key);
/** Every page of an iterable of pages, flattened. */
async function collect<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of it) out.push(...page);
  return out;
}

export function countersContract(name: Store['kind'], makeStore: () => Promise<Store>, cleanup?: (store: Store) => Promise<void>, options: { skipReason?: string } = {}): void {
  const title = options.skipReason ? `counters contract: ${name} (skipped: ${options.skipReason})` : `counters contract: ${name}`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
    let made: Store | undefined;
    beforeEach(async () => {
      made = undefined;
      store = made = await makeStore();
    });
    afterEach(async () => {
      if (!made) return;
      await made.close();
      await cleanup?.(made);
    });

    describe('marks', () => {
      it('a mark adds one to a unit’s count; dirty units are listed in key order, per kind and workspace', async () => {
        const c = store.counters;
        await c.markDirty(A, [
          { kind: 'day', key: '2026-03-02' },
          { kind: 'day', key: '2026-03-01' },
          { kind: 'person', key: 'p2' },
          { kind: 'person', key: 'P1' },
          // The same unit twice in one call is one mark.
          { kind: 'day', key: '2026-03-01' },
        ]);
        await c.markDirty(A, [{ kind: 'day', key: '2026-03-01' }]);
        await c.markDirty(B, [{ kind: 'day', key: '2026-01-01' }]);
        expect(await c.dirty(A, 'day')).toEqual([
          { kind: 'day', key: '2026-03-01', marks: 2 },
          { kind: 'day', key: '2026-03-02', marks: 1 },
        ]);
        expect(keys(await c.dirty(A, 'person'))).toEqual(['P1', 'p2']);
        expect(keys(await c.dirty(A, 'day', 1))).toEqual(['2026-03-01']);
        expect(await c.dirty(A, 'day', 0)).toEqual([]);
        expect(keys(await c.dirty(B, 'day'))).toEqual(['2026-01-01']);
        expect(await c.dirty('nobody', 'day')).toEqual([]);
      });

      it('markClean clears only units not marked again since they were read; the count keeps growing', async () => {
        const c = store.counters;
        await c.markDirty(A, [
          { kind: 'day', key: '2026-03-01' },
          { kind: 'day', key: '2026-03-02' },
        ]);
        const read = await c.dirty(A, 'day');
        // Data lands on March 2 while the rollup recomputes it.
        await c.markDirty(A, [{ kind: 'day', key: '2026-03-02' }]);
        expect(await c.markClean(A, read)).toBe(1);
        expect(await c.dirty(A, 'day')).toEqual([{ kind: 'day', key: '2026-03-02', marks: 2 }]);
        // Marking clean again, or in another workspace, changes nothing.
        expect(await c.markClean(A, read)).toBe(0);
        expect(await c.markClean(B, await c.dirty(A, 'day'))).toBe(0);
        await c.markDirty(A, [{ kind: 'day', key: '2026-03-01' }]);
        expect(await c.dirty(A, 'day')).toEqual([
          { kind: 'day', key: '2026-03-01', marks: 2 },
          { kind: 'day', key: '2026-03-02', marks: 2 },
        ]);
        expect(await c.marks(A, 'day')).toEqual([
          { kind: 'day', key: '2026-03-01', marks: 2 },
          { kind: 'day', key: '2026-03-02', marks: 2 },
        ]);
      });

      it('marks lists every unit ever marked, clean ones too, with afterKey and limit', async () => {
        const c = store.counters;
        await c.markDirty(A, ['p3', 'p1', 'p2'].map((key) => ({ kind: 'person' as const, key })));
        await c.markClean(A, await c.dirty(A, 'person', 1));
        expect(keys(await c.marks(A, 'person'))).toEqual(['p1', 'p2', 'p3']);
        expect(keys(await c.marks(A, 'person', { afterKey: 'p1', limit: 1 }))).toEqual(['p2']);
        expect(keys(await c.dirty(A, 'person'))).toEqual(['p2', 'p3']);
      });

      it('refuses units that are not days or profile ids', async () => {
        await expect(store.counters.markDirty(A, [{ kind: 'day', key: '2026-02-30' }])).rejects.toThrow(/YYYY-MM-DD/);
        await expect(store.counters.markDirty(A, [{ kind: 'person', key: '' }])).rejects.toThrow(/profile id/);
      });
    });

    describe('day counters', () => {
      it('a put replaces the day: the same counters put twice read once, a re-credit leaves nothing of the old credit', async () => {
        const c = store.counters;
        expect(await c.putDay(A, dayCounters('2026-03-01', 90))).toBe(true);
        expect(await c.putDay(A, dayCounters('2026-03-01', 90))).toBe(true);
        const [once] = await c.days(A, { from: '2026-03-01', to: '2026-03-01' }, ['totals', 'credits.linear.group']);
        expect(once?.parts.totals?.byCurrency[0]?.value).toBe(90);
        expect(once?.parts['credits.linear.group']).toEqual([{ key: '-1001', label: '团购群', currency: 'CNY', conversions: 1, value: 90 }]);
        // Re-credited: the conversion's credit moved to another group, with a new value.
        const recredited = dayCounters('2026-03-01', 60, { version: 2 });
        recredited.parts['credits.linear.group'] = [{ key: '-1002', label: 'VIP', currency: 'CNY', conversions: 1, value: 60 }];
        delete recredited.parts['credits.linear.keyword'];
        expect(await c.putDay(A, recredited)).toBe(true);
        const [after] = await c.days(A, { from: '2026-03-01', to: '2026-03-01' }, ['credits.linear.group', 'credits.linear.keyword', 'totals']);
        expect(after?.parts['credits.linear.group']).toEqual([{ key: '-1002', label: 'VIP', currency: 'CNY', conversions: 1, value: 60 }]);
        // A part left out of a put is stored empty, not kept from before.
        expect(after?.parts['credits.linear.keyword']).toEqual([]);
        expect(after?.parts.totals?.byCurrency.map((r) => r.value)).toEqual([60]);
        expect(after?.version).toBe(2);
      });

      it('a put with a lower version than the stored one is refused and changes nothing', async () => {
        const c = store.counters;
        expect(await c.putDay(A, dayCounters('2026-03-01', 90, { version: 3 }))).toBe(true);
        expect(await c.putDay(A, dayCounters('2026-03-01', 10, { version: 2 }))).toBe(false);
        const [day] = await c.days(A, { from: '2026-03-01', to: '2026-03-01' }, ['totals']);
        expect(day?.parts.totals?.byCurrency[0]?.value).toBe(90);
        expect(day?.version).toBe(3);
      });

      it('days reads a range of days (both ends included) in order, with only the parts asked for; absent parts read empty', async () => {
        const c = store.counters;
        for (const [d, v] of [['2026-03-03', 3], ['2026-03-01', 1], ['2026-02-28', 28], ['2026-03-02', 2]] as const) await c.putDay(A, dayCounters(d, v));
        await c.putDay(B, dayCounters('2026-03-01', 500, {}, B));
        const got = await c.days(A, { from: '2026-03-01', to: '2026-03-02' }, ['credits.linear.group', 'groups', 'credits.shapley.link']);
        expect(got.map((d) => [d.day, d.timeZone, d.computedAt])).toEqual([
          ['2026-03-01', TZ, '2026-03-09T16:00:00.000Z'],
          ['2026-03-02', TZ, '2026-03-09T16:00:00.000Z'],
        ]);
        expect(Object.keys(got[0]?.parts ?? {}).sort()).toEqual(['credits.linear.group', 'credits.shapley.link', 'groups']);
        expect(got[0]?.parts['credits.shapley.link']).toEqual([]);
        expect(got.map((d) => d.parts['credits.linear.group']?.[0]?.value)).toEqual([1, 2]);
        expect(got[1]?.parts.groups).toEqual(dayCounters('x', 0).parts.groups);
        expect(await c.dayList(A)).toEqual(['2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03']);
        expect((await c.days(B, { from: '2026-01-01', to: '2026-12-31' }, ['totals'])).map((d) => d.parts.totals?.byCurrency[0]?.value)).toEqual([500]);
        expect(await c.days('nobody', { from: '2026-01-01', to: '2026-12-31' }, ['totals'])).toEqual([]);
      });

      it('keeps rows with keys MongoDB would choke on as field names, and every part there is', async () => {
        const c = store.counters;
        const d = dayCounters('2026-03-01', 5);
        d.parts['credits.shapley.campaign'] = [{ key: '$spring.2026', label: '$spring.2026', currency: 'CNY', conversions: 0.25, value: 1.25 }];
        await c.putDay(A, d);
        const [got] = await c.days(A, { from: '2026-03-01', to: '2026-03-01' }, DAY_PARTS);
        expect(got?.parts['credits.shapley.campaign']).toEqual(d.parts['credits.shapley.campaign']);
        expect(got?.parts['credits.linear.keyword']?.map((r) => r.key)).toEqual(['a.b$c', '发货']);
        expect(got?.parts.totals?.missing).toEqual({ markov: 1 });
        expect(got?.parts.joins).toEqual([{ chatId: '-1001', campaign: 'spring.2026', joins: 1 }]);
        expect(got?.parts.clicks).toEqual([{ link: 'abc', chatId: '-1001', campaign: null, clicks: 1 }]);
        expect(Object.keys(got?.parts ?? {})).toHaveLength(DAY_PARTS.length);
      });

      it('clearDays drops the day counters and day marks of one workspace only', async () => {
        const c = store.counters;
        await c.putDay(A, dayCounters('2026-03-01', 1));
        await c.putDay(B, dayCounters('2026-03-01', 1, {}, B));
        await c.markDirty(A, [{ kind: 'day', key: '2026-03-02' }, { kind: 'person', key: 'p1' }]);
        await c.clearDays(A);
        expect(await c.dayList(A)).toEqual([]);
        expect(await c.dayList(B)).toEqual(['2026-03-01']);
        expect(await c.marks(A, 'day')).toEqual([]);
        expect(keys(await c.dirty(A, 'person'))).toEqual(['p1']);
      });

      it('refuses a day that is not a date and counters of another workspace', async () => {
        await expect(store.counters.putDay(A, dayCounters('2026-3-1', 1))).rejects.toThrow(/YYYY-MM-DD/);
        await expect(store.counters.putDay(A, dayCounters('2026-03-01', 1, {}, B))).rejects.toThrow(/workspace/);
        await expect(store.counters.days(A, { from: 'x', to: '2026-03-01' }, ['totals'])).rejects.toThrow(/YYYY-MM-DD/);
      });
    });

    describe('person facts', () => {
      it('a put replaces the person’s facts, times come back canonical, a stale put is refused', async () => {
        const c = store.counters;
        const p = facts('p1');
        p.memberships[0]!.joins[0]!.at = '2026-03-01T18:00:00+08:00';
        expect(await c.putPerson(A, p)).toBe(true);
        expect(await c.people(A, ['p1'])).toEqual([facts('p1')]);
        // Re-matched: the conversion is no longer theirs.
        expect(await c.putPerson(A, facts('p1', { version: 2, conversions: [] }))).toBe(true);
        expect((await c.people(A, ['p1']))[0]?.conversions).toEqual([]);
        expect(await c.putPerson(A, facts('p1', { version: 1 }))).toBe(false);
        expect((await c.people(A, ['p1', 'p1', 'nobody']))).toEqual([facts('p1', { version: 2, conversions: [] })]);
        expect(await c.people(B, ['p1'])).toEqual([]);
      });

      it('lists profile ids in code-point order with afterId and limit', async () => {
        const c = store.counters;
        for (const id of ['p_b', 'p_A', 'p_a', '𝒫1', 'p_\uffff']) await c.putPerson(A, facts(id));
        expect(await c.personIds(A)).toEqual(['p_A', 'p_a', 'p_b', 'p_\uffff', '𝒫1']);
        expect(await c.personIds(A, { afterId: 'p_a', limit: 2 })).toEqual(['p_b', 'p_\uffff']);
      });

      it('lists joins and leaves in [from, to), in one group or any, each join with what followed it', async () => {
        const c = store.counters;
        await c.putPerson(A, facts('p1'));
        const two = facts('p2', { clicks: ['2026-03-02T12:00:00.000Z'], conversions: [{ id: 'o7', at: '2026-03-02T18:00:00.000Z', value: 7, currency: 'USD' }] });
        two.memberships = [
          { chatId: '-1001', activeDays: ['2026-03-02'], joins: [{ at: '2026-03-02T00:00:00.000Z', campaign: null, engagedAt: null }, { at: '2026-03-03T00:00:00.000Z', campaign: 'vip', engagedAt: null }], leaves: [] },
          { chatId: '-1002', activeDays: ['2026-03-01'], joins: [{ at: '2026-03-01T00:00:00.000Z', campaign: 'vip', engagedAt: '2026-03-01T08:00:00.000Z' }], leaves: [{ at: '2026-03-01T12:00:00.000Z', campaign: 'vip' }] },
        ];
        await c.putPerson(A, two);
        await c.putPerson(A, facts('p3', { memberships: [] }));
        await c.putPerson(B, facts('p9', {}, B));
        const joins = async (q: { from: string; to: string; chatId?: string }) => (await collect(c.joinsIn(A, q))).map((j) => `${j.profileId} ${j.chatId} ${j.at.slice(5, 13)}`).sort();
        expect(await joins({ from: '2026-03-01T00:00:00Z', to: '2026-03-04T00:00:00Z' })).toEqual(['p1 -1001 03-01T10', 'p2 -1001 03-02T00', 'p2 -1001 03-03T00', 'p2 -1002 03-01T00']);
        // `to` is exclusive, `from` inclusive.
        expect(await joins({ from: '2026-03-01T10:00:00Z', to: '2026-03-02T00:00:00Z' })).toEqual(['p1 -1001 03-01T10']);
        expect(await joins({ from: '2026-03-01T10:00:01Z', to: '2026-03-02T00:00:00Z' })).toEqual([]);
        expect(await joins({ from: '2026-03-01T00:00:00+08:00', to: '2026-03-04T00:00:00Z', chatId: '-1002' })).toEqual(['p2 -1002 03-01T00']);
        expect(await joins({ from: '2026-03-02T00:00:01Z', to: '2026-03-02T23:00:00Z', chatId: '-1001' })).toEqual([]);
        // Each join carries what followed it: the first message there, the first click and the conversions after it.
        const rows = await collect(c.joinsIn(A, { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:01Z' }));
        const byAt = (at: string) => rows.find((r) => r.at === at);
        expect(byAt('2026-03-01T00:00:00.000Z')).toEqual({ profileId: 'p2', chatId: '-1002', at: '2026-03-01T00:00:00.000Z', campaign: 'vip', engagedAt: '2026-03-01T08:00:00.000Z', clickedAt: '2026-03-02T12:00:00.000Z', conversions: [{ id: 'o7', at: '2026-03-02T18:00:00.000Z', value: 7, currency: 'USD' }], groupJoins: ['2026-03-01T00:00:00.000Z'], groupLeaves: ['2026-03-01T12:00:00.000Z'] });
        expect(byAt('2026-03-01T10:00:00.000Z')).toEqual({ profileId: 'p1', chatId: '-1001', chatTitle: '团购群', at: '2026-03-01T10:00:00.000Z', campaign: 'spring', engagedAt: '2026-03-05T10:00:00.000Z', clickedAt: '2026-03-05T12:00:00.000Z', conversions: [{ id: 'o1', at: '2026-03-06T00:00:00.000Z', value: 99, currency: 'CNY' }], groupJoins: ['2026-03-01T10:00:00.000Z'], groupLeaves: ['2026-03-20T00:00:00.000Z'] });
        expect(byAt('2026-03-02T00:00:00.000Z')?.conversions).toEqual([{ id: 'o7', at: '2026-03-02T18:00:00.000Z', value: 7, currency: 'USD' }]);
        const leaves = async (q: { from: string; to: string; chatId?: string }) => (await collect(c.leavesIn(A, q))).map((l) => `${l.profileId} ${l.chatId} ${l.campaign}`).sort();
        expect(await leaves({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' })).toEqual(['p1 -1001 spring', 'p2 -1002 vip']);
        expect(await leaves({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', chatId: '-1002' })).toEqual(['p2 -1002 vip']);
        expect(await leaves({ from: '2026-03-20T00:00:01Z', to: '2026-04-01T00:00:00Z' })).toEqual([]);
        // A replaced person's old joins are gone.
        await c.putPerson(A, facts('p1', { version: 2, memberships: [] }));
        expect(await joins({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z' })).toEqual(['p2 -1002 03-01T00']);
      });

      it('counts people active on a day in a range, both ends included, one element holding both bounds', async () => {
        const c = store.counters;
        await c.putPerson(A, facts('p1')); // active March 1 and 5
        await c.putPerson(A, facts('p2', { activeDays: ['2026-03-03'], memberships: [{ chatId: '-1002', activeDays: ['2026-03-03'], joins: [], leaves: [] }] }));
        await c.putPerson(A, emptyFacts(A, 'p3', TZ, 4, '2026-03-10T00:00:00.000Z'));
        expect(await c.countActive(A, { from: '2026-03-01', to: '2026-03-31' })).toBe(2);
        // p1 has a day before and a day after March 2..4, but none within: not active.
        expect(await c.countActive(A, { from: '2026-03-02', to: '2026-03-04' })).toBe(1);
        expect(await c.countActive(A, { from: '2026-03-05', to: '2026-03-05' })).toBe(1);
        expect(await c.countActive(A, { from: '2026-03-01', to: '2026-03-31', chatId: '-1001' })).toBe(1);
        expect(await c.countActive(A, { from: '2026-03-02', to: '2026-03-04', chatId: '-1001' })).toBe(0);
        expect(await c.countActive(A, { from: '2026-03-01', to: '2026-03-31', chatId: '-1009' })).toBe(0);
        expect(await c.countActive(B, { from: '2026-03-01', to: '2026-03-31' })).toBe(0);
      });

      it('empty facts stay as a record (a stale recompute cannot bring the person back) and count nowhere', async () => {
        const c = store.counters;
        await c.putPerson(A, facts('p1', { version: 1 }));
        expect(await c.putPerson(A, emptyFacts(A, 'p1', TZ, 2, '2026-03-11T00:00:00.000Z'))).toBe(true);
        expect(await c.putPerson(A, facts('p1', { version: 1 }))).toBe(false);
        expect(await c.countActive(A, { from: '2026-03-01', to: '2026-03-31' })).toBe(0);
        expect(await collect(c.joinsIn(A, { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }))).toEqual([]);
        expect(await c.people(A, ['p1'])).toEqual([emptyFacts(A, 'p1', TZ, 2, '2026-03-11T00:00:00.000Z')]);
      });
    });

    describe('state', () => {
      it('keeps one state per workspace, its build time canonical', async () => {
        const c = store.counters;
        expect(await c.state(A)).toBeNull();
        await c.setState(A, { workspace: A, timeZone: TZ, builtAt: null, rebuildRequested: true });
        await c.setState(A, { workspace: A, timeZone: 'UTC', builtAt: '2026-03-01T08:00:00+08:00', rebuildRequested: false });
        expect(await c.state(A)).toEqual({ workspace: A, timeZone: 'UTC', builtAt: '2026-03-01T00:00:00.000Z', rebuildRequested: false });
        expect(await c.state(B)).toBeNull();
        await expect(c.setState(A, { workspace: B, timeZone: 'UTC', builtAt: null, rebuildRequested: false })).rejects.toThrow(/workspace/);
      });
    });
  });
}
