/**
 * Multi-keyword matching with an Aho–Corasick automaton over Unicode code points.
 *
 * A workspace's keyword list is compiled once ({@link compileKeywords}); the resulting
 * {@link KeywordMatcher} is immutable and can be shared by any number of callers. Matching
 * a message costs O(length of the normalized message + number of raw occurrences) and does
 * not depend on how many keywords were compiled.
 */
import {
  ZWJ,
  codePointAt,
  codePointBefore,
  countRegionalIndicatorsBefore,
  isClusterContinuation,
  isEmojiModifier,
  isRegionalIndicator,
  isSpacedWordChar,
} from './char-classes.js';
import { normalizeText } from './normalize-text.js';

/** Why {@link compileKeywords} ignored a configured keyword. */
export type KeywordRejectionReason =
  /** Not a string at all (only possible when types are bypassed). */
  | 'not-a-string'
  /** Empty or whitespace/invisible characters only after normalization. */
  | 'blank'
  /** Contains an unpaired UTF-16 surrogate. */
  | 'ill-formed'
  /** Longer than `maxKeywordLength` after normalization. */
  | 'too-long'
  /**
   * Starts with a character that can only continue a grapheme cluster (combining mark,
   * ZWJ, skin-tone modifier, emoji tag): it could only ever match part of a character.
   */
  | 'starts-inside-cluster'
  /** Ends with a zero-width joiner: it could only ever match part of a ZWJ emoji sequence. */
  | 'ends-with-joiner'
  /** Normalizes to the same text as an earlier keyword (see `duplicateOf`). */
  | 'duplicate';

/** A configured keyword that {@link compileKeywords} ignored, and why. */
export interface RejectedKeyword {
  /** The keyword as configured (`String(value)` for non-strings). */
  readonly keyword: string;
  readonly reason: KeywordRejectionReason;
  /** For `duplicate`: the earlier configured spelling that is kept. */
  readonly duplicateOf?: string;
}

/** Options for {@link compileKeywords}. */
export interface CompileKeywordsOptions {
  /**
   * Longest accepted keyword, in UTF-16 code units after normalization; longer ones are
   * rejected as `too-long`. Default {@link DEFAULT_MAX_KEYWORD_LENGTH} (100).
   */
  readonly maxKeywordLength?: number;
}

/** Default for {@link CompileKeywordsOptions.maxKeywordLength}. */
export const DEFAULT_MAX_KEYWORD_LENGTH = 100;

/**
 * A compiled, immutable keyword set. Safe to share and reuse across messages; build a new
 * one with {@link compileKeywords} when a workspace's keyword list changes.
 */
export interface KeywordMatcher {
  /** Number of distinct keywords the matcher looks for (after dropping rejected ones). */
  readonly size: number;
  /** Accepted keywords, original spellings, in configured order. */
  readonly keywords: readonly string[];
  /** Configured keywords that were ignored, in configured order. */
  readonly rejected: readonly RejectedKeyword[];
  /**
   * Keywords occurring in `text`, as originally configured, each at most once, ordered by
   * their first accepted occurrence in the normalized text (by start, then shorter first).
   * Never throws; returns `[]` for non-string input.
   */
  match(text: string): string[];
}

// Per-keyword flags: which edges are spaced-script word characters / regional indicators.
const FIRST_WORD = 1;
const LAST_WORD = 2;
const FIRST_RI = 4;
const LAST_RI = 8;

/** Edge flags of a normalized keyword (internal; exported for the benchmark baseline). */
export function keywordEdgeFlags(normalizedKeyword: string): number {
  const first = codePointAt(normalizedKeyword, 0);
  const last = codePointBefore(normalizedKeyword, normalizedKeyword.length);
  let flags = 0;
  if (isSpacedWordChar(first)) flags |= FIRST_WORD;
  if (isSpacedWordChar(last)) flags |= LAST_WORD;
  if (isRegionalIndicator(first)) flags |= FIRST_RI;
  if (isRegionalIndicator(last)) flags |= LAST_RI;
  return flags;
}

/**
 * Whether an occurrence of a keyword at `[start, end)` of the normalized text counts.
 * (Internal; exported for the benchmark baseline.)
 *
 * - Word boundaries: if the keyword's first (last) character is a spaced-script word
 *   character, the character before (after) the occurrence must not be one. Characters of
 *   unspaced scripts (Han, kana, Hangul, Thai, …), punctuation, emoji and text edges all
 *   count as boundaries, so "iphone" matches in "买iphone吗" and "双11" in "双11活动".
 * - Grapheme clusters: an occurrence never starts right after a ZWJ, never ends right
 *   before a combining mark / ZWJ / emoji tag, and never splits a regional-indicator
 *   pair (flag). A trailing skin-tone modifier is allowed ("👍" matches "👍🏽") unless the
 *   cluster continues after it (the "👨" in "👨🏽‍💻" is not a match).
 */
export function isAcceptedOccurrence(text: string, start: number, end: number, flags: number): boolean {
  const prev = codePointBefore(text, start);
  if (prev === ZWJ) return false;
  if (flags & FIRST_WORD && prev >= 0 && isSpacedWordChar(prev)) return false;
  if (flags & FIRST_RI && countRegionalIndicatorsBefore(text, start) % 2 === 1) return false;
  if (flags & LAST_RI && countRegionalIndicatorsBefore(text, end) % 2 === 1) return false;
  let next = codePointAt(text, end);
  if (next < 0) return true;
  if (flags & LAST_WORD && isSpacedWordChar(next)) return false;
  if (isClusterContinuation(next)) return false;
  if (isEmojiModifier(next)) {
    let j = end;
    while (isEmojiModifier(next)) {
      j += 2;
      next = codePointAt(text, j);
    }
    if (next >= 0 && isClusterContinuation(next)) return false;
  }
  return true;
}

const HAS_LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

function slot(state: number, cp: number, mask: number): number {
  const h = Math.imul(state, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca77);
  return (h ^ (h >>> 15)) & mask;
}

class AhoCorasickMatcher implements KeywordMatcher {
  readonly size: number;
  readonly keywords: readonly string[];
  readonly rejected: readonly RejectedKeyword[];
  /** Normalized length (UTF-16 units) of each accepted keyword. */
  private readonly kwLength: Int32Array;
  private readonly kwFlags: Uint8Array;
  /** Keyword index ending exactly at each state, or -1. */
  private readonly output: Int32Array;
  /** Nearest proper-suffix state that has an output, or 0 for none. */
  private readonly dictLink: Int32Array;
  private readonly fail: Int32Array;
  /**
   * Goto function as an open-addressing hash table keyed by (state, code point), stored as
   * interleaved triples [state, code point, next state] so that a probe touches one cache line.
   */
  private readonly table: Int32Array;
  private readonly tMask: number;
  /** Root transitions for ASCII, the commonest case, without hashing. */
  private readonly rootAscii: Int32Array;
  /**
   * Root transitions again, in a small table of their own ([code point, next state] pairs):
   * most lookups happen at the root, and this table stays in cache when the big one does not.
   */
  private readonly rootTable: Int32Array;
  private readonly rootMask: number;

  constructor(accepted: readonly string[], normalized: readonly string[], rejected: readonly RejectedKeyword[]) {
    this.size = accepted.length;
    this.keywords = Object.freeze([...accepted]);
    this.rejected = Object.freeze([...rejected]);
    this.kwLength = new Int32Array(normalized.length);
    this.kwFlags = new Uint8Array(normalized.length);

    // 1. Trie.
    const children: Array<Map<number, number>> = [new Map()];
    const out: number[] = [-1];
    let transitions = 0;
    normalized.forEach((kw, k) => {
      this.kwLength[k] = kw.length;
      this.kwFlags[k] = keywordEdgeFlags(kw);
      let s = 0;
      for (const ch of kw) {
        const cp = ch.codePointAt(0) as number;
        const node = children[s] as Map<number, number>;
        let next = node.get(cp);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          out.push(-1);
          node.set(cp, next);
          transitions++;
        }
        s = next;
      }
      out[s] = k;
    });

    // 2. Failure and dictionary-suffix links, breadth first.
    const states = children.length;
    const fail = new Int32Array(states);
    const dictLink = new Int32Array(states);
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (const v of (children[0] as Map<number, number>).values()) queue[tail++] = v;
    while (head < tail) {
      const u = queue[head++] as number;
      for (const [cp, v] of children[u] as Map<number, number>) {
        if (u !== 0) {
          let f = fail[u] as number;
          while (f !== 0 && !(children[f] as Map<number, number>).has(cp)) f = fail[f] as number;
          const g = (children[f] as Map<number, number>).get(cp);
          fail[v] = g !== undefined && g !== v ? g : 0;
        }
        const fv = fail[v] as number;
        dictLink[v] = (out[fv] as number) >= 0 ? fv : (dictLink[fv] as number);
        queue[tail++] = v;
      }
    }
    this.fail = fail;
    this.dictLink = dictLink;
    this.output = Int32Array.from(out);

    // 3. Flatten the goto function (load factor <= 0.5).
    const capacity = nextPowerOfTwo(transitions * 2);
    this.tMask = capacity - 1;
    const table = new Int32Array(capacity * 3).fill(-1);
    this.rootAscii = new Int32Array(128).fill(-1);
    const root = children[0] as Map<number, number>;
    const rootCapacity = nextPowerOfTwo(root.size * 2);
    this.rootMask = rootCapacity - 1;
    const rootTable = new Int32Array(rootCapacity * 2).fill(-1);
    for (const [cp, next] of root) {
      let i = slot(0, cp, this.rootMask);
      while (rootTable[i * 2] !== -1) i = (i + 1) & this.rootMask;
      rootTable[i * 2] = cp;
      rootTable[i * 2 + 1] = next;
    }
    this.rootTable = rootTable;
    children.forEach((node, s) => {
      for (const [cp, next] of node) {
        if (s === 0 && cp < 128) this.rootAscii[cp] = next;
        let i = slot(s, cp, this.tMask);
        while (table[i * 3] !== -1) i = (i + 1) & this.tMask;
        table[i * 3] = s;
        table[i * 3 + 1] = cp;
        table[i * 3 + 2] = next;
      }
    });
    this.table = table;
    Object.freeze(this);
  }

  private goto(state: number, cp: number): number {
    if (state === 0) {
      if (cp < 128) return this.rootAscii[cp] as number;
      const rootTable = this.rootTable;
      const rootMask = this.rootMask;
      let r = slot(0, cp, rootMask);
      for (;;) {
        const c = rootTable[r * 2] as number;
        if (c === cp) return rootTable[r * 2 + 1] as number;
        if (c === -1) return -1;
        r = (r + 1) & rootMask;
      }
    }
    const mask = this.tMask;
    const table = this.table;
    let i = slot(state, cp, mask);
    for (;;) {
      const at = i * 3;
      const s = table[at] as number;
      if (s === -1) return -1;
      if (s === state && table[at + 1] === cp) return table[at + 2] as number;
      i = (i + 1) & mask;
    }
  }

  match(text: string): string[] {
    if (typeof text !== 'string' || this.size === 0 || text.length === 0) return [];
    const t = normalizeText(text);
    const n = t.length;
    let found: Map<number, number> | undefined; // keyword index -> start of first accepted occurrence
    let state = 0;
    let i = 0;
    while (i < n) {
      let cp = t.charCodeAt(i++);
      if (cp >= 0xd800 && cp <= 0xdbff && i < n) {
        const lo = t.charCodeAt(i);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i++;
        }
      }
      for (;;) {
        const next = this.goto(state, cp);
        if (next >= 0) {
          state = next;
          break;
        }
        if (state === 0) break;
        state = this.fail[state] as number;
      }
      if (state === 0) continue;
      let o = (this.output[state] as number) >= 0 ? state : (this.dictLink[state] as number);
      while (o !== 0) {
        const k = this.output[o] as number;
        if (found === undefined || !found.has(k)) {
          const start = i - (this.kwLength[k] as number);
          if (isAcceptedOccurrence(t, start, i, this.kwFlags[k] as number)) {
            (found ??= new Map()).set(k, start);
          }
        }
        o = this.dictLink[o] as number;
      }
    }
    if (found === undefined) return [];
    const hits = [...found];
    if (hits.length > 1) {
      hits.sort(([ka, sa], [kb, sb]) => sa - sb || (this.kwLength[ka] as number) - (this.kwLength[kb] as number));
    }
    return hits.map(([k]) => this.keywords[k] as string);
  }
}

/**
 * Compiles a keyword list into an immutable {@link KeywordMatcher} (Aho–Corasick automaton
 * over code points of the normalized keywords; see {@link normalizeText}).
 *
 * - Each keyword is normalized and trimmed; blank, ill-formed (lone surrogate), over-long
 *   and unmatchable keywords (starting inside a grapheme cluster or ending with ZWJ) are
 *   ignored and listed in `rejected`.
 * - Keywords that normalize equal ("Price", "ＰＲＩＣＥ") count once; the first configured
 *   spelling is the one reported by `match`, later ones are `rejected` as `duplicate`.
 * - Word-boundary and grapheme rules applied to every occurrence are described at
 *   {@link isAcceptedOccurrence}: Latin/Cyrillic/Greek/… keyword edges need a boundary,
 *   CJK/Hangul/Thai edges do not; overlapping keywords all match.
 *
 * Never throws for any array of strings. Cost: linear in the total keyword length.
 *
 * @param keywords configured keywords, in priority order (first spelling wins on duplicates)
 * @param options see {@link CompileKeywordsOptions}; `maxKeywordLength` defaults to 100
 */
export function compileKeywords(keywords: readonly string[], options: CompileKeywordsOptions = {}): KeywordMatcher {
  const maxLength = options.maxKeywordLength ?? DEFAULT_MAX_KEYWORD_LENGTH;
  const accepted: string[] = [];
  const normalized: string[] = [];
  const rejected: RejectedKeyword[] = [];
  const firstSpelling = new Map<string, string>();
  const list: readonly unknown[] = Array.isArray(keywords) ? keywords : [];
  for (const keyword of list) {
    if (typeof keyword !== 'string') {
      rejected.push({ keyword: describe(keyword), reason: 'not-a-string' });
      continue;
    }
    if (HAS_LONE_SURROGATE.test(keyword)) {
      rejected.push({ keyword, reason: 'ill-formed' });
      continue;
    }
    const norm = normalizeText(keyword).trim();
    if (norm.length === 0) {
      rejected.push({ keyword, reason: 'blank' });
      continue;
    }
    if (norm.length > maxLength) {
      rejected.push({ keyword, reason: 'too-long' });
      continue;
    }
    const first = codePointAt(norm, 0);
    if (isClusterContinuation(first) || isEmojiModifier(first)) {
      rejected.push({ keyword, reason: 'starts-inside-cluster' });
      continue;
    }
    if (codePointBefore(norm, norm.length) === ZWJ) {
      rejected.push({ keyword, reason: 'ends-with-joiner' });
      continue;
    }
    const earlier = firstSpelling.get(norm);
    if (earlier !== undefined) {
      rejected.push({ keyword, reason: 'duplicate', duplicateOf: earlier });
      continue;
    }
    firstSpelling.set(norm, keyword);
    accepted.push(keyword);
    normalized.push(norm);
  }
  return new AhoCorasickMatcher(accepted, normalized, rejected);
}
