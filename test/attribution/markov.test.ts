import fc from 'fast-check';
import { seededRandom } from '../../bench/seeded-random.js';
import { describe, expect, it } from 'vitest';
import { attribute, buildPathTable, fitMarkov, type PathRow } from '../../src/attribution/index.js';

/** Aggregated path row from `A>B>C` notation. */
function row(path: string, conversions: number, nulls = 0, value = 0): PathRow {
  return { path: path === '' ? [] : path.split('>'), conversions, nulls, value };
}

function markov(rows: PathRow[], order = 1): Record<string, { conversions: number; value: number }> {
  return { ...attribute(buildPathTable(rows), { models: ['markov'], order }).models.markov };
}

/**
 * Reference implementation written straight from the spec, independent of the library:
 * string states, a dense (I − Q) h = r system over all transient states solved by Gaussian
 * elimination, one solve per channel. Slow but obviously right. Converting rows with an
 * empty path go to `(none)` exactly and stay out of the chain.
 */
function referenceMarkov(rows: PathRow[], order: number): Map<string, { conversions: number; value: number }> {
  const out = new Map<string, Map<string, number>>();
  const weight = new Map<string, number>();
  const conv = new Map<string, number>();
  const val = new Map<string, number>();
  const members = new Map<string, string[]>();
  const bump = (m: Map<string, number>, k: string, w: number) => m.set(k, (m.get(k) ?? 0) + w);
  let totalConv = 0;
  let totalValue = 0;
  const none = { conversions: 0, value: 0 };
  for (const r of rows) {
    if (r.path.length === 0) {
      none.conversions += r.conversions;
      none.value += r.value;
      continue;
    }
    totalConv += r.conversions;
    totalValue += r.value;
    const w = r.conversions + r.nulls;
    if (w <= 0) continue;
    const path = r.path;
    const tuples: string[][] = [];
    if (path.length < order) tuples.push([...path]);
    else for (let j = 0; j + order <= path.length; j++) tuples.push(path.slice(j, j + order));
    const states: string[] = [];
    for (const t of tuples) {
      const key = JSON.stringify(t);
      members.set(key, t);
      if (states[states.length - 1] !== key) states.push(key);
    }
    let from = '(start)';
    for (const s of states) {
      if (!out.has(from)) out.set(from, new Map());
      bump(out.get(from)!, s, w);
      bump(weight, from, w);
      from = s;
    }
    bump(weight, from, w);
    bump(conv, from, r.conversions);
    bump(val, from, r.value);
  }
  const transient = [...members.keys()];
  const index = new Map(transient.map((s, i) => [s, i]));
  const solve = (removedChannel: string | null, reward: (s: string) => number): number => {
    const n = transient.length;
    const a = transient.map(() => new Array<number>(n).fill(0));
    const b = new Array<number>(n).fill(0);
    transient.forEach((s, i) => {
      a[i]![i] = 1;
      if (removedChannel !== null && members.get(s)!.includes(removedChannel)) return;
      const total = weight.get(s)!;
      b[i] = reward(s) / total;
      for (const [t, w] of out.get(s) ?? []) a[i]![index.get(t)!]! -= w / total;
    });
    for (let k = 0; k < n; k++) {
      let p = k;
      for (let i = k + 1; i < n; i++) if (Math.abs(a[i]![k]!) > Math.abs(a[p]![k]!)) p = i;
      [a[k], a[p]] = [a[p]!, a[k]!];
      [b[k], b[p]] = [b[p]!, b[k]!];
      for (let i = k + 1; i < n; i++) {
        const f = a[i]![k]! / a[k]![k]!;
        for (let j = k; j < n; j++) a[i]![j]! -= f * a[k]![j]!;
        b[i]! -= f * b[k]!;
      }
    }
    const h = new Array<number>(n).fill(0);
    for (let k = n - 1; k >= 0; k--) {
      let s = b[k]!;
      for (let j = k + 1; j < n; j++) s -= a[k]![j]! * h[j]!;
      h[k] = s / a[k]![k]!;
    }
    let p = 0;
    const startTotal = weight.get('(start)') ?? 0;
    for (const [t, w] of out.get('(start)') ?? []) p += (w / startTotal) * h[index.get(t)!]!;
    return p;
  };
  const channels = [...new Set([...members.values()].flat())];
  const base = solve(null, (s) => conv.get(s) ?? 0);
  const baseValue = solve(null, (s) => val.get(s) ?? 0);
  const re = channels.map((c) => (base > 0 ? 1 - solve(c, (s) => conv.get(s) ?? 0) / base : 0));
  const vre = channels.map((c) => (baseValue > 0 ? 1 - solve(c, (s) => val.get(s) ?? 0) / baseValue : 0));
  const sum = re.reduce((x, y) => x + y, 0);
  const vsum = vre.reduce((x, y) => x + y, 0);
  const result = new Map(
    channels.map((c, i) => [
      c,
      { conversions: sum > 0 ? (totalConv * re[i]!) / sum : 0, value: vsum > 0 ? (totalValue * vre[i]!) / vsum : 0 },
    ]),
  );
  if (none.conversions > 0) result.set('(none)', none);
  return result;
}

describe('markov (removal effect, exact)', () => {
  it("reproduces ChannelAttribution's white-paper example: A 2, B 1", () => {
    // After merging repeats: ABABA, ABA, A. start→A 3; A→B 3, A→conv 3 (½ each); B→A 3 (1).
    // P = 1. Remove A: P = 0, RE 1. Remove B: from A ½ conv, ½ null → P = ½, RE ½.
    // 3 conversions × 1/1.5 = 2 for A, × 0.5/1.5 = 1 for B.
    const c = markov([row('A>B>A>B>B>A', 1), row('A>B>B>A>A', 1), row('A>A', 1)]);
    expect(c['A']?.conversions).toBeCloseTo(2, 12);
    expect(c['B']?.conversions).toBeCloseTo(1, 12);
  });

  it('credits c1 0.2, c2 0.4, c3 0.4 for c1>c2>c3 (conversion), c1 (null), c2>c3 (null)', () => {
    // start→c1 2/3, start→c2 1/3; c1→c2 ½, c1→null ½; c2→c3 1; c3→conv ½, c3→null ½.
    // h(c3) = ½, h(c2) = ½, h(c1) = ¼; P = ⅔·¼ + ⅓·½ = ⅓.
    // Remove c1: P = ⅓·½ = 1/6 → RE ½. Remove c2 or c3: P = 0 → RE 1. ΣRE = 2.5.
    const c = markov([row('c1>c2>c3', 1), row('c1', 0, 1), row('c2>c3', 0, 1)]);
    expect(c['c1']?.conversions).toBeCloseTo(0.2, 12);
    expect(c['c2']?.conversions).toBeCloseTo(0.4, 12);
    expect(c['c3']?.conversions).toBeCloseTo(0.4, 12);
  });

  it('splits value by its own removal effects, worth the mean value of the paths ending in each state', () => {
    // Paths: A>B (1 conversion, value 30), A (1 conversion, value 10), B (1 null).
    // start→A ⅔, start→B ⅓; A→B ½, A→conv ½; B→conv ½, B→null ½.
    // Conversions: h(B) = ½, h(A) = ½ + ½·½ = ¾, P = ⅔·¾ + ⅓·½ = ⅔.
    //   −A: P = ⅓·½ = 1/6 → RE ¾.  −B: h(A) = ½, P = ⅓ → RE ½.  → A 2·¾/1.25 = 1.2, B 0.8.
    // Value: ending in A is worth 10, in B 30. g(B) = ½·30 = 15, g(A) = ½·10 + ½·15 = 12.5,
    //   E = ⅔·12.5 + ⅓·15 = 40/3.  −A: E = ⅓·15 = 5 → VRE 5/8.  −B: g(A) = 5, E = 10/3 → VRE ¾.
    //   → A 40·(5/8)/(11/8) = 200/11, B 40·(6/8)/(11/8) = 240/11.
    const c = markov([row('A>B', 1, 0, 30), row('A', 1, 0, 10), row('B', 0, 1)]);
    expect(c['A']?.conversions).toBeCloseTo(1.2, 12);
    expect(c['B']?.conversions).toBeCloseTo(0.8, 12);
    expect(c['A']?.value).toBeCloseTo(200 / 11, 10);
    expect(c['B']?.value).toBeCloseTo(240 / 11, 10);
  });

  it('remembers the previous channel at order 2: B never precedes a conversion there, so it gets nothing', () => {
    // Paths A>C (conversion), B>C (null).
    // Order 1: start→A ½, →B ½; A→C, B→C; C→conv ½. P = ½; −A: ¼ (RE ½); −B: ¼ (RE ½); −C: 0 (RE 1)
    //   → A 0.25, B 0.25, C 0.5.
    // Order 2: states (A,C) → conv, (B,C) → null. P = ½; −A: 0 (RE 1); −B: ½ (RE 0); −C: 0 (RE 1)
    //   → A 0.5, B 0, C 0.5.
    const rows = [row('A>C', 1), row('B>C', 0, 1)];
    const first = markov(rows, 1);
    expect(first['A']?.conversions).toBeCloseTo(0.25, 12);
    expect(first['B']?.conversions).toBeCloseTo(0.25, 12);
    expect(first['C']?.conversions).toBeCloseTo(0.5, 12);
    const second = markov(rows, 2);
    expect(second['A']?.conversions).toBeCloseTo(0.5, 12);
    expect(second['B']?.conversions).toBe(0);
    expect(second['C']?.conversions).toBeCloseTo(0.5, 12);
  });

  it('at order 2 makes a path shorter than K one state, removed with every channel it contains', () => {
    // Paths A>C (conv), B>C (null), C (conv). States (A,C), (B,C), (C); start → each ⅓.
    // P = ⅔. −A: ⅓ (RE ½). −B: ⅔ (RE 0). −C: every state holds C → 0 (RE 1). ΣRE 1.5.
    // → A 2·½/1.5 = ⅔, C 2·1/1.5 = 4/3.
    const c = markov([row('A>C', 1), row('B>C', 0, 1), row('C', 1)], 2);
    expect(c['A']?.conversions).toBeCloseTo(2 / 3, 12);
    expect(c['B']?.conversions).toBe(0);
    expect(c['C']?.conversions).toBeCloseTo(4 / 3, 12);
  });

  it('credits conversions with no touch to (none) exactly, and splits the rest by removal effect', () => {
    // Rows: no touch (1 conversion, value 5); A>B (1 conversion, 1 null, value 10); B (1 null).
    // (none) gets 1 / 5. The chain holds A>B and B only: start→A ⅔... A→B 1; B→conv ⅓, B→null ⅔
    // (B's out-weight 3: the A>B row's 2 and B's 1). Every conversion goes through B, and through A
    // only via A>B: P = ⅔·⅓ + ⅓·⅓ = ⅓; −A: ⅓·⅓ = 1/9 → RE ⅔; −B: 0 → RE 1. A 1·⅔/(5/3) = 0.4, B 0.6.
    const c = markov([row('', 1, 0, 5), row('A>B', 1, 1, 10), row('B', 0, 1)]);
    expect(c['(none)']).toEqual({ conversions: 1, value: 5 });
    expect(c['A']?.conversions).toBeCloseTo(0.4, 12);
    expect(c['B']?.conversions).toBeCloseTo(0.6, 12);
    expect(c['A']?.value).toBeCloseTo(4, 12);
  });

  it('exposes the fit: P(conversion), removal effects and state count', () => {
    const fit = fitMarkov(buildPathTable([row('c1>c2>c3', 1), row('c1', 0, 1), row('c2>c3', 0, 1)]));
    expect(fit.conversionProbability).toBeCloseTo(1 / 3, 14);
    expect(fit.removalEffect.get('c1')).toBeCloseTo(0.5, 14);
    expect(fit.removalEffect.get('c2')).toBeCloseTo(1, 14);
    expect(fit.stateCount).toBe(3);
  });

  it('credits nothing (and no NaN) when nothing converted', () => {
    const c = markov([row('A>B', 0, 3)]);
    expect(c).toEqual({ A: { conversions: 0, value: 0 }, B: { conversions: 0, value: 0 } });
  });

  it('terminates on long cycles and matches the exact answer (no step limit)', () => {
    // A>B repeated 500 times then a conversion, plus A (null): the walk can cycle for long.
    // Order 1: A→B has weight 500+..., all mass eventually exits; compare with the reference.
    const long = Array.from({ length: 500 }, () => 'A>B').join('>');
    const rows = [row(long, 1), row('A', 0, 1), row('B>A', 1, 1)];
    const ref = referenceMarkov(rows, 1);
    const c = markov(rows, 1);
    for (const [ch, credit] of ref) expect(c[ch]?.conversions).toBeCloseTo(credit.conversions, 10);
  });

  it('matches a dense reference solve on a chain big enough for the iterative solver (order 2, 18 channels)', () => {
    // ~300 order-2 states, strongly connected: solved by Gauss–Seidel, not elimination.
    const rng = seededRandom(7);
    const names = Array.from({ length: 18 }, (_, i) => `ch${i}`);
    const rows: PathRow[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = 1 + Math.floor(rng() * 7);
      const path = Array.from({ length: len }, () => names[Math.floor(rng() * names.length)]!);
      const converted = rng() < 0.2;
      rows.push({ path, conversions: converted ? 1 : 0, nulls: converted ? 0 : 1, value: converted ? Math.floor(rng() * 100) : 0 });
    }
    const fit = fitMarkov(buildPathTable(rows), { order: 2 });
    expect(fit.stateCount).toBeGreaterThan(200);
    const ref = referenceMarkov(rows, 2);
    const c = markov(rows, 2);
    for (const [ch, credit] of ref) {
      expect(c[ch]?.conversions).toBeCloseTo(credit.conversions, 9);
      expect(c[ch]?.value).toBeCloseTo(credit.value, 7);
    }
  });

  it('matches the reference on random small path sets at orders 1 to 3', () => {
    const rowArb = fc.record({
      path: fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 0, maxLength: 6 }),
      conversions: fc.integer({ min: 0, max: 3 }),
      nulls: fc.integer({ min: 0, max: 3 }),
      value: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3 }), (rows, order) => {
        const fixed = rows.map((r) => ({ ...r, value: r.conversions > 0 ? r.value : 0 }));
        const ref = referenceMarkov(fixed, order);
        const c = markov(fixed, order);
        for (const [ch, credit] of ref) {
          expect(c[ch]?.conversions ?? 0).toBeCloseTo(credit.conversions, 9);
          expect(c[ch]?.value ?? 0).toBeCloseTo(credit.value, 8);
        }
      }),
      { numRuns: 200 },
    );
  });
});

