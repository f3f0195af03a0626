/**
 * Mentions, links and hashtags of one message, from Telegram-style entities and from the
 * plain text, for "mention" and "link_posted" touches.
 */
import { canonicalizeUrl, findUrls, type UrlInText } from './extract-urls.js';
import { normalizeText } from './normalize-text.js';

/**
 * A Telegram message entity (Bot API `MessageEntity`). `offset` and `length` are in UTF-16
 * code units, as Telegram defines them. Entity types other than `mention`, `text_mention`,
 * `url`, `text_link` and `hashtag` are accepted and ignored, so a message's `entities`
 * array can be passed as it arrives.
 */
export interface MessageEntity {
  readonly type: string;
  readonly offset: number;
  readonly length: number;
  /** For `text_link`: the link target. */
  readonly url?: string;
  /** For `text_mention`: the mentioned user (who may have no username). */
  readonly user?: { readonly id: number; readonly username?: string };
}

/** A WhatsApp id as whatsapp-web.js lists it in `Message#mentionedIds`. */
export type WhatsAppMentionedId = string | { readonly _serialized: string };

/** Options for {@link extractEntities}. */
export interface ExtractEntitiesOptions {
  /**
   * WhatsApp mentions as given by the library (`message.mentionedIds`, e.g.
   * `"8613800138000@c.us"`). Reported as `wa:<id>`. Default: none.
   */
  readonly mentionedIds?: readonly WhatsAppMentionedId[];
  /** Most values of each kind (mentions, urls, hashtags) returned. Default {@link MAX_ENTITIES_PER_KIND} (50). */
  readonly maxPerKind?: number;
}

/** Default for {@link ExtractEntitiesOptions.maxPerKind}. */
export const MAX_ENTITIES_PER_KIND = 50;

/** What {@link extractEntities} found in one message. */
export interface ExtractedEntities {
  /**
   * Telegram usernames lower-cased without `@`; `id:<user id>` for a Telegram
   * `text_mention` of a user without username; `wa:<serialized id>` for WhatsApp mentions
   * (a WhatsApp id is a phone number: pseudonymize it before it leaves the connector).
   */
  mentions: string[];
  /** Canonical absolute http(s) URLs (see `canonicalizeUrl`). */
  urls: string[];
  /** Hashtags without `#`, normalized like keywords (NFKC, lower case). */
  hashtags: string[];
}

const TELEGRAM_USERNAME = /^[A-Za-z0-9_]{1,32}$/;
// Telegram usernames: a letter then letters, digits, underscores; 5–32 characters in all.
// Not after a character that would make it part of an email address, URL or word, and
// not followed by a username character or ".tld" (so "@gmail.com" is not a mention).
const PLAIN_MENTION = /(?<![A-Za-z0-9_.@/+=&-])@([A-Za-z][A-Za-z0-9_]{4,31})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])/g;
// Hashtags: '#' then letters/numbers/marks/underscores of any script ("#双11", "#セール").
// Not after a word character, '&' (HTML entity) or '/' (URL fragment).
const PLAIN_HASHTAG = /(?<![\p{L}\p{N}\p{M}_&#/])#([\p{L}\p{N}\p{M}_]{1,100})(?![\p{L}\p{N}\p{M}_])/gu;
const HAS_LETTER = /\p{L}/u;

interface Found {
  readonly position: number;
  readonly value: string;
}

function hashtagValue(tag: string): string | null {
  const value = normalizeText(tag).trim();
  return value.length > 0 && HAS_LETTER.test(value) ? value : null;
}

/** Whether `position` falls inside one of `spans` (sorted by offset, non-overlapping). */
function inside(spans: readonly UrlInText[], position: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = spans[mid] as UrlInText;
    if (position < s.offset) hi = mid - 1;
    else if (position >= s.offset + s.length) lo = mid + 1;
    else return true;
  }
  return false;
}

function collect(found: Found[], max: number): string[] {
  const sorted = found.map((f, i) => ({ ...f, i })).sort((a, b) => a.position - b.position || a.i - b.i);
  const out = new Set<string>();
  for (const f of sorted) {
    if (out.size >= max) break;
    out.add(f.value);
  }
  return [...out];
}

function whatsappId(id: WhatsAppMentionedId): string | null {
  const s = typeof id === 'string' ? id : id !== null && typeof id === 'object' ? id._serialized : undefined;
  return typeof s === 'string' && s.trim().length > 0 ? s.trim() : null;
}

/**
 * Extracts mentions, links and hashtags from a message, combining Telegram entities (when
 * given) with what the plain text shows, deduplicated, in order of first appearance in the
 * text, at most `maxPerKind` (default 50) of each kind. Never throws.
 *
 * - Entities: `mention` → the username in the text; `text_mention` → its user's username,
 *   or `id:<user id>` without one; `url` → the linked text; `text_link` → its `url`;
 *   `hashtag` → the tag in the text. Entities whose offset/length do not fit the text or
 *   whose text is not what the type promises are skipped.
 * - Plain text: Telegram-style `@username` (a letter, then 4–31 of `[A-Za-z0-9_]`; not
 *   inside an email address or URL), URLs as {@link extractUrls} finds them, and hashtags
 *   with at least one letter (`#sale`, `#双11`; `#1` is not one).
 * - WhatsApp: pass `options.mentionedIds`; each becomes `wa:<id>`, placed where
 *   `@<number>` appears in the text (or after everything else when it does not).
 *
 * @param text message text or caption
 * @param entities Telegram `entities` / `caption_entities` of the message (default none)
 * @param options see {@link ExtractEntitiesOptions}
 */
export function extractEntities(
  text: string,
  entities: readonly MessageEntity[] = [],
  options: ExtractEntitiesOptions = {},
): ExtractedEntities {
  const t = typeof text === 'string' ? text : '';
  const max = options.maxPerKind ?? MAX_ENTITIES_PER_KIND;
  const mentions: Found[] = [];
  const urls: Found[] = [];
  const hashtags: Found[] = [];

  for (const e of Array.isArray(entities) ? entities : []) {
    if (e === null || typeof e !== 'object') continue;
    const { offset, length } = e;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0) continue;
    if (offset + length > t.length) continue;
    const slice = t.slice(offset, offset + length);
    switch (e.type) {
      case 'mention': {
        const name = slice.startsWith('@') ? slice.slice(1) : '';
        if (TELEGRAM_USERNAME.test(name)) mentions.push({ position: offset, value: name.toLowerCase() });
        break;
      }
      case 'text_mention': {
        const user = e.user;
        if (user === null || typeof user !== 'object') break;
        if (typeof user.username === 'string' && TELEGRAM_USERNAME.test(user.username)) {
          mentions.push({ position: offset, value: user.username.toLowerCase() });
        } else if (Number.isSafeInteger(user.id)) {
          mentions.push({ position: offset, value: `id:${user.id}` });
        }
        break;
      }
      case 'url': {
        const url = canonicalizeUrl(slice);
        if (url !== null) urls.push({ position: offset, value: url });
        break;
      }
      case 'text_link': {
        const url = typeof e.url === 'string' ? canonicalizeUrl(e.url) : null;
        if (url !== null) urls.push({ position: offset, value: url });
        break;
      }
      case 'hashtag': {
        const value = slice.startsWith('#') ? hashtagValue(slice.slice(1)) : null;
        if (value !== null) hashtags.push({ position: offset, value });
        break;
      }
      default:
        break;
    }
  }

  const urlSpans = findUrls(t);
  for (const u of urlSpans) urls.push({ position: u.offset, value: u.url });
  for (const m of t.matchAll(PLAIN_MENTION)) {
    if (!inside(urlSpans, m.index)) mentions.push({ position: m.index, value: (m[1] as string).toLowerCase() });
  }
  for (const m of t.matchAll(PLAIN_HASHTAG)) {
    if (inside(urlSpans, m.index)) continue;
    const value = hashtagValue(m[1] as string);
    if (value !== null) hashtags.push({ position: m.index, value });
  }

  for (const id of Array.isArray(options.mentionedIds) ? options.mentionedIds : []) {
    const wa = whatsappId(id);
    if (wa === null) continue;
    const user = wa.split('@')[0] ?? '';
    const at = user.length > 0 ? t.indexOf(`@${user}`) : -1;
    mentions.push({ position: at >= 0 ? at : t.length, value: `wa:${wa}` });
  }

  return { mentions: collect(mentions, max), urls: collect(urls, max), hashtags: collect(hashtags, max) };
}
