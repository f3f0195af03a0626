import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileKeywords, extractEntities, extractUrls, normalizeText } from '../../src/keywords/index.js';

// ---------------------------------------------------------------------------------------
// Naive reference: normalize, then for every keyword find every occurrence with indexOf and
// apply the documented acceptance rules written out directly on code-point arrays.
// ---------------------------------------------------------------------------------------
const UNSPACED =
  /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}\p{scx=Tibetan}]$/u;
const spaced = (ch: string | undefined): boolean => ch !== undefined && /^[\p{L}\p{N}\p{M}]$/u.test(ch) && !UNSPACED.test(ch);
const isRI = (ch: string | undefined): boolean => ch !== undefined && /^[\u{1F1E6}-\u{1F1FF}]$/u.test(ch);
const isModifier = (ch: string | undefined): boolean => ch !== undefined && /^[\u{1F3FB}-\u{1F3FF}]$/u.test(ch);
const continues = (ch: string | undefined): boolean => ch !== undefined && /^[\p{M}\u200D\u{E0020}-\u{E007F}]$/u.test(ch);
const trailingRIs = (cps: readonly string[]): number => {
  let n = 0;
  for (let i = cps.length - 1; i >= 0 && isRI(cps[i]); i--) n++;
  return n;
};

function referenceAccept(nt: string, start: number, end: number, nk: string): boolean {
  const before = Array.from(nt.slice(0, start));
  const after = Array.from(nt.slice(end));
  const kw = Array.from(nk);
  const prev = before.at(-1);
  const next = after[0];
  if (prev === '\u200D') return false;
  if (spaced(kw[0]) && spaced(prev)) return false;
  if (spaced(kw.at(-1)) && spaced(next)) return false;
  if (isRI(kw[0]) && trailingRIs(before) % 2 === 1) return false;
  if (isRI(kw.at(-1)) && trailingRIs([...before, ...kw]) % 2 === 1) return false;
  if (continues(next)) return false;
  const firstNonModifier = after.findIndex((c) => !isModifier(c));
  if (firstNonModifier > 0 && continues(after[firstNonModifier])) return false;
  return true;
}

function referenceMatch(keywords: readonly string[], text: string): string[] {
  const nt = normalizeText(text);
  const seen = new Set<string>();
  const hits: Array<{ keyword: string; start: number; length: number }> = [];
  for (const k of keywords) {
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(k)) continue;
    const nk = normalizeText(k).trim();
    if (nk.length === 0 || nk.length > 100) continue;
    const first = Array.from(nk)[0];
    if (continues(first) || isModifier(first) || nk.endsWith('\u200D')) continue;
    if (seen.has(nk)) continue;
    seen.add(nk);
    for (let i = nt.indexOf(nk); i >= 0; i = nt.indexOf(nk, i + 1)) {
      if (referenceAccept(nt, i, i + nk.length, nk)) {
        hits.push({ keyword: k, start: i, length: nk.length });
        break;
      }
    }
  }
  return hits.sort((a, b) => a.start - b.start || a.length - b.length).map((h) => h.keyword);
}

// Small alphabet full of the hard cases, so keywords occur often and edges get exercised.
const PIECES = [
  'a', 'b', 'A', 'Ｂ', 'ａ', ' ', '\n', '\u3000', '-', '.', '1', '１', 'é', 'e', '\u0301', 'ß', 's', 'S', 'ς', 'Σ',
  '发', '货', '双', 'セ', 'ー', 'ｾ', 'ﾞ', '가', 'ร', '\u0E48', '🔥', '👨', '👩', '\u200D', '🏽', '🇺', '🇸',
  '\uFE0F', '\u200B', '_', '#', '@', 'ﬁ', 'İ', 'i',
];
const piece = fc.constantFrom(...PIECES);
const anyUnit = fc.oneof(
  { weight: 8, arbitrary: piece },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
const keywordArb = fc.array(anyUnit, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
const keywordsArb = fc.array(keywordArb, { maxLength: 12 });

/** Texts built from alphabet pieces and whole keywords from the set, so hits are common. */
const caseArb = keywordsArb.chain((keywords) =>
  fc
    .array(
      keywords.length > 0 ? fc.oneof(anyUnit, fc.constantFrom(...keywords), fc.constantFrom(...keywords).map((k) => k.toUpperCase())) : anyUnit,
      { maxLength: 30 },
    )
    .map((parts) => ({ keywords, text: parts.join('') })),
);

/** Arbitrary UTF-16 strings including lone surrogates. */
const rawString = fc.string({
  unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 60,
});

describe('keyword matcher properties', () => {
  it('equals the naive per-keyword reference on random keyword sets and texts', () => {
    fc.assert(
      fc.property(caseArb, ({ keywords, text }) => {
        expect(compileKeywords(keywords).match(text)).toEqual(referenceMatch(keywords, text));
      }),
      { numRuns: 3000 },
    );
  });

  it('equals the reference on fully random unicode keywords and texts', () => {
    fc.assert(
      fc.property(fc.array(rawString.filter((s) => s.length <= 6), { maxLength: 8 }), rawString, (keywords, text) => {
        expect(compileKeywords(keywords).match(text)).toEqual(referenceMatch(keywords, text));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, for any keywords and any text (lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.array(rawString, { maxLength: 10 }), rawString, (keywords, text) => {
        const m = compileKeywords(keywords);
        expect(Array.isArray(m.match(text))).toBe(true);
        expect(typeof normalizeText(text)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('returns a duplicate-free subset of the accepted keywords, each one configured', () => {
    fc.assert(
      fc.property(caseArb, ({ keywords, text }) => {
        const m = compileKeywords(keywords);
        const result = m.match(text);
        expect(new Set(result).size).toBe(result.length);
        for (const k of result) {
          expect(m.keywords).toContain(k);
          expect(keywords).toContain(k);
        }
        expect(m.size).toBe(m.keywords.length);
        expect(m.keywords.length + m.rejected.length).toBe(keywords.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a spaced-script keyword written on its own between spaces, in any case', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 20 }), fc.nat(), (keywords, pick) => {
        const k = keywords[pick % keywords.length] as string;
        expect(compileKeywords(keywords).match(`hello ${k.toUpperCase()} world`)).toContain(
          keywords.find((c) => c.toLowerCase() === k.toLowerCase()),
        );
      }),
    );
  });
});

describe('entity extraction properties', () => {
  const entityArb = fc.record({
    type: fc.constantFrom('mention', 'text_mention', 'url', 'text_link', 'hashtag', 'bold', 'cashtag'),
    offset: fc.integer({ min: -5, max: 80 }),
    length: fc.integer({ min: -5, max: 80 }),
    url: fc.option(fc.oneof(rawString, fc.webUrl()), { nil: undefined }),
    user: fc.option(fc.record({ id: fc.oneof(fc.integer(), fc.double()), username: fc.option(rawString, { nil: undefined }) }), {
      nil: undefined,
    }),
  });
  const textArb = fc.oneof(
    rawString,
    fc.array(fc.constantFrom('@someone', ' ', 'https://', 'www.', 'a.com', '/x', '#tag', '双11', '。', ')', '(', '@', '.', '🔥'), { maxLength: 20 }).map((a) => a.join('')),
  );

  it('never throws and respects the per-kind cap and uniqueness', () => {
    fc.assert(
      fc.property(textArb, fc.array(entityArb, { maxLength: 8 }), fc.array(rawString, { maxLength: 3 }), fc.integer({ min: 0, max: 5 }), (text, entities, ids, max) => {
        const r = extractEntities(text, entities, { mentionedIds: ids, maxPerKind: max });
        for (const list of [r.mentions, r.urls, r.hashtags]) {
          expect(list.length).toBeLessThanOrEqual(max);
          expect(new Set(list).size).toBe(list.length);
        }
        for (const u of r.urls) expect(u).toMatch(/^https?:\/\//);
        for (const u of extractUrls(text)) expect(() => new URL(u)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
