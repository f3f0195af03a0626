/**
 * The handler's lookups ({@link WhatsAppLookups}) over a whatsapp-web.js `Client`:
 * group subject and admin status (`getChatById`), phones behind linked ids
 * (`getContactLidAndPhone`), a group's invite code (`GroupChat#getInviteCode`), and the
 * account's own ids (`client.info.wid`, and its linked id). Each call has a timeout
 * (WhatsApp Web can be slow or stuck) and answers are cached, so a burst of messages
 * does not become a burst of browser round trips.
 */
import type { WhatsAppLookups, GroupInfo } from './event-handler.js';
import type { SendingClient } from './send-limiter.js';
import { parseWaId, serializedId } from './wa-ids.js';

/** The parts of a `Client` the lookups use. */
export interface LookupClient {
  info?: { wid?: unknown } | null | undefined;
  getChatById(chatId: string): Promise<unknown>;
  getContactLidAndPhone(userIds: string[]): Promise<Array<{ lid?: string | undefined; pn?: string | undefined }>>;
  /** Sends a message (commands' answers, through the send limits only). */
  sendMessage?(chatId: string, content: unknown, options?: Record<string, unknown>): Promise<unknown>;
}

export interface ClientLookupsOptions {
  /** Longest one WhatsApp Web call may take; default 5 s. */
  timeoutMs?: number;
  /** How long a linked id without a known phone is asked again only after; default 10 min (known phones: kept). */
  unknownLidTtlMs?: number;
  /** How long an invite code is reused; default 15 s (a group's link can be reset at any time). */
  inviteTtlMs?: number;
  now?: () => number;
}

export interface ClientLookups extends WhatsAppLookups {
  groupAdmins(chatId: string): Promise<string[]>;
  sendingClient(): SendingClient | undefined;
  /** Reads the account's own ids; call on `ready`. */
  refreshSelf(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

const MAX_CACHE = 100_000;

export function createClientLookups(client: LookupClient, options: ClientLookupsOptions = {}): ClientLookups {
  const timeout = options.timeoutMs ?? 5_000;
  const unknownTtl = options.unknownLidTtlMs ?? 10 * 60_000;
  const inviteTtl = options.inviteTtlMs ?? 15_000;
  const now = options.now ?? Date.now;
  let self: ReadonlySet<string> = new Set();
  const lidPhones = new Map<string, { pn: string | null; at: number }>();
  const invites = new Map<string, { code: string | undefined; at: number }>();

  const chat = async (chatId: string): Promise<Record<string, unknown> | undefined> => {
    const c = await withTimeout(client.getChatById(chatId), timeout, 'getChatById');
    return c !== null && typeof c === 'object' ? (c as Record<string, unknown>) : undefined;
  };

  return {
    selfIds: () => self,

    async refreshSelf() {
      const wid = serializedId(client.info?.wid);
      if (wid === null) return;
      const ids = new Set([parseWaId(wid).canonical]);
      // The phone id is known at once (events may follow `ready` immediately); the linked id after a round trip.
      self = new Set(ids);
      try {
        const [r] = await withTimeout(client.getContactLidAndPhone([wid]), timeout, 'getContactLidAndPhone');
        for (const v of [r?.lid, r?.pn]) if (typeof v === 'string' && v.length > 0) ids.add(parseWaId(v).canonical);
      } catch {
        // The own linked id stays unknown: its messages are still dropped as `fromMe`.
      }
      self = ids;
    },

    async group(chatId): Promise<GroupInfo | undefined> {
      const c = await chat(chatId);
      if (!c || c.isGroup !== true) return undefined;
      const title = typeof c.name === 'string' && c.name.length > 0 ? c.name : undefined;
      const meta = c.groupMetadata as { participants?: unknown } | undefined;
      const participants = Array.isArray(meta?.participants) ? (meta.participants as Array<Record<string, unknown>>) : [];
      const selfIsAdmin = participants.some((p) => {
        const id = serializedId(p.id);
        return id !== null && self.has(parseWaId(id).canonical) && (p.isAdmin === true || p.isSuperAdmin === true);
      });
      return title !== undefined ? { title, selfIsAdmin } : undefined;
    },

    async phonesOfLids(lids) {
      const out = new Map<string, string>();
      const ask: string[] = [];
      for (const lid of lids) {
        const hit = lidPhones.get(lid);
        if (hit?.pn) out.set(lid, hit.pn);
        else if (!hit || now() - hit.at >= unknownTtl) ask.push(lid);
      }
      if (ask.length === 0) return out;
      const answers = await withTimeout(client.getContactLidAndPhone(ask), timeout, 'getContactLidAndPhone');
      if (lidPhones.size > MAX_CACHE) lidPhones.clear();
      ask.forEach((lid, i) => {
        const pnRaw = answers[i]?.pn;
        const pn = typeof pnRaw === 'string' && parseWaId(pnRaw).kind === 'phone' ? parseWaId(pnRaw).canonical : null;
        lidPhones.set(lid, { pn, at: now() });
        if (pn !== null) out.set(lid, pn);
      });
      return out;
    },

    async groupAdmins(chatId) {
      const c = await chat(chatId);
      const meta = c?.groupMetadata as { participants?: unknown } | undefined;
      const participants = Array.isArray(meta?.participants) ? (meta.participants as Array<Record<string, unknown>>) : [];
      return participants.filter((p) => p.isAdmin === true || p.isSuperAdmin === true).map((p) => serializedId(p.id)).filter((x): x is string => x !== null);
    },

    sendingClient() {
      const send = client.sendMessage;
      return typeof send === 'function' ? { sendMessage: (chatId: string, content: unknown, o?: Record<string, unknown>) => send.call(client, chatId, content, o) } : undefined;
    },

    async inviteCode(chatId) {
      const hit = invites.get(chatId);
      if (hit && now() - hit.at < inviteTtl) return hit.code;
      const c = await chat(chatId);
      const get = c?.getInviteCode;
      let code: string | undefined;
      if (typeof get === 'function') {
        const r: unknown = await withTimeout(Promise.resolve((get as () => Promise<unknown>).call(c)), timeout, 'getInviteCode').catch(() => undefined);
        code = typeof r === 'string' && r.length > 0 ? r : undefined;
      }
      if (invites.size > 10_000) invites.clear();
      invites.set(chatId, { code, at: now() });
      return code;
    },
  };
}
