import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MODEL_NAMES,
  attribute,
  buildJourneyTable,
  buildPathTable,
  type AttributionResult,
  type Journey,
  type PathRow,
} from '../../src/attribution/index.js';

const CHANNELS = ['a', 'b', 'c', 'd', 'e', 'f'];

const journeyArb: fc.Arbitrary<Journey> = fc.record({
  touches: fc.array(
    fc.record({ channel: fc.constantFrom(...CHANNELS), at: fc.integer({ min: 0, max: 60 * 24 * 60 }).map((m) => m * 60_000) }),
    { maxLength: 8 },
  ),
  conversion: fc.option(
    fc.record({ at: fc.integer({ min: 0, max: 70 * 24 }).map((h) => h * 3_600_000), value: fc.integer({ min: 0, max: 100_000 }).map((c) => c / 100) }),
    { nil: null },
  ),
});

const pathArb: fc.Arbitrary<PathRow> = fc.record({
  path: fc.array(fc.constantFrom(...CHANNELS), { maxLength: 7 }),
  conversions: fc.integer({ min: 0, max: 40 }).map((n) => n / 4),
  nulls: fc.integer({ min: 0, max: 40 }).map((n) => n / 4),
  value: fc.integer({ min: 0, max: 10_000 }),
});

const optionsArb = fc.record({
  order: fc.integer({ min: 1, max: 3 }),
  halfLifeDays: fc.constantFrom(0.5, 7, 30),
  lookbackDays: fc.option(fc.constantFrom(1, 10, 30), { nil: undefined }),
});

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

function expectSumsToTotals(result: AttributionResult): void {
  for (const [model, credits] of Object.entries(result.models)) {
    let conversions = 0;
    let value = 0;
    for (const c of Object.values(credits ?? {})) {
      expect(c.conversions, `${model} conversions ≥ 0`).toBeGreaterThanOrEqual(0);
      expect(c.value, `${model} value ≥ 0`).toBeGreaterThanOrEqual(0);
      conversions += c.conversions;
      value += c.value;
    }
    expect(close(conversions, result.total.conversions), `${model}: Σ conversions ${conversions} vs ${result.total.conversions}`).toBe(true);
    expect(close(value, result.total.value), `${model}: Σ value ${value} vs ${result.total.value}`).toBe(true);
  }
}

describe('properties of every model on random journeys', () => {
  it('credits sum to the totals and are never negative (journeys)', () => {
    fc.assert(
      fc.property(fc.array(journeyArb, { maxLength: 30 }), optionsArb, (journeys, { lookbackDays, ...options }) => {
        const result = attribute(buildJourneyTable(journeys, { lookbackDays }), options);
        expect(Object.keys(result.models)).toEqual([...MODEL_NAMES]);
        expectSumsToTotals(result);
      }),
      { numRuns: 300 },
    );
  });

  it('credits sum to the totals and are never negative (aggregated paths, fractional counts)', () => {
    fc.assert(
      fc.property(fc.array(pathArb, { maxLength: 20 }), fc.integer({ min: 1, max: 3 }), (rows, order) => {
        const clean = rows.map((r) => ({ ...r, value: r.conversions > 0 ? r.value : 0 }));
        expectSumsToTotals(attribute(buildPathTable(clean), { order }));
      }),
      { numRuns: 300 },
    );
  });

  it('renaming channels does not change any credit', () => {
    const renamed = new Map(CHANNELS.map((c, i) => [c, ['社群', 'tg/deals', 'wa/团购群', 'zz', '(x)', 'A'][i] as string]));
    fc.assert(
      fc.property(fc.array(journeyArb, { maxLength: 25 }), optionsArb, (journeys, { lookbackDays, ...options }) => {
        const other = journeys.map((j) => ({ ...j, touches: j.touches.map((t) => ({ ...t, channel: renamed.get(t.channel) as string })) }));
        const a = attribute(buildJourneyTable(journeys, { lookbackDays }), options);
        const b = attribute(buildJourneyTable(other, { lookbackDays }), options);
        for (const model of MODEL_NAMES) {
          for (const [ch, credit] of Object.entries(a.models[model] ?? {})) {
            const twin = b.models[model]?.[renamed.get(ch) ?? ch];
            expect(close(twin?.conversions ?? NaN, credit.conversions), `${model} ${ch}`).toBe(true);
            expect(close(twin?.value ?? NaN, credit.value), `${model} ${ch} value`).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('duplicating the whole input doubles every credit', () => {
    fc.assert(
      fc.property(fc.array(journeyArb, { maxLength: 25 }), optionsArb, (journeys, { lookbackDays, ...options }) => {
        const once = attribute(buildJourneyTable(journeys, { lookbackDays }), options);
        const twice = attribute(buildJourneyTable([...journeys, ...journeys], { lookbackDays }), options);
        expect(twice.total.journeys).toBe(2 * once.total.journeys);
        for (const model of MODEL_NAMES) {
          for (const [ch, credit] of Object.entries(once.models[model] ?? {})) {
            const doubled = twice.models[model]?.[ch];
            expect(close(doubled?.conversions ?? NaN, 2 * credit.conversions), `${model} ${ch}`).toBe(true);
            expect(close(doubled?.value ?? NaN, 2 * credit.value), `${model} ${ch} value`).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('journeys and the same data as aggregated paths agree for every path-based model', () => {
    // Journeys → paths: one row per journey (conversions 1/0, nulls 0/1, value).
    fc.assert(
      fc.property(fc.array(journeyArb, { maxLength: 25 }), fc.integer({ min: 1, max: 3 }), (journeys, order) => {
        const table = buildJourneyTable(journeys);
        const rows: PathRow[] = [];
        journeys.forEach((j) => {
          const kept = [...j.touches]
            .map((t, i) => ({ t, i }))
            .filter(({ t }) => j.conversion === null || t.at <= j.conversion.at)
            .sort((x, y) => x.t.at - y.t.at || x.i - y.i)
            .map(({ t }) => t.channel);
          rows.push({ path: kept, conversions: j.conversion ? 1 : 0, nulls: j.conversion ? 0 : 1, value: j.conversion?.value ?? 0 });
        });
        const models = MODEL_NAMES.filter((m) => m !== 'time_decay');
        const a = attribute(table, { models, order });
        const b = attribute(buildPathTable(rows), { models, order });
        for (const model of models) {
          for (const [ch, credit] of Object.entries(a.models[model] ?? {})) {
            expect(close(b.models[model]?.[ch]?.conversions ?? 0, credit.conversions), `${model} ${ch}`).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
