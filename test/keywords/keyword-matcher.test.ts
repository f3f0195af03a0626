import { describe, expect, it } from 'vitest';
import { compileKeywords } from '../../src/keywords/index.js';

describe('compileKeywords / match: case and width', () => {
  const m = compileKeywords(['price']);

  it.each(['PRICE?', 'Price!', "what's the price", 'ＰＲＩＣＥ', 'ｐｒｉｃｅ', '价格 price 多少'])('matches "price" in %j', (text) => {
    expect(m.match(text)).toEqual(['price']);
  });

  it('matches full-width digits and letters against half-width keywords', () => {
    expect(compileKeywords(['iphone15']).match('新款ＩＰＨＯＮＥ１５到货')).toEqual(['iphone15']);
  });

  it('folds ß and final sigma', () => {
    const folded = compileKeywords(['straße', 'ΣΑΣ']);
    expect(folded.match('Die STRASSE')).toEqual(['straße']);
    expect(folded.match('σας')).toEqual(['ΣΑΣ']);
  });

  it('treats runs of whitespace (incl. NBSP, ideographic space, newlines) as one space', () => {
    const fs = compileKeywords(['flash sale']);
    for (const t of ['flash  sale', 'flash\nsale', 'flash\u00A0sale', 'flash\u3000sale']) expect(fs.match(t)).toEqual(['flash sale']);
  });

  it('ignores soft hyphens, zero-width spaces and emoji presentation selectors', () => {
    const m2 = compileKeywords(['price', '❤️']);
    expect(m2.match('pri\u00ADce')).toEqual(['price']);
    expect(m2.match('pri\u200Bce')).toEqual(['price']);
    expect(m2.match('i ❤ it')).toEqual(['❤️']);
  });
});

describe('word boundaries', () => {
  const m = compileKeywords(['price', 'iPhone', 'iPhone15', '双11', 'sale']);

  it.each(['priceless', 'overprice', 'price2', 'xprice', 'priceé'])('does not match "price" inside %j', (text) => {
    expect(m.match(text)).toEqual([]);
  });

  it('accepts punctuation, emoji, underscore and text edges as boundaries', () => {
    expect(m.match('(price)')).toEqual(['price']);
    expect(m.match('🔥price🔥')).toEqual(['price']);
    expect(m.match('price_list')).toEqual(['price']);
  });

  it('treats a CJK neighbour as a boundary for a Latin keyword', () => {
    expect(m.match('买iPhone吗')).toEqual(['iPhone']);
    expect(m.match('请问iPhone15多少钱')).toEqual(['iPhone15']);
  });

  it('checks only the sides whose keyword edge is a spaced-script word character', () => {
    expect(m.match('双11活动')).toEqual(['双11']);
    expect(m.match('今年双11')).toEqual(['双11']);
    expect(m.match('双111')).toEqual([]);
    expect(m.match('iphone15pro')).toEqual([]);
    expect(m.match('newiphone15')).toEqual([]);
  });

  it('applies boundaries to Cyrillic and Greek', () => {
    const c = compileKeywords(['цена', 'τιμή']);
    expect(c.match('Какая ЦЕНА?')).toEqual(['цена']);
    expect(c.match('бесценная')).toEqual([]);
    expect(c.match('Η ΤΙΜΉ είναι')).toEqual(['τιμή']);
  });

  it('does not match a Latin keyword when a combining mark follows (the letter is different)', () => {
    expect(compileKeywords(['q']).match('q\u0303')).toEqual([]);
  });
});

describe('unspaced scripts', () => {
  it('matches Chinese keywords anywhere, without boundaries', () => {
    const m = compileKeywords(['发货', '优惠券']);
    expect(m.match('请问今天发货吗')).toEqual(['发货']);
    expect(m.match('有优惠券吗？什么时候发货')).toEqual(['优惠券', '发货']);
    expect(m.match('发')).toEqual([]);
  });

  it('matches Japanese, including half-width katakana in the text', () => {
    const m = compileKeywords(['セール', 'お得']);
    expect(m.match('本日ｾｰﾙ開催！とてもお得です')).toEqual(['セール', 'お得']);
  });

  it('treats Hangul like CJK so nouns with particles attached still match', () => {
    expect(compileKeywords(['가격']).match('가격이 얼마예요?')).toEqual(['가격']);
  });

  it('treats Thai like CJK', () => {
    expect(compileKeywords(['ราคา']).match('ราคาเท่าไหร่ครับ')).toEqual(['ราคา']);
  });

  it('does not end a Thai match before a combining vowel that belongs to the next character', () => {
    // "ส" followed by MAI EK (combining) is not the keyword "ส" alone.
    expect(compileKeywords(['ส']).match('ส่ง')).toEqual([]);
  });
});

describe('emoji', () => {
  it('matches emoji keywords next to each other', () => {
    expect(compileKeywords(['🔥', 'sale']).match('sale🔥🔥')).toEqual(['sale', '🔥']);
  });

  it('never matches part of a ZWJ sequence', () => {
    const m = compileKeywords(['👨', '👩', '👧', '👨‍👩']);
    expect(m.match('family 👨‍👩‍👧 photo')).toEqual([]);
    expect(m.match('👨 and 👩')).toEqual(['👨', '👩']);
  });

  it('matches a whole ZWJ sequence keyword', () => {
    expect(compileKeywords(['👨‍👩‍👧']).match('our 👨‍👩‍👧!')).toEqual(['👨‍👩‍👧']);
  });

  it('lets a base emoji match its skin-tone variants but not a longer cluster', () => {
    const m = compileKeywords(['👍', '👨']);
    expect(m.match('👍🏽')).toEqual(['👍']);
    expect(m.match('👨🏽‍💻')).toEqual([]);
  });

  it('does not split flags (regional indicator pairs)', () => {
    const m = compileKeywords(['🇺🇸', '🇺']);
    expect(m.match('🇦🇺🇸🇬')).toEqual([]);
    expect(m.match('🇦🇺 🇺🇸')).toEqual(['🇺🇸']);
  });

  it('does not match a subdivision flag base inside the full flag', () => {
    expect(compileKeywords(['🏴']).match('🏴󠁧󠁢󠁳󠁣󠁴󠁿')).toEqual([]);
  });

  it('survives lone surrogates in the text without matching half an emoji', () => {
    const m = compileKeywords(['🔥', 'a']);
    expect(m.match('\uD83D a \uDD25')).toEqual(['a']);
    expect(m.match('\uD83D🔥')).toEqual(['🔥']);
  });
});

describe('results', () => {
  it('reports overlapping keywords, ordered by first occurrence (start, then shorter)', () => {
    const m = compileKeywords(['sale', 'flash sale', 'flash', 'today']);
    expect(m.match('Flash Sale today')).toEqual(['flash', 'flash sale', 'sale', 'today']);
  });

  it('reports each keyword once with its original spelling', () => {
    const m = compileKeywords(['PriCe', 'Sale']);
    expect(m.match('sale price PRICE price sale')).toEqual(['Sale', 'PriCe']);
  });

  it('orders by the first accepted occurrence, not the first raw one', () => {
    const m = compileKeywords(['price', 'sale']);
    expect(m.match('priceless sale, price')).toEqual(['sale', 'price']);
  });

  it('keeps the first configured spelling of keywords that normalize equal', () => {
    const m = compileKeywords(['Price', 'ＰＲＩＣＥ', 'PRICE ']);
    expect(m.size).toBe(1);
    expect(m.keywords).toEqual(['Price']);
    expect(m.match('price')).toEqual(['Price']);
    expect(m.rejected).toEqual([
      { keyword: 'ＰＲＩＣＥ', reason: 'duplicate', duplicateOf: 'Price' },
      { keyword: 'PRICE ', reason: 'duplicate', duplicateOf: 'Price' },
    ]);
  });

  it('rejects blank, ill-formed, over-long and unmatchable keywords and reports why', () => {
    const m = compileKeywords(['', '   ', '\u200B', '\uD800x', 'x'.repeat(101), '\u0301a', '🏽', '👨\u200D', 'ok'], {
      maxKeywordLength: 100,
    });
    expect(m.keywords).toEqual(['ok']);
    expect(m.rejected.map((r) => r.reason)).toEqual([
      'blank',
      'blank',
      'blank',
      'ill-formed',
      'too-long',
      'starts-inside-cluster',
      'starts-inside-cluster',
      'ends-with-joiner',
    ]);
  });

  it('rejects non-string entries instead of throwing', () => {
    const m = compileKeywords([42, null, 'ok'] as unknown as string[]);
    expect(m.keywords).toEqual(['ok']);
    expect(m.rejected).toEqual([
      { keyword: '42', reason: 'not-a-string' },
      { keyword: 'null', reason: 'not-a-string' },
    ]);
  });

  it('returns nothing for an empty keyword set or non-string text', () => {
    expect(compileKeywords([]).match('anything')).toEqual([]);
    expect(compileKeywords(['a']).match(undefined as unknown as string)).toEqual([]);
  });

  it('is immutable and reusable', () => {
    const m = compileKeywords(['price']);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.keywords)).toBe(true);
    expect(m.match('price')).toEqual(['price']);
    expect(m.match('no')).toEqual([]);
    expect(m.match('price')).toEqual(['price']);
  });
});

describe('thousands of keywords', () => {
  // Deterministic keyword set: 3,000 Latin words and 3,000 two/three-character Chinese words.
  const han = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞';
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const keywords: string[] = [];
  for (let i = 0; i < 3000; i++) keywords.push(`kw${i}x`);
  for (let i = 0; i < 3000; i++) {
    const len = 2 + rand(2);
    let w = '';
    for (let j = 0; j < len; j++) w += han[rand(han.length)];
    keywords.push(w);
  }
  const m = compileKeywords(keywords);

  it('compiles thousands of keywords and finds the ones present', () => {
    expect(m.size).toBe(new Set(keywords).size);
    expect(m.match('hello KW17X and kw2999x, not kw17xy')).toEqual(['kw17x', 'kw2999x']);
  });

  it('finds every one of many keywords placed in one text', () => {
    const picked = keywords.filter((_, i) => i % 97 === 0 && i < 3000);
    expect(m.match(picked.join(' '))).toEqual(picked);
  });
});
