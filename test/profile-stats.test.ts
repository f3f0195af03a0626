import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combineStats,
  compactSourcePath,
  emptyStats,
  SOURCE_PATH_LIMIT,
  statsOfTouch,
  statsOfTouches,
} from '../src/profile/profile-stats.js';
import { touch } from './support/touches.js';

const G1 = { id: '-1001', title: '团购群 Deals', type: 'group' as const };
const G2 = { id: '120363000000000001@g.us', title: 'VIP', type: 'group' as const };

describe('profile statistics', () => {
  it('folds a journey into first source, counts, keywords, groups, active days and source path', () => {
    const touches = [
      touch({ kind: 'join', ref: 'j1', at: '2026-03-01T10:00:00Z', chat: G1, details: { via: 'invite_link', inviteLink: 'https://t.me/+abc', campaign: 'spring' } }),
      touch({ kind: 'keyword', ref: 'k1', at: '2026-03-01T12:00:00Z', chat: G1, details: { keywords: ['price', '发货'] } }),
      touch({ kind: 'keyword', ref: 'k2', at: '2026-03-03T09:00:00+08:00', chat: G1, details: { keywords: ['price'] } }),
      touch({ kind: 'leave', ref: 'l1', at: '2026-03-04T00:00:00Z', chat: G1 }),
      touch({ kind: 'join', ref: 'j2', at: '2026-03-05T00:00:00Z', chat: G2, platform: 'whatsapp', actor: { userId: 'wa-hash' } }),
      touch({ kind: 'dm_start', ref: 'd1', at: '2026-03-06T00:00:00Z', chat: { id: '101', type: 'private' }, details: { payload: 'vip', campaign: 'vip' } }),
    ];
    const s = statsOfTouches(touches);
    expect(s.touchCount).toBe(6);
    expect(s.firstSeenAt).toBe('2026-03-01T10:00:00.000Z');
    expect(s.firstSource).toEqual({ platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals', campaign: 'spring' });
    expect(s.lastActiveAt).toBe('2026-03-06T00:00:00.000Z');
    expect(s.counts).toEqual({ join: 2, message: 2, leave: 1, dm_start: 1 });
    expect(s.keywords).toEqual([
      { keyword: 'price', count: 2 },
      { keyword: '发货', count: 1 },
    ]);
    // 2026-03-03T09:00+08:00 is 01:00 UTC on the 3rd.
    expect(s.activeDays).toEqual(['2026-03-01', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06']);
    expect(s.groups).toEqual([
      { platform: 'telegram', chatId: '-1001', chatTitle: '团购群 Deals', chatTitleAt: '2026-03-04T00:00:00.000Z', joins: 1, leaves: 1, firstJoinedAt: '2026-03-01T10:00:00.000Z', lastJoinedAt: '2026-03-01T10:00:00.000Z', lastLeftAt: '2026-03-04T00:00:00.000Z', lastActiveAt: '2026-03-04T00:00:00.000Z' },
      { platform: 'whatsapp', chatId: '120363000000000001@g.us', chatTitle: 'VIP', chatTitleAt: '2026-03-05T00:00:00.000Z', joins: 1, leaves: 0, firstJoinedAt: '2026-03-05T00:00:00.000Z', lastJoinedAt: '2026-03-05T00:00:00.000Z', lastActiveAt: '2026-03-05T00:00:00.000Z' },
    ]);
    expect(s.sourcePath.map((x) => [x.kind, x.chatId, x.campaign])).toEqual([
      ['join', '-1001', 'spring'],
      ['join', '120363000000000001@g.us', undefined],
      ['dm_start', '101', 'vip'],
    ]);
  });

  it('keeps the last source steps when the path is longer than the limit, counting the dropped ones', () => {
    const touches = Array.from({ length: SOURCE_PATH_LIMIT + 5 }, (_, i) =>
      touch({ kind: 'join', ref: `j${i}`, at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString() }),
    );
    const s = statsOfTouches(touches.reverse());
    expect(s.sourcePath).toHaveLength(SOURCE_PATH_LIMIT);
    expect(s.sourcePathDropped).toBe(5);
    expect(s.sourcePath[0]?.at).toBe(new Date(Date.UTC(2026, 0, 1) + 5 * 60_000).toISOString());
    expect(s.firstSeenAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('compacts consecutive steps from the same place', () => {
    const s = statsOfTouches([
      touch({ kind: 'join', ref: 'a', at: '2026-01-01T00:00:00Z' }),
      touch({ kind: 'join', ref: 'b', at: '2026-01-02T00:00:00Z' }),
      touch({ kind: 'join', ref: 'c', at: '2026-01-03T00:00:00Z', chat: G2 }),
      touch({ kind: 'join', ref: 'd', at: '2026-01-04T00:00:00Z' }),
    ]);
    expect(compactSourcePath(s.sourcePath).map((x) => x.chatId)).toEqual(['-1001', G2.id, '-1001']);
  });

  it('is a commutative monoid: any order and any grouping give the same statistics', () => {
    const kinds = ['join', 'leave', 'keyword', 'mention', 'message', 'dm_start'] as const;
    // A group renamed, and seen without a title (WhatsApp may not give one), at tied times.
    const chats = [G1, G2, { ...G1, title: '团购群 renamed' }, { id: G1.id, type: 'group' as const }, { id: G2.id, type: 'group' as const }];
    const arbTouch = fc.record({
      kind: fc.constantFrom(...kinds),
      n: fc.integer({ min: 0, max: 1_000_000 }),
      minute: fc.integer({ min: 0, max: 60 * 24 * 20 }).map((m) => m - (m % 240)),
      chat: fc.constantFrom(...chats),
      kw: fc.subarray(['price', '发货', 'sale'], { minLength: 1 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbTouch, { selector: (t) => t.n, maxLength: 25 }), fc.integer(), (specs, seed) => {
        const ts = specs.map((t) =>
          touch({
            kind: t.kind,
            ref: String(t.n),
            at: new Date(Date.UTC(2026, 0, 1) + t.minute * 60_000).toISOString(),
            chat: t.chat,
            ...(t.kind === 'keyword' ? { details: { keywords: t.kw } } : {}),
          }),
        );
        const forward = statsOfTouches(ts);
        const shuffled = [...ts].sort((a, b) => ((a.id + seed) < (b.id + seed) ? -1 : 1));
        expect(statsOfTouches(shuffled)).toEqual(forward);
        const cut = Math.abs(seed) % (ts.length + 1);
        expect(combineStats(statsOfTouches(ts.slice(cut)), statsOfTouches(ts.slice(0, cut)))).toEqual(forward);
        expect(combineStats(forward, emptyStats())).toEqual(forward);
      }),
    );
  });

  it('keeps the title seen last for a group, whatever order and whether later touches carry one', () => {
    const at = (h: number): string => `2026-03-0${h}T00:00:00Z`;
    const untitled = { id: G1.id, type: 'group' as const };
    const ts = [
      touch({ kind: 'message', ref: 'a', at: at(1), chat: { ...G1, title: 'Old name' } }),
      touch({ kind: 'message', ref: 'b', at: at(2), chat: untitled }),
      touch({ kind: 'message', ref: 'c', at: at(2), chat: { ...G1, title: 'A name' } }),
      touch({ kind: 'message', ref: 'd', at: at(3), chat: untitled }),
    ];
    for (const order of [ts, [...ts].reverse(), [ts[1], ts[3], ts[0], ts[2]] as typeof ts]) {
      const [g] = statsOfTouches(order).groups;
      expect(g).toMatchObject({ chatTitle: 'A name', chatTitleAt: '2026-03-02T00:00:00.000Z', lastActiveAt: '2026-03-03T00:00:00.000Z' });
    }
    // Grouped differently: (untitled at 2, titled at 2) first, then the earlier titled one.
    expect(combineStats(statsOfTouches([ts[1], ts[2]] as typeof ts), statsOfTouches([ts[0], ts[3]] as typeof ts))).toEqual(statsOfTouches(ts));
  });

  it('keeps private chats and web out of the group list', () => {
    const s = statsOfTouch(touch({ kind: 'dm_start', ref: 'x', at: '2026-01-01T00:00:00Z', chat: { id: '101', type: 'private' } }));
    expect(s.groups).toEqual([]);
  });
});
