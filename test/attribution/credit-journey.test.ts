import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RULE_MODELS,
  attribute,
  buildJourneyTable,
  creditJourney,
  fitMarkov,
  fitShapley,
  type Journey,
  type ModelName,
} from '../../src/attribution/index.js';

const DAY = 86_400_000;

describe('creditJourney (per-touch credits for the reconciler)', () => {
  it('returns rule-model fractions aligned with the input touches, 0 for dropped touches', () => {
    // Input order: C (0 days old), A (14 days), after (1 day after the conversion), B (7 days).
    // Kept in time order A, B, C; time_decay 1/7, 2/7, 4/7; position 0.4, 0.2, 0.4.
    const at = Date.UTC(2026, 2, 15);
    const j: Journey = {
      touches: [
        { channel: 'C', at },
        { channel: 'A', at: at - 14 * DAY },
        { channel: 'after', at: at + DAY },
        { channel: 'B', at: at - 7 * DAY },
      ],
      conversion: { at, value: 70 },
    };
    const credit = creditJourney(j, { models: ['time_decay', 'position_based', 'first_touch'] });
    expect(credit.kept).toEqual([1, 3, 0]);
    expect(credit.none).toBe(false);
    const td = credit.models.time_decay?.conversion ?? [];
    expect(td[0]).toBeCloseTo(4 / 7, 12);
    expect(td[1]).toBeCloseTo(1 / 7, 12);
    expect(td[2]).toBe(0);
    expect(td[3]).toBeCloseTo(2 / 7, 12);
    expect(credit.models.position_based?.conversion).toEqual([0.4, 0.4, 0, 0.2]);
    expect(credit.models.first_touch?.value).toEqual([0, 1, 0, 0]);
  });

  it('flags a converting journey with no touch left as (none), and gives a non-converting one zeros', () => {
    const none = creditJourney(
      { touches: [{ channel: 'A', at: 0 }], conversion: { at: 40 * DAY, value: 1 } },
      { models: ['linear'], lookbackDays: 30 },
    );
    expect(none).toMatchObject({ converted: true, none: true, kept: [] });
    expect(none.models.linear?.conversion).toEqual([0]);
    const lost = creditJourney({ touches: [{ channel: 'A', at: 0 }], conversion: null }, { models: ['linear'] });
    expect(lost).toMatchObject({ converted: false, none: false, kept: [0] });
    expect(lost.models.linear?.conversion).toEqual([0]);
  });

  it("applies a Markov fit by removal effect per distinct channel, split over that channel's touches", () => {
    // Fit on c1>c2>c3 (conv), c1 (null), c2>c3 (null): RE c1 ½, c2 1, c3 1 (see markov.test.ts).
    // Journey c1, c2, c1: c1 gets ½/1.5 = ⅓ split over two touches (⅙ each), c2 gets ⅔.
    const t = (channel: string, at: number) => ({ channel, at });
    const fitJourneys: Journey[] = [
      { touches: [t('c1', 1), t('c2', 2), t('c3', 3)], conversion: { at: 4, value: 1 } },
      { touches: [t('c1', 1)], conversion: null },
      { touches: [t('c2', 1), t('c3', 2)], conversion: null },
    ];
    const markov = fitMarkov(buildJourneyTable(fitJourneys));
    const credit = creditJourney({ touches: [t('c1', 1), t('c2', 2), t('c1', 3)], conversion: { at: 5, value: 9 } }, { models: ['markov'], markov });
    const w = credit.models.markov?.conversion ?? [];
    expect(w[0]).toBeCloseTo(1 / 6, 12);
    expect(w[1]).toBeCloseTo(2 / 3, 12);
    expect(w[2]).toBeCloseTo(1 / 6, 12);
  });

  it('refuses markov or shapley without a fit', () => {
    const j: Journey = { touches: [{ channel: 'A', at: 0 }], conversion: { at: 1, value: 1 } };
    expect(() => creditJourney(j, { models: ['markov'] })).toThrow(/MarkovFit/);
    expect(() => creditJourney(j, { models: ['shapley'] })).toThrow(/ShapleyFit/);
  });

  it('summed over all journeys, equals attribute() for the rule models and shapley', () => {
    const journeyArb: fc.Arbitrary<Journey> = fc.record({
      touches: fc.array(fc.record({ channel: fc.constantFrom('a', 'b', 'c', 'd'), at: fc.integer({ min: 0, max: 40 }).map((d) => d * DAY) }), {
        maxLength: 6,
      }),
      conversion: fc.option(fc.record({ at: fc.integer({ min: 0, max: 45 }).map((d) => d * DAY), value: fc.integer({ min: 0, max: 99 }) }), {
        nil: null,
      }),
    });
    fc.assert(
      fc.property(fc.array(journeyArb, { maxLength: 20 }), (journeys) => {
        const lookbackDays = 20;
        const models: ModelName[] = [...RULE_MODELS, 'shapley'];
        const table = buildJourneyTable(journeys, { lookbackDays });
        const whole = attribute(table, { models });
        const shapley = fitShapley(table);
        const sums = new Map<string, number>();
        for (const j of journeys) {
          const credit = creditJourney(j, { models, lookbackDays, shapley });
          for (const model of models) {
            const fractions = credit.models[model]?.conversion ?? [];
            if (credit.none) sums.set(`${model}|(none)`, (sums.get(`${model}|(none)`) ?? 0) + 1);
            fractions.forEach((f, i) => {
              const key = `${model}|${j.touches[i]?.channel}`;
              sums.set(key, (sums.get(key) ?? 0) + f);
            });
          }
        }
        for (const model of models) {
          for (const [ch, c] of Object.entries(whole.models[model] ?? {})) {
            expect(sums.get(`${model}|${ch}`) ?? 0).toBeCloseTo(c.conversions, 9);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
