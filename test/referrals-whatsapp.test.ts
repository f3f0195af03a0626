/**
 * WhatsApp `add` notifications as referral edges: whatsapp-web.js GroupNotification objects
 * (built by the library's own class from fixtures), mapped by the connector, recorded by the
 * profile pipeline, then noted for referrals: the author who added each recipient is their
 * inviter (`whatsapp_add`), named only by hashed WhatsApp ids; a leave within `referralMinDays`
 * stops the invitee counting.
 */
import { describe, expect, it } from 'vitest';
import { mapGroupJoin, mapGroupLeave, type MessageMapOptions } from '../bots/whatsapp/map-events.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { createMemoryLocker } from '../src/lock.js';
import { recordTouch } from '../src/profile/record-touch.js';
import { noteReferralTouch, type ReferralDeps } from '../src/referrals/index.js';
import { createReports } from '../src/reports/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { parseTouchEvent, type TouchEvent } from '../src/touch-event.js';
import { CLEAR_LIDS, CLEAR_PHONES, WA, waObject } from './fixtures/whatsapp/index.js';

const hash = makePseudonymizer('test-hash-key-0123456789abcdef', 'acme');
const ctx: MessageMapOptions = { workspace: 'acme', account: 'wa1', hash, selfIds: new Set([WA.me, WA.meLid]), phones: new Map([[WA.bobLid, WA.bob]]), chatTitle: WA.groupTitle, matcher: compileKeywords(['price']) };

function touches(outcome: ReturnType<typeof mapGroupJoin>): TouchEvent[] {
  if (!outcome.ok) throw new Error(`dropped: ${outcome.reason}`);
  return outcome.touches.map((t) => parseTouchEvent(t));
}

describe('referral edges from WhatsApp add notifications', () => {
  it('the author who added each recipient is their inviter; a fast leave stops one counting', async () => {
    const store = createMemoryStore();
    const deps: ReferralDeps = { store, settings: () => ({ referralMinDays: 3 }) };
    const record = async (list: TouchEvent[]): Promise<void> => {
      for (const t of list) {
        await recordTouch({ store, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` }, t);
        await noteReferralTouch(deps, t);
      }
    };
    const add = waObject('notification-add');
    await record(touches(mapGroupJoin(add, ctx)));

    const admin = hash('wa_id', '+8613900139000');
    const bob = hash('wa_id', '+447700900123');
    const dave = hash('wa_id', WA.daveLid);
    const edges = await store.referrals.list('acme');
    expect(edges.map((e) => [e.kind, e.inviter, e.invitee, e.chatId, e.platform])).toEqual([
      ['whatsapp_add', { type: 'wa_id', value: admin }, { type: 'wa_id', value: bob }, WA.group, 'whatsapp'],
      ['whatsapp_add', { type: 'wa_id', value: admin }, { type: 'wa_id', value: dave }, WA.group, 'whatsapp'],
    ]);
    // Nothing clear is stored with the edges.
    const stored = JSON.stringify(edges);
    for (const clear of [...CLEAR_PHONES, ...CLEAR_LIDS]) expect(stored).not.toContain(clear);

    // The same notification again is the same edges.
    await record(touches(mapGroupJoin(waObject('notification-add'), ctx)));
    expect(await store.referrals.list('acme')).toHaveLength(2);

    // Dave leaves a day after being added: within referralMinDays, so he does not count.
    const addedAt = Number((add as { timestamp?: number }).timestamp ?? 1772366400);
    await record(touches(mapGroupLeave(waObject('notification-leave', (d) => (d.t = addedAt + 86_400)), ctx)));
    const daveEdge = (await store.referrals.list('acme')).find((e) => e.invitee.value === dave);
    expect(daveEdge?.leftAt).toBe(new Date((addedAt + 86_400) * 1000).toISOString());

    const period = { from: '2026-01-01T00:00:00.000Z', to: '2026-12-31T00:00:00.000Z', label: '2026' };
    const r = await createReports(store, [{ id: 'acme', referralMinDays: 3 }]).referrals!('acme', { period });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ key: `wa_id|${admin}`, joined: 2, invitees: 1, byKind: { whatsapp_add: 1 } });
  });
});
