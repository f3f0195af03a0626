/**
 * The community repositories' contract (`store.community`): groups, invite links, grants,
 * audit log, tracked keywords, digests, erasure confirmations, opt-outs and join requests.
 * `test/store.test.ts` runs it on the memory adapter always and on MongoDB when one is
 * reachable, like the store contract.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, CampaignInviteLink, GroupUpsert } from '../src/store/store.js';
import type { Store } from '../src/store/store.js';

export interface CommunityContractOptions {
  skipReason?: string;
}

const A = 'a';
const B = 'b';

export function group(chatId: string, over: Partial<GroupUpsert> = {}): GroupUpsert {
  return { workspace: A, platform: 'telegram', chatId, title: '团购群 Deals', account: '111', status: 'active', botIsAdmin: false, at: '2026-03-01T10:00:00Z', ...over };
}

export function link(url: string, over: Partial<CampaignInviteLink> = {}): CampaignInviteLink {
  return {
    workspace: A,
    platform: 'telegram',
    chatId: '-1001',
    url,
    campaign: 'spring',
    createsJoinRequest: false,
    createdBy: 'telegram:7',
    createdAt: '2026-03-01T10:00:00Z',
    revokedAt: null,
    ...over,
  };
}

export function audit(id: string, at: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return { workspace: A, id, at, actor: 'telegram:7', chat: { platform: 'telegram', id: '7', type: 'private' }, command: 'report', outcome: 'answered', ...over };
}

export function communityContract(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup: (store: Store) => Promise<void> = async () => undefined,
  options: CommunityContractOptions = {},
): void {
  const title = options.skipReason ? `community repos contract: ${name} (skipped: ${options.skipReason})` : `community repos contract: ${name}`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup(store);
    });

    describe('groups', () => {
      it('upsert creates, then updates the given fields, keeping registeredAt and unset fields', async () => {
        const first = await store.community.groups.upsert(A, group('-1001', { addedBy: 'telegram:7', at: '2026-03-01T18:00:00+08:00' }));
        expect(first).toStrictEqual({
          workspace: A,
          platform: 'telegram',
          chatId: '-1001',
          title: '团购群 Deals',
          account: '111',
          status: 'active',
          botIsAdmin: false,
          addedBy: 'telegram:7',
          registeredAt: '2026-03-01T10:00:00.000Z',
          updatedAt: '2026-03-01T10:00:00.000Z',
        });
        await store.community.groups.upsert(A, group('-1001', { title: 'Renamed', botIsAdmin: true, at: '2026-03-02T10:00:00Z' }));
        const got = await store.community.groups.get(A, 'telegram', '-1001');
        expect(got).toMatchObject({ title: 'Renamed', botIsAdmin: true, addedBy: 'telegram:7', registeredAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-02T10:00:00.000Z' });
        expect(await store.community.groups.get(A, 'whatsapp', '-1001')).toBeNull();
        expect(await store.community.groups.get(B, 'telegram', '-1001')).toBeNull();
      });

      it('lists by registration time then chat id, filtered by status', async () => {
        await store.community.groups.upsert(A, group('-3', { at: '2026-03-02T00:00:00Z' }));
        await store.community.groups.upsert(A, group('-2', { at: '2026-03-01T00:00:00Z', status: 'left' }));
        await store.community.groups.upsert(A, group('-1', { at: '2026-03-01T00:00:00Z' }));
        expect((await store.community.groups.list(A)).map((g) => g.chatId)).toEqual(['-1', '-2', '-3']);
        expect((await store.community.groups.list(A, { status: 'active' })).map((g) => g.chatId)).toEqual(['-1', '-3']);
        expect(await store.community.groups.list(B)).toEqual([]);
      });
    });

    describe('invite links', () => {
      it('inserts once per url, finds by url, lists by creation time without revoked ones unless asked', async () => {
        expect(await store.community.inviteLinks.insert(A, link('https://t.me/+b', { createdAt: '2026-03-02T00:00:00Z' }))).toBe('inserted');
        expect(await store.community.inviteLinks.insert(A, link('https://t.me/+a', { campaign: '双11', createsJoinRequest: true }))).toBe('inserted');
        expect(await store.community.inviteLinks.insert(A, link('https://t.me/+a', { campaign: 'other' }))).toBe('duplicate');
        expect(await store.community.inviteLinks.findByUrl(A, 'telegram', 'https://t.me/+a')).toStrictEqual({
          ...link('https://t.me/+a', { campaign: '双11', createsJoinRequest: true }),
          createdAt: '2026-03-01T10:00:00.000Z',
        });
        expect((await store.community.inviteLinks.list(A)).map((l) => l.url)).toEqual(['https://t.me/+a', 'https://t.me/+b']);
        expect(await store.community.inviteLinks.markRevoked(A, 'telegram', 'https://t.me/+a', '2026-03-03T00:00:00Z')).toBe(true);
        expect(await store.community.inviteLinks.markRevoked(A, 'telegram', 'https://t.me/+a', '2026-03-04T00:00:00Z')).toBe(true);
        expect(await store.community.inviteLinks.markRevoked(A, 'telegram', 'https://t.me/+nope', '2026-03-04T00:00:00Z')).toBe(false);
        expect((await store.community.inviteLinks.list(A)).map((l) => l.url)).toEqual(['https://t.me/+b']);
        const all = await store.community.inviteLinks.list(A, { includeRevoked: true });
        expect(all.map((l) => [l.url, l.revokedAt])).toEqual([
          ['https://t.me/+a', '2026-03-03T00:00:00.000Z'],
          ['https://t.me/+b', null],
        ]);
        expect((await store.community.inviteLinks.list(A, { campaign: 'spring' })).map((l) => l.url)).toEqual(['https://t.me/+b']);
        expect(await store.community.inviteLinks.list(A, { chatId: '-2' })).toEqual([]);
        expect(await store.community.inviteLinks.findByUrl(B, 'telegram', 'https://t.me/+a')).toBeNull();
      });
    });

    describe('grants', () => {
      it('grants once per subject and role, lists in order, revokes', async () => {
        const g = { workspace: A, grantedBy: 'telegram:1', grantedAt: '2026-03-01T00:00:00Z' };
        expect(await store.community.grants.grant(A, { ...g, subject: 'telegram:9', role: 'operator' })).toBe('inserted');
        expect(await store.community.grants.grant(A, { ...g, subject: 'telegram:9', role: 'manager' })).toBe('inserted');
        expect(await store.community.grants.grant(A, { ...g, subject: 'telegram:8', role: 'manager' })).toBe('inserted');
        expect(await store.community.grants.grant(A, { ...g, subject: 'telegram:9', role: 'manager' })).toBe('duplicate');
        expect((await store.community.grants.ofSubject(A, 'telegram:9')).map((x) => x.role)).toEqual(['manager', 'operator']);
        expect((await store.community.grants.list(A)).map((x) => `${x.subject}/${x.role}`)).toEqual(['telegram:8/manager', 'telegram:9/manager', 'telegram:9/operator']);
        expect(await store.community.grants.revoke(A, 'telegram:9', 'manager')).toBe(true);
        expect(await store.community.grants.revoke(A, 'telegram:9', 'manager')).toBe(false);
        expect(await store.community.grants.ofSubject(B, 'telegram:9')).toEqual([]);
      });
    });

    describe('audit log', () => {
      it('appends entries (an id once), lists by time then id with filters and limit, erases an actor', async () => {
        await store.community.audit.append(A, audit('e2', '2026-03-01T10:00:00Z'));
        await store.community.audit.append(A, audit('e1', '2026-03-01T18:00:00+08:00', { outcome: 'refused', detail: 'member' }));
        await store.community.audit.append(A, audit('e3', '2026-03-02T00:00:00Z', { actor: 'telegram:8' }));
        await store.community.audit.append(A, audit('e3', '2026-03-09T00:00:00Z', { actor: 'telegram:X' }));
        const all = await store.community.audit.list(A);
        expect(all.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
        expect(all[0]).toStrictEqual(audit('e1', '2026-03-01T10:00:00.000Z', { outcome: 'refused', detail: 'member' }));
        expect((await store.community.audit.list(A, { actor: 'telegram:8' })).map((e) => e.id)).toEqual(['e3']);
        expect((await store.community.audit.list(A, { from: '2026-03-01T10:00:00Z', to: '2026-03-02T00:00:00Z' })).map((e) => e.id)).toEqual(['e1', 'e2']);
        expect((await store.community.audit.list(A, { limit: 1 })).map((e) => e.id)).toEqual(['e1']);
        expect(await store.community.audit.eraseActor(A, 'telegram:7')).toBe(2);
        expect((await store.community.audit.list(A)).map((e) => e.actor)).toEqual(['erased', 'erased', 'telegram:8']);
        expect(await store.community.audit.list(B)).toEqual([]);
      });
    });

    describe('keywords', () => {
      it('adds once per normalized key, lists by time, removes', async () => {
        const k = (keyword: string, key: string, addedAt: string) => ({ workspace: A, keyword, key, addedBy: 'telegram:7', addedAt });
        expect(await store.community.keywords.add(A, k('发货', '发货', '2026-03-02T00:00:00Z'))).toBe('inserted');
        expect(await store.community.keywords.add(A, k('Price', 'price', '2026-03-01T00:00:00Z'))).toBe('inserted');
        expect(await store.community.keywords.add(A, k('PRICE', 'price', '2026-03-03T00:00:00Z'))).toBe('duplicate');
        expect((await store.community.keywords.list(A)).map((x) => x.keyword)).toEqual(['Price', '发货']);
        expect(await store.community.keywords.remove(A, 'price')).toBe(true);
        expect(await store.community.keywords.remove(A, 'price')).toBe(false);
        expect((await store.community.keywords.list(A)).map((x) => x.key)).toEqual(['发货']);
        expect(await store.community.keywords.list(B)).toEqual([]);
      });
    });

    describe('digests', () => {
      it('put replaces a chat’s subscription keeping its last run; claimRun lets exactly one caller send a run', async () => {
        const sub = { workspace: A, platform: 'telegram' as const, chatId: '7', account: '111', frequency: 'daily' as const, subscribedBy: 'telegram:7', subscribedAt: '2026-03-01T00:00:00Z' };
        await store.community.digests.put(A, sub);
        expect(await store.community.digests.get(A, 'telegram', '7')).toStrictEqual({ ...sub, subscribedAt: '2026-03-01T00:00:00.000Z', lastRunKey: null });
        const claims = await Promise.all([1, 2, 3].map(() => store.community.digests.claimRun(A, 'telegram', '7', '2026-03-02')));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await store.community.digests.claimRun(A, 'telegram', '7', '2026-03-02')).toBe(false);
        await store.community.digests.put(A, { ...sub, frequency: 'weekly' });
        expect(await store.community.digests.get(A, 'telegram', '7')).toMatchObject({ frequency: 'weekly', lastRunKey: '2026-03-02' });
        expect(await store.community.digests.claimRun(A, 'telegram', '7', '2026-03-03')).toBe(true);
        expect(await store.community.digests.claimRun(A, 'telegram', 'nope', '2026-03-03')).toBe(false);
        await store.community.digests.put(A, { ...sub, chatId: '-100' });
        expect((await store.community.digests.list(A)).map((d) => d.chatId)).toEqual(['-100', '7']);
        expect(await store.community.digests.remove(A, 'telegram', '7')).toBe(true);
        expect(await store.community.digests.remove(A, 'telegram', '7')).toBe(false);
        expect(await store.community.digests.list(B)).toEqual([]);
      });
    });

    describe('erasure confirmations and opt-outs', () => {
      it('take confirms only the right code before expiry, once', async () => {
        const p = { workspace: A, subject: 'telegram:7', code: 'K7Q2', expiresAt: '2026-03-01T10:10:00Z' };
        await store.community.erasures.put(A, p);
        expect(await store.community.erasures.take(A, 'telegram:7', 'WRONG', '2026-03-01T10:00:00Z')).toBe(false);
        expect(await store.community.erasures.take(B, 'telegram:7', 'K7Q2', '2026-03-01T10:00:00Z')).toBe(false);
        expect(await store.community.erasures.take(A, 'telegram:7', 'K7Q2', '2026-03-01T10:10:00Z')).toBe(false);
        expect(await store.community.erasures.take(A, 'telegram:7', 'K7Q2', '2026-03-01T10:00:00Z')).toBe(true);
        expect(await store.community.erasures.take(A, 'telegram:7', 'K7Q2', '2026-03-01T10:00:00Z')).toBe(false);
        await store.community.erasures.put(A, p);
        await store.community.erasures.clear(A, 'telegram:7');
        expect(await store.community.erasures.take(A, 'telegram:7', 'K7Q2', '2026-03-01T10:00:00Z')).toBe(false);
      });

      it('opt-outs are idempotent and per workspace', async () => {
        await store.community.optOuts.add(A, 'telegram:7', '2026-03-01T00:00:00Z');
        await store.community.optOuts.add(A, 'telegram:7', '2026-03-02T00:00:00Z');
        expect(await store.community.optOuts.has(A, 'telegram:7')).toBe(true);
        expect(await store.community.optOuts.has(B, 'telegram:7')).toBe(false);
        expect(await store.community.optOuts.remove(A, 'telegram:7')).toBe(true);
        expect(await store.community.optOuts.has(A, 'telegram:7')).toBe(false);
      });
    });

    describe('join requests', () => {
      it('take returns a pending request once (unless expired); removeUser erases a person’s requests', async () => {
        const r = { workspace: A, platform: 'telegram' as const, chatId: '-1001', userId: '7', touchId: 't1', requestedAt: '2026-03-01T00:00:00Z', expiresAt: '2026-03-31T00:00:00Z' };
        await store.community.joinRequests.put(A, r);
        expect(await store.community.joinRequests.take(A, 'telegram', '-1001', '7', '2026-03-02T00:00:00Z')).toStrictEqual({
          ...r,
          requestedAt: '2026-03-01T00:00:00.000Z',
          expiresAt: '2026-03-31T00:00:00.000Z',
        });
        expect(await store.community.joinRequests.take(A, 'telegram', '-1001', '7', '2026-03-02T00:00:00Z')).toBeNull();
        await store.community.joinRequests.put(A, r);
        expect(await store.community.joinRequests.take(A, 'telegram', '-1001', '7', '2026-04-01T00:00:00Z')).toBeNull();
        await store.community.joinRequests.put(A, r);
        await store.community.joinRequests.put(A, { ...r, chatId: '-1002' });
        await store.community.joinRequests.put(A, { ...r, userId: '8' });
        expect(await store.community.joinRequests.removeUser(A, 'telegram', '7')).toBe(2);
        expect(await store.community.joinRequests.take(A, 'telegram', '-1001', '8', '2026-03-02T00:00:00Z')).not.toBeNull();
      });
    });

    describe('erasure runs', () => {
      const run = (subject: string, startedAt: string) => ({
        workspace: A,
        subject,
        platform: 'telegram' as const,
        userId: subject.split(':')[1] ?? '',
        identifiers: [{ type: 'tg_id' as const, value: subject.split(':')[1] ?? '' }],
        profileIds: [],
        usernames: [],
        conversionIds: [],
        startedAt,
      });
      it('start records a run once, extend grows its lists as sets, list orders unfinished runs, finish removes one', async () => {
        const first = await store.community.erasureRuns.start(A, run('telegram:7', '2026-03-01T10:00:00+08:00'));
        expect(first).toStrictEqual({ ...run('telegram:7', '2026-03-01T02:00:00.000Z') });
        // A second start of the same subject keeps the first run.
        expect(await store.community.erasureRuns.start(A, { ...run('telegram:7', '2026-03-05T00:00:00Z'), profileIds: ['p9'] })).toStrictEqual(first);
        const grown = await store.community.erasureRuns.extend(A, 'telegram:7', { identifiers: [{ type: 'phone', value: 'h1' }, { type: 'tg_id', value: '7' }], profileIds: ['p1', 'p2'], conversionIds: ['o-1'] });
        expect(grown).toMatchObject({ identifiers: [{ type: 'tg_id', value: '7' }, { type: 'phone', value: 'h1' }], profileIds: ['p1', 'p2'], usernames: [], conversionIds: ['o-1'] });
        const again = await store.community.erasureRuns.extend(A, 'telegram:7', { profileIds: ['p2', 'p3'], usernames: ['alice'], conversionIds: ['o-1', 'o-2'] });
        expect(again).toMatchObject({ profileIds: ['p1', 'p2', 'p3'], usernames: ['alice'], conversionIds: ['o-1', 'o-2'] });
        expect(await store.community.erasureRuns.extend(A, 'telegram:8', { profileIds: ['p1'] })).toBeNull();
        await store.community.erasureRuns.start(A, run('telegram:5', '2026-03-01T01:00:00Z'));
        await store.community.erasureRuns.start(A, run('telegram:6', '2026-03-01T03:00:00Z'));
        await store.community.erasureRuns.start(B, { ...run('telegram:7', '2026-03-01T00:00:00Z'), workspace: B });
        expect((await store.community.erasureRuns.list(A)).map((r) => r.subject)).toEqual(['telegram:5', 'telegram:7', 'telegram:6']);
        expect((await store.community.erasureRuns.list(A, { startedBefore: '2026-03-01T02:00:00Z' })).map((r) => r.subject)).toEqual(['telegram:5']);
        expect(await store.community.erasureRuns.finish(A, 'telegram:7')).toBe(true);
        expect(await store.community.erasureRuns.finish(A, 'telegram:7')).toBe(false);
        expect((await store.community.erasureRuns.list(A)).map((r) => r.subject)).toEqual(['telegram:5', 'telegram:6']);
        expect((await store.community.erasureRuns.list(B)).map((r) => r.subject)).toEqual(['telegram:7']);
        await expect(store.community.erasureRuns.start(A, { ...run('telegram:1', '2026-03-01T00:00:00Z'), workspace: B })).rejects.toThrow(/workspace/);
      });
    });
  });
}
