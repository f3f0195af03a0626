/**
 * The stored shape of profile statistics (`src/store/profiles/stats-doc.ts`), without a
 * database: the MongoDB update the adapter sends for one touch (`opsOfDelta` →
 * `mongoUpdateOfOps`), run with MongoDB's semantics of each operator (`applyOps`), and the
 * in-memory adapter's `applyDelta`, both build, one touch at a time in any order, exactly the
 * statistics `statsOfTouches` folds. The store contract checks the same against a MongoDB
 * server when one is reachable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaOfTouch, emptyStats, SOURCE_PATH_LIMIT, statsOfTouches } from '../src/profile/profile-stats.js';
import {
  applyDelta,
  applyOps,
  decodeKey,
  encodeKey,
  mongoUpdateOfOps,
  opsOfDelta,
  statsOfStored,
  storedOfStats,
} from '../src/store/profiles/stats-doc.js';
import type { TouchEvent } from '../src/touch-event.js';
import { touch } from './support/touches.js';

const CHATS: Array<TouchEvent['chat']> = [
  { id: '-1001', title: '团购群 Deals', type: 'group' },
  { id: '-1001', title: 'renamed', type: 'group' },
  { id: '-1001', type: 'group' },
  { id: 'g.$%~1', title: 'dots.and$', type: 'channel' },
  { id: '101', type: 'private' },
  { id: 'landing', type: 'web' },
];

const journeyArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom('join', 'leave', 'message', 'dm_start', 'link_click', 'keyword') as fc.Arbitrary<'join' | 'leave' | 'message' | 'dm_start' | 'link_click' | 'keyword'>,
      minute: fc.integer({ min: 0, max: 10_000 }).map((m) => m - (m % 500)),
      chat: fc.constantFrom(...CHATS),
      keywords: fc.subarray(['price', 'a.b', '$x', '%2E', '__proto__', 'constructor', '发货'], { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((specs) =>
    specs.map((x, n) =>
      touch({
        kind: x.kind,
        ref: `r${n}`,
        at: new Date(Date.UTC(2026, 2, 1) + x.minute * 60_000).toISOString(),
        chat: x.chat,
        ...(x.kind === 'keyword' ? { details: { keywords: x.keywords } } : {}),
        ...(x.kind === 'join' ? { details: { via: 'invite_link', campaign: `c.${n % 3}` } } : {}),
      }),
    ),
  );

describe('stored profile statistics', () => {
  it('the MongoDB update of each touch and the in-memory update both fold to statsOfTouches, in any order (property)', () => {
    fc.assert(
      fc.property(journeyArb, fc.integer(), (touches, seed) => {
        const order = [...touches].sort((a, b) => ((a.id + seed) < (b.id + seed) ? -1 : 1));
        const viaMongo = storedOfStats(emptyStats());
        const viaMemory = storedOfStats(emptyStats());
        for (const t of order) {
          applyOps(viaMongo, opsOfDelta(deltaOfTouch(t)));
          applyDelta(viaMemory, deltaOfTouch(t));
        }
        const expected = statsOfTouches(touches);
        expect(statsOfStored(viaMongo)).toStrictEqual(expected);
        expect(statsOfStored(viaMemory)).toStrictEqual(expected);
        // And the stored form of the folded statistics reads back as them.
        expect(statsOfStored(storedOfStats(expected))).toStrictEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the last source steps, sorted, whatever order they arrive in', () => {
    const joins = Array.from({ length: SOURCE_PATH_LIMIT + 7 }, (_, i) => touch({ kind: 'join', ref: `j${i}`, at: new Date(Date.UTC(2026, 0, 1) + (i % 50) * 60_000).toISOString() }));
    const stored = storedOfStats(emptyStats());
    for (const t of [...joins].reverse()) applyDelta(stored, deltaOfTouch(t));
    expect(stored.sourcePath).toHaveLength(SOURCE_PATH_LIMIT);
    expect(statsOfStored(stored)).toStrictEqual(statsOfTouches(joins));
  });

  it('one touch is one update document: no path written twice, keys escaped, the source path pushed sorted and cut', () => {
    const t = touch({ kind: 'join', ref: 'j', at: '2026-03-01T00:00:00Z', chat: { id: 'g.1', title: 'T', type: 'group' }, details: { via: 'public' } });
    const update = mongoUpdateOfOps(opsOfDelta(deltaOfTouch(t)), 'stats');
    const paths = Object.values(update).flatMap((fields) => Object.keys(fields));
    expect(new Set(paths).size).toBe(paths.length);
    // No path addresses a field through a prefix another path writes whole.
    for (const p of paths) for (const q of paths) if (p !== q) expect(q.startsWith(`${p}.`)).toBe(false);
    expect(Object.keys(update).sort()).toEqual(['$addToSet', '$inc', '$max', '$min', '$push', '$set']);
    expect(paths).toContain('stats.groups.~telegram|g%2E1.joins');
    expect(update.$push?.['stats.sourcePath']).toMatchObject({ $sort: { at: 1, touchId: 1 }, $slice: -SOURCE_PATH_LIMIT });
  });

  it('escapes map keys reversibly, never to a JavaScript prototype name or a MongoDB operator', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (s) => {
        const key = encodeKey(s);
        expect(decodeKey(key)).toBe(s);
        expect(key).not.toMatch(/[.$\u0000]/);
        expect(key.startsWith('~')).toBe(true);
        expect(Object.hasOwn(Object.prototype, key)).toBe(false);
      }),
    );
    expect(encodeKey('__proto__')).toBe('~__proto__');
    expect(encodeKey('a.b$%')).toBe('~a%2Eb%24%25');
  });
});
