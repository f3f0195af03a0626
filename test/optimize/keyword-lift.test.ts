import { describe, expect, it } from 'vitest';
import { keywordLift, liftPeople, type LiftPerson } from '../../src/optimize/index.js';
import { personFacts, factTouch } from '../../src/reports/person-facts.js';
import { touchEventSchema } from '../../src/touch-event.js';
import type { StoredTouch } from '../../src/store/store.js';

const DAY = 86_400_000;
const JOIN = Date.parse('2026-03-02T10:00:00Z'); // a Monday
const MENTION = Date.parse('2026-03-05T10:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const PERIOD = { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', timeZone: 'UTC' };

function person(id: string, o: { campaign?: string | null; joinAt?: number; activity?: number; mention?: number; conversions?: number[] }): LiftPerson {
  return {
    profileId: id,
    joinAt: iso(o.joinAt ?? JOIN),
    campaign: o.campaign === undefined ? 'spring' : o.campaign,
    activity: o.activity ?? 3,
    mentions: new Map(o.mention !== undefined ? [['price', iso(o.mention)]] : []),
    conversions: (o.conversions ?? []).map(iso),
  };
}

/** 40 treated (10 convert within 30 days) and 80 controls (8 convert after their anchor), one stratum. */
function planted(): LiftPerson[] {
  const out: LiftPerson[] = [];
  for (let i = 0; i < 40; i++) out.push(person(`t${String(i).padStart(2, '0')}`, { mention: MENTION, conversions: i < 10 ? [MENTION + 5 * DAY] : [] }));
  for (let i = 0; i < 80; i++) out.push(person(`c${String(i).padStart(2, '0')}`, { conversions: i < 8 ? [MENTION + 3 * DAY] : [] }));
  return out;
}

describe('keyword lift', () => {
  it('compares mentioners with matched controls: rates, lift, sample sizes and a bootstrap interval around the lift', () => {
    const r = keywordLift(planted(), PERIOD);
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0]!;
    expect(row).toMatchObject({ keyword: 'price', treated: 40, controls: 80, treatedConverted: 10, controlsConverted: 8, unmatched: 0 });
    expect(row.treatedRate).toBeCloseTo(0.25, 10);
    expect(row.controlRate).toBeCloseTo(0.1, 10);
    expect(row.lift).toBeCloseTo(1.5, 10);
    expect(row.liftLow!).toBeGreaterThan(0);
    expect(row.liftLow!).toBeLessThan(1.5);
    expect(row.liftHigh!).toBeGreaterThan(1.5);
  });

  it('is deterministic: the same interval on every run and in any input order', () => {
    const a = keywordLift(planted(), PERIOD);
    const b = keywordLift([...planted()].reverse(), PERIOD);
    expect(b).toEqual(a);
  });

  it('counts conversions only within 30 days after the anchor (controls: their matched member’s mention)', () => {
    const people = planted().map((p) => (p.profileId.startsWith('c') ? { ...p, conversions: [] } : p));
    // Before the anchor, and 31 days after it: neither counts.
    people.push(...Array.from({ length: 5 }, (_, i) => person(`cx${i}`, { conversions: [MENTION - DAY, MENTION + 31 * DAY] })));
    people.push(...Array.from({ length: 4 }, (_, i) => person(`cy${i}`, { conversions: [MENTION + 29 * DAY] })));
    const row = keywordLift(people, PERIOD).rows[0]!;
    expect(row.controls).toBe(89);
    expect(row.controlsConverted).toBe(4);
  });

  it('matches within campaign, join week and activity decile, weighting controls by stratum', () => {
    const people: LiftPerson[] = [];
    // Stratum A (campaign a): 30 treated, 3 convert (10%); 60 controls, 3 convert (5%).
    for (let i = 0; i < 30; i++) people.push(person(`ta${i}`, { campaign: 'a', mention: MENTION, conversions: i < 3 ? [MENTION + DAY] : [] }));
    for (let i = 0; i < 60; i++) people.push(person(`ca${i}`, { campaign: 'a', conversions: i < 3 ? [MENTION + DAY] : [] }));
    // Stratum B (campaign b): 10 treated, 5 convert (50%); 10 controls, 2 convert (20%).
    for (let i = 0; i < 10; i++) people.push(person(`tb${i}`, { campaign: 'b', mention: MENTION, conversions: i < 5 ? [MENTION + DAY] : [] }));
    for (let i = 0; i < 10; i++) people.push(person(`cb${i}`, { campaign: 'b', conversions: i < 2 ? [MENTION + DAY] : [] }));
    // Treated in a stratum without controls (another join week) are left out.
    for (let i = 0; i < 3; i++) people.push(person(`tc${i}`, { campaign: 'a', joinAt: JOIN + 14 * DAY, mention: MENTION + 15 * DAY }));
    const row = keywordLift(people, PERIOD).rows[0]!;
    expect(row).toMatchObject({ treated: 40, controls: 70, treatedConverted: 8, controlsConverted: 5, unmatched: 3 });
    expect(row.treatedRate).toBeCloseTo(8 / 40, 10);
    // Weighted by treated per stratum: (30·5% + 10·20%) / 40 = 8.75%, not the pooled 5/70.
    expect(row.controlRate).toBeCloseTo(0.0875, 10);
    expect(row.lift).toBeCloseTo(0.2 / 0.0875 - 1, 10);
  });

  it('shows a keyword only when both groups have at least 30 people, and only mentions in the period', () => {
    const people = planted().filter((p) => !p.profileId.startsWith('t') || Number(p.profileId.slice(1)) < 29);
    const r = keywordLift(people, PERIOD);
    expect(r.rows).toEqual([]);
    expect(r.tooFew).toEqual([{ keyword: 'price', treated: 29, controls: 80 }]);
    expect(keywordLift(planted(), { ...PERIOD, from: '2026-03-06T00:00:00.000Z' })).toEqual({ rows: [], tooFew: [] });
  });

  it('finds no lift where mentioners convert like their controls (the interval spans 0)', () => {
    const people: LiftPerson[] = [];
    for (let i = 0; i < 50; i++) people.push(person(`t${i}`, { mention: MENTION, conversions: i < 10 ? [MENTION + DAY] : [] }));
    for (let i = 0; i < 100; i++) people.push(person(`c${i}`, { conversions: i < 20 ? [MENTION + DAY] : [] }));
    const row = keywordLift(people, PERIOD).rows[0]!;
    expect(row.lift).toBeCloseTo(0, 10);
    expect(row.liftLow!).toBeLessThan(0);
    expect(row.liftHigh!).toBeGreaterThan(0);
  });

  it('reads people from their facts: first join, its campaign, active days, each keyword’s first mention', () => {
    const touch = (raw: Record<string, unknown>): StoredTouch => ({ ...touchEventSchema.parse({ workspace: 'w', account: 'b', actor: { profileId: 'p1' }, platform: 'telegram', ...raw }), profileId: 'p1', applied: true }) as StoredTouch;
    const chat = { id: '-1001', type: 'group', title: 'Deals' };
    const touches = [
      touch({ id: 'j', chat, kind: 'join', occurredAt: iso(JOIN), details: { via: 'invite_link', campaign: 'spring' } }),
      touch({ id: 'm2', chat, kind: 'message', occurredAt: iso(MENTION + DAY), details: { keywords: ['price', '包邮'] } }),
      touch({ id: 'm1', chat, kind: 'message', occurredAt: iso(MENTION), details: { keywords: ['price'] } }),
    ].map(factTouch);
    const facts = personFacts('w', 'p1', 'UTC', { touches, conversions: [], tiedClicks: [] }, { version: 1, computedAt: iso(JOIN) });
    expect(facts.keywords).toEqual([
      { keyword: 'price', at: iso(MENTION) },
      { keyword: '包邮', at: iso(MENTION + DAY) },
    ]);
    const [p] = liftPeople([facts]);
    expect(p).toMatchObject({ profileId: 'p1', joinAt: iso(JOIN), campaign: 'spring', activity: 3 });
    expect([...p!.mentions]).toEqual([['price', iso(MENTION)], ['包邮', iso(MENTION + DAY)]]);
  });
});
