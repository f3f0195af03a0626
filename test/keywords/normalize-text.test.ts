import { describe, expect, it } from 'vitest';
import { normalizeText } from '../../src/keywords/index.js';

describe('normalizeText', () => {
  it('folds width and case', () => {
    expect(normalizeText('ＰＲＩＣＥ Price PRICE １２３')).toBe('price price price 123');
    expect(normalizeText('ｾｰﾙ')).toBe('セール');
  });

  it('folds sharp s and final sigma', () => {
    expect(normalizeText('Straße ẞ')).toBe('strasse ss');
    expect(normalizeText('ΣΑΣ')).toBe('σασ');
  });

  it('collapses whitespace and drops invisible characters but keeps ZWJ', () => {
    expect(normalizeText('a \n\t\u00A0\u3000b')).toBe('a b');
    expect(normalizeText('p\u00ADr\u200Bi\u2060c\uFEFFe ❤️')).toBe('price ❤');
    expect(normalizeText('👨‍👩‍👧')).toBe('👨\u200D👩\u200D👧');
  });

  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    expect(normalizeText('\uD83Dx\uDD25🔥')).toBe('\uFFFDx\uFFFD🔥');
  });

  it('returns an empty string for empty or non-string input', () => {
    expect(normalizeText('')).toBe('');
    expect(normalizeText(undefined as unknown as string)).toBe('');
  });
});
