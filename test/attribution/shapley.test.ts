import { describe, expect, it } from 'vitest';
import { attribute, buildJourneyTable, buildPathTable, fitShapley, type Journey, type PathRow } from '../../src/attribution/index.js';

function row(path: string, conversions: number, nulls = 0, value = 0): PathRow {
  return { path: path.split('>'), conversions, nulls, value };
}

function shapley(rows: PathRow[]) {
  const result = attribute(buildPathTable(rows), { models: ['shapley'] });
  return { credits: { ...result.models.shapley }, notes: result.notes };
}

describe('shapley', () => {
  it('splits a two-channel journey by hand-computed φ', () => {
    // Coalitions: {A} 1 conv / 1 null → v(A) = ½; {B} 1 conv / 3 null → v(B) = ¼;
    // {A,B} 3 conv / 1 null → v(AB) = ¾.
    // For S = {A,B}: φ_A = ½(v(A) − 0) + ½(v(AB) − v(B)) = ¼ + ¼ = ½;
    //                φ_B = ½(v(B) − 0) + ½(v(AB) − v(A)) = ⅛ + ⅛ = ¼.  Shares ⅔, ⅓.
    // Credits: A-only 1 → A; B-only 1 → B; the 3 A,B conversions (value 6 each, 18 in all)
    // → A 2 (value 12), B 1 (value 6). Totals A 3, B 2.
    const { credits } = shapley([row('A', 1, 1, 5), row('B', 1, 3, 7), row('A>B', 3, 1, 18)]);
    expect(credits['A']?.conversions).toBeCloseTo(3, 12);
    expect(credits['B']?.conversions).toBeCloseTo(2, 12);
    expect(credits['A']?.value).toBeCloseTo(5 + 12, 12);
    expect(credits['B']?.value).toBeCloseTo(7 + 6, 12);
  });

  it('clamps a negative φ to 0 with three channels (hand-computed)', () => {
    // v(A) = ½ (1 conv, 1 null), v(B) = ¼ (1, 3), v(AB) = ½ (1, 1), v(ABC) = ¼ (1, 3);
    // {C}, {A,C}, {B,C} never seen → 0. Weights for |S| = 3: |T|=0 → ⅓, 1 → ⅙, 2 → ⅓.
    // φ_A = ⅓·½ + ⅙(½ − ¼) + ⅙(0 − 0) + ⅓(¼ − 0) = 4/24 + 1/24 + 2/24 = 7/24
    // φ_B = ⅓·¼ + ⅙(½ − ½) + ⅙(0 − 0) + ⅓(¼ − 0) = 2/24 + 2/24       = 4/24
    // φ_C = ⅓·0 + ⅙(0 − ½) + ⅙(0 − ¼) + ⅓(¼ − ½) = −2/24 − 1/24 − 2/24 = −5/24 → 0
    // (Σφ = 6/24 = v(ABC), efficiency.) Shares of ABC: A 7/11, B 4/11, C 0.
    // {A,B}: φ_A = ½·½ + ½(½ − ¼) = ⅜, φ_B = ½·¼ + ½(½ − ½) = ⅛ → ¾, ¼.
    // Totals: A = 1 + ¾ + 7/11, B = 1 + ¼ + 4/11, C = 0.
    const { credits } = shapley([row('A', 1, 1), row('B', 1, 3), row('A>B', 1, 1), row('A>B>C', 1, 3)]);
    expect(credits['A']?.conversions).toBeCloseTo(1 + 3 / 4 + 7 / 11, 12);
    expect(credits['B']?.conversions).toBeCloseTo(1 + 1 / 4 + 4 / 11, 12);
    expect(credits['C']?.conversions).toBe(0);
  });

  it('uses distinct channels: repeats and order within a journey do not matter', () => {
    const a = shapley([row('A>B>A', 2, 1), row('A', 1, 1)]).credits;
    const b = shapley([row('B>A', 2, 1), row('A', 1, 1)]).credits;
    expect(a['A']?.conversions).toBeCloseTo(b['A']?.conversions ?? NaN, 12);
    expect(a['B']?.conversions).toBeCloseTo(b['B']?.conversions ?? NaN, 12);
  });

  it('splits equally when every φ is 0 (only possible for a set never seen converting)', () => {
    // Before clamping, Σφ = v(S) − v(∅) = v(S), which is > 0 for any set that converted; so the
    // all-zero case arises only when applying the fit to a set it never saw: v ≡ 0 → φ ≡ 0.
    const fit = fitShapley(buildPathTable([row('A', 1, 0)]));
    const { shares } = fit.shares(['X', 'Y']);
    expect(shares.get('X')).toBe(0.5);
    expect(shares.get('Y')).toBe(0.5);
  });

  it('splits journeys with more than 16 distinct channels equally, and says how many', () => {
    const many = Array.from({ length: 17 }, (_, i) => `c${i}`);
    const journeys: Journey[] = [
      { touches: many.map((channel, i) => ({ channel, at: i })), conversion: { at: 100, value: 17 } },
      { touches: [{ channel: 'c0', at: 0 }], conversion: { at: 1, value: 0 } },
    ];
    const result = attribute(buildJourneyTable(journeys), { models: ['shapley'] });
    const credits = result.models.shapley ?? {};
    expect(credits['c16']).toEqual({ conversions: 1 / 17, value: 1 });
    expect(credits['c0']?.conversions).toBeCloseTo(1 + 1 / 17, 12);
    expect(result.notes).toContain('shapley: 1 converting journeys had more than 16 distinct channels and were split equally among them');
  });

  it('computes 16 distinct channels exactly (no note)', () => {
    const many = Array.from({ length: 16 }, (_, i) => `c${i}`);
    // Only the full set was seen: v(T) = 0 for every proper subset, so φ_i = (1/16)·v(S) for all: equal.
    const result = attribute([{ touches: many.map((channel, i) => ({ channel, at: i })), conversion: { at: 100, value: 0 } }], {
      models: ['shapley'],
    });
    expect(result.models.shapley?.['c5']?.conversions).toBeCloseTo(1 / 16, 12);
    expect(result.notes).toEqual([]);
  });

  it('exposes coalition values and per-set shares through the fit', () => {
    const fit = fitShapley(buildPathTable([row('A', 1, 1), row('B', 1, 3), row('A>B', 3, 1)]));
    expect(fit.coalitionValue(['A'])).toBe(0.5);
    expect(fit.coalitionValue(['B', 'A', 'B'])).toBe(0.75);
    expect(fit.coalitionValue(['C'])).toBe(0);
    const { shares, exact } = fit.shares(['B', 'A']);
    expect(exact).toBe(true);
    expect(shares.get('A')).toBeCloseTo(2 / 3, 12);
    expect(shares.get('B')).toBeCloseTo(1 / 3, 12);
    // An unknown channel Z: every coalition holding it was never seen, so is worth 0.
    const withUnknown = fit.shares(['A', 'Z']);
    // S = {A, Z}: φ_A = ½·½ + ½(0 − 0) = ¼; φ_Z = ½·0 + ½(0 − ½) = −¼ → 0. A gets all.
    expect(withUnknown.shares.get('A')).toBe(1);
    expect(withUnknown.shares.get('Z')).toBe(0);
  });
});
