/**
 * Keyword matching and entity extraction for group messages (pure, no I/O).
 *
 * - {@link compileKeywords}: compile a workspace's keyword list once into a shareable
 *   {@link KeywordMatcher}; `matcher.match(text)` lists the configured keywords a message
 *   mentions (Aho–Corasick: cost independent of the number of keywords).
 * - {@link extractEntities}: mentions, URLs and hashtags of a message, from Telegram
 *   entities and from plain text; {@link extractUrls} for plain text alone.
 * - {@link normalizeText}: the NFKC + case-fold normalization both use.
 */
export {
  compileKeywords,
  DEFAULT_MAX_KEYWORD_LENGTH,
  type CompileKeywordsOptions,
  type KeywordMatcher,
  type KeywordRejectionReason,
  type RejectedKeyword,
} from './keyword-matcher.js';
export {
  extractEntities,
  MAX_ENTITIES_PER_KIND,
  type ExtractEntitiesOptions,
  type ExtractedEntities,
  type MessageEntity,
  type WhatsAppMentionedId,
} from './extract-entities.js';
export { canonicalizeUrl, extractUrls, MAX_URL_LENGTH } from './extract-urls.js';
export { normalizeText } from './normalize-text.js';
