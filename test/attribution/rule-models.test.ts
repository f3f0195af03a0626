import { describe, expect, it } from 'vitest';
import { attribute, buildJourneyTable, type Journey, type ModelName } from '../../src/attribution/index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 15); // conversion time used by most journeys

/** A converting journey whose touches are `[channel, days before the conversion]`. */
function journey(touches: Array<[string, number]>, value = 10, at = T0): Journey {
  return { touches: touches.map(([channel, daysAgo]) => ({ channel, at: at - daysAgo * DAY })), conversion: { at, value } };
}

function credits(journeys: Journey[], model: ModelName, extra: Parameters<typeof attribute>[1] = {}): Record<string, number> {
  const result = attribute(journeys, { ...extra, models: [model] });
  const out: Record<string, number> = {};
  for (const [ch, c] of Object.entries(result.models[model] ?? {})) out[ch] = c.conversions;
  return out;
}

describe('first_touch and last_touch', () => {
  it('give the whole conversion to the earliest / latest touch, whatever order touches are listed in', () => {
    // Listed out of order: B (5 days ago), A (9 days ago), C (1 day ago) → sorted A, B, C.
    const js = [journey([['B', 5], ['A', 9], ['C', 1]])];
    expect(credits(js, 'first_touch')).toEqual({ A: 1, B: 0, C: 0 });
    expect(credits(js, 'last_touch')).toEqual({ A: 0, B: 0, C: 1 });
  });

  it('split value the same way as conversions', () => {
    const result = attribute([journey([['A', 3], ['B', 1]], 42)], { models: ['first_touch', 'last_touch'] });
    expect(result.models.first_touch?.['A']).toEqual({ conversions: 1, value: 42 });
    expect(result.models.last_touch?.['B']).toEqual({ conversions: 1, value: 42 });
  });
});

describe('linear', () => {
  it('gives an equal share per touch, not per distinct channel: C > A > C → C 2/3, A 1/3', () => {
    // 3 touches, 1/3 each; C has two of them.
    const c = credits([journey([['C', 3], ['A', 2], ['C', 1]])], 'linear');
    expect(c['C']).toBeCloseTo(2 / 3, 12);
    expect(c['A']).toBeCloseTo(1 / 3, 12);
  });
});

describe('position_based', () => {
  it('gives a single touch 100%', () => {
    expect(credits([journey([['A', 1]])], 'position_based')).toEqual({ A: 1 });
  });

  it('splits two touches 50/50', () => {
    expect(credits([journey([['A', 2], ['B', 1]])], 'position_based')).toEqual({ A: 0.5, B: 0.5 });
  });

  it('gives 40% first, 40% last and shares 20% between the middle touches', () => {
    // 4 touches A, B, C, D: A 0.4, B 0.2/2 = 0.1, C 0.1, D 0.4.
    const c = credits([journey([['A', 4], ['B', 3], ['C', 2], ['D', 1]])], 'position_based');
    expect(c['A']).toBeCloseTo(0.4, 12);
    expect(c['B']).toBeCloseTo(0.1, 12);
    expect(c['C']).toBeCloseTo(0.1, 12);
    expect(c['D']).toBeCloseTo(0.4, 12);
  });

  it('takes configurable weights (normalized), and with two touches splits first:last in proportion', () => {
    // 30,40,30 on 4 touches: 0.3, 0.4/2, 0.4/2, 0.3.
    const four = credits([journey([['A', 4], ['B', 3], ['C', 2], ['D', 1]])], 'position_based', { positionWeights: [30, 40, 30] });
    expect(four['A']).toBeCloseTo(0.3, 12);
    expect(four['B']).toBeCloseTo(0.2, 12);
    expect(four['D']).toBeCloseTo(0.3, 12);
    // 60,20,20 on 2 touches: first 60/(60+20) = 0.75, last 20/80 = 0.25.
    const two = credits([journey([['A', 2], ['B', 1]])], 'position_based', { positionWeights: [60, 20, 20] });
    expect(two['A']).toBeCloseTo(0.75, 12);
    expect(two['B']).toBeCloseTo(0.25, 12);
  });

  it('rejects weights that are negative or sum to zero', () => {
    expect(() => attribute([], { positionWeights: [0, 0, 0] })).toThrow(RangeError);
    expect(() => attribute([], { positionWeights: [50, -10, 60] })).toThrow(RangeError);
  });
});

describe('time_decay', () => {
  it('weighs touches 14, 7 and 0 days old as 1/7, 2/7, 4/7 with a 7-day half-life', () => {
    // 2^(-14/7) = 1/4, 2^(-7/7) = 1/2, 2^0 = 1; sum 7/4 → 1/7, 2/7, 4/7.
    const c = credits([journey([['A', 14], ['B', 7], ['C', 0]])], 'time_decay');
    expect(c['A']).toBeCloseTo(1 / 7, 12);
    expect(c['B']).toBeCloseTo(2 / 7, 12);
    expect(c['C']).toBeCloseTo(4 / 7, 12);
  });

  it('uses continuous days and the given half-life', () => {
    // H = 14 days: weights 2^-1 = 0.5, 2^-0.5 ≈ 0.7071, 1 → normalized by their sum.
    // A touch 12 hours old with H = 0.5 days weighs 2^-1 relative to one at conversion time.
    const c = credits([journey([['A', 14], ['B', 7], ['C', 0]])], 'time_decay', { halfLifeDays: 14 });
    const sum = 0.5 + Math.SQRT1_2 + 1;
    expect(c['A']).toBeCloseTo(0.5 / sum, 12);
    expect(c['B']).toBeCloseTo(Math.SQRT1_2 / sum, 12);
    const half = credits([journey([['A', 0.5], ['B', 0]])], 'time_decay', { halfLifeDays: 0.5 });
    expect(half['A']).toBeCloseTo(1 / 3, 12);
    expect(half['B']).toBeCloseTo(2 / 3, 12);
  });

  it('does not underflow to 0/0 for touches years before the conversion with a short half-life', () => {
    // Both touches ~1000 half-lives old: 2^-1000 underflows, but the ratio between them is 2^-1 : 1.
    const c = credits([journey([['A', 3001], ['B', 3000]])], 'time_decay', { halfLifeDays: 1 });
    expect(c['A']).toBeCloseTo(1 / 3, 12);
    expect(c['B']).toBeCloseTo(2 / 3, 12);
  });

  it('is skipped, with the reason, on aggregated paths that have no times', () => {
    const result = attribute(
      { kind: 'paths', ...emptyColumns() },
      { models: ['time_decay', 'linear'] },
    );
    expect(result.models.time_decay).toBeUndefined();
    expect(result.models.linear).toBeDefined();
    expect(result.skipped.map((s) => s.model)).toEqual(['time_decay']);
    expect(result.notes.join(' ')).toMatch(/time_decay left out: .*times/);
  });
});

function emptyColumns() {
  return {
    channels: [],
    rowCount: 0,
    rowStart: new Uint32Array(1),
    touchChannel: new Int32Array(0),
    touchTime: null,
    conversions: new Float64Array(0),
    value: new Float64Array(0),
    nulls: new Float64Array(0),
    conversionTime: null,
    journeys: 0,
  };
}

describe('lookback and the (none) channel', () => {
  it('drops touches after the conversion and older than the lookback window, then credits what is left', () => {
    // Touches 40 days before (outside 30d), 10 days before (kept), 1 day after (dropped).
    const j: Journey = {
      touches: [
        { channel: 'old', at: T0 - 40 * DAY },
        { channel: 'kept', at: T0 - 10 * DAY },
        { channel: 'after', at: T0 + 1 * DAY },
      ],
      conversion: { at: T0, value: 9 },
    };
    const table = buildJourneyTable([j], { lookbackDays: 30 });
    const result = attribute(table, { models: ['first_touch', 'linear', 'markov', 'shapley'] });
    for (const model of ['first_touch', 'linear', 'markov', 'shapley'] as const) {
      expect(result.models[model]?.['kept']).toEqual({ conversions: 1, value: 9 });
      expect(result.models[model]?.['old']).toBeUndefined();
    }
  });

  it('keeps a touch exactly at the conversion time and exactly at the window edge', () => {
    const j = journey([['edge', 30], ['same', 0]]);
    expect(credits([j], 'linear', {})).toEqual({ edge: 0.5, same: 0.5 });
    const table = buildJourneyTable([j], { lookbackDays: 30 });
    expect(table.touchChannel.length).toBe(2);
  });

  it('credits a converting journey left with no touch to (none) under every model', () => {
    const j = journey([['ancient', 100]], 7);
    const result = attribute(buildJourneyTable([j], { lookbackDays: 30 }));
    for (const model of ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley'] as const) {
      expect(result.models[model]?.['(none)']).toEqual({ conversions: 1, value: 7 });
    }
    expect(result.notes.join(' ')).toMatch(/\(none\)/);
  });

  it('keeps every touch of a journey that did not convert (nothing to measure the window from)', () => {
    const j: Journey = { touches: [{ channel: 'A', at: 0 }, { channel: 'B', at: 400 * DAY }], conversion: null };
    const table = buildJourneyTable([j], { lookbackDays: 1 });
    expect(table.rowCount).toBe(1);
    expect(table.touchChannel.length).toBe(2);
    expect(table.journeys).toBe(1);
  });

  it('counts a non-converting journey with no touches as a journey but gives it no row', () => {
    const table = buildJourneyTable([{ touches: [], conversion: null }]);
    expect(table.journeys).toBe(1);
    expect(table.rowCount).toBe(0);
  });
});

describe('invalid journeys given to the library', () => {
  it('are refused with a RangeError naming the bad field', () => {
    expect(() => buildJourneyTable([{ touches: [{ channel: 'A', at: NaN }], conversion: null }])).toThrow(/touch time/);
    expect(() => buildJourneyTable([{ touches: [], conversion: { at: 0, value: -5 } }])).toThrow(/conversion value/);
    expect(() => attribute([], { halfLifeDays: 0 })).toThrow(/halfLifeDays/);
    expect(() => attribute([], { order: 0 })).toThrow(/order/);
  });
});

describe('empty input', () => {
  it('gives zero totals and empty credits, not a crash', () => {
    const result = attribute([]);
    expect(result.total).toEqual({ conversions: 0, value: 0, journeys: 0 });
    for (const model of ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley'] as const) {
      expect(result.models[model]).toEqual({});
    }
  });

  it('gives zero credits without NaN when nothing converted', () => {
    const result = attribute([{ touches: [{ channel: 'A', at: 0 }], conversion: null }]);
    expect(result.total.conversions).toBe(0);
    for (const credit of Object.values(result.models)) expect(credit?.['A']).toEqual({ conversions: 0, value: 0 });
  });
});
