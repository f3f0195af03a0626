/**
 * The in-memory touches' sorted index (`src/store/touches/sorted-rows.ts`): after any mix of
 * inserts (in order, out of order, enough to split chunks) and removals, walking it from any
 * key gives exactly the rows of a sorted array from that key, and merging several lists gives
 * their union in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareRowKeys, mergeFrom, SortedRows, type RowKey } from '../src/store/touches/sorted-rows.js';

const keyArb = fc.record({ at: fc.integer({ min: 0, max: 400 }), id: fc.constantFrom('a', 'b', 'B', 'é', '😀', '～', 'z').chain((p) => fc.nat(50).map((n) => `${p}${n}`)) });

describe('SortedRows', () => {
  it('walks like a sorted array after inserts and removals, from any key (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: keyArb, remove: fc.boolean() }), { minLength: 1200, maxLength: 3000 }),
        fc.boolean(),
        keyArb,
        (ops, ascending, from) => {
          const rows = new SortedRows<RowKey>();
          const model = new Map<string, RowKey>();
          // Mostly in time order (the common case), or as generated.
          const sequence = ascending ? [...ops].sort((x, y) => x.key.at - y.key.at) : ops;
          for (const { key, remove } of sequence) {
            const k = `${key.at}|${key.id}`;
            if (remove && model.has(k)) {
              expect(rows.remove(key)).toBe(true);
              model.delete(k);
            } else if (!model.has(k)) {
              const row = { ...key };
              rows.insert(row);
              model.set(k, row);
            }
          }
          expect(rows.size).toBe(model.size);
          const sorted = [...model.values()].sort(compareRowKeys);
          expect([...rows.from({ at: -Infinity, id: '' })]).toEqual(sorted);
          expect([...rows.from(from)]).toEqual(sorted.filter((r) => compareRowKeys(r, from) >= 0));
          expect(rows.remove({ at: -1, id: 'none' })).toBe(false);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('merges several lists into one order', () => {
    const lists = [new SortedRows<RowKey>(), new SortedRows<RowKey>(), new SortedRows<RowKey>()];
    const all: RowKey[] = [];
    for (let i = 0; i < 2000; i++) {
      const row = { at: (i * 7919) % 613, id: `r${i}` };
      lists[i % 3]?.insert(row);
      all.push(row);
    }
    const from = { at: 100, id: '' };
    expect([...mergeFrom(lists, from)]).toEqual(all.sort(compareRowKeys).filter((r) => r.at >= 100));
  });
});
