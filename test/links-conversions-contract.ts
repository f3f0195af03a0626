/**
 * The attribution repositories' contract (links, member tokens, clicks, conversions, credits,
 * fits): what every adapter must do, as one `describe` suite. `test/store.test.ts` runs it on
 * the in-memory adapter always and on MongoDB when one is reachable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClickRecord, ConversionRecord, CreditSet, StoredFit, TrackedLink } from '../src/store/store.js';
import type { Store } from '../src/store/store.js';

const A = 'a';
const B = 'b';

export function link(code: string, workspace = A, extra: Partial<TrackedLink> = {}): TrackedLink {
  return { workspace, code, destination: `https://shop.example.com/${code}`, platform: 'telegram', createdAt: '2026-03-01T00:00:00.000Z', ...extra };
}

export function conversion(id: string, at: string, extra: Partial<ConversionRecord> = {}): ConversionRecord {
  return {
    workspace: A,
    id,
    type: 'purchase',
    occurredAt: at,
    value: 10,
    currency: 'CNY',
    identifiers: [],
    fingerprint: `fp-${id}`,
    source: 'webhook',
    receivedAt: '2026-03-10T00:00:00.000Z',
    status: 'pending',
    match: null,
    reconciledAt: null,
    ...extra,
  };
}

export function credits(conversionId: string, at: string, workspace = A): CreditSet {
  return {
    workspace,
    conversionId,
    conversionAt: at,
    value: 30,
    currency: 'CNY',
    type: 'purchase',
    rule: 'tg_id',
    profileId: 'p1',
    lowConfidence: false,
    touches: [
      { touchId: 't1', at: '2026-03-01T10:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring.2026', channel: 'telegram/-1001/join' },
      { touchId: 't2', at: '2026-03-02T10:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1001', keywords: ['发货', 'a.b$c'], links: ['shop.example.com/p', 'abc1234'], channel: 'telegram/-1001/keyword' },
    ],
    models: {
      first_touch: { conversions: [1, 0], value: [30, 0] },
      last_touch: { conversions: [0, 1], value: [0, 30] },
      linear: { conversions: [0.5, 0.5], value: [15, 15] },
    },
    fitId: null,
    computedAt: '2026-03-10T00:00:00.000Z',
  };
}

export function click(clickId: string, workspace = A): ClickRecord {
  return { workspace, clickId, code: 'abc', touchId: `touch-${clickId}`, at: '2026-03-01T12:00:00+08:00', profileId: null, visitorHash: 'v1', chatId: '-1001', campaign: 'spring' };
}

export function fit(id: string, createdAt: string, coalitions = 2, month = '2026-03'): StoredFit {
  return {
    workspace: A,
    id,
    month,
    createdAt,
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-04-01T00:00:00.000Z',
    journeys: coalitions,
    conversions: 1,
    markov: { order: 1, stateCount: 2, transitionCount: 3, conversionProbability: 0.5, expectedValue: 5, removalEffect: [['x', 1]], valueRemovalEffect: [['x', 0.5]] },
    coalitions: Array.from({ length: coalitions }, (_, i) => ({ channels: [`c${i}`, 'z'], conversions: i % 2, nulls: 1 })),
  };
}

const ids = (list: ReadonlyArray<{ id: string }>): string[] => list.map((c) => c.id);

export function attributionReposContract(name: Store['kind'], makeStore: () => Promise<Store>, cleanup?: (store: Store) => Promise<void>, options: { skipReason?: string } = {}): void {
  const title = options.skipReason ? `attribution repos contract: ${name} (skipped: ${options.skipReason})` : `attribution repos contract: ${name}`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
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

    describe('links', () => {
      it('a code is unique across workspaces: the first stays, the owner is found without a workspace', async () => {
        const r = store.links;
        expect(await r.insert(A, link('abc', A, { campaign: 'spring', chatId: '-1001', chatTitle: '团购群' }))).toBe('inserted');
        expect(await r.insert(B, link('abc', B))).toBe('duplicate');
        expect(await r.workspaceOfCode('abc')).toBe(A);
        expect(await r.workspaceOfCode('nope')).toBeNull();
        expect(await r.get(A, 'abc')).toEqual(link('abc', A, { campaign: 'spring', chatId: '-1001', chatTitle: '团购群' }));
        expect(await r.get(B, 'abc')).toBeNull();
      });

      it('lists a workspace’s links by code with afterCode and limit', async () => {
        const r = store.links;
        for (const c of ['b2', 'A1', 'a3', 'Z9']) await r.insert(A, link(c));
        await r.insert(B, link('b1', B));
        expect((await r.list(A)).map((l) => l.code)).toEqual(['A1', 'Z9', 'a3', 'b2']);
        expect((await r.list(A, { afterCode: 'Z9', limit: 1 })).map((l) => l.code)).toEqual(['a3']);
        expect(await r.list(A, { limit: 0 })).toEqual([]);
      });
    });

    describe('member tokens', () => {
      it('issue keeps one token per member (by identifier, else profile) and get finds it', async () => {
        const r = store.memberTokens;
        const first = await r.issue(A, { workspace: A, token: 'tok1', member: { type: 'tg_id', value: '101' }, profileId: 'p1', createdAt: '2026-03-01T00:00:00.000Z' });
        expect(first.token).toBe('tok1');
        const again = await r.issue(A, { workspace: A, token: 'tok2', member: { type: 'tg_id', value: '101' }, profileId: 'p9', createdAt: '2026-03-02T00:00:00.000Z' });
        expect(again).toEqual(first);
        const byProfile = await r.issue(A, { workspace: A, token: 'tok3', member: null, profileId: 'p2', createdAt: '2026-03-01T00:00:00.000Z' });
        expect(byProfile.token).toBe('tok3');
        expect((await r.issue(A, { workspace: A, token: 'tok4', member: null, profileId: 'p2', createdAt: '2026-03-01T00:00:00.000Z' })).token).toBe('tok3');
        expect(await r.get(A, 'tok2')).toBeNull();
        expect(await r.get(A, 'tok3')).toEqual({ workspace: A, token: 'tok3', member: null, profileId: 'p2', createdAt: '2026-03-01T00:00:00.000Z' });
        expect(await r.get(B, 'tok1')).toBeNull();
      });
    });

    describe('clicks', () => {
      it('stores a click once per workspace, with its time canonical', async () => {
        const r = store.clicks;
        expect(await r.insert(A, click('c1'))).toBe('inserted');
        expect(await r.insert(A, { ...click('c1'), code: 'other' })).toBe('duplicate');
        expect(await r.insert(B, click('c1', B))).toBe('inserted');
        expect(await r.get(A, 'c1')).toEqual({ ...click('c1'), at: '2026-03-01T04:00:00.000Z' });
        expect(await r.get(A, 'c2')).toBeNull();
        expect(await r.count(A)).toBe(1);
      });

      it('lists clicks whose touch is not queued, oldest first, per workspace; markQueued clears the marker once', async () => {
        const r = store.clicks;
        await r.insert(A, { ...click('late'), at: '2026-03-02T00:00:00Z', queued: false });
        await r.insert(A, { ...click('early'), at: '2026-03-01T00:00:00Z', queued: false });
        await r.insert(A, { ...click('same-b'), at: '2026-03-01T06:00:00Z', queued: false });
        await r.insert(A, { ...click('same-a'), at: '2026-03-01T06:00:00Z', queued: false });
        await r.insert(A, click('done'));
        await r.insert(B, { ...click('other', B), queued: false });
        const list = await r.listUnqueued(A);
        expect(list.map((c) => c.clickId)).toEqual(['early', 'same-a', 'same-b', 'late']);
        expect(list[0]).toEqual({ ...click('early'), at: '2026-03-01T00:00:00.000Z', queued: false });
        expect((await r.listUnqueued(A, { limit: 1 })).map((c) => c.clickId)).toEqual(['early']);
        expect(await r.markQueued(A, ['early', 'late', 'done', 'missing'])).toBe(2);
        expect(await r.markQueued(A, ['early'])).toBe(0);
        // Cleared: the record reads as a queued click again, in this workspace only.
        expect(await r.get(A, 'early')).toEqual({ ...click('early'), at: '2026-03-01T00:00:00.000Z' });
        expect((await r.listUnqueued(A)).map((c) => c.clickId)).toEqual(['same-a', 'same-b']);
        expect((await r.listUnqueued(B)).map((c) => c.clickId)).toEqual(['other']);
        expect(await r.markQueued(A, [])).toBe(0);
      });
    });

    describe('conversions', () => {
      it('insert keeps the first body; a duplicate returns the stored one', async () => {
        const r = store.conversions;
        const first = conversion('o1', '2026-03-05T10:00:00+08:00', { identifiers: [{ type: 'phone', value: 'h:p' }], utm: { campaign: '春季' } });
        expect(await r.insert(A, first)).toEqual({ status: 'inserted' });
        const dup = await r.insert(A, conversion('o1', '2026-03-06T00:00:00Z', { value: 99 }));
        expect(dup).toEqual({ status: 'duplicate', existing: { ...first, occurredAt: '2026-03-05T02:00:00.000Z' } });
        expect(await r.get(A, 'o1')).toEqual({ ...first, occurredAt: '2026-03-05T02:00:00.000Z' });
        expect(await r.count(A)).toBe(1);
        expect(await r.get(B, 'o1')).toBeNull();
      });

      it('insertMany answers per item, in order, duplicates within the batch included', async () => {
        const r = store.conversions;
        await r.insert(A, conversion('o1', '2026-03-01T00:00:00Z'));
        const out = await r.insertMany(A, [conversion('o2', '2026-03-02T00:00:00Z'), conversion('o1', '2026-03-03T00:00:00Z'), conversion('o2', '2026-03-04T00:00:00Z', { value: 5 })]);
        expect(out.map((o) => o.status)).toEqual(['inserted', 'duplicate', 'duplicate']);
        expect(out[2]?.status === 'duplicate' && out[2].existing.occurredAt).toBe('2026-03-02T00:00:00.000Z');
        expect(await r.insertMany(A, [])).toEqual([]);
        expect(await r.count(A)).toBe(2);
      });

      it('lists by instant then id (code points), with from inclusive, to exclusive, status and keyset paging', async () => {
        const r = store.conversions;
        await r.insertMany(A, [
          conversion('b', '2026-03-02T00:00:00Z'),
          conversion('a', '2026-03-02T08:00:00+08:00'),
          conversion('c', '2026-03-01T00:00:00Z', { status: 'unattributed' }),
          conversion('😀', '2026-03-02T00:00:00Z'),
          conversion('\uffff', '2026-03-02T00:00:00Z'),
          conversion('d', '2026-03-03T00:00:00Z'),
        ]);
        expect(ids(await r.list(A, {}))).toEqual(['c', 'a', 'b', '\uffff', '😀', 'd']);
        expect(ids(await r.list(A, { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' }))).toEqual(['a', 'b', '\uffff', '😀']);
        expect(ids(await r.list(A, { status: 'unattributed' }))).toEqual(['c']);
        expect(ids(await r.list(A, { after: { at: '2026-03-02T00:00:00Z', id: 'b' }, limit: 2 }))).toEqual(['\uffff', '😀']);
        expect(ids(await r.list(A, { limit: 0 }))).toEqual([]);
        await expect(r.list(A, { from: 'yesterday' })).rejects.toThrow(/ISO date-time/);
      });

      it('setOutcome records the match; profile queries and related() follow it', async () => {
        const r = store.conversions;
        await r.insertMany(A, [
          conversion('o1', '2026-03-01T00:00:00Z', { identifiers: [{ type: 'phone', value: 'h:1' }] }),
          conversion('o2', '2026-03-02T00:00:00Z', { identifiers: [{ type: 'email', value: 'h:e' }, { type: 'tg_id', value: '7' }] }),
          conversion('o3', '2026-03-03T00:00:00Z'),
        ]);
        await r.setOutcome(A, 'o3', { status: 'matched', match: { rule: 'coupon', profileId: 'p1', lowConfidence: false }, reconciledAt: '2026-03-10T00:00:00.000Z' });
        await r.setOutcome(A, 'nope', { status: 'matched', match: null, reconciledAt: null });
        expect(await r.get(A, 'o3')).toMatchObject({ status: 'matched', match: { rule: 'coupon', profileId: 'p1', lowConfidence: false }, reconciledAt: '2026-03-10T00:00:00.000Z' });
        expect(ids(await r.list(A, { profileId: 'p1' }))).toEqual(['o3']);
        expect(ids(await r.related(A, { identifiers: [{ type: 'tg_id', value: '7' }, { type: 'phone', value: 'h:1' }], profileIds: ['p1'] }))).toEqual(['o1', 'o2', 'o3']);
        expect(ids(await r.related(A, { identifiers: [{ type: 'tg_id', value: '7' }], profileIds: ['p1'], from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' }))).toEqual(['o2']);
        expect(await r.related(A, { identifiers: [], profileIds: [] })).toEqual([]);
        await r.setOutcome(A, 'o3', { status: 'matched', match: { rule: 'tg_id', profileId: 'p2', lowConfidence: false }, reconciledAt: '2026-03-11T00:00:00.000Z' });
        expect(ids(await r.list(A, { profileId: 'p1' }))).toEqual([]);
        expect(ids(await r.list(A, { profileId: 'p2' }))).toEqual(['o3']);
        expect(await r.related(B, { identifiers: [{ type: 'tg_id', value: '7' }], profileIds: ['p2'] })).toEqual([]);
      });
    });

    describe('credits', () => {
      it('put creates or replaces one conversion’s credits; get, delete and count', async () => {
        const r = store.credits;
        await r.put(A, credits('o1', '2026-03-05T10:00:00+08:00'));
        expect(await r.get(A, 'o1')).toEqual({ ...credits('o1', ''), conversionAt: '2026-03-05T02:00:00.000Z' });
        const replaced = { ...credits('o1', '2026-03-05T02:00:00.000Z'), touches: [], models: { linear: { conversions: [], value: [] } } };
        await r.put(A, replaced);
        expect(await r.get(A, 'o1')).toEqual(replaced);
        expect(await r.count(A)).toBe(1);
        expect(await r.get(B, 'o1')).toBeNull();
        expect(await r.delete(A, 'o1')).toBe(true);
        expect(await r.delete(A, 'o1')).toBe(false);
        expect(await r.get(A, 'o1')).toBeNull();
      });

      it('lists by conversion time then id, in a range, with chosen models only and keyset paging', async () => {
        const r = store.credits;
        for (const [id, at] of [['c', '2026-03-03T00:00:00Z'], ['a', '2026-03-02T00:00:00Z'], ['b', '2026-03-02T00:00:00Z'], ['z', '2026-02-01T00:00:00Z']] as const) await r.put(A, credits(id, at));
        const all = await r.list(A, { from: '2026-03-01T00:00:00Z', to: '2026-03-04T00:00:00Z' });
        expect(all.map((s) => s.conversionId)).toEqual(['a', 'b', 'c']);
        const some = await r.list(A, { from: '2026-03-01T00:00:00Z', models: ['linear', 'markov'] });
        expect(some[0]?.models).toEqual({ linear: { conversions: [0.5, 0.5], value: [15, 15] } });
        expect(some[0]?.touches).toEqual(credits('a', '').touches);
        const none = await r.list(A, { models: [], limit: 1 });
        expect(none[0]?.models).toEqual({});
        expect((await r.list(A, { after: { at: '2026-03-02T00:00:00Z', id: 'a' } })).map((s) => s.conversionId)).toEqual(['b', 'c']);
        expect(await r.list(B, {})).toEqual([]);
      });

      it('getMany returns the stored ones; replaceExisting replaces only credits that exist, in that workspace', async () => {
        const r = store.credits;
        await r.put(A, credits('o1', '2026-03-01T00:00:00Z'));
        await r.put(A, credits('o2', '2026-03-02T00:00:00Z'));
        await r.put(B, credits('o1', '2026-03-01T00:00:00Z', B));
        const got = await r.getMany(A, ['o2', 'nope', 'o1', 'o2']);
        expect(got.map((s) => s.conversionId).sort()).toEqual(['o1', 'o2']);
        expect(got.find((s) => s.conversionId === 'o1')).toEqual({ ...credits('o1', ''), conversionAt: '2026-03-01T00:00:00.000Z' });
        expect(await r.getMany(A, [])).toEqual([]);
        const recredited = (id: string, workspace = A): CreditSet => ({ ...credits(id, '2026-03-01T08:00:00+08:00', workspace), fitId: 'fit-x', models: { markov: { conversions: [0.25, 0.75], value: [7.5, 22.5] } } });
        await r.delete(A, 'o2');
        // o2 was deleted meanwhile (an erasure): it stays deleted; o3 never had credits.
        expect(await r.replaceExisting(A, [recredited('o1'), recredited('o2'), recredited('o3')])).toBe(1);
        expect(await r.get(A, 'o1')).toEqual({ ...recredited('o1'), conversionAt: '2026-03-01T00:00:00.000Z' });
        expect(await r.get(A, 'o2')).toBeNull();
        expect(await r.get(A, 'o3')).toBeNull();
        expect((await r.get(B, 'o1'))?.fitId).toBeNull();
        expect(await r.replaceExisting(A, [])).toBe(0);
        await expect(r.replaceExisting(A, [recredited('o1', B)])).rejects.toThrow(/workspace/);
      });
    });

    describe('copies', () => {
      it('what a caller changes in a written or returned conversion or credit set never reaches the store', async () => {
        const written = conversion('o1', '2026-03-01T00:00:00Z', { identifiers: [{ type: 'tg_id', value: '1' }] });
        await store.conversions.insert(A, written);
        written.identifiers.push({ type: 'tg_id', value: '2' });
        const set = credits('o1', '2026-03-01T00:00:00Z');
        await store.credits.put(A, set);
        (set.models.linear as { conversions: number[] }).conversions[0] = 99;
        const tryChange = (f: () => void): void => {
          try {
            f();
          } catch {
            // A frozen object refusing the change is as good as a copy.
          }
        };
        const got = await store.conversions.get(A, 'o1');
        tryChange(() => (got as ConversionRecord).identifiers.push({ type: 'tg_id', value: '3' }));
        const listed = await store.credits.list(A, { models: ['linear'] });
        tryChange(() => ((listed[0] as CreditSet).models.linear as { conversions: number[] }).conversions.push(7));
        expect((await store.conversions.get(A, 'o1'))?.identifiers).toEqual([{ type: 'tg_id', value: '1' }]);
        expect((await store.credits.get(A, 'o1'))?.models.linear).toEqual({ conversions: [0.5, 0.5], value: [15, 15] });
      });
    });

    describe('erasure', () => {
      it('memberTokens.deleteByMember deletes a person’s tokens (by identifier, else profile), in that workspace only', async () => {
        const r = store.memberTokens;
        const token = (workspace: string, value: string, member: { type: 'tg_id'; value: string } | null, profileId: string | null) => ({ workspace, token: value, member, profileId, createdAt: '2026-03-01T00:00:00.000Z' });
        await r.issue(A, token(A, 'tokA1', { type: 'tg_id', value: '101' }, null));
        await r.issue(A, token(A, 'tokA2', null, 'p1'));
        await r.issue(A, token(A, 'tokA3', { type: 'tg_id', value: '202' }, 'p2'));
        await r.issue(B, token(B, 'tokB1', { type: 'tg_id', value: '101' }, 'p1'));
        expect(await r.deleteByMember(A, { identifiers: [{ type: 'tg_id', value: '101' }], profileIds: ['p1'] })).toBe(2);
        expect(await r.get(A, 'tokA1')).toBeNull();
        expect(await r.get(A, 'tokA2')).toBeNull();
        expect((await r.get(A, 'tokA3'))?.profileId).toBe('p2');
        expect((await r.get(B, 'tokB1'))?.member).toEqual({ type: 'tg_id', value: '101' });
        expect(await r.deleteByMember(A, { identifiers: [{ type: 'tg_id', value: '101' }], profileIds: ['p1'] })).toBe(0);
        expect(await r.deleteByMember(A, { identifiers: [], profileIds: [] })).toBe(0);
        // The member is free again: a new issue stores the new token.
        expect((await r.issue(A, token(A, 'tokA4', { type: 'tg_id', value: '101' }, null))).token).toBe('tokA4');
      });

      it('clicks.deleteByProfile deletes a member’s clicks, in that workspace only; anonymous clicks stay', async () => {
        const r = store.clicks;
        await r.insert(A, { ...click('c1'), profileId: 'p1' });
        await r.insert(A, { ...click('c2'), profileId: 'p1' });
        await r.insert(A, click('c3'));
        await r.insert(A, { ...click('c4'), profileId: 'p2' });
        await r.insert(B, { ...click('c1', B), profileId: 'p1' });
        expect(await r.deleteByProfile(A, 'p1')).toBe(2);
        expect(await r.get(A, 'c1')).toBeNull();
        expect(await r.get(A, 'c2')).toBeNull();
        expect((await r.get(A, 'c3'))?.profileId).toBeNull();
        expect((await r.get(A, 'c4'))?.profileId).toBe('p2');
        expect((await r.get(B, 'c1'))?.profileId).toBe('p1');
        expect(await r.count(A)).toBe(2);
        expect(await r.deleteByProfile(A, 'p1')).toBe(0);
      });

      it('clicks.deleteBefore deletes the clicks recorded before an instant (retention), in that workspace only', async () => {
        const r = store.clicks;
        await r.insert(A, { ...click('c1'), at: '2026-03-01T10:00:00.000Z' });
        await r.insert(A, { ...click('c2'), at: '2026-03-05T10:00:00.000Z' });
        await r.insert(B, { ...click('c1', B), at: '2026-03-01T10:00:00.000Z' });
        expect(await r.deleteBefore(A, '2026-03-05T10:00:00.000Z')).toBe(1);
        expect(await r.get(A, 'c1')).toBeNull();
        expect(await r.get(A, 'c2')).not.toBeNull();
        expect(await r.get(B, 'c1')).not.toBeNull();
        expect(await r.deleteBefore(A, '2026-03-05T10:00:00.000Z')).toBe(0);
      });

      it('conversions.unlinkRelated keeps the orders but strips the person, in that workspace only; setOutcome then refuses', async () => {
        const r = store.conversions;
        const phone = { type: 'phone' as const, value: 'h:p1' };
        const tg = { type: 'tg_id' as const, value: '101' };
        const matched = (profileId: string) => ({ status: 'matched' as const, match: { rule: 'tg_id' as const, profileId, lowConfidence: false }, reconciledAt: '2026-03-10T00:00:00.000Z' });
        await r.insertMany(A, [
          conversion('o2', '2026-03-02T00:00:00Z', { identifiers: [tg], telegramUsername: 'alice', clickId: 'ck1', coupon: 'SPRING', utm: { campaign: 'vip' }, ...matched('p1') }),
          conversion('o1', '2026-03-01T00:00:00Z', { identifiers: [phone], status: 'unattributed' }),
          conversion('o3', '2026-03-03T00:00:00Z', { identifiers: [{ type: 'email', value: 'h:e' }], ...matched('p1') }),
          conversion('o4', '2026-03-04T00:00:00Z', { identifiers: [{ type: 'tg_id', value: '202' }], ...matched('p2') }),
        ]);
        await r.insert(B, { ...conversion('o1', '2026-03-01T00:00:00Z', { identifiers: [tg], ...matched('p1') }), workspace: B });
        const before = await r.get(A, 'o2');

        const unlinked = await r.unlinkRelated(A, { identifiers: [tg, phone], profileIds: ['p1'], at: '2026-03-20T08:00:00+08:00' });
        expect(unlinked).toEqual(['o1', 'o2', 'o3']);
        const erased = await r.get(A, 'o2');
        const { telegramUsername: _u, clickId: _c, ...kept } = before as ConversionRecord;
        void _u;
        void _c;
        expect(erased).toEqual({ ...kept, identifiers: [], status: 'unattributed', match: null, reconciledAt: '2026-03-20T00:00:00.000Z', erasedAt: '2026-03-20T00:00:00.000Z' });
        expect(erased).not.toHaveProperty('telegramUsername');
        expect(erased).not.toHaveProperty('clickId');
        expect((await r.get(A, 'o1'))?.erasedAt).toBe('2026-03-20T00:00:00.000Z');
        // Nothing leads back to the person; the sales are still there, unattributed.
        expect(await r.list(A, { profileId: 'p1' })).toEqual([]);
        expect(await r.related(A, { identifiers: [tg, phone, { type: 'email', value: 'h:e' }], profileIds: ['p1'] })).toEqual([]);
        expect(ids(await r.list(A, { status: 'unattributed' }))).toEqual(['o1', 'o2', 'o3']);
        expect(await r.count(A)).toBe(4);
        expect(await r.get(A, 'o4')).toMatchObject({ status: 'matched', identifiers: [{ type: 'tg_id', value: '202' }], match: { profileId: 'p2' } });
        expect(await r.get(B, 'o1')).toMatchObject({ status: 'matched', identifiers: [tg], match: { profileId: 'p1' } });
        expect((await r.get(B, 'o1'))?.erasedAt).toBeUndefined();

        // The reconciler can no longer match an erased conversion; others still take outcomes.
        expect(await r.setOutcome(A, 'o2', matched('p9'))).toBe(false);
        expect(await r.get(A, 'o2')).toMatchObject({ status: 'unattributed', match: null });
        expect(await r.list(A, { profileId: 'p9' })).toEqual([]);
        expect(await r.setOutcome(A, 'o4', matched('p9'))).toBe(true);
        expect(await r.setOutcome(A, 'nope', matched('p9'))).toBe(false);
        expect(await r.unlinkRelated(A, { identifiers: [tg, phone], profileIds: ['p1'], at: '2026-03-21T00:00:00Z' })).toEqual([]);
        expect(await r.unlinkRelated(A, { identifiers: [], profileIds: [], at: '2026-03-21T00:00:00Z' })).toEqual([]);
      });

      it('credits.deleteMany deletes the given conversions’ credits, in that workspace only', async () => {
        const r = store.credits;
        for (const id of ['o1', 'o2', 'o3']) await r.put(A, credits(id, '2026-03-01T00:00:00Z'));
        await r.put(B, credits('o1', '2026-03-01T00:00:00Z', B));
        expect(await r.deleteMany(A, ['o1', 'o3', 'nope', 'o1'])).toBe(2);
        expect((await r.list(A, {})).map((c) => c.conversionId)).toEqual(['o2']);
        expect(await r.get(B, 'o1')).not.toBeNull();
        expect(await r.deleteMany(A, [])).toBe(0);
      });
    });

    describe('fits', () => {
      it('put stores a fit under its id (an id already stored stays as it is); coalitions round-trip whatever their number', async () => {
        const r = store.fits;
        expect(await r.get(A, 'f1')).toBeNull();
        await r.put(A, fit('f1', '2026-03-03T08:00:00+08:00', 12_001));
        const got = await r.get(A, 'f1');
        expect(got?.month).toBe('2026-03');
        expect(got?.createdAt).toBe('2026-03-03T00:00:00.000Z');
        expect(got?.coalitions).toHaveLength(12_001);
        expect(got?.coalitions[12_000]).toEqual({ channels: ['c12000', 'z'], conversions: 0, nulls: 1 });
        expect(got?.markov).toEqual(fit('x', '2026-03-01T00:00:00Z').markov);
        expect(got).toEqual({ ...fit('f1', '2026-03-03T00:00:00.000Z', 12_001) });
        await r.put(A, { ...fit('f1', '2026-04-01T00:00:00Z', 1), journeys: 99 });
        expect((await r.get(A, 'f1'))?.journeys).toBe(12_001);
        expect((await r.get(A, 'f1'))?.coalitions).toHaveLength(12_001);
        expect(await r.get(B, 'f1')).toBeNull();
        await expect(r.put(A, fit('bad', '2026-03-01T00:00:00Z', 1, '2026-3'))).rejects.toThrow(/YYYY-MM/);
      });

      it('marks and current fits per month: a refit from older data is refused, old fits of the month are pruned', async () => {
        const r = store.fits;
        expect(await r.month(A, '2026-03')).toBeNull();
        expect(await r.months(A)).toEqual([]);
        await r.markDirty(A, ['2026-03', '2026-04', '2026-03']);
        await r.markDirty(A, ['2026-03']);
        const empty = { workspace: A, fitId: null, fittedAt: null, journeys: 0, conversions: 0, fittedMarks: -1, creditedFitId: null };
        expect(await r.month(A, '2026-03')).toEqual({ ...empty, month: '2026-03', marks: 2 });
        expect(await r.months(A)).toEqual([
          { ...empty, month: '2026-03', marks: 2 },
          { ...empty, month: '2026-04', marks: 1 },
        ]);

        for (const id of ['f1', 'f2', 'f3']) await r.put(A, fit(id, '2026-03-05T00:00:00Z'));
        await r.put(A, fit('g1', '2026-03-05T00:00:00Z', 2, '2026-04'));
        const current = (fitId: string | null, marks: number) => ({ month: '2026-03', fitId, fittedAt: '2026-03-06T08:00:00+08:00', journeys: 5, conversions: 2, marks });
        expect(await r.setCurrent(A, current('f1', 1))).toBe(true);
        expect(await r.month(A, '2026-03')).toEqual({ ...empty, month: '2026-03', marks: 2, fitId: 'f1', fittedAt: '2026-03-06T00:00:00.000Z', journeys: 5, conversions: 2, fittedMarks: 1 });
        // Fitted from the data of mark 2: replaces f1 (kept as the previous one); f3 is pruned.
        expect(await r.setCurrent(A, current('f2', 2))).toBe(true);
        expect((await r.get(A, 'f1'))?.id).toBe('f1');
        expect(await r.get(A, 'f3')).toBeNull();
        // A slow refit that read the data of mark 1 comes last: refused, nothing changes.
        expect(await r.setCurrent(A, current('f1', 1))).toBe(false);
        expect((await r.month(A, '2026-03'))?.fitId).toBe('f2');
        // The same marks again (an on-demand refit with no new data) is accepted.
        expect(await r.setCurrent(A, current('f2', 2))).toBe(true);
        expect(await r.get(A, 'f1')).toBeNull();
        expect((await r.get(A, 'g1'))?.id).toBe('g1');

        await r.setCredited(A, '2026-03', 'f1');
        expect((await r.month(A, '2026-03'))?.creditedFitId).toBeNull();
        await r.setCredited(A, '2026-03', 'f2');
        expect((await r.month(A, '2026-03'))?.creditedFitId).toBe('f2');
        await r.markDirty(A, ['2026-03']);
        expect(await r.month(A, '2026-03')).toMatchObject({ marks: 3, fittedMarks: 2, fitId: 'f2', creditedFitId: 'f2' });

        // A month never marked is created by its first fit.
        expect(await r.setCurrent(A, { month: '2025-12', fitId: null, fittedAt: '2026-03-06T00:00:00Z', journeys: 0, conversions: 0, marks: 0 })).toBe(true);
        expect(await r.month(A, '2025-12')).toEqual({ ...empty, month: '2025-12', marks: 0, fittedMarks: 0, fittedAt: '2026-03-06T00:00:00.000Z' });
        expect((await r.months(A, { from: '2026-01', to: '2026-04' })).map((m) => m.month)).toEqual(['2026-03']);
        expect((await r.months(A, { from: '2026-04' })).map((m) => m.month)).toEqual(['2026-04']);
        expect((await r.months(A, { to: '2026-03' })).map((m) => m.month)).toEqual(['2025-12']);
        expect(await r.months(B)).toEqual([]);
        expect(await r.month(B, '2026-03')).toBeNull();
        await expect(r.markDirty(A, ['March'])).rejects.toThrow(/YYYY-MM/);
        await expect(r.month(A, '2026-13')).rejects.toThrow(/YYYY-MM/);
      });
    });
  });
}
