/**
 * Small statistics the optimization reports share (pure; no I/O): a seeded random generator
 * (so bootstrap intervals are the same on every run), Poisson and binomial tail
 * probabilities, a Wilson interval and percentiles.
 */

/** mulberry32: a small seeded PRNG giving numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from text (FNV-1a), so each keyword's bootstrap has its own fixed stream. */
export function seedOf(text: string, base = 0): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (const ch of text) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** log(k!) (exact sum below 256, Stirling's series above). */
function logFactorial(k: number): number {
  if (k < 256) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/** P(X = k) for X ~ Poisson(lambda). */
function poissonPmf(k: number, lambda: number): number {
  if (lambda <= 0) return k === 0 ? 1 : 0;
  return Math.exp(k * Math.log(lambda) - lambda - logFactorial(k));
}

/** P(X ≥ k) for X ~ Poisson(lambda). */
export function poissonUpper(k: number, lambda: number): number {
  if (k <= 0) return 1;
  let below = 0;
  for (let i = 0; i < k; i++) below += poissonPmf(i, lambda);
  return Math.max(0, Math.min(1, 1 - below));
}

/** P(X ≤ k) for X ~ Poisson(lambda). */
export function poissonLower(k: number, lambda: number): number {
  if (k < 0) return 0;
  let s = 0;
  for (let i = 0; i <= k; i++) s += poissonPmf(i, lambda);
  return Math.max(0, Math.min(1, s));
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLower(k: number, n: number, p: number): number {
  if (k >= n) return 1;
  if (k < 0) return 0;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  let s = 0;
  const lf = logFactorial(n);
  for (let i = 0; i <= k; i++) s += Math.exp(lf - logFactorial(i) - logFactorial(n - i) + i * Math.log(p) + (n - i) * Math.log(1 - p));
  return Math.max(0, Math.min(1, s));
}

/** The 95% Wilson score interval of a proportion `k / n` (null for n = 0). */
export function wilson(k: number, n: number, z = 1.96): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { low: Math.max(0, c - h), high: Math.min(1, c + h) };
}

/** The q-quantile (0..1) of ascending `sorted` by linear interpolation; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  if (a === b) return a;
  return a + (b - a) * (pos - lo);
}
