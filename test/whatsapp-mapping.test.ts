/**
 * WhatsApp event objects → touches (pure). Every input is built by whatsapp-web.js's own
 * classes (`Message`, `GroupNotification`) from the raw data WhatsApp Web hands the
 * library (`test/fixtures/whatsapp/`), so the objects are exactly what its events emit.
 */
import { describe, expect, it } from 'vitest';
import {
  mapGroupJoin,
  mapGroupLeave,
  mapMembershipRequest,
  mapMessage,
  parseDmStartCode,
  safeUrl,
  selfMembership,
  type MessageMapOptions,
} from '../bots/whatsapp/map-events.js';
import { personIdentity, publicChatId } from '../bots/whatsapp/wa-ids.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../src/touch-event.js';
import { CLEAR_LIDS, CLEAR_PHONES, WA, waObject } from './fixtures/whatsapp/index.js';

const HASH_KEY = 'test-hash-key-0123456789abcdef';
const hash = makePseudonymizer(HASH_KEY, 'acme');
const SELF = new Set([WA.me, WA.meLid]);
const PHONES = new Map([[WA.bobLid, WA.bob]]);
const ctx: MessageMapOptions = {
  workspace: 'acme',
  account: 'wa1',
  hash,
  selfIds: SELF,
  phones: PHONES,
  chatTitle: WA.groupTitle,
  matcher: compileKeywords(['price', '价格', '发货', 'discount']),
};

const wa = (e164: string) => ({ userId: hash('wa_id', e164), phoneHash: hash('phone', e164) });
const ALICE = wa('+8613800138001');
const BOB = wa('+447700900123');
const CAROL = wa('+14155550100');
const ADMIN = wa('+8613900139000');
const DAVE = { userId: hash('wa_id', WA.daveLid), lidHash: hash('wa_id', WA.daveLid) };
/** Bob seen by his linked id with his phone known: his phone identity, plus his linked id. */
const BOB_BY_LID = { ...BOB, lidHash: hash('wa_id', WA.bobLid) };

function touches(outcome: ReturnType<typeof mapMessage>): TouchEvent[] {
  if (!outcome.ok) throw new Error(`dropped: ${outcome.reason}`);
  // Every touch must pass the product's own schema.
  return outcome.touches.map((t) => parseTouchEvent(t));
}
const byKind = (list: TouchEvent[], kind: string): TouchEvent | undefined => list.find((t) => t.kind === kind);
/** The facets of the (one) message touch in a list. */
function facets(list: TouchEvent[]): { keywords?: string[]; mentioned?: string[]; urls?: string[] } {
  const m = list.find((t) => t.kind === 'message');
  if (m?.kind !== 'message') throw new Error('no message touch');
  return m.details;
}

/** Nothing clear: no phone digits, no linked ids, no message text. */
function expectNothingClear(data: unknown, texts: string[] = []): void {
  const json = JSON.stringify(data);
  for (const s of [...CLEAR_PHONES, ...CLEAR_LIDS, ...texts]) expect(json).not.toContain(s);
}

describe('whatsapp mapping: group messages', () => {
  it('a text message is one message touch with its keywords, hashed mentions and links as facets, and a deterministic id', () => {
    const list = touches(mapMessage(waObject('message-group-text'), ctx));
    expect(list.map((t) => t.kind)).toEqual(['message']);
    for (const t of list) {
      expect(t).toMatchObject({ workspace: 'acme', platform: 'whatsapp', account: 'wa1', chat: { id: WA.group, title: WA.groupTitle, type: 'group' }, actor: ALICE, occurredAt: '2026-03-02T10:00:00.000Z' });
      // The key id, not the `_serialized` id (which starts with the receiver's fromMe flag).
      expect(t.id).toBe(makeTouchId('whatsapp', WA.group, '3EB0C431D5A2B8E9F701', t.kind));
    }
    const details = facets(list);
    expect(details.keywords).toEqual(['价格', 'price']);
    expect(details.mentioned).toEqual([BOB.userId]);
    const urls = details.urls ?? [];
    expect(urls[0]).toBe('https://shop.example.com/p/42?ref=wa');
    // A click-to-chat link keeps its shape, not the number nor the prefilled text.
    expect(urls[1]).toBe(`https://wa.me/h-${hash('phone', '+8613900139000').slice(0, 16)}`);
    expect(urls).toHaveLength(2);
    expectNothingClear(list, ['这个价格还有吗', 'I%20want', 'want to order']);
  });

  it('a linked-id (@lid) author without a known phone is hashed as such, with no phone hash; a linked-id mention resolves to the phone', () => {
    const list = touches(mapMessage(waObject('message-group-lid-author'), ctx));
    expect(list.map((t) => t.kind)).toEqual(['message']);
    for (const t of list) expect(t.actor).toEqual(DAVE);
    // Bob mentioned by his linked id is the same hashed person as Bob mentioned by phone.
    expect(facets(list)).toEqual({ keywords: ['发货'], mentioned: [BOB.userId] });
    expectNothingClear(list);
  });

  it('a linked-id author whose phone the account knows is the same person as their phone id', () => {
    const list = touches(mapMessage(waObject('message-group-bob-lid'), ctx));
    expect(list.map((t) => [t.kind, t.actor])).toEqual([['message', BOB_BY_LID]]);
    expect(facets(list).keywords?.length).toBeGreaterThan(0);
    const unresolved = touches(mapMessage(waObject('message-group-bob-lid'), { ...ctx, phones: new Map() }));
    expect(unresolved[0]?.actor).toEqual({ userId: hash('wa_id', WA.bobLid), lidHash: hash('wa_id', WA.bobLid) });
  });

  it('reads the caption of media, never the thumbnail in its body; media without caption is activity only', () => {
    const image = waObject('message-group-image-caption');
    expect(image.hasMedia).toBe(true);
    const list = touches(mapMessage(image, ctx));
    expect(list.map((t) => t.kind)).toEqual(['message']);
    expect(facets(list)).toEqual({ keywords: ['price', '发货'], urls: ['https://shop.example.com/sale'] });
    expect(list[0]?.actor).toEqual(CAROL);
    // Before the media is downloaded (`directPath` unset), `body` holds the thumbnail: the caption is still what counts.
    const pending = touches(mapMessage(waObject('message-group-image-caption', (d) => delete d.directPath), ctx));
    expect(facets(pending).keywords).toEqual(['price', '发货']);
    const bare = touches(mapMessage(waObject('message-group-image-no-caption'), ctx));
    expect(bare.map((t) => [t.kind, t.details])).toEqual([['message', {}]]);
  });

  it('pseudonymizes old-style group ids, which carry the creator’s phone', () => {
    const list = touches(mapMessage(waObject('message-old-group'), { ...ctx, chatTitle: undefined }));
    const id = list[0]?.chat.id ?? '';
    expect(id).toBe(`wag_${hash('wa_group_creator', '8613900139000')}-1588000000`);
    expect(list[0]?.chat).toEqual({ id, type: 'group' });
    expect(publicChatId(WA.group, hash)).toBe(WA.group);
    expectNothingClear(list);
  });

  it('drops messages from the account itself, status updates, broadcast lists, channels and system messages', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['own message (message_create)', waObject('message-from-me'), /account itself/],
      ['own message seen from another device id', waObject('message-group-text', (d) => ((d.author as Record<string, string>)._serialized = WA.meLid)), /account itself/],
      ['status update', waObject('message-status-broadcast'), /status/],
      ['broadcast list', waObject('message-private-plain', (d) => ((d.from as Record<string, string>)._serialized = '1700000000@broadcast')), /broadcast/],
      ['channel post', waObject('message-private-plain', (d) => ((d.from as Record<string, string>)._serialized = '120363111111111111@newsletter')), /channel/],
      ['e2e notification', waObject('message-e2e-notification'), /e2e_notification: no activity/],
      ['revoked', waObject('message-group-text', (d) => (d.type = 'revoked')), /revoked: no activity/],
    ];
    for (const [what, obj, reason] of cases) {
      const r = mapMessage(obj, ctx);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.reason, what).toMatch(reason);
    }
  });
});

describe('whatsapp mapping: private chats', () => {
  it('a first message starting with a campaign code (wa.me prefill) is one dm_start step with that campaign', () => {
    const list = touches(mapMessage(waObject('message-private-ref'), ctx));
    expect(list.map((t) => t.kind)).toEqual(['dm_start']);
    for (const t of list) {
      // A private chat's id is the person's id: it is stored as their hashed id.
      expect(t.chat).toEqual({ id: ALICE.userId, type: 'private' });
      expect(t.actor).toEqual(ALICE);
      expect(t.id).toBe(makeTouchId('whatsapp', ALICE.userId, '3EB0123456789ABCDEF0', t.kind));
    }
    expect(byKind(list, 'dm_start')?.details).toEqual({ payload: 'spring24', campaign: 'spring24' });
    expectNothingClear(list, ['jacket']);
  });

  it('a plain private message is activity only (no mentions or links outside groups)', () => {
    expect(touches(mapMessage(waObject('message-private-plain'), ctx)).map((t) => [t.kind, t.actor])).toEqual([['message', CAROL]]);
  });

  it('recognizes campaign codes at the start of the text only', () => {
    const table: Array<[string, string | null]> = [
      ['start spring24', 'spring24'],
      ['/start spring24 hello', 'spring24'],
      ['ref:spring24 Hi!', 'spring24'],
      ['REF = autumn_sale', 'autumn_sale'],
      ['  ref=abc-1', 'abc-1'],
      ['#spring24 is it still on?', 'spring24'],
      ['#双11', null],
      ['#1 question', null],
      ['hello #spring24', null],
      ['startup ideas', null],
      ['referral please', null],
      [`ref:${'a'.repeat(65)}`, null],
      ['', null],
    ];
    for (const [text, code] of table) expect(parseDmStartCode(text), text).toBe(code);
  });
});

describe('whatsapp mapping: group notifications', () => {
  it('invite: a join via invite link, with the campaign of the group’s current link when known', () => {
    const n = waObject('notification-invite');
    const plain = touches(mapGroupJoin(n, ctx));
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({ kind: 'join', actor: ALICE, chat: { id: WA.group, title: WA.groupTitle }, occurredAt: '2026-03-01T10:00:00.000Z', details: { via: 'invite_link' } });
    expect(plain[0]?.id).toBe(makeTouchId('whatsapp', WA.group, '1772272800123', ALICE.userId));
    const credited = touches(mapGroupJoin(n, { ...ctx, invite: { link: 'https://chat.whatsapp.com/AbCdEf123456', campaign: 'spring-ads' } }));
    expect(credited[0]?.details).toEqual({ via: 'invite_link', inviteLink: 'https://chat.whatsapp.com/AbCdEf123456', campaign: 'spring-ads' });
    expect(credited[0]?.id).toBe(plain[0]?.id);
  });

  it('add: one join per added person (phone or linked id), added by the hashed admin', () => {
    const list = touches(mapGroupJoin(waObject('notification-add'), ctx));
    expect(list.map((t) => [t.kind, t.actor, t.details])).toEqual([
      ['join', BOB, { via: 'added', addedBy: ADMIN.userId }],
      ['join', DAVE, { via: 'added', addedBy: ADMIN.userId }],
    ]);
    expect(new Set(list.map((t) => t.id)).size).toBe(2);
    expectNothingClear(list);
  });

  it('the account itself being added is no touch, and is reported as its own membership change', () => {
    const n = waObject('notification-add-self');
    expect(touches(mapGroupJoin(n, ctx))).toEqual([]);
    expect(selfMembership(n, SELF)).toBe('joined');
    expect(selfMembership(waObject('notification-add'), SELF)).toBeNull();
    expect(selfMembership(waObject('notification-remove', (d) => (d.recipients = [{ server: 'c.us', user: '8613700137000', _serialized: WA.me }])), SELF)).toBe('removed');
  });

  it('leave and remove: leave touches, removed ones with the hashed admin', () => {
    expect(touches(mapGroupLeave(waObject('notification-leave'), ctx)).map((t) => [t.kind, t.actor, t.details])).toEqual([['leave', DAVE, { via: 'left' }]]);
    expect(touches(mapGroupLeave(waObject('notification-remove'), ctx)).map((t) => [t.kind, t.actor, t.details])).toEqual([['leave', BOB, { via: 'removed', removedBy: ADMIN.userId }]]);
    // A leave that names nobody as recipient is its author's.
    const authorOnly = touches(mapGroupLeave(waObject('notification-leave', (d) => (d.recipients = [])), ctx));
    expect(authorOnly.map((t) => t.actor)).toEqual([DAVE]);
  });

  it('membership request: a join via join_request by its author', () => {
    const list = touches(mapMembershipRequest(waObject('notification-membership-request'), ctx));
    expect(list.map((t) => [t.kind, t.actor, t.details])).toEqual([['join', CAROL, { via: 'join_request' }]]);
    expect(list[0]?.id).toBe(makeTouchId('whatsapp', WA.group, '1772283600111', CAROL.userId));
  });

  it('other notification types on the join or leave events are dropped with a reason', () => {
    const r = mapGroupJoin(waObject('notification-subject'), ctx);
    expect(r).toEqual({ ok: false, reason: 'group_join of type subject' });
    expect(mapGroupLeave(waObject('notification-add'), ctx)).toEqual({ ok: false, reason: 'group_leave of type add' });
  });
});

describe('whatsapp mapping: malformed objects', () => {
  it('drops anything it cannot read, with a reason, and never throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new TypeError('boom');
        },
      },
    );
    const messages: unknown[] = [
      null,
      undefined,
      42,
      'message',
      {},
      { id: 'x' },
      hostile,
      waObject('message-group-text', (d) => delete d.t),
      waObject('message-group-text', (d) => (d.t = '1772445600')),
      waObject('message-group-text', (d) => {
        delete d.author;
        delete (d.id as Record<string, unknown>).participant;
      }),
      waObject('message-group-text', (d) => ((d.author as Record<string, string>)._serialized = 'someone@weird.server')),
      waObject('message-group-text', (d) => ((d.id as Record<string, string>).id = 'x'.repeat(500))),
      waObject('message-group-text', (d) => delete d.type),
    ];
    for (const m of messages) {
      const r = mapMessage(m, ctx);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
    const notifications: unknown[] = [
      null,
      {},
      hostile,
      waObject('notification-add', (d) => delete d.t),
      waObject('notification-add', (d) => ((d.id as Record<string, string>).remote = WA.alice)),
      { id: { id: 'n1' }, chatId: WA.group, timestamp: 1772366400, type: 'add', author: 7, recipientIds: 'everyone' },
    ];
    for (const n of notifications) {
      for (const map of [mapGroupJoin, mapGroupLeave, mapMembershipRequest]) {
        const r = map(n, ctx);
        if (r.ok) expect(r.touches).toEqual([]);
        else expect(r.reason.length).toBeGreaterThan(0);
      }
    }
    // A group message whose author is only in its key is still its author's.
    expect(touches(mapMessage(waObject('message-group-text', (d) => delete d.author), ctx))[0]?.actor).toEqual(ALICE);
    // Odd members of otherwise good objects are skipped, not fatal.
    const partial = touches(mapGroupJoin(waObject('notification-add', (d) => (d.recipients = [42, null, 'nobody@weird', { _serialized: WA.bob }])), ctx));
    expect(partial.map((t) => t.actor)).toEqual([BOB]);
    const oddMentions = touches(mapMessage(waObject('message-group-text', (d) => (d.mentionedJidList = [null, 5, { nope: 1 }, WA.carol])), ctx));
    expect(facets(oddMentions).mentioned).toEqual([CAROL.userId]);
  });
});

describe('whatsapp ids', () => {
  it('hashes phone ids (any device suffix or server spelling) to the conversion conventions, and linked ids apart', () => {
    expect(personIdentity('8613800138001@c.us', hash)).toEqual(ALICE);
    expect(personIdentity('8613800138001:12@s.whatsapp.net', hash)).toEqual(ALICE);
    expect(personIdentity(WA.daveLid, hash)).toEqual(DAVE);
    expect(personIdentity(WA.group, hash)).toBeNull();
    expect(personIdentity('status@broadcast', hash)).toBeNull();
  });

  it('keeps ordinary URLs and strips phone numbers and prefilled text from click-to-chat links', () => {
    expect(safeUrl('https://shop.example.com/a?b=1', hash)).toBe('https://shop.example.com/a?b=1');
    expect(safeUrl('https://api.whatsapp.com/send?phone=+8613900139000&text=hello', hash)).toBe(`https://api.whatsapp.com/send?phone=h-${hash('phone', '+8613900139000').slice(0, 16)}`);
    expect(safeUrl('https://chat.whatsapp.com/AbCdEf123456', hash)).toBe('https://chat.whatsapp.com/AbCdEf123456');
    expect(safeUrl('not a url', hash)).toBeNull();
  });
});
