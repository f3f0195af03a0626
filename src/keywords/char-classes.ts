/**
 * Code-point classes used by the match acceptance rules (internal to `src/keywords`).
 *
 * "Spaced-script word character": a Unicode letter, number or combining mark
 * (`\p{L}`, `\p{N}`, `\p{M}`) whose script normally separates words with spaces (Latin,
 * Cyrillic, Greek, Arabic, Devanagari, …). Characters of scripts written without spaces
 * between words are excluded: Han, Hiragana, Katakana (incl. `ー`), Bopomofo, Hangul,
 * Thai, Lao, Khmer, Myanmar, Tibetan. Hangul is grouped with them on purpose: Korean
 * attaches particles directly to nouns (`가격이`, `가격은`), so word-boundary checks would
 * miss most mentions of a Korean keyword.
 */

const WORD = /^[\p{L}\p{N}\p{M}]$/u;
const UNSPACED_SCRIPT =
  /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}\p{scx=Tibetan}]$/u;
const MARK = /^\p{M}$/u;

export const ZWJ = 0x200d;

/** Whether `cp` is a letter/number/mark of a script that separates words with spaces. */
export function isSpacedWordChar(cp: number): boolean {
  if (cp < 0x80) {
    return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a);
  }
  if (cp < 0x10000) return memo(SPACED_WORD_MEMO, cp, classifySpacedWord);
  return cp <= 0x10ffff && classifySpacedWord(cp);
}

function classifySpacedWord(cp: number): boolean {
  const ch = String.fromCodePoint(cp);
  return WORD.test(ch) && !UNSPACED_SCRIPT.test(ch);
}

// Process-wide memo of regex classifications for the BMP (0 = unknown, 1 = no, 2 = yes):
// 64 KiB each, shared by every matcher; the regexes cost ~100 ns per call.
const SPACED_WORD_MEMO = new Uint8Array(0x10000);
const CONTINUATION_MEMO = new Uint8Array(0x10000);

function memo(table: Uint8Array, cp: number, classify: (cp: number) => boolean): boolean {
  const known = table[cp] as number;
  if (known !== 0) return known === 2;
  const yes = classify(cp);
  table[cp] = yes ? 2 : 1;
  return yes;
}

/** Whether `cp` is a Fitzpatrick skin-tone modifier (U+1F3FB–U+1F3FF). */
export function isEmojiModifier(cp: number): boolean {
  return cp >= 0x1f3fb && cp <= 0x1f3ff;
}

/** Whether `cp` is a regional indicator (flag letters, U+1F1E6–U+1F1FF). */
export function isRegionalIndicator(cp: number): boolean {
  return cp >= 0x1f1e6 && cp <= 0x1f1ff;
}

/** Whether `cp` is an emoji tag character (U+E0020–U+E007F, used in subdivision flags). */
export function isTagChar(cp: number): boolean {
  return cp >= 0xe0020 && cp <= 0xe007f;
}

/**
 * Whether `cp` continues the grapheme cluster before it (combining mark, ZWJ, tag
 * character), so that a match may neither end right before it nor start with it.
 */
export function isClusterContinuation(cp: number): boolean {
  if (cp < 0x300) return false;
  if (cp < 0x10000) return memo(CONTINUATION_MEMO, cp, classifyContinuation);
  return cp <= 0x10ffff && classifyContinuation(cp);
}

function classifyContinuation(cp: number): boolean {
  return cp === ZWJ || isTagChar(cp) || MARK.test(String.fromCodePoint(cp));
}

/** Code point starting at UTF-16 index `i`, or -1 past the end. Lone surrogates are returned as-is. */
export function codePointAt(s: string, i: number): number {
  if (i < 0 || i >= s.length) return -1;
  return s.codePointAt(i) ?? -1;
}

/** Code point ending right before UTF-16 index `i`, or -1 at the start. */
export function codePointBefore(s: string, i: number): number {
  if (i <= 0 || i > s.length) return -1;
  const lo = s.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return ((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return lo;
}

/** Number of consecutive regional indicators ending right before UTF-16 index `i`. */
export function countRegionalIndicatorsBefore(s: string, i: number): number {
  let n = 0;
  let j = i;
  for (;;) {
    const cp = codePointBefore(s, j);
    if (!isRegionalIndicator(cp)) return n;
    n++;
    j -= 2;
  }
}
