/**
 * WhatsApp ids as whatsapp-web.js gives them, and how they become the pseudonymous ids a
 * touch carries (pure).
 *
 * Ids are `<user>@<server>`: `8613800138000@c.us` (a phone number; `@s.whatsapp.net` in
 * some payloads, sometimes with a `:<device>` suffix), `123456789012345@lid` (a linked id:
 * an opaque number WhatsApp uses instead of the phone in newer groups; it says nothing of
 * the phone), `120363…@g.us` (a group), `status@broadcast`, `…@broadcast` (broadcast lists),
 * `…@newsletter` (channels). The library gives them either as strings or as objects with
 * `_serialized`.
 *
 * Hashing (the same conventions as conversions, see `src/conversions/customer-identifiers.ts`):
 * - a phone id: `userId = pseudonymize('wa_id', E.164)`, `phoneHash = pseudonymize('phone', E.164)`;
 * - a linked id whose phone the account knows (see `PhoneOfLid`): the same as its phone id,
 *   plus `lidHash = pseudonymize('wa_id', '<lid>@lid')`, so the profile holds both ids and a
 *   person seen as `@lid` in one group and `@c.us` in another is one person;
 * - a linked id whose phone is unknown: `userId = lidHash = pseudonymize('wa_id', '<lid>@lid')`,
 *   no phone hash (the value cannot collide with a phone's, which starts with `+`); identity
 *   resolution files it as a `wa_lid` identifier, so once the pair is revealed the two merge.
 */
import { normalizeInternationalPhone, type Pseudonymizer } from '../../src/identity/pseudonymize.js';
import { isWellFormed, type Actor } from '../../src/touch-event.js';

/**
 * `_serialized` of an id given as a string or an id object; null for anything else, and for
 * an id that is not well-formed Unicode (a lone surrogate: MongoDB would store it as U+FFFD,
 * and hashing encodes it so too, so two different ids would become one).
 */
export function serializedId(value: unknown): string | null {
  const s =
    typeof value === 'string'
      ? value
      : value !== null && typeof value === 'object' && typeof (value as { _serialized?: unknown })._serialized === 'string'
        ? (value as { _serialized: string })._serialized
        : null;
  if (s === null) return null;
  const t = s.trim();
  return t.length > 0 && t.length <= 200 && isWellFormed(t) ? t : null;
}

export type WaIdKind = 'phone' | 'lid' | 'group' | 'status' | 'broadcast' | 'newsletter' | 'other';

export interface ParsedWaId {
  kind: WaIdKind;
  /** The part before `@`, without a `:<device>` suffix. */
  user: string;
  /** The id in canonical form: `<user>@c.us` for phones, `<user>@lid`, or as given. */
  canonical: string;
}

const PHONE_ID = /^(\d{5,20})(?::\d{1,4})?@(?:c\.us|s\.whatsapp\.net)$/;
const LID_ID = /^(\d{1,24})(?::\d{1,4})?@lid$/;
const GROUP_ID = /^(\d{5,20}(?:-\d{5,12})?)@g\.us$/;

/** What kind of WhatsApp id a serialized id is. */
export function parseWaId(id: string): ParsedWaId {
  let m = PHONE_ID.exec(id);
  if (m) return { kind: 'phone', user: m[1] as string, canonical: `${m[1] as string}@c.us` };
  m = LID_ID.exec(id);
  if (m) return { kind: 'lid', user: m[1] as string, canonical: `${m[1] as string}@lid` };
  m = GROUP_ID.exec(id);
  if (m) return { kind: 'group', user: m[1] as string, canonical: id };
  if (id === 'status@broadcast') return { kind: 'status', user: 'status', canonical: id };
  if (id.endsWith('@broadcast')) return { kind: 'broadcast', user: id.slice(0, -'@broadcast'.length), canonical: id };
  if (id.endsWith('@newsletter')) return { kind: 'newsletter', user: id.slice(0, -'@newsletter'.length), canonical: id };
  return { kind: 'other', user: id.split('@')[0] ?? id, canonical: id };
}

/** Whether an id names a person (a phone id or a linked id). */
export function isPersonId(id: string): boolean {
  const k = parseWaId(id).kind;
  return k === 'phone' || k === 'lid';
}

/**
 * Phone ids of linked ids the account could resolve (`lid canonical` → `phone canonical`),
 * as the runner looked them up before mapping (`Client#getContactLidAndPhone`).
 */
export type PhoneOfLid = ReadonlyMap<string, string>;

/** A person as a touch's actor names them: hashed WhatsApp id, and hashed phone when known. */
export type PersonIdentity = Actor & { userId: string };

/** The pseudonymous identity of a person id, or null when the id names no person. */
export function personIdentity(id: string, hash: Pseudonymizer, phones: PhoneOfLid = new Map()): PersonIdentity | null {
  let parsed = parseWaId(id);
  let lidHash: string | undefined;
  if (parsed.kind === 'lid') {
    lidHash = hash('wa_id', parsed.canonical);
    const phone = phones.get(parsed.canonical);
    const p = phone !== undefined ? parseWaId(phone) : undefined;
    if (p?.kind === 'phone') parsed = p;
    else return { userId: lidHash, lidHash };
  }
  if (parsed.kind !== 'phone') return null;
  const e164 = normalizeInternationalPhone(parsed.user);
  if (e164 === null) return null;
  return { userId: hash('wa_id', e164), phoneHash: hash('phone', e164), ...(lidHash !== undefined ? { lidHash } : {}) };
}

/**
 * The chat id a touch carries for a WhatsApp chat.
 * - Groups created since 2021 (`120363…@g.us`) keep their id: it is no phone number.
 * - Older groups are `<creator's phone>-<timestamp>@g.us`: the phone part is replaced by
 *   its keyed hash (`wag_<hash>-<timestamp>`), so no phone is stored in clear.
 * - A private chat's id is the person's id, so it becomes the person's hashed user id.
 * Null for chats that are neither (status, broadcast lists, channels).
 */
export function publicChatId(chatId: string, hash: Pseudonymizer, phones: PhoneOfLid = new Map()): string | null {
  const parsed = parseWaId(chatId);
  if (parsed.kind === 'group') {
    const dash = parsed.user.indexOf('-');
    if (dash < 0) return parsed.canonical;
    return `wag_${hash('wa_group_creator', parsed.user.slice(0, dash))}${parsed.user.slice(dash)}`;
  }
  if (parsed.kind === 'phone' || parsed.kind === 'lid') return personIdentity(chatId, hash, phones)?.userId ?? null;
  return null;
}

/** Whether any id-like string of a library event object (its key id, chat, author, recipients, mentions) is not well-formed Unicode. */
export function hasMalformedId(event: unknown): boolean {
  if (event === null || typeof event !== 'object') return false;
  const e = event as Record<string, unknown>;
  const id = e.id !== null && typeof e.id === 'object' ? (e.id as Record<string, unknown>) : { id: e.id };
  const values = [id.id, id._serialized, id.remote, id.participant, e.from, e.to, e.author, e.chatId, ...(Array.isArray(e.recipientIds) ? e.recipientIds : []), ...(Array.isArray(e.mentionedIds) ? e.mentionedIds : [])];
  return values.some((v) => {
    const s = typeof v === 'string' ? v : v !== null && typeof v === 'object' ? (v as { _serialized?: unknown })._serialized : undefined;
    return typeof s === 'string' && !isWellFormed(s);
  });
}
