import { describe, expect, it } from 'vitest';
import { canonicalizeUrl, extractEntities, extractUrls, type MessageEntity } from '../../src/keywords/index.js';

/** Builds an entity covering the first occurrence of `part` in `text` (UTF-16 offsets, like Telegram). */
function entity(text: string, part: string, type: string, extra: Partial<MessageEntity> = {}): MessageEntity {
  const offset = text.indexOf(part);
  if (offset < 0) throw new Error(`${part} not in ${text}`);
  return { type, offset, length: part.length, ...extra };
}

describe('extractUrls', () => {
  it('finds http(s) URLs and normalizes them', () => {
    expect(extractUrls('see HTTPS://Example.COM/Path?q=1 and http://a.org')).toEqual(['https://example.com/Path?q=1', 'http://a.org/']);
  });

  it('adds https:// to bare www., t.me and domain.tld/path forms', () => {
    expect(extractUrls('www.shop.io t.me/brand_chat example.com/promo 访问shop.cn')).toEqual([
      'https://www.shop.io/',
      'https://t.me/brand_chat',
      'https://example.com/promo',
      'https://shop.cn/',
    ]);
  });

  it('strips trailing punctuation (ASCII and CJK) but keeps balanced brackets', () => {
    expect(extractUrls('Go to example.com. Or https://x.io/a, (https://y.io/b) https://en.wikipedia.org/wiki/Foo_(bar)!')).toEqual([
      'https://example.com/',
      'https://x.io/a',
      'https://y.io/b',
      'https://en.wikipedia.org/wiki/Foo_(bar)',
    ]);
    expect(extractUrls('链接：https://x.cn/a。谢谢！https://y.cn/b，还有https://z.cn/c？')).toEqual([
      'https://x.cn/a',
      'https://y.cn/b',
      'https://z.cn/c',
    ]);
  });

  it('ends a URL at the first CJK character', () => {
    expect(extractUrls('看https://x.cn/a吧')).toEqual(['https://x.cn/a']);
  });

  it('does not treat emails, file names or abbreviations as links', () => {
    expect(extractUrls('mail bob@example.com, open readme.md or main.py, e.g. node.js')).toEqual([]);
  });

  it('deduplicates and caps the number of URLs', () => {
    expect(extractUrls('example.com https://example.com/ EXAMPLE.com')).toEqual(['https://example.com/']);
    const many = Array.from({ length: 80 }, (_, i) => `https://s${i}.io`).join(' ');
    expect(extractUrls(many)).toHaveLength(50);
    expect(extractUrls(many, 3)).toEqual(['https://s0.io/', 'https://s1.io/', 'https://s2.io/']);
  });

  it('keeps emoji and ZWJ sequences out of URLs', () => {
    expect(extractUrls('🔥https://x.io/a🔥 👨‍👩‍👧example.com')).toEqual(['https://x.io/a', 'https://example.com/']);
  });
});

describe('canonicalizeUrl', () => {
  it('accepts only http(s), adding a scheme to bare hosts', () => {
    expect(canonicalizeUrl('example.com:8080/x')).toBe('https://example.com:8080/x');
    expect(canonicalizeUrl('//cdn.example.com/a')).toBe('https://cdn.example.com/a');
    expect(canonicalizeUrl('mailto:a@b.com')).toBeNull();
    expect(canonicalizeUrl('tg://user?id=1')).toBeNull();
    expect(canonicalizeUrl('localhost')).toBeNull();
    expect(canonicalizeUrl('http://')).toBeNull();
  });
});

describe('extractEntities', () => {
  it('finds Telegram-style @mentions in plain text, lower-cased, not in emails or URLs', () => {
    const r = extractEntities('hi @John_Doe and @alice, mail a@bcdefg.com or @gmail.com, https://medium.com/@author @abc');
    expect(r.mentions).toEqual(['john_doe', 'alice']);
  });

  it('requires a Telegram username to start with a letter (so WhatsApp @numbers are not usernames)', () => {
    expect(extractEntities('ping @8613800138000 @_under').mentions).toEqual([]);
  });

  it('rejects usernames over 32 characters', () => {
    expect(extractEntities(`@${'a'.repeat(33)}`).mentions).toEqual([]);
    expect(extractEntities(`@${'a'.repeat(32)}`).mentions).toEqual(['a'.repeat(32)]);
  });

  it('reads mention, text_mention, url, text_link and hashtag entities with UTF-16 offsets', () => {
    // Emoji and a ZWJ family before the entities shift UTF-16 offsets vs code points.
    const text = '👨‍👩‍👧🔥 Hi @Shop_Bot, Alice and Bob: see x.io/deal and here #Promo';
    const r = extractEntities(text, [
      entity(text, '@Shop_Bot', 'mention'),
      entity(text, 'Alice', 'text_mention', { user: { id: 123, username: 'Alice_W' } }),
      entity(text, 'Bob', 'text_mention', { user: { id: 456 } }),
      entity(text, 'x.io/deal', 'url'),
      entity(text, 'here', 'text_link', { url: 'https://Brand.com/landing?utm=tg' }),
      entity(text, '#Promo', 'hashtag'),
      entity(text, 'Hi', 'bold'),
    ]);
    expect(r).toEqual({
      mentions: ['shop_bot', 'alice_w', 'id:456'],
      urls: ['https://x.io/deal', 'https://brand.com/landing?utm=tg'],
      hashtags: ['promo'],
    });
  });

  it('skips entities whose offsets do not fit the text or whose text is not what the type says', () => {
    const text = 'short @valid_one';
    const r = extractEntities(text, [
      { type: 'mention', offset: 100, length: 5 },
      { type: 'mention', offset: -1, length: 3 },
      { type: 'mention', offset: 0, length: 5 },
      { type: 'url', offset: 0, length: 5 },
      { type: 'text_link', offset: 0, length: 5, url: 'javascript:alert(1)' },
      { type: 'text_mention', offset: 0, length: 5 },
    ]);
    expect(r).toEqual({ mentions: ['valid_one'], urls: [], hashtags: [] });
  });

  it('combines entities with plain-text results, deduplicated, in text order', () => {
    const text = 'Ask @Brand_Support at https://brand.com or brand.com #Sale #sale';
    const r = extractEntities(text, [entity(text, '@Brand_Support', 'mention'), entity(text, 'https://brand.com', 'url')]);
    expect(r).toEqual({ mentions: ['brand_support'], urls: ['https://brand.com/'], hashtags: ['sale'] });
  });

  it('finds plain-text hashtags in any script, normalized, with at least one letter', () => {
    expect(extractEntities('#双11 #ＳＡＬＥ #セール #1 #2024 a#b https://x.io/#frag &#39;').hashtags).toEqual(['双11', 'sale', 'セール']);
  });

  it('reports WhatsApp mentioned ids as wa:<id>, in text order', () => {
    const r = extractEntities('@8613800138000 meet @447700900123', [], {
      mentionedIds: ['447700900123@c.us', { _serialized: '8613800138000@c.us' }, '999@lid'],
    });
    expect(r.mentions).toEqual(['wa:8613800138000@c.us', 'wa:447700900123@c.us', 'wa:999@lid']);
  });

  it('caps each kind at 50 by default', () => {
    const text = Array.from({ length: 70 }, (_, i) => `@user${i}x #tag${i} https://s${i}.io`).join(' ');
    const r = extractEntities(text);
    expect(r.mentions).toHaveLength(50);
    expect(r.urls).toHaveLength(50);
    expect(r.hashtags).toHaveLength(50);
    expect(r.mentions[0]).toBe('user0x');
  });

  it('returns empty lists for empty or non-string input', () => {
    expect(extractEntities('')).toEqual({ mentions: [], urls: [], hashtags: [] });
    expect(extractEntities(null as unknown as string, null as unknown as MessageEntity[])).toEqual({ mentions: [], urls: [], hashtags: [] });
  });
});
