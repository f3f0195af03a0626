/**
 * Plain-text URL detection and URL canonicalization.
 */

/** Top-level domains accepted for bare `domain.tld` links (no scheme, no `www.`). */
// Curated: common generic TLDs plus country codes used by the product's markets. Codes that
// collide with file extensions people type in chats (md, py, sh, rs, pl, id, in, so, ps)
// are left out on purpose, so "readme.md" or "main.py" are not links.
const BARE_TLDS: ReadonlySet<string> = new Set(
  (
    'com net org info biz io co ai app dev me tv cc xyz top shop store site online tech link live vip club ' +
    'news blog page fun life world today ly gl gg to fm be cn hk tw mo jp kr sg my th vn ph au nz uk de fr ' +
    'es it nl eu ch se no dk fi ru ua us ca br mx ar cl ae sa tr'
  ).split(' '),
);

// Characters allowed inside a URL: RFC 3986 characters (minus quotes), plus letters,
// numbers and marks of spaced scripts (IRIs like /wiki/Москва). Characters of unspaced
// scripts (Han, kana, Hangul, Thai, …) and all CJK punctuation end a URL, because in
// Chinese and Japanese chats a link is usually followed directly by text ("看https://x.cn/a吧").
const UNSPACED = String.raw`\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}\p{scx=Hangul}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}\p{scx=Tibetan}`;
const SPACED_WORD = String.raw`(?:(?![${UNSPACED}])[\p{L}\p{N}\p{M}])`;
const URL_CHAR = String.raw`(?:[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]|${SPACED_WORD})`;
const LABEL = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;
const SCHEME_URL = String.raw`(?<![A-Za-z0-9+.-])https?:\/\/${URL_CHAR}+`;
// Bare host: not glued to a preceding spaced-script word, email local part, path or host.
const BARE_URL = String.raw`(?<!(?:[A-Za-z0-9_@.\-/:]|${SPACED_WORD}))(?:${LABEL}\.)+([A-Za-z]{2,24})(?![A-Za-z0-9\-@]|${SPACED_WORD})(?::\d{1,5})?(?:[/?#]${URL_CHAR}*)?`;
const URL_RE = new RegExp(`${SCHEME_URL}|${BARE_URL}`, 'giu');

const TRAILING_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', "'", '"', '*']);

/** Longest URL kept, in UTF-16 code units; longer ones are dropped as junk. */
export const MAX_URL_LENGTH = 2048;

/** Removes trailing sentence punctuation and closing brackets that have no opening partner. */
function trimTrailing(raw: string): string {
  const balance: Record<string, number> = { ')': 0, ']': 0 };
  for (const ch of raw) {
    if (ch === '(') balance[')'] = (balance[')'] ?? 0) - 1;
    else if (ch === '[') balance[']'] = (balance[']'] ?? 0) - 1;
    else if (ch === ')' || ch === ']') balance[ch] = (balance[ch] ?? 0) + 1;
  }
  let end = raw.length;
  while (end > 0) {
    const last = raw.charAt(end - 1);
    if (TRAILING_PUNCTUATION.has(last)) {
      end--;
    } else if ((last === ')' || last === ']') && (balance[last] ?? 0) > 0) {
      // More closers than openers: this one has no partner.
      balance[last] = (balance[last] ?? 0) - 1;
      end--;
    } else {
      break;
    }
  }
  return raw.slice(0, end);
}

/**
 * Canonicalizes a link to an absolute `http:`/`https:` URL string (WHATWG `URL#href`:
 * lower-case scheme and host, IDN hosts in punycode, non-ASCII path percent-encoded,
 * `/` path for bare hosts). Adds `https://` when the link has no scheme. Never throws.
 *
 * @param raw a URL as written (`example.com/a`, `HTTPS://Example.com`, `//cdn.x.com/y`)
 * @returns the canonical URL, or `null` for other schemes (`mailto:`, `tg:`, …), hosts
 *   without a dot when no scheme was given, unparsable input, or input longer than
 *   {@link MAX_URL_LENGTH}
 */
export function canonicalizeUrl(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  let s = raw.trim();
  if (s.length === 0 || s.length > MAX_URL_LENGTH) return null;
  let bare = false;
  if (!/^https?:\/\//i.test(s)) {
    // A scheme is letters then ':' not followed by a port number ("host:8080" is not one).
    if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(s)) return null;
    s = s.startsWith('//') ? `https:${s}` : `https://${s}`;
    bare = true;
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname.length === 0 || (bare && !url.hostname.includes('.'))) return null;
  return url.href;
}

/** A URL found in plain text: canonical form and the UTF-16 offset where it starts. */
export interface UrlInText {
  readonly url: string;
  readonly offset: number;
  /** UTF-16 length of the link as written, after trimming trailing punctuation. */
  readonly length: number;
}

/** Finds URLs in plain text with their positions (see {@link extractUrls} for the rules). */
export function findUrls(text: string): UrlInText[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const found: UrlInText[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const tld = m[1];
    if (tld !== undefined && !BARE_TLDS.has(tld.toLowerCase()) && !/^www\./i.test(m[0])) continue;
    const written = trimTrailing(m[0]);
    const url = canonicalizeUrl(written);
    if (url !== null) found.push({ url, offset: m.index, length: written.length });
  }
  return found;
}

/**
 * Extracts links from plain text, in order of appearance, deduplicated, canonicalized with
 * {@link canonicalizeUrl}. Never throws.
 *
 * Recognized forms: `http://` and `https://` URLs; bare `www.host…`; bare `host.tld[/path]`
 * when the TLD is in a curated list of common TLDs (so `t.me/chan`, `example.com/a`,
 * `shop.cn` count but `readme.md`, `e.g.` and `node.js` do not). Trailing `.,;:!?'"*` and
 * closing `)`/`]` without an opening partner are not part of a link; a URL ends at
 * whitespace, CJK punctuation (`。，！？` …) or the first character of an unspaced script
 * (Han, kana, Hangul, Thai, …). Hosts glued to a preceding word or `@` (email addresses)
 * are not links.
 *
 * @param text message text
 * @param max most URLs returned (default 50)
 */
export function extractUrls(text: string, max = 50): string[] {
  const out = new Set<string>();
  for (const { url } of findUrls(text)) {
    if (out.size >= max) break;
    out.add(url);
  }
  return [...out];
}
