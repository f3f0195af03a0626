/**
 * whatsapp-web.js event objects → touch events (pure: every lookup a mapping needs, the
 * group's title, the phones behind linked ids, the campaign of the group's invite link,
 * is done by the caller and passed in).
 *
 * Inputs are the library's own objects as its events deliver them: `Message` for
 * `message`, `GroupNotification` for `group_join` / `group_leave` /
 * `group_membership_request`. They are read defensively: an object that lacks what a
 * touch needs is dropped with a reason (the caller logs it at debug level), never thrown on.
 *
 * | event | touches |
 * | --- | --- |
 * | `message` in a group | one `message` touch with facets: `keywords` (watched keywords in the text or caption), `mentioned` (mentioned people, hashed), `urls` |
 * | `message` in a private chat | `dm_start` when the text starts with a campaign code (see {@link parseDmStartCode}); otherwise one `message` touch (with its `keywords` facet) |
 * | `group_join` `add` | `join` via `added` per added person, `addedBy` = the admin (hashed) |
 * | `group_join` `invite` | `join` via `invite_link` per person; campaign from the caller's invite-link lookup |
 * | `group_join` `linked_group_join` | `join` via `public` (joined an open group of a community) |
 * | `group_leave` `leave` / `remove` | `leave` via `left` / `removed` (`removedBy` = the admin, hashed) |
 * | `group_membership_request` | `join` via `join_request` (the requester) |
 *
 * Dropped: messages from the account itself (`fromMe`), status updates, broadcast lists,
 * channels, system message types, and anything malformed. Edits are not mapped at all.
 *
 * Touch ids are deterministic from WhatsApp's own ids, so the same event seen by two of a
 * workspace's accounts (both in one group) is one touch:
 * - messages: `makeTouchId('whatsapp', chat id, message key id, kind)`; the key id is the
 *   `id.id` part, the same for every receiver (`_serialized` starts with `fromMe`);
 * - group notifications: chat id + notification key id + the person's hashed id.
 * The chat id in both is the touch's own (pseudonymous) chat id, see `publicChatId`.
 * No touch carries message text, and no phone number or WhatsApp id in clear.
 */
import type { Pseudonymizer } from '../../src/identity/pseudonymize.js';
import { canonicalizeUrl, extractEntities, type KeywordMatcher } from '../../src/keywords/index.js';
import { makeTouchId, type TouchEvent, type TouchOf } from '../../src/touch-event.js';
import { hasMalformedId, isPersonId, parseWaId, personIdentity, publicChatId, serializedId, type PersonIdentity, type PhoneOfLid } from './wa-ids.js';

/** What every mapping needs to know about the account and workspace. */
export interface WaMapContext {
  workspace: string;
  /** The account id (as configured) that saw the event. */
  account: string;
  /** The workspace's pseudonymizer (`makePseudonymizer(hashKey, workspace)`). */
  hash: Pseudonymizer;
  /** Ids of the account itself (its phone id and linked id, canonical form). */
  selfIds: ReadonlySet<string>;
  /** Phones of the linked ids involved, where the account knows them. */
  phones?: PhoneOfLid;
  /** The group's subject, when known. */
  chatTitle?: string;
}

/** A mapping's result: touches (possibly none), or why the object was dropped. */
export type MapOutcome = { ok: true; touches: TouchEvent[] } | { ok: false; reason: string };

const drop = (reason: string): MapOutcome => ({ ok: false, reason });

/** Runs a reader or mapping; an object that throws when read (a getter, a proxy) is dropped, never thrown on. */
function safely<T extends { ok: boolean }>(fn: () => T): T | { ok: false; reason: string } {
  try {
    return fn();
  } catch (err) {
    return { ok: false, reason: `unreadable object (${err instanceof Error ? err.name : typeof err})` };
  }
}

/**
 * Message types that are a person's activity. Anything else (`e2e_notification`, `gp2`,
 * `protocol`, `revoked`, `ciphertext`, `call_log`, `notification_template`, reactions, …)
 * is WhatsApp bookkeeping and makes no touch, including types newer than this list.
 */
export const ACTIVITY_TYPES: ReadonlySet<string> = new Set([
  'chat',
  'image',
  'video',
  'album',
  'audio',
  'ptt',
  'document',
  'sticker',
  'location',
  'vcard',
  'multi_vcard',
  'poll_creation',
  'scheduled_event_creation',
  'groups_v4_invite',
  'product',
  'order',
  'list_response',
  'buttons_response',
  'template_button_reply',
  'interactive',
]);

/** Types whose text is a caption (their `body` is a thumbnail when the media is not downloaded). */
const CAPTIONED = new Set(['image', 'video', 'album', 'document']);

/** The parts of a `Message` a touch is made of. */
export interface MessageFacts {
  /** Serialized chat id (a group, or the person in a private chat). */
  chatId: string;
  chatKind: 'group' | 'private';
  /** Serialized id of the person who wrote it. */
  senderId: string;
  /** WhatsApp's message key id (`id.id`). */
  keyId: string;
  occurredAt: string;
  type: string;
  /** Text, caption or poll name; '' for media without one. Never stored. */
  text: string;
  mentionedIds: string[];
  /** Links WhatsApp itself found (`links[].link`). */
  links: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Seconds since the epoch → ISO time; null when not a plausible timestamp. */
function isoFromSeconds(t: unknown): string | null {
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1e11) return null;
  return new Date(Math.floor(t) * 1000).toISOString();
}

function textOf(m: Record<string, unknown>, type: string): string {
  if (type === 'chat') return str(m.body) ?? '';
  if (CAPTIONED.has(type)) {
    const raw = isObject(m._data) ? str(m._data.caption) : undefined;
    if (raw !== undefined) return raw;
    return m.hasMedia === true ? (str(m.body) ?? '') : '';
  }
  if (type === 'poll_creation') return str(m.pollName) ?? '';
  return '';
}

/** Reads a `Message` (or drops it, with the reason). */
export function readMessage(m: unknown): { ok: true; facts: MessageFacts } | { ok: false; reason: string } {
  return safely(() => readMessageUnsafe(m));
}

function readMessageUnsafe(m: unknown): { ok: true; facts: MessageFacts } | { ok: false; reason: string } {
  if (!isObject(m)) return { ok: false, reason: 'not a message object' };
  if (hasMalformedId(m)) return { ok: false, reason: 'an id is not well-formed Unicode' };
  const id = m.id;
  if (!isObject(id) || typeof id.id !== 'string' || id.id.length === 0 || id.id.length > 128) return { ok: false, reason: 'message without a key id' };
  if (m.fromMe === true || id.fromMe === true) return { ok: false, reason: 'sent by the account itself' };
  const chatId = serializedId(m.from) ?? serializedId(id.remote);
  if (chatId === null) return { ok: false, reason: 'message without a chat id' };
  const chat = parseWaId(chatId);
  if (chat.kind === 'status' || m.isStatus === true) return { ok: false, reason: 'status update' };
  if (chat.kind === 'broadcast' || m.broadcast === true) return { ok: false, reason: 'broadcast list message' };
  if (chat.kind === 'newsletter') return { ok: false, reason: 'channel post' };
  if (chat.kind !== 'group' && chat.kind !== 'phone' && chat.kind !== 'lid') return { ok: false, reason: `chat of an unknown kind (${chat.kind})` };
  const type = str(m.type);
  if (type === undefined) return { ok: false, reason: 'message without a type' };
  if (!ACTIVITY_TYPES.has(type)) return { ok: false, reason: `message type ${type.slice(0, 40)}: no activity` };
  const occurredAt = isoFromSeconds(m.timestamp);
  if (occurredAt === null) return { ok: false, reason: 'message without a valid timestamp' };
  const chatKind = chat.kind === 'group' ? 'group' : 'private';
  // In groups the sender is `author`; a few message types carry it only in the key (`id.participant`).
  const senderId = chatKind === 'group' ? (serializedId(m.author) ?? serializedId(id.participant)) : chatId;
  if (senderId === null || !isPersonId(senderId)) return { ok: false, reason: 'message without a person as its author' };
  const mentionedIds = Array.isArray(m.mentionedIds) ? m.mentionedIds.map(serializedId).filter((x): x is string => x !== null) : [];
  const links = Array.isArray(m.links) ? m.links.map((l) => (isObject(l) ? str(l.link) : undefined)).filter((x): x is string => x !== undefined) : [];
  return { ok: true, facts: { chatId: chat.canonical, chatKind, senderId, keyId: id.id, occurredAt, type, text: textOf(m, type), mentionedIds, links } };
}

/** Campaign codes a person may start a private chat with (as Telegram's `/start` payloads). */
export const DM_CODE = /^(?:\/?start\s+|ref\s*[:=]\s*|#)([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])/i;

/**
 * The campaign code a private message starts with, or null. Click-to-chat links
 * (`https://wa.me/<number>?text=…`) prefill the first message, so a campaign's link can
 * carry its code: `start spring24`, `ref:spring24` (also `ref=`), or `#spring24`, then
 * anything. Codes are 1–64 of `A-Za-z0-9_-`; a `#` code needs a letter (`#1` is not one).
 */
export function parseDmStartCode(text: string): string | null {
  if (typeof text !== 'string') return null;
  const t = text.trimStart();
  const m = DM_CODE.exec(t);
  if (!m) return null;
  const code = m[1] as string;
  if (t.startsWith('#') && !/[A-Za-z]/.test(code)) return null;
  return code;
}

const WA_LINK_HOSTS = new Set(['wa.me', 'api.whatsapp.com', 'whatsapp.com', 'www.whatsapp.com', 'web.whatsapp.com']);

/**
 * A posted URL as a touch may keep it: click-to-chat links carry a phone number and a
 * prefilled message, so the number becomes its keyed hash and the text is removed.
 * Other URLs are kept as canonicalized. Null when not a URL.
 */
export function safeUrl(raw: string, hash: Pseudonymizer): string | null {
  const canonical = canonicalizeUrl(raw);
  if (canonical === null) return null;
  let url: URL;
  try {
    url = new URL(canonical);
  } catch {
    return null;
  }
  if (!WA_LINK_HOSTS.has(url.hostname)) return canonical;
  const hashed = (digits: string): string => `h-${hash('phone', `+${digits}`).slice(0, 16)}`;
  url.pathname = url.pathname.replace(/\d{6,}/g, (d) => hashed(d));
  const phone = url.searchParams.get('phone');
  if (phone !== null) url.searchParams.set('phone', hashed(phone.replace(/\D/g, '')));
  url.searchParams.delete('text');
  return url.toString();
}

export interface MessageMapOptions extends WaMapContext {
  matcher: KeywordMatcher;
}

function identityOf(id: string, o: WaMapContext): PersonIdentity | null {
  return personIdentity(id, o.hash, o.phones);
}

function chatOf(chatId: string, kind: 'group' | 'private', o: WaMapContext): TouchEvent['chat'] | null {
  const id = publicChatId(chatId, o.hash, o.phones);
  if (id === null) return null;
  if (kind === 'private') return { id, type: 'private' };
  return o.chatTitle !== undefined && o.chatTitle.length > 0 ? { id, title: o.chatTitle.slice(0, 300), type: 'group' } : { id, type: 'group' };
}

const isSelf = (id: string, o: WaMapContext): boolean => {
  const p = parseWaId(id).canonical;
  if (o.selfIds.has(p)) return true;
  const phone = o.phones?.get(p);
  return phone !== undefined && o.selfIds.has(phone);
};

/**
 * Touches of one received message (see the module table). `o.phones` should hold the
 * phones of the sender and the mentioned people where they are linked ids.
 */
export function mapMessage(message: unknown, o: MessageMapOptions): MapOutcome {
  return safely(() => mapMessageUnsafe(message, o));
}

function mapMessageUnsafe(message: unknown, o: MessageMapOptions): MapOutcome {
  const read = readMessage(message);
  if (!read.ok) return read;
  const f = read.facts;
  if (isSelf(f.senderId, o)) return drop('sent by the account itself');
  const actor = identityOf(f.senderId, o);
  const chat = chatOf(f.chatId, f.chatKind, o);
  if (actor === null || chat === null) return drop('sender or chat id cannot be pseudonymized');
  const base = { workspace: o.workspace, platform: 'whatsapp' as const, account: o.account, chat, actor, occurredAt: f.occurredAt };
  const id = (kind: TouchEvent['kind']): string => makeTouchId('whatsapp', chat.id, f.keyId, kind);
  if (f.chatKind === 'private') {
    // A click-to-chat code (`ref:<code>`) is where the person came from: that is the step.
    const code = parseDmStartCode(f.text);
    if (code !== null) return { ok: true, touches: [{ ...base, id: id('dm_start'), kind: 'dm_start', details: { payload: code, campaign: code } }] };
  }
  // One message is one touch; what it contained are its facets.
  const details: TouchOf<'message'>['details'] = {};
  const keywords = f.text.length > 0 ? o.matcher.match(f.text).slice(0, 500) : [];
  if (keywords.length > 0) details.keywords = keywords;
  if (f.chatKind === 'group') {
    const found = extractEntities(f.text, [], { mentionedIds: f.mentionedIds });
    const mentioned = [
      ...new Set(
        found.mentions
          .filter((m) => m.startsWith('wa:'))
          .map((m) => identityOf(m.slice(3), o)?.userId)
          .filter((x): x is string => x !== undefined),
      ),
    ].slice(0, 100);
    if (mentioned.length > 0) details.mentioned = mentioned;
    const urls = [...new Set([...found.urls, ...f.links].map((u) => safeUrl(u, o.hash)).filter((u): u is string => u !== null))].slice(0, 50);
    if (urls.length > 0) details.urls = urls;
  }
  const out: TouchEvent[] = [{ ...base, id: id('message'), kind: 'message', details }];
  return { ok: true, touches: out };
}

/** The parts of a `GroupNotification` a touch is made of. */
export interface NotificationFacts {
  chatId: string;
  keyId: string;
  occurredAt: string;
  /** `add`, `invite`, `remove`, `leave`, `linked_group_join`, `membership_approval_request`, … */
  type: string;
  author: string | null;
  recipients: string[];
}

/** Reads a `GroupNotification` (or drops it, with the reason). */
export function readNotification(n: unknown): { ok: true; facts: NotificationFacts } | { ok: false; reason: string } {
  return safely(() => readNotificationUnsafe(n));
}

function readNotificationUnsafe(n: unknown): { ok: true; facts: NotificationFacts } | { ok: false; reason: string } {
  if (!isObject(n)) return { ok: false, reason: 'not a notification object' };
  if (hasMalformedId(n)) return { ok: false, reason: 'an id is not well-formed Unicode' };
  const id = n.id;
  const keyId = isObject(id) ? (str(id.id) ?? str(id._serialized)) : str(id);
  if (keyId === undefined || keyId.length === 0 || keyId.length > 200) return { ok: false, reason: 'notification without an id' };
  const chatId = serializedId(n.chatId) ?? (isObject(id) ? serializedId(id.remote) : null);
  if (chatId === null || parseWaId(chatId).kind !== 'group') return { ok: false, reason: 'notification outside a group' };
  const occurredAt = isoFromSeconds(n.timestamp);
  if (occurredAt === null) return { ok: false, reason: 'notification without a valid timestamp' };
  const type = str(n.type) ?? '';
  const author = serializedId(n.author);
  const recipients = Array.isArray(n.recipientIds) ? n.recipientIds.map(serializedId).filter((x): x is string => x !== null && x.length > 0) : [];
  return { ok: true, facts: { chatId, keyId, occurredAt, type, author: author !== null && author.length > 0 ? author : null, recipients } };
}

/** The people a notification is about: its recipients, or its author when it names none (a leave, a request). */
function peopleOf(f: NotificationFacts, authorFallback: boolean): string[] {
  const list = f.recipients.length > 0 ? f.recipients : authorFallback && f.author !== null ? [f.author] : [];
  return [...new Set(list.filter(isPersonId))];
}

type NotificationTouch = TouchOf<'join'> | TouchOf<'leave'>;

function notificationTouches(
  f: NotificationFacts,
  people: string[],
  o: WaMapContext,
  make: (person: string, actor: PersonIdentity) => Pick<TouchOf<'join'>, 'kind' | 'details'> | Pick<TouchOf<'leave'>, 'kind' | 'details'>,
): MapOutcome {
  const chat = chatOf(f.chatId, 'group', o);
  if (chat === null) return drop('group id cannot be pseudonymized');
  const out: NotificationTouch[] = [];
  for (const person of people) {
    if (isSelf(person, o)) continue;
    const actor = identityOf(person, o);
    if (actor === null) continue;
    const body = make(person, actor);
    out.push({
      id: makeTouchId('whatsapp', chat.id, f.keyId, actor.userId),
      workspace: o.workspace,
      platform: 'whatsapp',
      account: o.account,
      chat,
      actor,
      occurredAt: f.occurredAt,
      ...body,
    } as NotificationTouch);
  }
  return { ok: true, touches: out };
}

export interface JoinMapOptions extends WaMapContext {
  /**
   * For `invite` joins and membership requests: the invite link the group had when they
   * came and the campaign it was made for, when the caller knows (WhatsApp does not say
   * which link was used; a group has one link at a time, so its current one is it).
   */
  invite?: { link?: string; campaign?: string };
}

function inviteDetails(o: JoinMapOptions): { inviteLink?: string; campaign?: string } {
  const d: { inviteLink?: string; campaign?: string } = {};
  if (o.invite?.campaign !== undefined && o.invite.campaign.length > 0) {
    d.campaign = o.invite.campaign.slice(0, 128);
    if (o.invite.link !== undefined) d.inviteLink = o.invite.link.slice(0, 300);
  }
  return d;
}

/** A `group_join` notification (`add`, `invite`, `linked_group_join`) as join touches, one per person. */
export function mapGroupJoin(notification: unknown, o: JoinMapOptions): MapOutcome {
  return safely(() => mapGroupJoinUnsafe(notification, o));
}

function mapGroupJoinUnsafe(notification: unknown, o: JoinMapOptions): MapOutcome {
  const read = readNotification(notification);
  if (!read.ok) return read;
  const f = read.facts;
  switch (f.type) {
    case 'add': {
      const by = f.author !== null ? identityOf(f.author, o)?.userId : undefined;
      return notificationTouches(f, peopleOf(f, false), o, (_person, actor) => ({
        kind: 'join',
        details: by !== undefined && by !== actor.userId ? { via: 'added', addedBy: by } : { via: 'added' },
      }));
    }
    case 'invite':
      return notificationTouches(f, peopleOf(f, true), o, () => ({ kind: 'join', details: { via: 'invite_link', ...inviteDetails(o) } }));
    case 'linked_group_join':
      return notificationTouches(f, peopleOf(f, true), o, () => ({ kind: 'join', details: { via: 'public' } }));
    default:
      return drop(`group_join of type ${f.type.slice(0, 40) || '(none)'}`);
  }
}

/** A `group_leave` notification (`leave`, `remove`) as leave touches, one per person. */
export function mapGroupLeave(notification: unknown, o: WaMapContext): MapOutcome {
  return safely(() => mapGroupLeaveUnsafe(notification, o));
}

function mapGroupLeaveUnsafe(notification: unknown, o: WaMapContext): MapOutcome {
  const read = readNotification(notification);
  if (!read.ok) return read;
  const f = read.facts;
  if (f.type !== 'leave' && f.type !== 'remove') return drop(`group_leave of type ${f.type.slice(0, 40) || '(none)'}`);
  const by = f.author !== null ? identityOf(f.author, o)?.userId : undefined;
  return notificationTouches(f, peopleOf(f, true), o, (_person, actor) =>
    f.type === 'remove' && by !== undefined && by !== actor.userId ? { kind: 'leave', details: { via: 'removed', removedBy: by } } : { kind: 'leave', details: { via: f.type === 'remove' && by === undefined ? 'removed' : 'left' } },
  );
}

/** A `group_membership_request` notification as a join touch via `join_request` (the requester is its author). */
export function mapMembershipRequest(notification: unknown, o: JoinMapOptions): MapOutcome {
  return safely(() => mapMembershipRequestUnsafe(notification, o));
}

function mapMembershipRequestUnsafe(notification: unknown, o: JoinMapOptions): MapOutcome {
  const read = readNotification(notification);
  if (!read.ok) return read;
  const f = read.facts;
  const requester = f.author !== null ? [f.author] : f.recipients.slice(0, 1);
  const people = requester.filter(isPersonId);
  if (people.length === 0) return drop('membership request without a requester');
  return notificationTouches(f, people, o, () => ({ kind: 'join', details: { via: 'join_request', ...inviteDetails(o) } }));
}

/**
 * How a group notification changes the account's own membership: `joined` when it was
 * added or joined, `left` / `removed` when it left or was removed; null when the
 * notification is about other people.
 */
export function selfMembership(notification: unknown, selfIds: ReadonlySet<string>, phones: PhoneOfLid = new Map()): 'joined' | 'left' | 'removed' | null {
  const read = readNotification(notification);
  if (!read.ok) return null;
  const f = read.facts;
  const me = (id: string): boolean => {
    const c = parseWaId(id).canonical;
    const p = phones.get(c);
    return selfIds.has(c) || (p !== undefined && selfIds.has(p));
  };
  const about = (f.recipients.length > 0 ? f.recipients : f.author !== null ? [f.author] : []).some(me);
  if (!about) return null;
  if (f.type === 'add' || f.type === 'invite' || f.type === 'linked_group_join') return 'joined';
  if (f.type === 'leave') return 'left';
  if (f.type === 'remove') return f.author !== null && !me(f.author) ? 'removed' : 'left';
  return null;
}

/** Every linked id a message or notification names (sender, author, recipients, mentions), for the caller's phone lookup. */
export function linkedIdsOf(event: unknown): string[] {
  try {
    return linkedIdsOfUnsafe(event);
  } catch {
    return [];
  }
}

function linkedIdsOfUnsafe(event: unknown): string[] {
  if (!isObject(event)) return [];
  const candidates = [event.author, event.from, ...(Array.isArray(event.recipientIds) ? event.recipientIds : []), ...(Array.isArray(event.mentionedIds) ? event.mentionedIds : [])];
  const out = new Set<string>();
  for (const c of candidates) {
    const s = serializedId(c);
    if (s === null) continue;
    const p = parseWaId(s);
    if (p.kind === 'lid') out.add(p.canonical);
  }
  return [...out];
}

/** The group a notification or group message belongs to (serialized id), or null. */
export function groupIdOf(event: unknown): string | null {
  try {
    return groupIdOfUnsafe(event);
  } catch {
    return null;
  }
}

function groupIdOfUnsafe(event: unknown): string | null {
  if (!isObject(event)) return null;
  const id = serializedId(event.chatId) ?? serializedId(event.from) ?? (isObject(event.id) ? serializedId(event.id.remote) : null);
  return id !== null && parseWaId(id).kind === 'group' ? id : null;
}
