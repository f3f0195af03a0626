/**
 * The generated community's events as the platforms deliver them: Telegram Bot API update
 * JSON (as Telegram POSTs it to a webhook) and whatsapp-web.js event objects (built with the
 * library's own `Message` and `GroupNotification` classes, as a running client emits them).
 */
import { createRequire } from 'node:module';
import type { Community, DemoEvent, Member } from './generate-community.js';

export const BOT_ID = '7100000001';
export const BOT_USERNAME = 'midfunnel_demo_bot';
export const BOT_TOKEN = `${BOT_ID}:AAH_demo_token_for_midfunnel_0001`;
export const WEBHOOK_SECRET = 'demo-webhook-secret_1';
/** The brand's people: an operator (group admin) and a manager who asks for reports. */
export const OPERATOR = { id: 5_000_000_001, username: 'brand_ops', first_name: 'Ops' };
export const MANAGER = { id: 5_000_000_002, username: 'brand_manager', first_name: 'Mandy' };
/** The admin who adds people to the WhatsApp groups. */
export const WA_ADMIN = '8613900139000@c.us';

const require = createRequire(import.meta.url);
type Ctor = new (client: unknown, data: unknown) => Record<string, unknown>;
const Message = (require('whatsapp-web.js') as { Message: Ctor }).Message;
const GroupNotification = require('whatsapp-web.js/src/structures/GroupNotification') as Ctor;

const botUser = { id: Number(BOT_ID), is_bot: true, first_name: 'Midfunnel', username: BOT_USERNAME };

export function tgUser(m: Member | typeof OPERATOR): Record<string, unknown> {
  if ('n' in m) return { id: m.tgId, is_bot: false, first_name: m.firstName, ...(m.username ? { username: m.username } : {}), language_code: /[a-z]/i.test(m.firstName) ? 'en' : 'zh-hans' };
  return { id: m.id, is_bot: false, first_name: m.first_name, username: m.username };
}

/** Builds Telegram updates with increasing `update_id` and per-chat `message_id`. */
export class TelegramUpdates {
  #updateId = 880_000_000;
  #messageIds = new Map<string, number>();

  #messageId(chatId: string | number): number {
    const next = (this.#messageIds.get(String(chatId)) ?? 100) + 1;
    this.#messageIds.set(String(chatId), next);
    return next;
  }

  /** The bot made an administrator of a group (it may then make invite links). */
  botAdded(chat: { chatId: string; title: string }, t: number): Record<string, unknown> {
    return {
      update_id: this.#updateId++,
      my_chat_member: {
        chat: { id: Number(chat.chatId), title: chat.title, type: 'supergroup' },
        from: tgUser(OPERATOR),
        date: t,
        old_chat_member: { user: botUser, status: 'left' },
        new_chat_member: { user: botUser, status: 'administrator', can_be_edited: false, can_manage_chat: true, can_delete_messages: true, can_invite_users: true, can_restrict_members: true, can_pin_messages: true, can_promote_members: false, can_change_info: true, is_anonymous: false, can_manage_video_chats: true },
      },
    };
  }

  /** A text message; `/commands` get their `bot_command` entity, `@user` mentions and URLs theirs. */
  message(from: Record<string, unknown>, chat: { id: number; type: 'private' | 'supergroup'; title?: string }, text: string, t: number): Record<string, unknown> {
    const entities: Array<Record<string, unknown>> = [];
    const cmd = /^\/\S+/.exec(text);
    if (cmd) entities.push({ offset: 0, length: cmd[0].length, type: 'bot_command' });
    for (const m of text.matchAll(/@[A-Za-z0-9_]{5,32}/g)) if (m.index !== undefined && m.index > 0) entities.push({ offset: m.index, length: m[0].length, type: 'mention' });
    for (const m of text.matchAll(/^@[A-Za-z0-9_]{5,32}/g)) entities.push({ offset: 0, length: m[0].length, type: 'mention' });
    for (const m of text.matchAll(/https?:\/\/\S+/g)) if (m.index !== undefined) entities.push({ offset: m.index, length: m[0].length, type: 'url' });
    entities.sort((a, b) => Number(a.offset) - Number(b.offset));
    const c = chat.type === 'private' ? { id: chat.id, type: 'private', first_name: from.first_name } : { id: chat.id, type: 'supergroup', title: chat.title };
    return { update_id: this.#updateId++, message: { message_id: this.#messageId(chat.id), from, chat: c, date: t, text, ...(entities.length > 0 ? { entities } : {}) } };
  }

  /** A member's join or leave (`chat_member`), with the invite link they came through. */
  memberChange(chat: { chatId: string; title: string }, member: Member, t: number, change: 'join' | 'leave', inviteLink?: { url: string; name?: string; creator?: Record<string, unknown> }): Record<string, unknown> {
    const user = tgUser(member);
    const [oldStatus, newStatus] = change === 'join' ? ['left', 'member'] : ['member', 'left'];
    return {
      update_id: this.#updateId++,
      chat_member: {
        chat: { id: Number(chat.chatId), title: chat.title, type: 'supergroup' },
        from: user,
        date: t,
        old_chat_member: { user, status: oldStatus },
        new_chat_member: { user, status: newStatus },
        ...(inviteLink
          ? { invite_link: { invite_link: inviteLink.url, creator: inviteLink.creator ?? botUser, creates_join_request: false, is_primary: false, is_revoked: false, ...(inviteLink.name ? { name: inviteLink.name } : {}) } }
          : {}),
      },
    };
  }
}

/** A WhatsApp person's id as WhatsApp Web names them: the linked id when they have one, else the phone id. */
export function waId(m: Member): string {
  return m.lid !== undefined ? `${m.lid}@lid` : `${m.phone}@c.us`;
}

const wid = (s: string): Record<string, string> => {
  const [user, server] = s.split('@') as [string, string];
  return { server, user, _serialized: s };
};

/** Builds whatsapp-web.js objects with unique key ids. */
export class WhatsAppObjects {
  #key = 0;
  constructor(readonly accountId: string) {}

  #keyId(): string {
    return `3EB0${(this.#key++).toString(16).toUpperCase().padStart(16, '0')}`;
  }

  /** A group message (`message` event). */
  groupMessage(group: string, author: string, body: string, t: number, mentioned: string[], links: string[]): Record<string, unknown> {
    const keyId = this.#keyId();
    return new Message(null, {
      id: { fromMe: false, remote: group, id: keyId, participant: wid(author), _serialized: `false_${group}_${keyId}_${author}` },
      body,
      type: 'chat',
      t,
      notifyName: 'Member',
      from: wid(group),
      to: wid(this.accountId),
      author: wid(author),
      mentionedJidList: mentioned.map(wid),
      links: links.map((link) => ({ link, isSuspicious: false })),
      isNewMsg: true,
    });
  }

  /** A private message to the account (a click-to-chat link's prefilled text). */
  privateMessage(from: string, body: string, t: number): Record<string, unknown> {
    const keyId = this.#keyId();
    return new Message(null, { id: { fromMe: false, remote: from, id: keyId, _serialized: `false_${from}_${keyId}` }, body, type: 'chat', t, from: wid(from), to: wid(this.accountId), mentionedJidList: [], links: [], isNewMsg: true });
  }

  /** A group notification (`group_join` add / invite, `group_leave` leave). */
  notification(group: string, subtype: 'add' | 'invite' | 'leave', author: string, recipient: string, t: number): Record<string, unknown> {
    const keyId = `${t}${String(this.#key++).padStart(6, '0')}`;
    return new GroupNotification(null, {
      id: { fromMe: false, remote: group, id: keyId, participant: wid(author), _serialized: `false_${group}_${keyId}_${author}` },
      body: '',
      type: 'gp2',
      subtype,
      t,
      from: wid(group),
      to: wid(this.accountId),
      author: wid(author),
      recipients: [recipient],
      isNewMsg: true,
    });
  }
}

/** The text a member's message event is sent with: mentions first, as people type them. */
export function messageText(c: Community, e: Extract<DemoEvent, { kind: 'message' }>): { text: string; mentioned: string[] } {
  const mentioned: string[] = [];
  const parts: string[] = [];
  for (const n of e.mentions) {
    const m = c.members[n]!;
    if (m.platform === 'telegram' && m.username) parts.push(`@${m.username}`);
    if (m.platform === 'whatsapp') {
      const id = waId(m);
      mentioned.push(id);
      parts.push(`@${id.split('@')[0]!}`);
    }
  }
  parts.push(e.text);
  return { text: parts.join(' '), mentioned };
}
