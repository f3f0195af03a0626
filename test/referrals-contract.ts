/**
 * The referral repository's contract (`store.referrals`): one edge per invitee and group (the
 * earliest invitation wins whatever the arrival order), leaves, lookups in both directions,
 * time ranges, erasure in both directions, personal invite links and group switches.
 * `test/store.test.ts` runs it on the memory adapter always and on MongoDB when one is reachable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identifier } from '../src/identity/identifier.js';
import { referralEdgeId } from '../src/store/referrals/referral-rules.js';
import type { PersonalInviteLink, ReferralEdge, Store } from '../src/store/store.js';

const A = 'a';
const B = 'b';
const tg = (v: string): Identifier => ({ type: 'tg_id', value: v });

export function edge(inviter: string, invitee: string, at: string, over: Partial<ReferralEdge> = {}): ReferralEdge {
  const chatId = over.chatId ?? '-1001';
  return { workspace: A, id: referralEdgeId('telegram', chatId, tg(invitee)), platform: 'telegram', chatId, chatTitle: '团购群', inviter: tg(inviter), invitee: tg(invitee), kind: 'personal_link', at, source: `touch-${invitee}-${at}`, leftAt: null, ...over };
}

function personalLink(member: string, url: string, over: Partial<PersonalInviteLink> = {}): PersonalInviteLink {
  return { workspace: A, platform: 'telegram', chatId: '-1001', member: tg(member), url, name: 'ref:abcdefgh', createdAt: '2026-03-01T00:00:00.000Z', revokedAt: null, ...over };
}

export function referralsContract(name: string, makeStore: () => Promise<Store>, cleanup: (store: Store) => Promise<void> = async () => undefined, options: { skipReason?: string } = {}): void {
  const title = options.skipReason ? `referrals repo contract: ${name} (skipped: ${options.skipReason})` : `referrals repo contract: ${name}`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup(store);
    });

    it('one edge per invitee and group: the earliest invitation wins in any arrival order; times come back canonical', async () => {
      expect(await store.referrals.add(A, edge('1', '9', '2026-03-02T08:00:00+08:00', { kind: 'added_by' }))).toBe('inserted');
      expect(await store.referrals.add(A, edge('2', '9', '2026-03-03T00:00:00Z'))).toBe('kept');
      expect(await store.referrals.add(A, edge('3', '9', '2026-03-01T00:00:00Z'))).toBe('replaced');
      expect(await store.referrals.add(A, edge('4', '9', '2026-03-01T00:00:00Z', { chatId: '-1002' }))).toBe('inserted');
      const list = await store.referrals.list(A);
      expect(list.map((e) => [e.inviter.value, e.chatId, e.at])).toEqual([
        ['3', '-1001', '2026-03-01T00:00:00.000Z'],
        ['4', '-1002', '2026-03-01T00:00:00.000Z'],
      ]);
      expect(await store.referrals.list(B)).toEqual([]);
    });

    it('a leave sets leftAt once (the first after the join); earlier leaves and unknown invitees change nothing', async () => {
      await store.referrals.add(A, edge('1', '9', '2026-03-01T00:00:00Z'));
      expect(await store.referrals.markLeft(A, 'telegram', '-1001', tg('8'), '2026-03-02T00:00:00Z')).toBeNull();
      expect((await store.referrals.markLeft(A, 'telegram', '-1001', tg('9'), '2026-02-28T00:00:00Z'))?.leftAt).toBeNull();
      expect((await store.referrals.markLeft(A, 'telegram', '-1001', tg('9'), '2026-03-05T00:00:00Z'))?.leftAt).toBe('2026-03-05T00:00:00.000Z');
      expect((await store.referrals.markLeft(A, 'telegram', '-1001', tg('9'), '2026-03-04T00:00:00+08:00'))?.leftAt).toBe('2026-03-03T16:00:00.000Z');
      expect((await store.referrals.markLeft(A, 'telegram', '-1001', tg('9'), '2026-03-09T00:00:00Z'))?.leftAt).toBe('2026-03-03T16:00:00.000Z');
      expect(await store.referrals.markLeft(B, 'telegram', '-1001', tg('9'), '2026-03-09T00:00:00Z')).toBeNull();
    });

    it('finds edges by invitee and by inviter, lists a time range and a group, and erases a person in both directions', async () => {
      await store.referrals.add(A, edge('1', '2', '2026-03-01T00:00:00Z'));
      await store.referrals.add(A, edge('2', '3', '2026-03-02T00:00:00Z'));
      await store.referrals.add(A, edge('3', '4', '2026-03-03T00:00:00Z', { chatId: '-1002' }));
      expect((await store.referrals.ofInvitees(A, [tg('3'), tg('4')])).map((e) => e.invitee.value)).toEqual(['3', '4']);
      expect((await store.referrals.ofInviters(A, [tg('2')])).map((e) => e.invitee.value)).toEqual(['3']);
      expect((await store.referrals.list(A, { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' })).map((e) => e.invitee.value)).toEqual(['3']);
      expect((await store.referrals.list(A, { chatId: '-1002' })).map((e) => e.invitee.value)).toEqual(['4']);
      expect(await store.referrals.deleteByPerson(B, [tg('2')])).toBe(0);
      expect(await store.referrals.deleteByPerson(A, [tg('2')])).toBe(2);
      expect((await store.referrals.list(A)).map((e) => `${e.inviter.value}>${e.invitee.value}`)).toEqual(['3>4']);
    });

    it('personal invite links: one per member and group, found by URL, replaced on revocation, erased by member', async () => {
      await store.referrals.putLink(A, personalLink('1', 'https://t.me/+one'));
      await store.referrals.putLink(A, personalLink('1', 'https://t.me/+two', { chatId: '-1002' }));
      await store.referrals.putLink(A, personalLink('2', 'https://t.me/+three'));
      expect((await store.referrals.linkOf(A, 'telegram', '-1001', tg('1')))?.url).toBe('https://t.me/+one');
      expect((await store.referrals.linkByUrl(A, 'telegram', 'https://t.me/+three'))?.member).toEqual(tg('2'));
      expect(await store.referrals.linkByUrl(B, 'telegram', 'https://t.me/+three')).toBeNull();
      await store.referrals.putLink(A, personalLink('1', 'https://t.me/+one', { revokedAt: '2026-03-05T00:00:00.000Z' }));
      expect((await store.referrals.linkOf(A, 'telegram', '-1001', tg('1')))?.revokedAt).toBe('2026-03-05T00:00:00.000Z');
      expect((await store.referrals.linksOf(A, [tg('1')])).map((l) => l.url).sort()).toEqual(['https://t.me/+one', 'https://t.me/+two']);
      expect(await store.referrals.deleteLinks(A, [tg('1')])).toBe(2);
      expect(await store.referrals.linkOf(A, 'telegram', '-1001', tg('1'))).toBeNull();
      expect(await store.referrals.linkByUrl(A, 'telegram', 'https://t.me/+three')).not.toBeNull();
    });

    it('personal links are on in a group until turned off, and on again', async () => {
      expect(await store.referrals.groupEnabled(A, 'telegram', '-1001')).toBe(true);
      await store.referrals.setGroupEnabled(A, 'telegram', '-1001', false);
      await store.referrals.setGroupEnabled(A, 'telegram', '-1001', false);
      expect(await store.referrals.groupEnabled(A, 'telegram', '-1001')).toBe(false);
      expect(await store.referrals.groupEnabled(B, 'telegram', '-1001')).toBe(true);
      await store.referrals.setGroupEnabled(A, 'telegram', '-1001', true);
      expect(await store.referrals.groupEnabled(A, 'telegram', '-1001')).toBe(true);
    });
  });
}
