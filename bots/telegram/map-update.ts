/**
 * Telegram updates → touch events (pure: the store lookups a mapping needs are passed in).
 *
 * Touch ids are deterministic from Telegram's own ids, so the same event seen twice (a
 * redelivery, or two bots in one group) is one touch:
 * - a message (whatever it contains: keywords, mentions, links are facets of it): chat id + message id;
 * - joins and leaves (`chat_member`): chat id + user id + date + new status;
 * - join requests: chat id + user id + date + `join_request`.
 * No touch carries message text: keywords matched, mentions, URLs and counts only.
 */
import type { Chat, ChatMember, ChatMemberUpdated, ChatJoinRequest, Message, MessageEntity, User } from 'telegraf/types';
import { extractEntities, type KeywordMatcher } from '../../src/keywords/index.js';
import { isWellFormed, makeTouchId, type Actor, type TouchEvent, type TouchOf } from '../../src/touch-event.js';
import { viaChatFolderLink, viaJoinRequest } from './update-fields.js';
import { isPersonalLinkName } from '../../src/referrals/personal-link-name.js';

/** What every mapping needs to know about the bot and workspace. */
export interface MapContext {
  workspace: string;
  botId: string;
  /** The update's `update_id`: Telegram's order of events, kept as the touch's `seq`. */
  seq?: number;
}

/**
 * Whether a string field (by its key and its parent's key) becomes an id, title or campaign
 * of a touch or a group: chat titles, usernames, invite links and their names. (Numeric ids
 * cannot be malformed; text, captions, file titles are never stored.)
 */
function isStoredText(key: string, parent: string): boolean {
  if (key === 'username') return true;
  if (key === 'title') return parent === 'chat' || parent === 'sender_chat';
  return parent === 'invite_link' && (key === 'invite_link' || key === 'name');
}

/**
 * The path of the first field that would be stored and is not well-formed Unicode (a lone
 * surrogate, which MongoDB's encoder turns into U+FFFD, making two ids one); undefined when
 * every such field is fine. Such an update is dropped whole.
 */
export function malformedField(value: unknown, path = '', parent = ''): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = malformedField(value[i], `${path}[${i}]`, parent);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const here = path === '' ? k : `${path}.${k}`;
    if (typeof v === 'string') {
      if (isStoredText(k, parent) && !isWellFormed(v)) return here;
    } else {
      const bad = malformedField(v, here, k);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/** Telegram service user id of automatic forwards from a linked channel. */
const TELEGRAM_SERVICE_USER = 777000;

/** `/start` payloads Telegram allows: up to 64 of `A-Za-z0-9_-`. */
export const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

const at = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

export function chatOf(chat: Chat): TouchEvent['chat'] | null {
  const id = String(chat.id);
  if (chat.type === 'private') return { id, type: 'private' };
  if (chat.type === 'group' || chat.type === 'supergroup') {
    const title = 'title' in chat && typeof chat.title === 'string' ? chat.title.slice(0, 300) : undefined;
    return title !== undefined ? { id, title, type: 'group' } : { id, type: 'group' };
  }
  return null;
}

export function actorOf(user: User, phoneHash?: string): Actor {
  const actor: Actor = { userId: String(user.id) };
  if (typeof user.username === 'string' && user.username.length > 0) actor.username = user.username.toLowerCase().slice(0, 64);
  if (phoneHash !== undefined) actor.phoneHash = phoneHash;
  return actor;
}

/** Whether a message was written by a person the bot should count (not a bot, not a channel, not a service forward). */
export function isFromPerson(msg: Message, botId: string): boolean {
  const from = msg.from;
  if (!from || from.is_bot || String(from.id) === botId || from.id === TELEGRAM_SERVICE_USER) return false;
  if ('sender_chat' in msg && msg.sender_chat) return false;
  if ('is_automatic_forward' in msg && msg.is_automatic_forward) return false;
  return true;
}

/** Text or caption of a message, with its entities. */
export function contentOf(msg: Message): { text: string; entities: MessageEntity[] } {
  if ('text' in msg && typeof msg.text === 'string') return { text: msg.text, entities: 'entities' in msg ? (msg.entities ?? []) : [] };
  if ('caption' in msg && typeof msg.caption === 'string') return { text: msg.caption, entities: 'caption_entities' in msg ? (msg.caption_entities ?? []) : [] };
  return { text: '', entities: [] };
}

/** Service messages (joins, title changes, pins, …) carry no activity of their own. */
export function isServiceMessage(msg: Message): boolean {
  return [
    'new_chat_members',
    'left_chat_member',
    'new_chat_title',
    'new_chat_photo',
    'delete_chat_photo',
    'group_chat_created',
    'supergroup_chat_created',
    'migrate_to_chat_id',
    'migrate_from_chat_id',
    'pinned_message',
    'message_auto_delete_timer_changed',
    'video_chat_started',
    'video_chat_ended',
    'video_chat_scheduled',
    'video_chat_participants_invited',
    'forum_topic_created',
    'forum_topic_edited',
    'forum_topic_closed',
    'forum_topic_reopened',
    'general_forum_topic_hidden',
    'general_forum_topic_unhidden',
    'write_access_allowed',
    'users_shared',
    'chat_shared',
  ].some((k) => k in msg);
}

export interface MessageMapOptions extends MapContext {
  matcher: KeywordMatcher;
  /** Keyed hash of the sender's own phone, when they shared their own contact. */
  phoneHash?: string;
}

/**
 * The touch of one message from a person (not a command): one `message` touch whatever it
 * contains; watched keywords it matched, and in groups the users it mentioned and the URLs
 * it carried, are its facets. No text is kept.
 */
export function mapMessage(msg: Message, o: MessageMapOptions): TouchEvent[] {
  const chat = chatOf(msg.chat);
  if (!chat || !msg.from) return [];
  const details: TouchOf<'message'>['details'] = {};
  const { text, entities } = contentOf(msg);
  if (text.length > 0) {
    const keywords = o.matcher.match(text).slice(0, 500);
    if (keywords.length > 0) details.keywords = keywords;
    if (chat.type === 'group') {
      const found = extractEntities(text, entities);
      const mentioned = found.mentions.filter((m) => m.length <= 128).slice(0, 100);
      if (mentioned.length > 0) details.mentioned = mentioned;
      const urls = found.urls.slice(0, 50);
      if (urls.length > 0) details.urls = urls;
    }
  }
  return [
    {
      id: makeTouchId('telegram', chat.id, msg.message_id, 'message'),
      workspace: o.workspace,
      platform: 'telegram',
      account: o.botId,
      chat,
      actor: actorOf(msg.from, o.phoneHash),
      occurredAt: at(msg.date),
      ...seqOf(o),
      kind: 'message',
      details,
    },
  ];
}

/** The `seq` field of a touch from this update, when its id is known. */
function seqOf(o: MapContext): { seq?: number } {
  return o.seq !== undefined ? { seq: o.seq } : {};
}

/** `/start [payload]` in a private chat: a `dm_start` touch carrying the payload as campaign. */
export function mapDmStart(msg: Message, payload: string | undefined, o: MapContext): TouchOf<'dm_start'> | null {
  const chat = chatOf(msg.chat);
  if (!chat || chat.type !== 'private' || !msg.from) return null;
  const valid = payload !== undefined && START_PAYLOAD.test(payload) ? payload : undefined;
  return {
    id: makeTouchId('telegram', chat.id, msg.message_id, 'dm_start'),
    workspace: o.workspace,
    platform: 'telegram',
    account: o.botId,
    chat,
    actor: actorOf(msg.from),
    occurredAt: at(msg.date),
    ...seqOf(o),
    kind: 'dm_start',
    details: valid !== undefined ? { payload: valid, campaign: valid } : { payload: '' },
  };
}

/** Whether a chat member status means "in the chat". */
export function isInChat(m: ChatMember): boolean {
  return m.status === 'member' || m.status === 'administrator' || m.status === 'creator' || (m.status === 'restricted' && m.is_member);
}

export type MemberChange = { kind: 'join' | 'leave'; touch: TouchEvent; viaRequest: boolean } | null;

/**
 * A `chat_member` update as a join or leave touch (null for other changes: promotions,
 * restrictions, bots). `campaign`: the campaign of the invite link used, when the store
 * knows the link; otherwise the link's own name is the campaign.
 */
export function mapChatMember(u: ChatMemberUpdated, campaign: string | undefined, o: MapContext): MemberChange {
  const chat = chatOf(u.chat);
  const user = u.new_chat_member.user;
  if (!chat || chat.type !== 'group' || user.is_bot) return null;
  const wasIn = isInChat(u.old_chat_member);
  const isIn = isInChat(u.new_chat_member);
  if (wasIn === isIn) return null;
  const base = {
    id: makeTouchId('telegram', chat.id, user.id, u.date, u.new_chat_member.status),
    workspace: o.workspace,
    platform: 'telegram' as const,
    account: o.botId,
    chat,
    actor: actorOf(user),
    occurredAt: at(u.date),
    ...seqOf(o),
  };
  const byOther = u.from.id !== user.id;
  if (!wasIn) {
    const link = u.invite_link;
    const viaRequest = viaJoinRequest(u) || link?.creates_join_request === true;
    const details: TouchOf<'join'>['details'] = { via: 'unknown' };
    if (link) {
      details.via = viaRequest ? 'join_request' : 'invite_link';
      details.inviteLink = link.invite_link.slice(0, 300);
      // A member's personal link (`/myinvite`) names the member, not a campaign.
      const name = campaign ?? (typeof link.name === 'string' && link.name.length > 0 && !isPersonalLinkName(link.name) ? link.name : undefined);
      if (name !== undefined) details.campaign = name.slice(0, 128);
    } else if (viaRequest) {
      details.via = 'join_request';
    } else if (byOther) {
      details.via = 'added';
      details.addedBy = String(u.from.id);
    } else {
      details.via = viaChatFolderLink(u) ? 'invite_link' : 'public';
    }
    return { kind: 'join', touch: { ...base, kind: 'join', details }, viaRequest };
  }
  const removed = u.new_chat_member.status === 'kicked' || byOther;
  const details: TouchOf<'leave'>['details'] = removed ? { via: 'removed' } : { via: 'left' };
  if (removed && byOther) details.removedBy = String(u.from.id);
  return { kind: 'leave', touch: { ...base, kind: 'leave', details }, viaRequest: false };
}

/** A `chat_join_request` as a join touch (via `join_request`, with the link's campaign). */
export function mapJoinRequest(r: ChatJoinRequest, campaign: string | undefined, o: MapContext): TouchOf<'join'> | null {
  const chat = chatOf(r.chat);
  if (!chat || chat.type !== 'group' || r.from.is_bot) return null;
  const details: TouchOf<'join'>['details'] = { via: 'join_request' };
  if (r.invite_link) {
    details.inviteLink = r.invite_link.invite_link.slice(0, 300);
    const name = campaign ?? (typeof r.invite_link.name === 'string' && r.invite_link.name.length > 0 && !isPersonalLinkName(r.invite_link.name) ? r.invite_link.name : undefined);
    if (name !== undefined) details.campaign = name.slice(0, 128);
  }
  return {
    id: makeTouchId('telegram', chat.id, r.from.id, r.date, 'join_request'),
    workspace: o.workspace,
    platform: 'telegram',
    account: o.botId,
    chat,
    actor: actorOf(r.from),
    occurredAt: at(r.date),
    ...seqOf(o),
    kind: 'join',
    details,
  };
}
