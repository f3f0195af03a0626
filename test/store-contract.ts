/**
 * The store contract: the behaviour every `Store` adapter must have, as one `describe`
 * suite. `test/store.test.ts` runs it on the in-memory adapter always and on MongoDB
 * when one is reachable, so the memory double cannot drift from what users run.
 *
 * Each test gets a fresh, empty store from `makeStore` (already `init()`ed) and closes
 * it afterwards, then calls `cleanup` (e.g. to drop the test database).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identifierKey, type Identifier } from '../src/identity/identifier.js';
import { deltaOfTouch, statsOfTouches } from '../src/profile/profile-stats.js';
import type { Profile, Store, StoredTouch, TouchQuery } from '../src/store/store.js';
import { touchEventSchema, type TouchEvent, type TouchKind } from '../src/touch-event.js';

/** Options of {@link storeContract}. */
export interface StoreContractOptions {
  /** When set, the suite is listed as skipped with this reason in its title. */
  skipReason?: string;
}

const A = 'a';
const B = 'b';
const GROUP = { id: '-1001234567890', title: '团购群 Deals', type: 'group' as const };
const WA_GROUP = { id: '120363000000000001@g.us', title: '品牌粉丝群 v2.0', type: 'group' as const };

type Kind = TouchEvent['kind'];
const DEFAULT_DETAILS: Record<Kind, Record<string, unknown>> = {
  join: { via: 'public' },
  leave: { via: 'left' },
  link_click: { code: 'abc', clickId: 'c1' },
  dm_start: { payload: 'spring' },
  message: {},
};

interface TouchSpec {
  id: string;
  at: string;
  kind?: Kind;
  workspace?: string;
  profileId?: string | null;
  applied?: boolean;
  chat?: TouchEvent['chat'];
  actor?: TouchEvent['actor'];
  platform?: TouchEvent['platform'];
  details?: Record<string, unknown>;
}

/** A valid stored touch (parsed by the real schema), message kind unless told. */
export function touch(spec: TouchSpec): StoredTouch {
  const kind = spec.kind ?? 'message';
  const event = touchEventSchema.parse({
    id: spec.id,
    workspace: spec.workspace ?? A,
    platform: spec.platform ?? 'telegram',
    account: 'bot1',
    chat: spec.chat ?? GROUP,
    actor: spec.actor ?? { userId: '101' },
    kind,
    details: spec.details ?? DEFAULT_DETAILS[kind],
    occurredAt: spec.at,
  });
  return { ...event, profileId: spec.profileId === undefined ? null : spec.profileId, applied: spec.applied ?? false };
}

/** The form a store returns a touch in: occurredAt as canonical UTC `toISOString()`. */
function canonical(t: StoredTouch): StoredTouch {
  return { ...t, occurredAt: new Date(t.occurredAt).toISOString() };
}

const ids = (list: readonly StoredTouch[]): string[] => list.map((t) => t.id);

/** MongoDB's string order (binary UTF-8), written independently of the adapters. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One touch of every kind, with the optional fields filled in. */
export function touchesOfEveryKind(workspace: string): StoredTouch[] {
  const at = (h: number): string => `2026-03-01T${String(h).padStart(2, '0')}:00:00.000Z`;
  return [
    touch({ workspace, id: 'k-join', at: at(1), kind: 'join', profileId: 'p1', details: { via: 'invite_link', inviteLink: 'https://t.me/+AbC.d$e', campaign: 'spring.2026', addedBy: '77' } }),
    touch({ workspace, id: 'k-join-wa', at: at(2), kind: 'join', platform: 'whatsapp', chat: WA_GROUP, actor: { userId: 'wa:hash', phoneHash: 'ph:hash' }, details: { via: 'added', addedBy: 'wa:admin' } }),
    touch({ workspace, id: 'k-leave', at: at(3), kind: 'leave', applied: true, details: { via: 'removed', removedBy: '88' } }),
    touch({ workspace, id: 'k-keyword', at: at(4), kind: 'message', details: { keywords: ['v2.0', '价格', 'a.b$c'] } }),
    touch({ workspace, id: 'k-mention', at: at(5), kind: 'message', details: { mentioned: ['shopbot', 'alice'] } }),
    touch({ workspace, id: 'k-link-posted', at: at(6), kind: 'message', details: { keywords: ['包邮'], mentioned: ['bob'], urls: ['https://shop.example.com/p?a=1&b=2', 'https://x.example/$y.z'] } }),
    touch({ workspace, id: 'k-link-click', at: at(7), kind: 'link_click', platform: 'web', chat: { id: 'spring-landing', type: 'web' }, actor: { profileId: 'p9' }, details: { code: 'abc', clickId: 'clk-1', campaign: 'spring' } }),
    touch({ workspace, id: 'k-dm-start', at: at(8), kind: 'dm_start', chat: { id: '101', type: 'private' }, actor: { userId: '101', username: 'alice' }, details: { payload: 'vip', campaign: 'vip' } }),
    touch({ workspace, id: 'k-message', at: at(9), kind: 'message', chat: { id: '-1009', type: 'channel' }, actor: {} }),
  ];
}

/** A profile with non-trivial stats: Chinese titles, dotted group ids and keywords, a source path. */
export function richProfile(workspace: string, id: string, usernames: string[] = ['alice', 'alice_old']): Profile {
  const journey = touchesOfEveryKind(workspace);
  return {
    id,
    workspace,
    identifiers: [
      { type: 'email', value: 'h:email' },
      { type: 'tg_id', value: '101' },
      { type: 'wa_id', value: 'h:wa.1' },
    ],
    usernames,
    stats: statsOfTouches(journey),
    createdAt: '2026-03-01T01:00:00.000Z',
    updatedAt: '2026-03-01T09:00:00.000Z',
  };
}

export function plainProfile(workspace: string, id: string, usernames: string[] = []): Profile {
  return {
    id,
    workspace,
    identifiers: [],
    usernames,
    stats: statsOfTouches([]),
    createdAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
  };
}

/** Chats a journey moves through: a group renamed, a group without a title, a dotted id, a private chat, the web. */
const JOURNEY_CHATS: Array<TouchEvent['chat']> = [
  { id: '-1001', title: '团购群 Deals', type: 'group' },
  { id: '-1001', title: '团购群 renamed', type: 'group' },
  { id: '-1001', type: 'group' },
  { id: '120363000000000001@g.us', title: 'VIP v2.0', type: 'group' },
  { id: 'g.$1', title: 'b', type: 'channel' },
  { id: '101', type: 'private' },
  { id: 'landing', type: 'web' },
];

/**
 * Touch `n` of one person's journey: `kind` at minute `minute` (ties are meant), in chat
 * `chat` of {@link JOURNEY_CHATS}, with optional message facets.
 */
function journeyTouch(n: number, kind: Kind, minute: number, chat: number, extra: { keywords?: string[]; chat?: TouchEvent['chat'] } = {}): TouchEvent {
  const details: Record<Kind, Record<string, unknown>> = {
    join: { via: 'invite_link', campaign: `camp.${n % 2}` },
    leave: { via: 'left' },
    message: extra.keywords ? { keywords: extra.keywords } : {},
    dm_start: { payload: 'x', campaign: 'vip' },
    link_click: { code: 'abc', clickId: `c${n}`, campaign: 'spring' },
  };
  return touchEventSchema.parse({
    id: `t${String(n).padStart(3, '0')}`,
    workspace: A,
    platform: 'telegram',
    account: 'bot1',
    chat: extra.chat ?? JOURNEY_CHATS[chat % JOURNEY_CHATS.length],
    actor: { userId: '101' },
    kind,
    details: details[kind],
    occurredAt: new Date(Date.UTC(2026, 2, 1) + minute * 60_000).toISOString(),
  });
}

/** A person's journey (up to 30 touches, tied times, renamed and untitled groups, odd keywords) and an arrival order. */
const journeyArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom<Kind>('join', 'leave', 'message', 'message', 'dm_start', 'link_click'),
      minute: fc.integer({ min: 0, max: 6 * 24 * 60 }).map((m) => m - (m % 120)),
      chat: fc.integer({ min: 0, max: JOURNEY_CHATS.length - 1 }),
      keywords: fc.option(fc.subarray(['price', '发货', 'a.b', '$x', '__proto__', '~k'], { minLength: 1 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .chain((specs) => {
    const touches = specs.map((x, n) => journeyTouch(n, x.kind, x.minute, x.chat, x.keywords ? { keywords: x.keywords } : {}));
    return fc.shuffledSubarray(touches.map((_, i) => i), { minLength: touches.length, maxLength: touches.length }).map((order) => ({ touches, order }));
  });

const tg = (value: string): Identifier => ({ type: 'tg_id', value });
const email = (value: string): Identifier => ({ type: 'email', value });

/**
 * Defines the contract suite for one adapter.
 * @param name adapter name, shown in the suite title; also the expected `store.kind`.
 * @param makeStore returns a fresh, empty, initialized store.
 * @param cleanup runs after each test, once the store is closed.
 */
export function storeContract(
  name: Store['kind'],
  makeStore: () => Promise<Store>,
  cleanup?: (store: Store) => Promise<void>,
  options: StoreContractOptions = {},
): void {
  const title = options.skipReason ? `store contract: ${name} (skipped: ${options.skipReason})` : `store contract: ${name}`;

  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
    /** The store of the running test, if makeStore() succeeded. */
    let made: Store | undefined;

    beforeEach(async () => {
      made = undefined;
      store = made = await makeStore();
    });

    afterEach(async () => {
      if (!made) return;
      await made.close();
      await cleanup?.(made);
    });

    describe('lifecycle', () => {
      it('reports its kind, init() is idempotent and ping() resolves', async () => {
        expect(store.kind).toBe(name);
        await store.init();
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.touches.count(A)).toBe(0);
      });

      it('close() is safe to call twice; the closed store rejects calls', async () => {
        await store.close();
        await store.close();
        await expect(store.ping()).rejects.toThrow(/closed/);
        await expect(store.touches.count(A)).rejects.toThrow(/closed/);
        await expect(store.profiles.get(A, 'p1')).rejects.toThrow(/closed/);
      });
    });

    describe('touches', () => {
      it('insert stores a touch once: inserted, then duplicate, and the first body stays', async () => {
        const first = touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1' });
        const second = touch({ id: 't1', at: '2026-03-02T10:00:00Z', kind: 'join', profileId: 'p2', applied: true });
        expect(await store.touches.insert(A, first)).toBe('inserted');
        expect(await store.touches.insert(A, second)).toBe('duplicate');
        expect(await store.touches.get(A, 't1')).toStrictEqual(canonical(first));
        expect(await store.touches.count(A)).toBe(1);
      });

      it('get returns null for an unknown id', async () => {
        expect(await store.touches.get(A, 'nope')).toBeNull();
      });

      it('insertMany counts new touches and duplicates, within the batch and against stored ones', async () => {
        expect(await store.touches.insertMany(A, [])).toEqual({ inserted: 0, duplicates: 0 });
        const t1 = touch({ id: 't1', at: '2026-03-01T10:00:00Z' });
        const t2 = touch({ id: 't2', at: '2026-03-01T11:00:00Z' });
        const t3 = touch({ id: 't3', at: '2026-03-01T12:00:00Z' });
        expect(await store.touches.insertMany(A, [t1])).toEqual({ inserted: 1, duplicates: 0 });
        const t1Changed = touch({ id: 't1', at: '2026-03-09T10:00:00Z', profileId: 'p9' });
        // t1 is stored already; t2 comes twice in the batch.
        expect(await store.touches.insertMany(A, [t2, t1Changed, t3, t2])).toEqual({ inserted: 2, duplicates: 2 });
        expect(await store.touches.count(A)).toBe(3);
        expect(await store.touches.get(A, 't1')).toStrictEqual(canonical(t1));
        expect(ids(await store.touches.list(A, {}))).toEqual(['t1', 't2', 't3']);
        expect(await store.touches.insertMany(A, [t1, t2, t3])).toEqual({ inserted: 0, duplicates: 3 });
      });

      it('rejects a touch written through another workspace than its own, and writes nothing of that batch', async () => {
        const other = touch({ id: 't1', at: '2026-03-01T10:00:00Z', workspace: B });
        await expect(store.touches.insert(A, other)).rejects.toThrow(/workspace/);
        const mine = touch({ id: 't2', at: '2026-03-01T10:00:00Z' });
        await expect(store.touches.insertMany(A, [mine, other])).rejects.toThrow(/workspace/);
        expect(await store.touches.count(A)).toBe(0);
        expect(await store.touches.count(B)).toBe(0);
      });

      it('returns occurredAt as canonical UTC text, whatever offset it was written with', async () => {
        await store.touches.insert(A, touch({ id: 't1', at: '2026-03-01T10:00:00+08:00' }));
        await store.touches.insert(A, touch({ id: 't2', at: '2026-03-01T10:00:00Z' }));
        await store.touches.insert(A, touch({ id: 't3', at: '2026-03-01T10:00:00.5-02:30' }));
        expect((await store.touches.get(A, 't1'))?.occurredAt).toBe('2026-03-01T02:00:00.000Z');
        expect((await store.touches.get(A, 't2'))?.occurredAt).toBe('2026-03-01T10:00:00.000Z');
        expect((await store.touches.get(A, 't3'))?.occurredAt).toBe('2026-03-01T12:30:00.500Z');
      });

      it('lists by occurredAt instant then id, whatever the insert order and offsets', async () => {
        const batch = [
          touch({ id: 'e', at: '2026-03-01T12:00:00Z' }),
          touch({ id: 'c', at: '2026-03-01T10:00:00Z' }),
          // 18:00+08:00 is 10:00Z: ties with c and a, ordered by id.
          touch({ id: 'a', at: '2026-03-01T18:00:00+08:00' }),
          // 10:00+08:00 is 02:00Z: the earliest, though its text sorts late.
          touch({ id: 'z', at: '2026-03-01T10:00:00+08:00' }),
          touch({ id: 'b', at: '2026-03-01T10:00:00.000Z' }),
          touch({ id: 'd', at: '2026-03-01T05:00:00-05:00' }),
        ];
        for (const t of batch) await store.touches.insert(A, t);
        expect(ids(await store.touches.list(A, {}))).toEqual(['z', 'a', 'b', 'c', 'd', 'e']);
      });

      it('breaks time ties by id in code-point order (MongoDB binary string order)', async () => {
        const at = '2026-03-01T10:00:00Z';
        const tied = ['b', 'B', 'a1', 'a', '～', '😀', 'é', '_'];
        await store.touches.insertMany(A, tied.map((id) => touch({ id, at })));
        expect(ids(await store.touches.list(A, {}))).toEqual([...tied].sort(compareUtf8));
        expect(ids(await store.touches.list(A, {}))).toEqual(['B', '_', 'a', 'a1', 'b', 'é', '～', '😀']);
      });

      it('filters by profileId, chatId, kinds, from (inclusive) and to (exclusive)', async () => {
        const chat2 = { id: '120363000000000001@g.us', type: 'group' as const };
        await store.touches.insertMany(A, [
          touch({ id: 't1', at: '2026-03-01T09:00:00Z', profileId: 'p1' }),
          touch({ id: 't2', at: '2026-03-01T10:00:00Z', profileId: 'p1', kind: 'dm_start', chat: { id: '101', type: 'private' } }),
          touch({ id: 't3', at: '2026-03-01T11:00:00Z', profileId: 'p2', chat: chat2 }),
          touch({ id: 't4', at: '2026-03-01T12:00:00Z', profileId: null, kind: 'join', chat: chat2 }),
          touch({ id: 't5', at: '2026-03-01T13:00:00Z', profileId: 'p1', kind: 'join', chat: chat2 }),
        ]);
        const list = async (q: TouchQuery): Promise<string[]> => ids(await store.touches.list(A, q));
        expect(await list({ profileId: 'p1' })).toEqual(['t1', 't2', 't5']);
        expect(await list({ profileId: 'p3' })).toEqual([]);
        expect(await list({ chatId: chat2.id })).toEqual(['t3', 't4', 't5']);
        expect(await list({ kinds: ['join', 'dm_start'] })).toEqual(['t2', 't4', 't5']);
        expect(await list({ kinds: [] })).toEqual([]);
        expect(await list({ from: '2026-03-01T10:00:00Z' })).toEqual(['t2', 't3', 't4', 't5']);
        expect(await list({ to: '2026-03-01T12:00:00Z' })).toEqual(['t1', 't2', 't3']);
        // Bounds with offsets compare by instant: 18:00+08:00 = 10:00Z, 07:00-05:00 = 12:00Z.
        expect(await list({ from: '2026-03-01T18:00:00+08:00', to: '2026-03-01T07:00:00-05:00' })).toEqual(['t2', 't3']);
        expect(await list({ from: '2026-03-01T10:00:00.001Z', to: '2026-03-01T10:00:00.001Z' })).toEqual([]);
        expect(await list({ profileId: 'p1', chatId: chat2.id, kinds: ['join'], from: '2026-03-01T13:00:00Z' })).toEqual(['t5']);
      });

      it('applies limit after ordering; limit 0 is no rows; bad limits and times reject', async () => {
        await store.touches.insertMany(A, [
          touch({ id: 't3', at: '2026-03-01T12:00:00Z' }),
          touch({ id: 't1', at: '2026-03-01T10:00:00Z' }),
          touch({ id: 't2', at: '2026-03-01T11:00:00Z' }),
        ]);
        expect(ids(await store.touches.list(A, { limit: 2 }))).toEqual(['t1', 't2']);
        expect(ids(await store.touches.list(A, { limit: 2, from: '2026-03-01T11:00:00Z' }))).toEqual(['t2', 't3']);
        expect(await store.touches.list(A, { limit: 0 })).toEqual([]);
        await expect(store.touches.list(A, { limit: -1 })).rejects.toThrow(RangeError);
        await expect(store.touches.list(A, { limit: 1.5 })).rejects.toThrow(RangeError);
        await expect(store.touches.list(A, { from: 'yesterday' })).rejects.toThrow(RangeError);
        await expect(store.touches.insert(A, { ...touch({ id: 'bad', at: '2026-03-01T10:00:00Z' }), occurredAt: 'soon' })).rejects.toThrow(RangeError);
      });

      it('returns at most 10,000 touches by default, the earliest ones', async () => {
        const base = Date.parse('2026-03-01T00:00:00Z');
        const many = Array.from({ length: 10_001 }, (_, i) => touch({ id: `t${String(i).padStart(5, '0')}`, at: new Date(base + i * 1000).toISOString() }));
        // Insert newest first, so the default limit must pick by order, not by insert order.
        expect(await store.touches.insertMany(A, [...many].reverse())).toEqual({ inserted: 10_001, duplicates: 0 });
        const listed = await store.touches.list(A, {});
        expect(listed).toHaveLength(10_000);
        expect(listed[0]?.id).toBe('t00000');
        expect(listed.at(-1)?.id).toBe('t09999');
        expect(await store.touches.count(A)).toBe(10_001);
      });

      it('markApplied sets applied on that touch only; an unknown id is a no-op', async () => {
        await store.touches.insertMany(A, [touch({ id: 't1', at: '2026-03-01T10:00:00Z' }), touch({ id: 't2', at: '2026-03-01T11:00:00Z' })]);
        await store.touches.markApplied(A, 't1');
        await store.touches.markApplied(A, 't1');
        await store.touches.markApplied(A, 'nope');
        expect((await store.touches.get(A, 't1'))?.applied).toBe(true);
        expect((await store.touches.get(A, 't2'))?.applied).toBe(false);
        expect(await store.touches.count(A)).toBe(2);
      });

      it('insertEach answers per touch in order: inserted, or duplicate of a stored touch or of one earlier in the batch', async () => {
        await store.touches.insert(A, touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1' }));
        const batch = [
          touch({ id: 't2', at: '2026-03-01T11:00:00Z', profileId: 'p1' }),
          touch({ id: 't1', at: '2026-03-05T00:00:00Z', profileId: 'p9' }),
          touch({ id: 't3', at: '2026-03-01T09:00:00+08:00' }),
          touch({ id: 't2', at: '2026-03-09T00:00:00Z', profileId: 'p9' }),
        ];
        expect(await store.touches.insertEach(A, batch)).toEqual(['inserted', 'duplicate', 'inserted', 'duplicate']);
        // The first write of an id wins, in the store and within the batch.
        expect((await store.touches.get(A, 't1'))?.profileId).toBe('p1');
        expect((await store.touches.get(A, 't2'))?.occurredAt).toBe('2026-03-01T11:00:00.000Z');
        expect(ids(await store.touches.list(A, {}))).toEqual(['t3', 't1', 't2']);
        expect(await store.touches.insertEach(A, [])).toEqual([]);
        // A bad touch rejects the batch before anything is written.
        await expect(store.touches.insertEach(A, [touch({ id: 't4', at: '2026-03-01T12:00:00Z' }), touch({ id: 't5', at: '2026-03-01T12:00:00Z', workspace: B })])).rejects.toThrow(/workspace/);
        expect(await store.touches.get(A, 't4')).toBeNull();
      });

      it('markAppliedMany marks the touches named, in one call; unknown ids are skipped', async () => {
        await store.touches.insertMany(A, ['t1', 't2', 't3'].map((id, i) => touch({ id, at: `2026-03-01T1${i}:00:00Z` })));
        await store.touches.markAppliedMany(A, ['t1', 't3', 't3', 'nope']);
        await store.touches.markAppliedMany(A, []);
        expect((await store.touches.list(A, {})).map((t) => [t.id, t.applied])).toEqual([
          ['t1', true],
          ['t2', false],
          ['t3', true],
        ]);
      });

      it('assign moves one touch to a profile or makes it anonymous; false for an unknown id', async () => {
        await store.touches.insertMany(A, [touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1' }), touch({ id: 't2', at: '2026-03-01T11:00:00Z', profileId: 'p1', applied: true })]);
        expect(await store.touches.assign(A, 't2', 'p2')).toBe(true);
        expect(ids(await store.touches.list(A, { profileId: 'p1' }))).toEqual(['t1']);
        expect(ids(await store.touches.list(A, { profileId: 'p2' }))).toEqual(['t2']);
        expect((await store.touches.get(A, 't2'))?.applied).toBe(true);
        expect(await store.touches.assign(A, 't1', null)).toBe(true);
        expect(await store.touches.list(A, { profileId: 'p1' })).toEqual([]);
        expect((await store.touches.get(A, 't1'))?.profileId).toBeNull();
        expect(await store.touches.assign(A, 'nope', 'p1')).toBe(false);
        expect(await store.touches.assign(B, 't1', 'p1')).toBe(false);
      });

      it('reassign moves every touch of one profile to another and returns how many moved', async () => {
        await store.touches.insertMany(A, [
          touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1' }),
          touch({ id: 't2', at: '2026-03-01T11:00:00Z', profileId: 'p2' }),
          touch({ id: 't3', at: '2026-03-01T12:00:00Z', profileId: 'p1', applied: true }),
          touch({ id: 't4', at: '2026-03-01T13:00:00Z', profileId: null }),
        ]);
        expect(await store.touches.reassign(A, 'p1', 'p2')).toBe(2);
        expect(ids(await store.touches.list(A, { profileId: 'p2' }))).toEqual(['t1', 't2', 't3']);
        expect(await store.touches.list(A, { profileId: 'p1' })).toEqual([]);
        expect((await store.touches.get(A, 't3'))?.applied).toBe(true);
        expect((await store.touches.get(A, 't4'))?.profileId).toBeNull();
        expect(await store.touches.reassign(A, 'p1', 'p2')).toBe(0);
        expect(await store.touches.reassign(A, 'p2', 'p2')).toBe(0);
        expect(ids(await store.touches.list(A, { profileId: 'p2' }))).toEqual(['t1', 't2', 't3']);
      });

      it('deleteByProfile erases every touch of one profile, in that workspace only, and returns how many', async () => {
        await store.touches.insertMany(A, [
          touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1' }),
          touch({ id: 't2', at: '2026-03-01T11:00:00Z', profileId: 'p2' }),
          touch({ id: 't3', at: '2026-03-01T12:00:00Z', profileId: 'p1', applied: true }),
          touch({ id: 't4', at: '2026-03-01T13:00:00Z', profileId: null }),
        ]);
        await store.touches.insert(B, touch({ id: 't1', workspace: B, at: '2026-03-01T10:00:00Z', profileId: 'p1' }));
        expect(await store.touches.deleteByProfile(A, 'p1')).toBe(2);
        expect(ids(await store.touches.list(A, {}))).toEqual(['t2', 't4']);
        expect(await store.touches.get(A, 't1')).toBeNull();
        expect(await store.touches.deleteByProfile(A, 'p1')).toBe(0);
        expect(ids(await store.touches.list(B, {}))).toEqual(['t1']);
        // An erased id can be written again (a later, new event).
        expect(await store.touches.insert(A, touch({ id: 't1', at: '2026-03-02T10:00:00Z', profileId: 'p9' }))).toBe('inserted');
      });

      it('deleteBefore deletes the touches that occurred before an instant (retention), in that workspace only', async () => {
        await store.touches.insertMany(A, [
          touch({ id: 't1', at: '2026-03-01T09:59:59.999Z', profileId: 'p1' }),
          touch({ id: 't2', at: '2026-03-01T18:00:00+08:00', profileId: null }),
          touch({ id: 't3', at: '2026-03-01T10:00:00.001Z', profileId: 'p2' }),
          touch({ id: 't4', at: '2026-03-02T10:00:00Z', profileId: 'p1' }),
        ]);
        await store.touches.insert(B, touch({ id: 't1', workspace: B, at: '2026-03-01T09:00:00Z', profileId: 'p1' }));
        // t2 is 10:00:00Z exactly: not before the cutoff, kept.
        expect(await store.touches.deleteBefore(A, '2026-03-01T10:00:00Z')).toBe(1);
        expect(ids(await store.touches.list(A, {}))).toEqual(['t2', 't3', 't4']);
        expect(ids(await store.touches.list(A, { profileId: 'p1' }))).toEqual(['t4']);
        expect(await store.touches.deleteBefore(A, '2026-03-02T00:00:00Z')).toBe(2);
        expect(await store.touches.deleteBefore(A, '2026-03-02T00:00:00Z')).toBe(0);
        expect(ids(await store.touches.list(A, {}))).toEqual(['t4']);
        expect(ids(await store.touches.list(B, {}))).toEqual(['t1']);
      });

      it('round-trips a touch of every kind exactly', async () => {
        const all = touchesOfEveryKind(A);
        expect(await store.touches.insertMany(A, all)).toEqual({ inserted: all.length, duplicates: 0 });
        for (const t of all) expect(await store.touches.get(A, t.id)).toStrictEqual(t);
        expect(await store.touches.list(A, {})).toStrictEqual(all);
      });

      it('drops undefined fields the same way on every adapter', async () => {
        const t = touch({ id: 't1', at: '2026-03-01T10:00:00.000Z', kind: 'join', details: { via: 'public' } });
        const withUndefined = {
          ...t,
          chat: { ...t.chat, title: undefined },
          actor: { userId: '101', username: undefined },
          details: { via: 'public', campaign: undefined },
        } as unknown as StoredTouch;
        await store.touches.insert(A, withUndefined);
        const got = await store.touches.get(A, 't1');
        expect(got).toStrictEqual({ ...t, chat: { id: t.chat.id, type: t.chat.type }, actor: { userId: '101' }, details: { via: 'public' } });
        expect(Object.keys(got?.chat ?? {}).sort()).toEqual(['id', 'type']);
      });

      it('hands out copies: changing a returned or written touch does not change the stored one', async () => {
        const t = touch({ id: 't1', at: '2026-03-01T10:00:00Z', kind: 'message', details: { keywords: ['a'] } });
        await store.touches.insert(A, t);
        if (t.kind === 'message') t.details.keywords?.push('mutated');
        const got = await store.touches.get(A, 't1');
        if (got?.kind === 'message') got.details.keywords?.push('mutated too');
        const again = await store.touches.get(A, 't1');
        expect(again?.kind === 'message' && again.details.keywords).toEqual(['a']);
      });

      it('list equals filtering and sorting every stored touch (property)', async () => {
        const times = ['2026-03-01T10:00:00Z', '2026-03-01T18:00:00+08:00', '2026-03-01T10:00:00.001Z', '2026-03-01T09:59:59.999Z', '2026-03-01T05:00:00-05:00', '2026-03-02T00:00:00+14:00', '2026-03-01T08:00:00Z', '2026-03-01T12:00:00+01:00'];
        const specArb = fc.record({
          id: fc.constantFrom('a', 'b', 'B', 'a1', 'é', '😀', '～', 'z9', 't.1', 't$2'),
          at: fc.constantFrom(...times),
          kind: fc.constantFrom<Kind>('message', 'join', 'dm_start'),
          profileId: fc.constantFrom<string | null>('p1', 'p2', null),
          chatId: fc.constantFrom('c1', '120363000000000001@g.us'),
        });
        // Each filter is present one time in three, so many queries keep several tied rows.
        const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
          fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
        const queryArb = fc
          .record({
            profileId: sometimes(fc.constantFrom('p1', 'p2', 'p3')),
            chatId: sometimes(fc.constantFrom('c1', '120363000000000001@g.us')),
            kinds: sometimes(fc.subarray<TouchKind>(['message', 'join', 'dm_start', 'leave'])),
            from: sometimes(fc.constantFrom(...times)),
            to: sometimes(fc.constantFrom(...times)),
            limit: sometimes(fc.integer({ min: 0, max: 6 })),
          })
          .map((q) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as TouchQuery);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(specArb, { selector: (s) => s.id, minLength: 3, maxLength: 10 }), queryArb, async (specs, query) => {
            const workspace = `prop-${run++}`;
            const written = specs.map((s) => touch({ id: s.id, at: s.at, kind: s.kind, profileId: s.profileId, workspace, chat: { id: s.chatId, type: 'group' } }));
            await store.touches.insertMany(workspace, written);
            const from = query.from === undefined ? -Infinity : Date.parse(query.from);
            const to = query.to === undefined ? Infinity : Date.parse(query.to);
            const expected = written
              .filter((t) => query.profileId === undefined || t.profileId === query.profileId)
              .filter((t) => query.chatId === undefined || t.chat.id === query.chatId)
              .filter((t) => query.kinds === undefined || query.kinds.includes(t.kind))
              .filter((t) => Date.parse(t.occurredAt) >= from && Date.parse(t.occurredAt) < to)
              .sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt) || compareUtf8(x.id, y.id))
              .slice(0, query.limit ?? 10_000)
              .map(canonical);
            expect(await store.touches.list(workspace, query)).toStrictEqual(expected);
          }),
          { numRuns: 40 },
        );
      });

      it('list stays equal to filtering every stored touch after reassign, assign and deleteByProfile (property)', async () => {
        const times = ['2026-03-01T10:00:00Z', '2026-03-01T18:00:00+08:00', '2026-03-01T10:00:00.001Z', '2026-03-01T09:59:59.999Z', '2026-03-02T00:00:00Z'];
        const profilesArb = fc.constantFrom<string | null>('p1', 'p2', 'p3', null);
        const specArb = fc.record({
          id: fc.constantFrom('a', 'b', 'B', 'a1', 'é', '😀', '～', 'z9', 't.1', 't$2', 'c', 'd'),
          at: fc.constantFrom(...times),
          kind: fc.constantFrom<Kind>('message', 'join', 'leave'),
          profileId: profilesArb,
          chatId: fc.constantFrom('c1', 'c2'),
        });
        const opArb = fc.oneof(
          fc.record({ op: fc.constant('reassign' as const), from: fc.constantFrom('p1', 'p2', 'p3'), to: fc.constantFrom('p1', 'p2', 'p3') }),
          fc.record({ op: fc.constant('assign' as const), id: fc.constantFrom('a', 'b', 'é', 'z9', 'nope'), to: profilesArb }),
          fc.record({ op: fc.constant('delete' as const), profileId: fc.constantFrom('p1', 'p2', 'p3') }),
        );
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(specArb, { selector: (x) => x.id, minLength: 2, maxLength: 10 }), fc.array(opArb, { maxLength: 5 }), async (specs, ops) => {
            const workspace = `ops-${run++}`;
            const model = new Map<string, StoredTouch>(specs.map((x) => [x.id, touch({ id: x.id, at: x.at, kind: x.kind, profileId: x.profileId, workspace, chat: { id: x.chatId, type: 'group' } })]));
            await store.touches.insertEach(workspace, [...model.values()]);
            for (const o of ops) {
              if (o.op === 'reassign') {
                const moved = [...model.values()].filter((t) => t.profileId === o.from && o.from !== o.to);
                expect(await store.touches.reassign(workspace, o.from, o.to)).toBe(moved.length);
                for (const t of moved) t.profileId = o.to;
              } else if (o.op === 'assign') {
                const t = model.get(o.id);
                expect(await store.touches.assign(workspace, o.id, o.to)).toBe(t !== undefined);
                if (t) t.profileId = o.to;
              } else {
                const gone = [...model.values()].filter((t) => t.profileId === o.profileId);
                expect(await store.touches.deleteByProfile(workspace, o.profileId)).toBe(gone.length);
                for (const t of gone) model.delete(t.id);
              }
            }
            const order = (x: StoredTouch, y: StoredTouch): number => Date.parse(x.occurredAt) - Date.parse(y.occurredAt) || compareUtf8(x.id, y.id);
            const all = [...model.values()].sort(order).map(canonical);
            expect(await store.touches.list(workspace, {})).toStrictEqual(all);
            for (const profileId of ['p1', 'p2', 'p3']) expect(await store.touches.list(workspace, { profileId })).toStrictEqual(all.filter((t) => t.profileId === profileId));
            expect(await store.touches.list(workspace, { chatId: 'c2', from: times[0] })).toStrictEqual(all.filter((t) => t.chat.id === 'c2' && Date.parse(t.occurredAt) >= Date.parse(times[0] as string)));
            expect(await store.touches.list(workspace, { kinds: ['join', 'leave'], to: times[4] })).toStrictEqual(all.filter((t) => t.kind !== 'message' && Date.parse(t.occurredAt) < Date.parse(times[4] as string)));
            expect(await store.touches.count(workspace)).toBe(all.length);
          }),
          { numRuns: 40 },
        );
      });
    });

    // --- erasure: a person named in other people's touches (scrubPerson) ---------------
    describe('touches: scrubPerson (erasure)', () => {
      it('removes addedBy, removedBy and mentions naming the person, drops an emptied facet, leaves the rest, and is idempotent', async () => {
        const at = (m: number): string => `2026-03-01T10:${String(m).padStart(2, '0')}:00Z`;
        await store.touches.insertMany(A, [
          touch({ id: 'j1', at: at(1), kind: 'join', details: { via: 'added', addedBy: '101' } }),
          touch({ id: 'j2', at: at(2), kind: 'join', details: { via: 'added', addedBy: '202' } }),
          touch({ id: 'l1', at: at(3), kind: 'leave', details: { via: 'removed', removedBy: '101' } }),
          touch({ id: 'm1', at: at(4), kind: 'message', details: { keywords: ['price'], mentioned: ['alice_shop', 'bob'] } }),
          touch({ id: 'm2', at: at(5), kind: 'message', details: { mentioned: ['id:101'], urls: ['https://shop.example.com/'] } }),
          touch({ id: 'm3', at: at(6), kind: 'message', details: { mentioned: ['bob'] } }),
          touch({ id: 'w1', at: at(7), kind: 'message', platform: 'whatsapp', actor: { userId: 'wa-other' }, details: { mentioned: ['wa-hash-alice', 'wa-hash-bob'] } }),
        ]);
        await store.touches.insert(B, touch({ id: 'b1', workspace: B, at: at(1), kind: 'join', details: { via: 'added', addedBy: '101' } }));
        const refs = { userIds: ['101', 'wa-hash-alice'], mentions: ['id:101', 'alice_shop', 'wa-hash-alice'] };
        expect(await store.touches.scrubPerson(A, refs)).toBe(5);
        const details = async (id: string) => (await store.touches.get(A, id))?.details;
        expect(await details('j1')).toEqual({ via: 'added' });
        expect(await details('j2')).toEqual({ via: 'added', addedBy: '202' });
        expect(await details('l1')).toEqual({ via: 'removed' });
        expect(await details('m1')).toEqual({ keywords: ['price'], mentioned: ['bob'] });
        expect(await details('m2')).toEqual({ urls: ['https://shop.example.com/'] });
        expect(await details('m3')).toEqual({ mentioned: ['bob'] });
        expect(await details('w1')).toEqual({ mentioned: ['wa-hash-bob'] });
        // Another workspace is not touched; a second call changes nothing.
        expect((await store.touches.get(B, 'b1'))?.details).toEqual({ via: 'added', addedBy: '101' });
        expect(await store.touches.scrubPerson(A, refs)).toBe(0);
        expect(await store.touches.scrubPerson(A, { userIds: [], mentions: [] })).toBe(0);
        expect(await store.touches.count(A)).toBe(7);
      });
    });

    describe('identities', () => {
      it('claim takes unowned identifiers and reports the owner of every one; find returns owned ones only', async () => {
        expect(await store.identities.claim(A, [tg('101'), email('h:x')], 'p1')).toEqual(
          new Map([
            ['tg_id|101', 'p1'],
            ['email|h:x', 'p1'],
          ]),
        );
        // tg 101 is p1's already: it stays p1's; email h:y is new.
        expect(await store.identities.claim(A, [tg('101'), email('h:y'), email('h:y')], 'p2')).toEqual(
          new Map([
            ['tg_id|101', 'p1'],
            ['email|h:y', 'p2'],
          ]),
        );
        expect(await store.identities.find(A, [tg('101'), email('h:y'), tg('999')])).toEqual(
          new Map([
            [identifierKey(tg('101')), 'p1'],
            [identifierKey(email('h:y')), 'p2'],
          ]),
        );
        // Same value, other type: another identifier.
        expect(await store.identities.find(A, [{ type: 'external_id', value: '101' }])).toEqual(new Map());
        expect(await store.identities.claim(A, [], 'p1')).toEqual(new Map());
        expect(await store.identities.find(A, [])).toEqual(new Map());
      });

      it('concurrent claims of the same identifiers leave exactly one owner, and every caller sees it', async () => {
        const contested = [tg('101'), email('h:shared'), { type: 'phone' as const, value: 'h:+86' }];
        const claimants = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
        const results = await Promise.all(claimants.map((p, i) => store.identities.claim(A, i % 2 ? [...contested].reverse() : contested, p)));
        const owners = await store.identities.find(A, contested);
        expect(owners.size).toBe(3);
        for (const r of results) expect(r).toEqual(owners);
        for (const owner of owners.values()) expect(claimants).toContain(owner);
        const owned = (await Promise.all(claimants.map((p) => store.identities.ofProfile(A, p)))).flat();
        expect(owned.map(identifierKey).sort()).toEqual(contested.map(identifierKey).sort());
      });

      it('two profiles racing for one identifier: exactly one wins and both are told the same owner', async () => {
        const [r1, r2] = await Promise.all([store.identities.claim(A, [tg('7')], 'p1'), store.identities.claim(A, [tg('7')], 'p2')]);
        expect(r1?.get('tg_id|7')).toBeDefined();
        expect(r1).toEqual(r2);
        expect(await store.identities.find(A, [tg('7')])).toEqual(r1);
      });

      it('reassign moves every identifier of a profile and returns how many moved', async () => {
        await store.identities.claim(A, [tg('101'), email('h:a')], 'p1');
        await store.identities.claim(A, [tg('202')], 'p2');
        expect(await store.identities.reassign(A, 'p1', 'p2')).toBe(2);
        expect(await store.identities.ofProfile(A, 'p1')).toEqual([]);
        expect(await store.identities.ofProfile(A, 'p2')).toEqual([email('h:a'), tg('101'), tg('202')]);
        expect(await store.identities.reassign(A, 'p1', 'p2')).toBe(0);
        expect(await store.identities.reassign(A, 'p2', 'p2')).toBe(0);
        expect(await store.identities.find(A, [tg('101')])).toEqual(new Map([['tg_id|101', 'p2']]));
      });

      it('ofProfile lists a profile’s identifiers sorted by key', async () => {
        await store.identities.claim(A, [tg('9'), { type: 'wa_id', value: 'h:w' }, email('h:b'), tg('10'), { type: 'external_id', value: 'crm-1' }, email('h:a')], 'p1');
        await store.identities.claim(A, [{ type: 'phone', value: 'h:p' }], 'p2');
        const got = await store.identities.ofProfile(A, 'p1');
        expect(got.map(identifierKey)).toEqual(['email|h:a', 'email|h:b', 'external_id|crm-1', 'tg_id|10', 'tg_id|9', 'wa_id|h:w']);
        expect(got[0]).toStrictEqual(email('h:a'));
        expect(await store.identities.ofProfile(A, 'nobody')).toEqual([]);
      });

      it('deleteByProfile erases a profile’s identifiers, in that workspace only; they can be claimed again', async () => {
        await store.identities.claim(A, [tg('9'), email('h:a')], 'p1');
        await store.identities.claim(A, [tg('10')], 'p2');
        await store.identities.claim(B, [tg('9')], 'p1');
        expect(await store.identities.deleteByProfile(A, 'p1')).toBe(2);
        expect(await store.identities.ofProfile(A, 'p1')).toEqual([]);
        expect([...(await store.identities.find(A, [tg('9'), tg('10')])).entries()]).toEqual([['tg_id|10', 'p2']]);
        expect(await store.identities.deleteByProfile(A, 'p1')).toBe(0);
        expect((await store.identities.find(B, [tg('9')])).get('tg_id|9')).toBe('p1');
        expect((await store.identities.claim(A, [tg('9')], 'p3')).get('tg_id|9')).toBe('p3');
      });
    });

    describe('profiles', () => {
      it('round-trips a profile with rich stats exactly', async () => {
        const p = richProfile(A, 'p1');
        // The fixture really exercises what Mongo cannot have as keys.
        expect(p.stats.groups.map((g) => g.chatId)).toContain('120363000000000001@g.us');
        expect(p.stats.keywords.map((k) => k.keyword)).toContain('v2.0');
        expect(p.stats.sourcePath.length).toBeGreaterThan(1);
        await store.profiles.put(A, p);
        expect(await store.profiles.get(A, 'p1')).toStrictEqual(p);
        expect(await store.profiles.get(A, 'p2')).toBeNull();
        // An empty profile keeps its empty objects and nulls.
        const empty = plainProfile(A, 'p0');
        await store.profiles.put(A, empty);
        expect(await store.profiles.get(A, 'p0')).toStrictEqual(empty);
      });

      it('put replaces the whole profile with that id', async () => {
        await store.profiles.put(A, richProfile(A, 'p1', ['alice', 'alice_old']));
        const replacement = plainProfile(A, 'p1', ['alice_new']);
        await store.profiles.put(A, replacement);
        expect(await store.profiles.get(A, 'p1')).toStrictEqual(replacement);
        expect(await store.profiles.count(A)).toBe(1);
        expect(await store.profiles.findByUsername(A, 'alice_old')).toEqual([]);
        expect(await store.profiles.findByUsername(A, 'alice_new')).toStrictEqual([replacement]);
      });

      it('delete removes a profile and says whether it was there', async () => {
        await store.profiles.put(A, plainProfile(A, 'p1'));
        await store.profiles.put(A, plainProfile(A, 'p2'));
        expect(await store.profiles.delete(A, 'p1')).toBe(true);
        expect(await store.profiles.delete(A, 'p1')).toBe(false);
        expect(await store.profiles.get(A, 'p1')).toBeNull();
        expect(await store.profiles.count(A)).toBe(1);
      });

      it('findByUsername matches any of a profile’s usernames, ordered by id', async () => {
        await store.profiles.put(A, plainProfile(A, 'p3', ['bob', 'shared']));
        await store.profiles.put(A, plainProfile(A, 'p1', ['shared', 'alice']));
        await store.profiles.put(A, plainProfile(A, 'p2', ['carol']));
        expect((await store.profiles.findByUsername(A, 'shared')).map((p) => p.id)).toEqual(['p1', 'p3']);
        expect((await store.profiles.findByUsername(A, 'alice')).map((p) => p.id)).toEqual(['p1']);
        expect(await store.profiles.findByUsername(A, 'dave')).toEqual([]);
        expect(await store.profiles.findByUsername(A, 'ali')).toEqual([]);
      });

      it('list pages through profiles by id (code-point order) with afterId and limit', async () => {
        const order = ['P', 'p', 'p1', 'p10', 'p2', 'é', '～', '😀'];
        for (const id of ['p2', '😀', 'p10', 'P', '～', 'p', 'é', 'p1']) await store.profiles.put(A, plainProfile(A, id));
        expect((await store.profiles.list(A)).map((p) => p.id)).toEqual(order);
        const pages: string[][] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await store.profiles.list(A, afterId === undefined ? { limit: 3 } : { afterId, limit: 3 });
          if (page.length === 0) break;
          pages.push(page.map((p) => p.id));
          afterId = page.at(-1)?.id;
        }
        expect(pages).toEqual([order.slice(0, 3), order.slice(3, 6), order.slice(6)]);
        expect((await store.profiles.list(A, { afterId: 'p10' })).map((p) => p.id)).toEqual(order.slice(4));
        expect((await store.profiles.list(A, { afterId: 'p0' })).map((p) => p.id)).toEqual(order.slice(2));
        expect(await store.profiles.list(A, { limit: 0 })).toEqual([]);
        await expect(store.profiles.list(A, { limit: -2 })).rejects.toThrow(RangeError);
        expect(await store.profiles.count(A)).toBe(8);
      });

      it('create writes a new profile once; creating the id again is a duplicate and changes nothing', async () => {
        const p = { ...richProfile(A, 'p1'), hasConversions: false };
        expect(await store.profiles.create(A, p)).toBe('inserted');
        expect(await store.profiles.create(A, plainProfile(A, 'p1', ['other']))).toBe('duplicate');
        expect(await store.profiles.get(A, 'p1')).toStrictEqual(p);
        expect(await store.profiles.count(A)).toBe(1);
        await expect(store.profiles.create(A, plainProfile(B, 'p2'))).rejects.toThrow(/workspace/);
      });

      it('applyTouch adds one touch in place and answers the facts; refuses a missing, fenced or adopting profile', async () => {
        const [join, message] = [journeyTouch(0, 'join', 0, 0), journeyTouch(1, 'message', 5, 1)];
        await store.profiles.create(A, { ...plainProfile(A, 'p1'), identifiers: [tg('101')], hasConversions: false });
        const facts = await store.profiles.applyTouch(A, 'p1', deltaOfTouch(join), { at: '2026-03-09T00:00:00.000Z', username: 'alice', identifiers: [email('h:a'), tg('101')] });
        expect(facts).toStrictEqual({ identifiers: [email('h:a'), tg('101')], hasConversions: false });
        const after = await store.profiles.get(A, 'p1');
        expect(after).toMatchObject({ usernames: ['alice'], updatedAt: '2026-03-09T00:00:00.000Z', identifiers: [email('h:a'), tg('101')] });
        expect(after?.stats).toStrictEqual(statsOfTouches([join]));
        expect(await store.profiles.applyTouch(A, 'nobody', deltaOfTouch(message), { at: '2026-03-09T00:00:00.000Z' })).toBeNull();
        expect(await store.profiles.count(A)).toBe(1);
        // Fenced: a rewrite is in progress, the partial update writes nothing.
        const fenced = await store.profiles.fence(A, 'p1', 'tok-1');
        expect(fenced?.stats).toStrictEqual(statsOfTouches([join]));
        expect(await store.profiles.applyTouch(A, 'p1', deltaOfTouch(message), { at: '2026-03-09T00:00:00.000Z' })).toBeNull();
        // The rewrite folds the message in and adopts it: its late partial update is refused.
        const replaced = await store.profiles.replace(A, { ...(fenced as Profile), stats: statsOfTouches([join, message]) }, { token: 'tok-1', adopted: [message.id] });
        expect(replaced).toStrictEqual({ identifiers: [email('h:a'), tg('101')], hasConversions: false });
        expect(await store.profiles.applyTouch(A, 'p1', deltaOfTouch(message), { at: '2026-03-09T00:00:00.000Z' })).toBeNull();
        expect((await store.profiles.get(A, 'p1'))?.stats).toStrictEqual(statsOfTouches([join, message]));
        // Unfenced again: other touches apply.
        const later = journeyTouch(2, 'message', 9, 2);
        expect(await store.profiles.applyTouch(A, 'p1', deltaOfTouch(later), { at: '2026-03-09T00:00:00.000Z' })).not.toBeNull();
        expect((await store.profiles.get(A, 'p1'))?.stats).toStrictEqual(statsOfTouches([join, message, later]));
        // A profile put in another workspace is out of reach.
        expect(await store.profiles.applyTouch(B, 'p1', deltaOfTouch(later), { at: '2026-03-09T00:00:00.000Z' })).toBeNull();
      });

      it('replace writes only under its own fence and lifts it; a later fence takes over; a noted conversion stays', async () => {
        await store.profiles.create(A, { ...plainProfile(A, 'p1', ['alice']), hasConversions: false });
        const paused = await store.profiles.fence(A, 'p1', 'slow');
        expect(paused?.usernames).toEqual(['alice']);
        // Another worker fences after it (the slow one's lock ran out), writes, and is done.
        const fast = await store.profiles.fence(A, 'p1', 'fast');
        expect(await store.profiles.noteConversion(A, 'p1')).toBe(true);
        const newer = { ...(fast as Profile), stats: statsOfTouches([journeyTouch(0, 'join', 0, 0)]), hasConversions: false };
        expect(await store.profiles.replace(A, newer, { token: 'fast', adopted: [] })).toStrictEqual({ identifiers: [], hasConversions: true });
        // The slow one resumes: its write is refused, whatever it carries.
        expect(await store.profiles.replace(A, { ...(paused as Profile), stats: statsOfTouches([]) }, { token: 'slow', adopted: [] })).toBeNull();
        const stored = await store.profiles.get(A, 'p1');
        expect(stored?.stats).toStrictEqual(newer.stats);
        expect(stored?.hasConversions).toBe(true);
        // Unfenced: a partial update goes through; replacing without a fence is refused.
        expect(await store.profiles.applyTouch(A, 'p1', deltaOfTouch(journeyTouch(1, 'message', 1, 0)), { at: '2026-03-09T00:00:00.000Z' })).not.toBeNull();
        expect(await store.profiles.replace(A, newer, { token: 'fast', adopted: [] })).toBeNull();
        expect(await store.profiles.fence(A, 'nobody', 'x')).toBeNull();
        expect(await store.profiles.replace(A, plainProfile(A, 'nobody'), { token: 'x', adopted: [] })).toBeNull();
        // The flag only rises: none, then unknown, then noted.
        await store.profiles.fence(A, 'p1', 't3');
        const { hasConversions: _dropped, ...unknown } = (await store.profiles.get(A, 'p1')) as Profile;
        expect(await store.profiles.replace(A, unknown, { token: 't3', adopted: [] })).toStrictEqual({ identifiers: [], hasConversions: true });
        await store.profiles.put(A, { ...unknown, hasConversions: false });
        await store.profiles.fence(A, 'p1', 't4');
        expect(await store.profiles.replace(A, unknown, { token: 't4', adopted: [] })).toStrictEqual({ identifiers: [] });
        expect((await store.profiles.get(A, 'p1'))?.hasConversions).toBeUndefined();
        await store.profiles.fence(A, 'p1', 't5');
        expect(await store.profiles.replace(A, { ...unknown, hasConversions: false }, { token: 't5', adopted: [] })).toStrictEqual({ identifiers: [] });
      });

      it('noteConversion and addIdentifiers change one profile; false for an unknown one', async () => {
        await store.profiles.create(A, { ...plainProfile(A, 'p1'), identifiers: [tg('101')], hasConversions: false });
        expect(await store.profiles.noteConversion(A, 'p1')).toBe(true);
        expect(await store.profiles.noteConversion(A, 'p2')).toBe(false);
        expect(await store.profiles.addIdentifiers(A, 'p1', [email('h:b'), tg('101'), email('h:a')])).toBe(true);
        expect(await store.profiles.addIdentifiers(A, 'p2', [email('h:b')])).toBe(false);
        expect(await store.profiles.get(A, 'p1')).toMatchObject({ hasConversions: true, identifiers: [email('h:a'), email('h:b'), tg('101')] });
        expect(await store.profiles.get(A, 'p2')).toBeNull();
      });

      it('keeps keywords and group ids holding ., $, %, ~ and JavaScript prototype names as they are', async () => {
        const odd = ['a.b', '$x', '%2E', '~t', '__proto__', 'constructor', 'toString', '发货'];
        const touches = odd.map((k, i) => journeyTouch(i, 'message', i, 0, { keywords: [k, 'price'], chat: { id: `g.${k}`, title: k, type: 'group' } }));
        await store.profiles.create(A, plainProfile(A, 'p1'));
        for (const t of touches) await store.profiles.applyTouch(A, 'p1', deltaOfTouch(t), { at: '2026-03-09T00:00:00.000Z' });
        const stats = (await store.profiles.get(A, 'p1'))?.stats;
        expect(stats).toStrictEqual(statsOfTouches(touches));
        expect(stats?.keywords.map((k) => k.keyword).sort()).toEqual([...odd, 'price'].sort());
        expect(stats?.groups.map((g) => g.chatId).sort()).toEqual(odd.map((k) => `g.${k}`).sort());
      });

      it('keeps the last 100 source steps and counts the dropped ones, whatever order they arrive in', async () => {
        const joins = Array.from({ length: 105 }, (_, i) => journeyTouch(i, 'join', i, i % 3));
        const shuffled = [...joins].sort((x, y) => (x.id < y.id ? -1 : 1));
        await store.profiles.create(A, plainProfile(A, 'p1'));
        for (const t of shuffled) await store.profiles.applyTouch(A, 'p1', deltaOfTouch(t), { at: '2026-03-09T00:00:00.000Z' });
        const stats = (await store.profiles.get(A, 'p1'))?.stats;
        expect(stats?.sourcePath).toHaveLength(100);
        expect(stats?.sourcePathDropped).toBe(5);
        expect(stats).toStrictEqual(statsOfTouches(joins));
      });

      it('statistics built one touch at a time, in any order, rewritten in between, equal the fold of the touches (property)', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(journeyArb, fc.integer({ min: 0, max: 1000 }), async ({ touches, order }, cutAt) => {
            const id = `p${run++}`;
            await store.profiles.create(A, { ...plainProfile(A, id), hasConversions: false });
            const arrival = order.map((i) => touches[i] as TouchEvent);
            const cut = cutAt % (arrival.length + 1);
            for (const [n, t] of arrival.entries()) {
              if (n === cut) {
                // A rewrite (a merge or a recovery) folds what arrived so far, fenced.
                const fenced = await store.profiles.fence(A, id, `tok-${n}`);
                expect(fenced?.stats).toStrictEqual(statsOfTouches(arrival.slice(0, n)));
                expect(await store.profiles.replace(A, { ...(fenced as Profile), stats: statsOfTouches(arrival.slice(0, n)) }, { token: `tok-${n}`, adopted: [] })).not.toBeNull();
              }
              expect(await store.profiles.applyTouch(A, id, deltaOfTouch(t), { at: '2026-03-09T00:00:00.000Z' })).not.toBeNull();
            }
            expect((await store.profiles.get(A, id))?.stats).toStrictEqual(statsOfTouches(touches));
          }),
          { numRuns: name === 'mongo' ? 25 : 100 },
        );
      });

      it('rejects a profile written through another workspace than its own', async () => {
        await expect(store.profiles.put(A, plainProfile(B, 'p1'))).rejects.toThrow(/workspace/);
        expect(await store.profiles.count(A)).toBe(0);
        expect(await store.profiles.count(B)).toBe(0);
      });
    });

    describe('workspace isolation', () => {
      it('touches: same id lives independently per workspace; no method reaches across', async () => {
        const inA = touch({ id: 't1', at: '2026-03-01T10:00:00Z', profileId: 'p1', workspace: A });
        const inB = touch({ id: 't1', at: '2026-03-02T10:00:00Z', profileId: 'p1', workspace: B, kind: 'join' });
        expect(await store.touches.insert(A, inA)).toBe('inserted');
        expect(await store.touches.insert(B, inB)).toBe('inserted');
        expect(await store.touches.insertMany(B, [touch({ id: 't2', at: '2026-03-01T10:00:00Z', workspace: B, profileId: 'p1' })])).toEqual({ inserted: 1, duplicates: 0 });
        expect(await store.touches.get(A, 't1')).toStrictEqual(canonical(inA));
        expect(await store.touches.get(B, 't1')).toStrictEqual(canonical(inB));
        expect(await store.touches.get(A, 't2')).toBeNull();
        expect(ids(await store.touches.list(A, {}))).toEqual(['t1']);
        expect(ids(await store.touches.list(A, { profileId: 'p1' }))).toEqual(['t1']);
        expect(ids(await store.touches.list(A, { chatId: GROUP.id }))).toEqual(['t1']);
        expect(await store.touches.count(A)).toBe(1);
        expect(await store.touches.count(B)).toBe(2);
        expect(await store.touches.count('c')).toBe(0);

        await store.touches.markApplied(B, 't1');
        expect((await store.touches.get(A, 't1'))?.applied).toBe(false);
        expect(await store.touches.reassign(B, 'p1', 'p9')).toBe(2);
        expect((await store.touches.get(A, 't1'))?.profileId).toBe('p1');
        expect(await store.touches.list(A, { profileId: 'p9' })).toEqual([]);
        expect(await store.touches.reassign(A, 'p9', 'p1')).toBe(0);
        expect((await store.touches.get(B, 't1'))?.profileId).toBe('p9');
      });

      it('identities: one identifier has an owner per workspace; no method reaches across', async () => {
        expect(await store.identities.claim(A, [tg('101')], 'p1')).toEqual(new Map([['tg_id|101', 'p1']]));
        expect(await store.identities.claim(B, [tg('101')], 'p2')).toEqual(new Map([['tg_id|101', 'p2']]));
        expect(await store.identities.find(A, [tg('101')])).toEqual(new Map([['tg_id|101', 'p1']]));
        expect(await store.identities.find('c', [tg('101')])).toEqual(new Map());
        expect(await store.identities.ofProfile(A, 'p2')).toEqual([]);
        expect(await store.identities.ofProfile(B, 'p2')).toEqual([tg('101')]);
        expect(await store.identities.reassign(A, 'p2', 'p3')).toBe(0);
        expect(await store.identities.reassign(B, 'p1', 'p3')).toBe(0);
        expect(await store.identities.find(B, [tg('101')])).toEqual(new Map([['tg_id|101', 'p2']]));
        expect(await store.identities.reassign(B, 'p2', 'p3')).toBe(1);
        expect(await store.identities.find(A, [tg('101')])).toEqual(new Map([['tg_id|101', 'p1']]));
      });

      it('profiles: one id lives independently per workspace; no method reaches across', async () => {
        const pa = plainProfile(A, 'p1', ['alice']);
        const pb = richProfile(B, 'p1', ['alice']);
        await store.profiles.put(A, pa);
        await store.profiles.put(B, pb);
        await store.profiles.put(B, plainProfile(B, 'p2', ['alice']));
        expect(await store.profiles.get(A, 'p1')).toStrictEqual(pa);
        expect(await store.profiles.get(B, 'p1')).toStrictEqual(pb);
        expect(await store.profiles.get(A, 'p2')).toBeNull();
        expect((await store.profiles.findByUsername(A, 'alice')).map((p) => p.workspace + '/' + p.id)).toEqual(['a/p1']);
        expect((await store.profiles.list(A)).map((p) => p.id)).toEqual(['p1']);
        expect((await store.profiles.list(B, { afterId: 'p1' })).map((p) => p.id)).toEqual(['p2']);
        expect(await store.profiles.count(A)).toBe(1);
        expect(await store.profiles.count(B)).toBe(2);
        expect(await store.profiles.delete(A, 'p2')).toBe(false);
        expect(await store.profiles.count(B)).toBe(2);
        expect(await store.profiles.delete(B, 'p1')).toBe(true);
        expect(await store.profiles.get(A, 'p1')).toStrictEqual(pa);
      });
    });
  });
}
