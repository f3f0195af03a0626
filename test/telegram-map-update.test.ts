/**
 * Update → touch mapping on Bot API shapes, including fields newer than telegraf's
 * typings (`via_join_request`), read in one place.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMemberUpdated, Message } from 'telegraf/types';
import { isFromPerson, mapChatMember, mapMessage } from '../bots/telegram/map-update.js';
import { compileKeywords } from '../src/keywords/index.js';

const ctx = { workspace: 'acme', botId: '7000000001' };
const chat = { id: -1001234567890, title: '团购群 Deals', type: 'supergroup' };
const user = (id: number, extra: Record<string, unknown> = {}) => ({ id, is_bot: false, first_name: 'U', ...extra });

function member(oldStatus: Record<string, unknown>, newStatus: Record<string, unknown>, extra: Record<string, unknown> = {}, from = 101): ChatMemberUpdated {
  return { chat, from: user(from), date: 1772359400, old_chat_member: { user: user(101), ...oldStatus }, new_chat_member: { user: user(101), ...newStatus }, ...extra } as unknown as ChatMemberUpdated;
}

describe('chat_member mapping', () => {
  it('tells joins from leaves and ignores other changes', () => {
    expect(mapChatMember(member({ status: 'member' }, { status: 'administrator', can_invite_users: true }), undefined, ctx)).toBeNull();
    expect(mapChatMember(member({ status: 'left' }, { status: 'restricted', is_member: false, until_date: 0 }), undefined, ctx)).toBeNull();
    expect(mapChatMember(member({ status: 'left' }, { status: 'restricted', is_member: true, until_date: 0 }), undefined, ctx)?.kind).toBe('join');
    const kicked = mapChatMember(member({ status: 'member' }, { status: 'kicked', until_date: 0 }, {}, 909), undefined, ctx);
    expect(kicked?.touch).toMatchObject({ kind: 'leave', details: { via: 'removed', removedBy: '909' } });
    const bot = { ...member({ status: 'left' }, { status: 'member' }), new_chat_member: { user: { id: 5, is_bot: true, first_name: 'B' }, status: 'member' } } as unknown as ChatMemberUpdated;
    expect(mapChatMember(bot, undefined, ctx)).toBeNull();
  });

  it('reads via_join_request (newer Bot API field) and chat folder links', () => {
    const approved = mapChatMember(member({ status: 'left' }, { status: 'member' }, { via_join_request: true }, 909), undefined, ctx);
    expect(approved).toMatchObject({ kind: 'join', viaRequest: true, touch: { details: { via: 'join_request' } } });
    const folder = mapChatMember(member({ status: 'left' }, { status: 'member' }, { via_chat_folder_invite_link: true }), undefined, ctx);
    expect(folder?.touch.details).toEqual({ via: 'invite_link' });
    const publicJoin = mapChatMember(member({ status: 'left' }, { status: 'member' }), undefined, ctx);
    expect(publicJoin?.touch.details).toEqual({ via: 'public' });
  });
});

describe('message mapping', () => {
  const matcher = compileKeywords(['price', '发货']);
  const msg = (extra: Record<string, unknown>): Message => ({ message_id: 9, date: 1772359400, chat, from: user(101, { username: 'Alice' }), text: 'price @bob_deals x.com/a', ...extra }) as unknown as Message;

  it('anonymous admins, channel posts forwarded automatically and the service user are not people', () => {
    expect(isFromPerson(msg({}), ctx.botId)).toBe(true);
    expect(isFromPerson(msg({ from: { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' }, sender_chat: chat }), ctx.botId)).toBe(false);
    expect(isFromPerson(msg({ from: { id: 777000, is_bot: false, first_name: 'Telegram' }, is_automatic_forward: true }), ctx.botId)).toBe(false);
  });

  it('a message is one touch: keywords in private chats; keywords, mentions and links in groups, as its facets', () => {
    const priv = mapMessage(msg({ chat: { id: 101, type: 'private', first_name: 'Alice' } }), { ...ctx, matcher, seq: 41 });
    expect(priv.map((t) => [t.kind, t.details, t.seq])).toEqual([['message', { keywords: ['price'] }, 41]]);
    const grp = mapMessage(msg({}), { ...ctx, matcher });
    expect(grp).toHaveLength(1);
    expect(grp[0]?.kind).toBe('message');
    expect(grp[0]?.details).toEqual({ keywords: ['price'], mentioned: ['bob_deals'], urls: ['https://x.com/a'] });
    expect(grp[0]?.actor).toEqual({ userId: '101', username: 'alice' });
    expect(grp[0]?.seq).toBeUndefined();
  });
});
