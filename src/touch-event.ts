/**
 * The normalized touch event: one thing a person did in a community that may later
 * explain a conversion. Every connector (Telegram, WhatsApp, tracked links) turns its
 * platform events into this shape before anything else sees them.
 *
 * Privacy: a touch never carries message text, and never a clear phone number or a
 * WhatsApp id (which is a phone number): those arrive already pseudonymized with the
 * workspace's keyed hash (see `src/identity/pseudonymize.ts`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const PLATFORMS = ['telegram', 'whatsapp', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const TOUCH_KINDS = ['join', 'leave', 'message', 'link_click', 'dm_start'] as const;
export type TouchKind = (typeof TOUCH_KINDS)[number];

/** Touch kinds that say where a person came from; they make up a profile's source path. */
export const SOURCE_KINDS: ReadonlySet<TouchKind> = new Set(['join', 'dm_start', 'link_click']);

/**
 * Text that is well-formed Unicode: no lone UTF-16 surrogate. MongoDB's BSON encoder turns
 * a lone surrogate into U+FFFD, so two different ids would become one unique key there;
 * such strings are refused at every capture boundary instead.
 */
export const WELL_FORMED = /^\P{Cs}*$/u;

/** Whether a string is well-formed Unicode (see {@link WELL_FORMED}). */
export function isWellFormed(s: string): boolean {
  return WELL_FORMED.test(s);
}

export const NOT_WELL_FORMED = 'not well-formed Unicode (a lone surrogate)';
/** A zod string of well-formed Unicode (every string field of a touch is one). */
export const wellFormedText = () => z.string().regex(WELL_FORMED, NOT_WELL_FORMED);
const text = wellFormedText;

const id = text().min(1).max(200);
const shortText = text().max(300);

export const chatSchema = z.object({
  /** Platform chat id: Telegram chat id, WhatsApp group id, or a tracked link's group label for web. */
  id,
  title: shortText.optional(),
  type: z.enum(['group', 'private', 'channel', 'web']),
});
export type Chat = z.infer<typeof chatSchema>;

export const actorSchema = z.object({
  /** Platform user id: Telegram numeric id in clear; WhatsApp ids only as a keyed hash. */
  userId: id.optional(),
  /** Telegram username, lower-cased, without `@`. Low-trust: never used to merge profiles. */
  username: text().max(64).optional(),
  /** Keyed hash of the E.164 phone number, where the platform gives one. */
  phoneHash: text().max(128).optional(),
  /**
   * WhatsApp: keyed hash of the person's linked id (`<number>@lid`), when the event named it.
   * Equal to `userId` when the phone behind it is unknown (the person is then known by it alone).
   */
  lidHash: text().max(128).optional(),
  /** Profile the touch is already known to belong to (a personal link's member token). */
  profileId: id.optional(),
});
export type Actor = z.infer<typeof actorSchema>;

const base = z.object({
  id,
  workspace: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'workspace ids are 1-64 of a-z 0-9 _ -'),
  platform: z.enum(PLATFORMS),
  /** Which bot / WhatsApp number / link service saw the event. */
  account: id,
  chat: chatSchema,
  actor: actorSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  /**
   * The platform's own order of events, where it has one (Telegram: the bot's `update_id`):
   * breaks ties between touches of the same instant (see `compareTouches`).
   */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

const campaign = text().min(1).max(128);

export const touchEventSchema = z.discriminatedUnion('kind', [
  base.extend({
    kind: z.literal('join'),
    details: z.object({
      via: z.enum(['invite_link', 'join_request', 'added', 'public', 'unknown']),
      inviteLink: text().max(300).optional(),
      campaign: campaign.optional(),
      /** User id of whoever added the member (hashed on WhatsApp). */
      addedBy: id.optional(),
      /** Whether the one who added the member administers the group (a moderator's act; see referral chains). */
      addedByAdmin: z.boolean().optional(),
    }),
  }),
  base.extend({
    kind: z.literal('leave'),
    details: z.object({ via: z.enum(['left', 'removed', 'unknown']), removedBy: id.optional() }),
  }),
  base.extend({
    kind: z.literal('link_click'),
    details: z.object({
      code: text().min(1).max(64),
      clickId: text().min(1).max(64),
      campaign: campaign.optional(),
    }),
  }),
  base.extend({
    kind: z.literal('dm_start'),
    details: z.object({ payload: text().max(64), campaign: campaign.optional() }),
  }),
  base.extend({
    kind: z.literal('message'),
    /**
     * What the message contained, as facets of one step (never its text): watched keywords
     * it matched, users it @mentioned (hashed on WhatsApp), URLs it carried. A message is one
     * touch whatever it contained.
     */
    details: z.object({
      keywords: z.array(text().min(1).max(128)).min(1).max(500).optional(),
      mentioned: z.array(text().min(1).max(128)).min(1).max(100).optional(),
      urls: z.array(text().min(1).max(2048)).min(1).max(50).optional(),
    }),
  }),
]);

export type TouchEvent = z.infer<typeof touchEventSchema>;
export type TouchOf<K extends TouchKind> = Extract<TouchEvent, { kind: K }>;

/**
 * Deterministic touch id from the platform's own ids: the same platform event always
 * gets the same id, whichever connector or account delivers it (two bots in one group
 * see one message once). 128 bits of SHA-256, base64url: 22 characters, no `:`.
 */
export function makeTouchId(platform: Platform, ...parts: Array<string | number>): string {
  const h = createHash('sha256');
  h.update(platform);
  for (const p of parts) {
    h.update('\u0000');
    h.update(String(p));
  }
  return h.digest('base64url').slice(0, 22);
}

/** Parses unknown data into a touch event; throws a ZodError naming each bad field. */
export function parseTouchEvent(data: unknown): TouchEvent {
  return touchEventSchema.parse(data);
}

/** The keywords a touch matched (a message's keyword facet); empty for other touches. */
export function touchKeywords(t: TouchEvent): readonly string[] {
  return t.kind === 'message' ? (t.details.keywords ?? []) : [];
}

/**
 * Order of touch kinds at the same instant when the platform gives no event order: a person
 * joins before they write, clicks after, and leaves last.
 */
export const KIND_ORDER: Readonly<Record<TouchKind, number>> = { join: 0, dm_start: 1, message: 2, link_click: 3, leave: 4 };

/**
 * The stable order of touches (a journey's steps): by instant; at the same instant by the
 * platform's event order (`seq`) when both carry one; then by kind ({@link KIND_ORDER});
 * then by chat id; the touch id decides only between touches alike in all of these.
 */
export function compareTouches(
  a: Pick<TouchEvent, 'occurredAt' | 'kind' | 'id' | 'seq'> & { chat: { id: string } },
  b: Pick<TouchEvent, 'occurredAt' | 'kind' | 'id' | 'seq'> & { chat: { id: string } },
): number {
  const dt = Date.parse(a.occurredAt) - Date.parse(b.occurredAt);
  if (dt !== 0) return dt;
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
  const dk = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (dk !== 0) return dk;
  if (a.chat.id !== b.chat.id) return a.chat.id < b.chat.id ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The campaign a touch carries, if any (joins, deep links, link clicks). */
export function touchCampaign(t: TouchEvent): string | undefined {
  switch (t.kind) {
    case 'join':
    case 'dm_start':
    case 'link_click':
      return t.details.campaign;
    default:
      return undefined;
  }
}
