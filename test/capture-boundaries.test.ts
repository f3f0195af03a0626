/**
 * What capture refuses and how community events apply (pure, plus the in-memory store):
 * - strings that are not well-formed Unicode (lone surrogates; MongoDB's encoder would turn
 *   them into U+FFFD, making two ids one key) are a zod issue in a touch, a dropped update
 *   field on Telegram, and a dropped object on WhatsApp;
 * - community events apply idempotently and whatever their order: an older event never
 *   overrides a newer one.
 */
import { describe, expect, it } from 'vitest';
import { malformedField } from '../bots/telegram/map-update.js';
import { mapGroupJoin, mapMessage, type MessageMapOptions } from '../bots/whatsapp/map-events.js';
import { serializedId } from '../bots/whatsapp/wa-ids.js';
import { applyCommunityEvent, communityEventDigest, parseCommunityEvent, type CommunityEvent } from '../src/capture/community-event.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { isWellFormed, touchEventSchema } from '../src/touch-event.js';
import { WA, waObject } from './fixtures/whatsapp/index.js';
import { touch } from './support/touches.js';

const hash = makePseudonymizer('test-hash-key-0123456789abcdef', 'acme');
const ctx: MessageMapOptions = { workspace: 'acme', account: 'wa1', hash, selfIds: new Set([WA.me]), matcher: compileKeywords(['price']) };

describe('well-formed Unicode at capture', () => {
  it('tells lone surrogates from proper pairs', () => {
    expect(isWellFormed('团购 😀 ok')).toBe(true);
    for (const bad of ['\ud800', 'a\udc00b', '\ud83d', 'x\ude00']) expect(isWellFormed(bad)).toBe(false);
  });

  it('a touch with a lone surrogate in an id, title, username or facet is a zod issue naming the field', () => {
    const good = touch({ kind: 'keyword', ref: 'r1', at: '2026-03-01T10:00:00Z' });
    expect(touchEventSchema.safeParse(good).success).toBe(true);
    const cases: Array<[string, unknown]> = [
      ['id', { ...good, id: 'abc\ud800' }],
      ['chat.id', { ...good, chat: { ...good.chat, id: '-100\udc00' } }],
      ['chat.title', { ...good, chat: { ...good.chat, title: 'Deals \ud83d' } }],
      ['actor.userId', { ...good, actor: { userId: '10\ud8001' } }],
      ['actor.username', { ...good, actor: { userId: '101', username: 'al\udc00' } }],
      ['details.keywords.0', { ...good, details: { keywords: ['pri\ud800ce'] } }],
      ['details.mentioned.0', { ...good, details: { mentioned: ['\udc00'] } }],
    ];
    for (const [path, value] of cases) {
      const r = touchEventSchema.safeParse(value);
      expect(r.success, path).toBe(false);
      expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([[path, 'not well-formed Unicode (a lone surrogate)']]);
    }
  });

  it('Telegram: names the stored field that is malformed; text, captions and file titles do not count', () => {
    expect(malformedField({ update_id: 1, message: { chat: { id: -1, title: 'ok 😀' }, from: { id: 2, username: 'bob' }, text: 'bad \ud800 text', audio: { title: '\ud800' } } })).toBeUndefined();
    expect(malformedField({ update_id: 1, message: { chat: { id: -1, title: 'bad \ud800' } } })).toBe('message.chat.title');
    expect(malformedField({ update_id: 1, chat_member: { new_chat_member: { user: { id: 3, username: 'x\udc00' } } } })).toBe('chat_member.new_chat_member.user.username');
    expect(malformedField({ update_id: 1, chat_join_request: { invite_link: { invite_link: 'https://t.me/+ok', name: 'spring\ud83d' } } })).toBe('chat_join_request.invite_link.name');
  });

  it('WhatsApp: an object whose ids are malformed is dropped with a reason; a proper one maps', () => {
    expect(serializedId('8613800138001@c.us')).toBe('8613800138001@c.us');
    expect(serializedId('86138\ud80000138001@c.us')).toBeNull();
    const ok = mapMessage(waObject('message-group-text'), ctx);
    expect(ok.ok).toBe(true);
    const badKey = mapMessage(waObject('message-group-text', (d) => ((d.id as Record<string, unknown>).id = '3EB0C431\ud800')), ctx);
    expect(badKey).toEqual({ ok: false, reason: 'an id is not well-formed Unicode' });
    const badAuthor = mapMessage(waObject('message-group-text', (d) => ((d.author as Record<string, unknown>)._serialized = '86138\udc0000138001@c.us')), ctx);
    expect(badAuthor).toEqual({ ok: false, reason: 'an id is not well-formed Unicode' });
    const badRecipient = mapGroupJoin(waObject('notification-add', (d) => (d.recipients = [{ server: 'c.us', user: '8613800138001', _serialized: '8613800138001\ud800@c.us' }])), ctx);
    expect(badRecipient).toEqual({ ok: false, reason: 'an id is not well-formed Unicode' });
  });

  it('community events refuse malformed titles and ids too', () => {
    const base = { kind: 'group_seen', workspace: 'acme', platform: 'telegram', chatId: '-1001', account: '7', at: '2026-03-01T10:00:00Z' };
    expect(() => parseCommunityEvent({ ...base, title: 'Deals \ud800' })).toThrow(/not well-formed Unicode/);
    expect(() => parseCommunityEvent({ ...base, chatId: '-100\udc00' })).toThrow(/not well-formed Unicode/);
  });
});

describe('community events', () => {
  const ev = (e: Partial<CommunityEvent> & Pick<CommunityEvent, 'kind' | 'at'>): CommunityEvent =>
    parseCommunityEvent({ workspace: 'acme', platform: 'telegram', chatId: '-1001', account: '7', ...e });

  it('apply in any order to the same end state; re-applying changes nothing', async () => {
    const events: CommunityEvent[] = [
      ev({ kind: 'group_seen', at: '2026-03-01T10:00:00Z', title: 'Deals' }),
      ev({ kind: 'bot_status', at: '2026-03-01T10:05:00Z', status: 'active', botIsAdmin: true, addedBy: 'telegram:909', title: 'Deals' }),
      ev({ kind: 'group_seen', at: '2026-03-01T11:00:00Z', title: 'Deals v2' }),
      ev({ kind: 'bot_status', at: '2026-03-01T12:00:00Z', status: 'removed', title: 'Deals v2' }),
      ev({ kind: 'group_seen', at: '2026-03-01T11:30:00Z', title: 'Deals v1.5' }),
    ];
    const orders = [events, [...events].reverse(), [events[3], events[1], events[4], events[0], events[2]] as CommunityEvent[]];
    const results = [];
    for (const order of orders) {
      const store = createMemoryStore();
      for (const e of order) await applyCommunityEvent(store, e);
      for (const e of order) await applyCommunityEvent(store, e);
      const { registeredAt: _r, ...g } = (await store.community.groups.get('acme', 'telegram', '-1001')) ?? { registeredAt: '' };
      results.push(g);
    }
    expect(results[0]).toEqual({ workspace: 'acme', platform: 'telegram', chatId: '-1001', title: 'Deals v2', account: '7', status: 'removed', botIsAdmin: false, addedBy: 'telegram:909', updatedAt: '2026-03-01T12:00:00.000Z' });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('a group seen after the bot was removed is active again; a migrated chat id stays migrated', async () => {
    const store = createMemoryStore();
    await applyCommunityEvent(store, ev({ kind: 'bot_status', at: '2026-03-01T10:00:00Z', status: 'left' }));
    expect(await applyCommunityEvent(store, ev({ kind: 'group_seen', at: '2026-03-01T09:00:00Z', title: 'Old' }))).toBe('stale');
    expect(await applyCommunityEvent(store, ev({ kind: 'group_seen', at: '2026-03-02T09:00:00Z', title: 'Back' }))).toBe('applied');
    expect(await store.community.groups.get('acme', 'telegram', '-1001')).toMatchObject({ status: 'active', title: 'Back' });
    await applyCommunityEvent(store, ev({ kind: 'migrated', at: '2026-03-03T00:00:00Z', to: '-1009' }));
    expect(await applyCommunityEvent(store, ev({ kind: 'group_seen', at: '2026-03-04T00:00:00Z', title: 'Back' }))).toBe('unchanged');
    expect(await store.community.groups.get('acme', 'telegram', '-1001')).toMatchObject({ status: 'migrated', migratedTo: '-1009' });
    expect(await store.community.groups.get('acme', 'telegram', '-1009')).toMatchObject({ status: 'active', title: 'Back' });
  });

  it('the same event has the same digest (one job), whatever its key order', () => {
    const a = ev({ kind: 'group_seen', at: '2026-03-01T10:00:00Z', title: 'Deals' });
    const b = parseCommunityEvent(JSON.parse(JSON.stringify({ title: 'Deals', at: a.at, kind: a.kind, chatId: a.chatId, account: a.account, platform: a.platform, workspace: a.workspace })));
    expect(communityEventDigest(b)).toBe(communityEventDigest(a));
    expect(communityEventDigest({ ...a, title: 'Other' })).not.toBe(communityEventDigest(a));
  });
});
