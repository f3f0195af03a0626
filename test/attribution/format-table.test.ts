import { describe, expect, it } from 'vitest';
import { attribute, buildPathTable, displayWidth, formatAttributionTable } from '../../src/attribution/index.js';

describe('displayWidth', () => {
  it('counts CJK and full-width characters as 2 columns, combining marks as 0', () => {
    expect(displayWidth('tg/deals')).toBe(8);
    expect(displayWidth('团购群')).toBe(6);
    expect(displayWidth('wa/团购群')).toBe(9);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('formatAttributionTable', () => {
  const result = attribute(
    buildPathTable([
      { path: ['深圳团购群', 'tg'], conversions: 2, nulls: 1, value: 0 },
      { path: ['tg'], conversions: 1, nulls: 3, value: 0 },
    ]),
    { models: ['last_touch', 'first_touch'] },
  );

  it('aligns every row by display width, sorts by last_touch and shows first_touch minus last_touch', () => {
    const text = formatAttributionTable(result);
    const lines = text.split('\n');
    // first_touch: 深圳团购群 2, tg 1; last_touch: tg 3.
    expect(lines).toContain('channel     last_touch  first_touch      Δ');
    expect(lines).toContain('tg                3.00         1.00  -2.00');
    expect(lines).toContain('深圳团购群        0.00         2.00  +2.00');
    expect(lines).toContain('total             3.00         3.00   0.00');
    // No value recorded: no value table.
    expect(text).not.toContain('channel (value)');
  });

  it('leaves out the Δ columns when the baseline is not in the result', () => {
    const text = formatAttributionTable(result, { baseline: 'markov' });
    expect(text).not.toContain('Δ');
  });
});
