/**
 * Personal tracked links as invitations, and erasure of referral chains:
 * - a member's personal link (`/l/<code>/<token>`) clicked by someone else who then buys (the
 *   order carries the click id and the buyer's own Telegram id): the buyer is matched, the
 *   click and a referral step naming the member are in their journey, and a `tracked_link`
 *   edge is stored;
 * - erasing a person removes the edges naming them, as inviter and as invitee.
 */
import { describe, expect, it } from 'vitest';
import { eraseMember } from '../src/commands/erase-member.js';
import { clickTouch } from '../src/links/record-click.js';
import { createMemoryLocker } from '../src/lock.js';
import { recordTouch } from '../src/profile/record-touch.js';
import { createFitCache } from '../src/reconcile/fit-models.js';
import { reconcileConversion } from '../src/reconcile/reconcile-conversion.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { noteReferralTouch } from '../src/referrals/index.js';
import { workspaceConfigSchema } from '../src/config.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ClickRecord, ConversionRecord, CreditSet, Store } from '../src/store/store.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const locker = createMemoryLocker();
const lockKey = (w: string, p: string): string => `${w}:${p}`;

const profileOf = async (store: Store, tgId: string): Promise<string> => (await store.identities.find(WS, [{ type: 'tg_id', value: tgId }])).get(`tg_id|${tgId}`) as string;

describe('personal tracked links and erasure', () => {
  it('someone else buying through a member’s personal link is the member’s invitee; erasure removes edges both ways', async () => {
    const store = createMemoryStore();
    // Alice (101) and Bob (202) are both members of the group.
    await recordTouch({ store, locker, lockKey }, touch({ kind: 'join', ref: 'alice-join', at: '2026-03-01T00:00:00Z', actor: { userId: '101' }, details: { via: 'invite_link', campaign: 'spring' } }));
    await recordTouch({ store, locker, lockKey }, touch({ kind: 'join', ref: 'bob-join', at: '2026-03-02T00:00:00Z', actor: { userId: '202' }, details: { via: 'unknown' } }));
    const alice = await profileOf(store, '101');
    const bob = await profileOf(store, '202');
    const link = { workspace: WS, code: 'Sh0p42ab', destination: 'https://shop.example.com/p/42', platform: 'telegram' as const, campaign: 'spring', chatId: '-1001', chatTitle: '团购群 Deals', createdAt: '2026-03-01T00:00:00Z' };
    await store.links.insert(WS, link);
    // Alice's personal link, clicked by Bob (the click is recorded on Alice's profile: the link is hers).
    const click: ClickRecord = { workspace: WS, clickId: 'clk000000000000001', code: link.code, touchId: '', at: '2026-03-05T00:00:00.000Z', profileId: alice, visitorHash: 'v', chatId: '-1001', chatTitle: '团购群 Deals', campaign: 'spring' };
    const clickT = clickTouch(link, click);
    click.touchId = clickT.id;
    await store.clicks.insert(WS, click);
    await recordTouch({ store, locker, lockKey }, clickT);

    const order: ConversionRecord = { workspace: WS, id: 'o1', type: 'purchase', occurredAt: '2026-03-06T00:00:00.000Z', value: 90, currency: 'CNY', identifiers: [{ type: 'tg_id', value: '202' }], clickId: click.clickId, fingerprint: 'o1', source: 'webhook', receivedAt: '2026-03-06T00:00:00.000Z', status: 'pending', match: null, reconciledAt: null };
    await store.conversions.insert(WS, order);
    const deps = { store, locker, conversionLockKey: (w: string, k: string) => `c:${w}:${k}`, profileLockKey: lockKey, settings: settingsLookup([{ ...workspaceConfigSchema.parse({ id: WS }) }]), fit: createFitCache(store).forMonth };
    const result = await reconcileConversion(deps, WS, 'o1');
    expect(result).toMatchObject({ status: 'matched', match: { rule: 'click_id', profileId: bob } });
    expect(result.newEdge).toMatchObject({ kind: 'tracked_link', inviter: { type: 'tg_id', value: '101' }, invitee: { type: 'tg_id', value: '202' }, campaign: 'spring', at: '2026-03-05T00:00:00.000Z' });
    const set = (await store.credits.get(WS, 'o1')) as CreditSet;
    expect(set.touches.map((t) => `${t.kind}${t.referrer ? `:${t.referrer}` : ''}`)).toEqual(['join', `referral:${alice}`, 'link_click']);
    // Reconciled again: the same edge, no new one.
    expect((await reconcileConversion(deps, WS, 'o1')).newEdge).toBeUndefined();

    // Carol (303) was added by Bob: an edge where Bob is the inviter.
    const carolJoin = touch({ kind: 'join', ref: 'carol-join', at: '2026-03-07T00:00:00Z', actor: { userId: '303' }, details: { via: 'added', addedBy: '202' } });
    await recordTouch({ store, locker, lockKey }, carolJoin);
    await noteReferralTouch({ store, settings: () => undefined }, carolJoin);
    expect((await store.referrals.list(WS)).map((e) => `${e.inviter.value}>${e.invitee.value}`)).toEqual(['101>202', '202>303']);

    // Bob asks to be forgotten: both edges name him (invitee of Alice, inviter of Carol).
    const erased = await eraseMember(store, WS, 'telegram', '202', new Date('2026-03-10T00:00:00Z'));
    expect(erased.referrals).toBe(2);
    expect(await store.referrals.list(WS)).toEqual([]);
  });
});
