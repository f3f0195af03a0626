/**
 * One WhatsApp account's event handler: turns the library's event objects into touches
 * (`map-events.ts`) and enqueues them, with the lookups a mapping needs done first.
 *
 * - Messages: the phones of linked ids involved (sender, mentions) are looked up so a
 *   person seen as `@lid` and as `@c.us` is one person; the group is registered in the
 *   store on first sight (title, whether the account is an admin) and its title rides
 *   on the touches; the workspace's keyword matcher (configured + `/track`ed) is applied.
 * - Joins: an `invite` join or a membership request is credited to the campaign of the
 *   group's current invite link when an operator stored that link for a campaign
 *   (`store.community.inviteLinks`, platform `whatsapp`, url `https://chat.whatsapp.com/<code>`).
 *   A membership request is recorded as the join; its approval (an `add` or `invite` of
 *   the same person) is then not a second join (as on Telegram).
 * - The account's own joins and leaves update the group's registration, not touches.
 * - People who opted out (erasure) are dropped.
 * - Edits and other group updates make no touch; a subject change refreshes the title.
 *
 * The connector never blocks on storage: touches go to the touch queue. When Redis is
 * unreachable (`QueueUnavailableError`), or the store cannot say who opted out, they wait
 * in memory (bounded, oldest dropped first with a warning) and are tried again with
 * backoff; touch ids are deterministic, so a resend is never a duplicate. A failing lookup (WhatsApp Web slow, the store down)
 * degrades the touch (no title, no campaign), never loses it. Handlers never throw.
 * Logs carry ids, kinds and counts, never message text.
 */
import { ZodError } from 'zod';
import { subjectOf } from '../../src/access/roles.js';
import type { WorkspaceKeywords } from '../../src/commands/index.js';
import { makePseudonymizer } from '../../src/identity/pseudonymize.js';
import { compileKeywords, type KeywordMatcher } from '../../src/keywords/index.js';
import type { Logger } from '../../src/logger.js';
import type { Store } from '../../src/store/store.js';
import type { TouchEvent } from '../../src/touch-event.js';
import type { WhatsAppAccount } from './accounts.js';
import {
  groupIdOf,
  linkedIdsOf,
  mapGroupJoin,
  mapGroupLeave,
  mapMembershipRequest,
  mapMessage,
  readMessage,
  readNotification,
  selfMembership,
  type MapOutcome,
  type WaMapContext,
} from './map-events.js';
import { personIdentity, publicChatId, type PhoneOfLid } from './wa-ids.js';

/** How long a pending membership request waits for its approval before it is forgotten. */
export const JOIN_REQUEST_TTL_MS = 30 * 24 * 3600_000;

/** A group as the account sees it. */
export interface GroupInfo {
  title: string;
  /** Whether the account is an admin (it can then read the invite link). */
  selfIsAdmin: boolean;
}

/** What the handler asks WhatsApp Web (the runner implements it over the client; tests stub it). */
export interface WhatsAppLookups {
  /** Canonical ids of the account itself (phone id, linked id); empty before `ready`. */
  selfIds(): ReadonlySet<string>;
  group(chatId: string): Promise<GroupInfo | undefined>;
  /** Phone ids of the given linked ids, for those the account knows. */
  phonesOfLids(lids: readonly string[]): Promise<PhoneOfLid>;
  /** The group's current invite code (admins only); undefined when it cannot be read. */
  inviteCode(chatId: string): Promise<string | undefined>;
}

export interface WhatsAppHandlerOptions {
  account: WhatsAppAccount;
  /** The deployment's keyed-hash secret (`MIDFUNNEL_HASH_KEY`). */
  hashKey: string;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  store: Store;
  keywords: WorkspaceKeywords;
  lookups: WhatsAppLookups;
  log: Logger;
  now?: () => Date;
  /** Most touches kept in memory while Redis is unreachable; default 10,000. */
  maxPending?: number;
  /** First resend delay while Redis is unreachable (doubles up to 30 s); default 1 s. */
  retryDelayMs?: number;
  /** How long a group's title and an opt-out answer are reused; default 10 min / 60 s. */
  groupTtlMs?: number;
  optOutTtlMs?: number;
}

export interface WhatsAppHandler {
  message(message: unknown): Promise<void>;
  messageEdit(message: unknown): void;
  groupJoin(notification: unknown): Promise<void>;
  groupLeave(notification: unknown): Promise<void>;
  membershipRequest(notification: unknown): Promise<void>;
  groupUpdate(notification: unknown): void;
  /** Touches waiting for Redis. */
  pending(): number;
  /** Tries to send the waiting touches now. */
  flush(): Promise<void>;
  /** Waits for events in progress, tries a last send, stops resending. */
  close(): Promise<void>;
}

/** The minimal event source the handler is attached to (a whatsapp-web.js `Client`). */
export interface EventSource {
  // `any[]`: the library's listeners take the event's own arguments (Message, GroupNotification, …).
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** The client events the handler listens to (names from the library's `Events`). */
export const HANDLED_EVENTS = ['message', 'message_edit', 'group_join', 'group_leave', 'group_membership_request', 'group_update'] as const;

/** Attaches a handler to a client's events; returns the detach function. */
export function attachHandler(client: EventSource, handler: WhatsAppHandler): () => void {
  const listeners: Record<(typeof HANDLED_EVENTS)[number], (x: unknown) => void> = {
    message: (m) => void handler.message(m),
    message_edit: (m) => handler.messageEdit(m),
    group_join: (n) => void handler.groupJoin(n),
    group_leave: (n) => void handler.groupLeave(n),
    group_membership_request: (n) => void handler.membershipRequest(n),
    group_update: (n) => handler.groupUpdate(n),
  };
  for (const e of HANDLED_EVENTS) client.on(e, listeners[e]);
  return () => {
    for (const e of HANDLED_EVENTS) client.off(e, listeners[e]);
  };
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createWhatsAppHandler(options: WhatsAppHandlerOptions): WhatsAppHandler {
  const { account, store, lookups } = options;
  const ws = account.workspace;
  const log = options.log.child({ account: account.id, workspace: ws });
  const hash = makePseudonymizer(options.hashKey, ws);
  const now = options.now ?? (() => new Date());
  const maxPending = options.maxPending ?? 10_000;
  const baseDelay = options.retryDelayMs ?? 1_000;
  const groupTtl = options.groupTtlMs ?? 10 * 60_000;
  const optOutTtl = options.optOutTtlMs ?? 60_000;
  const emptyMatcher = compileKeywords([]);

  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>): Promise<void> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  // --- lookups, each degrading to "unknown" on failure ---------------------------------
  const phonesOf = async (event: unknown): Promise<PhoneOfLid> => {
    const lids = linkedIdsOf(event);
    if (lids.length === 0) return new Map();
    try {
      return await lookups.phonesOfLids(lids);
    } catch (err) {
      log.debug({ err: errText(err), lids: lids.length }, 'linked id lookup failed');
      return new Map();
    }
  };

  const groups = new Map<string, { title: string | undefined; at: number }>();
  /** Registers the group on first sight (and after its title changed); returns its title. */
  const ensureGroup = async (chatId: string, publicId: string): Promise<string | undefined> => {
    const hit = groups.get(publicId);
    if (hit && now().getTime() - hit.at < groupTtl) return hit.title;
    let info: GroupInfo | undefined;
    try {
      info = await lookups.group(chatId);
    } catch (err) {
      log.debug({ chat: publicId, err: errText(err) }, 'group lookup failed');
    }
    try {
      const stored = await store.community.groups.get(ws, 'whatsapp', publicId);
      const title = info?.title ?? stored?.title ?? publicId;
      const selfIsAdmin = info?.selfIsAdmin ?? stored?.botIsAdmin ?? false;
      if (!stored || stored.title !== title || stored.status !== 'active' || stored.botIsAdmin !== selfIsAdmin || stored.account !== account.id) {
        await store.community.groups.upsert(ws, { workspace: ws, platform: 'whatsapp', chatId: publicId, title, account: account.id, status: 'active', botIsAdmin: selfIsAdmin, at: now().toISOString() });
      }
      groups.set(publicId, { title: info?.title ?? stored?.title, at: now().getTime() });
      return info?.title ?? stored?.title;
    } catch (err) {
      log.warn({ chat: publicId, err: errText(err) }, 'group registration failed; touches go on without it');
      return info?.title;
    }
  };

  const inviteOf = async (chatId: string): Promise<{ link?: string; campaign?: string } | undefined> => {
    try {
      const code = await lookups.inviteCode(chatId);
      if (code === undefined || !/^[A-Za-z0-9_-]{6,64}$/.test(code)) return undefined;
      const link = `https://chat.whatsapp.com/${code}`;
      const stored = await store.community.inviteLinks.findByUrl(ws, 'whatsapp', link);
      return stored && stored.revokedAt === null ? { link, campaign: stored.campaign } : undefined;
    } catch (err) {
      log.debug({ err: errText(err) }, 'invite link lookup failed; the join has no campaign');
      return undefined;
    }
  };

  const matcher = async (): Promise<KeywordMatcher> => {
    try {
      return await options.keywords.matcher(ws);
    } catch (err) {
      log.warn({ err: errText(err) }, 'keyword list could not be read; matching none for now');
      return emptyMatcher;
    }
  };

  const optOuts = new Map<string, { at: number; value: boolean }>();
  const optedOut = async (userId: string): Promise<boolean> => {
    const hit = optOuts.get(userId);
    if (hit && now().getTime() - hit.at < optOutTtl) return hit.value;
    const value = await store.community.optOuts.has(ws, subjectOf('whatsapp', userId));
    if (optOuts.size > 50_000) optOuts.clear();
    optOuts.set(userId, { at: now().getTime(), value });
    return value;
  };

  // --- sending, with a bounded in-memory wait while Redis (or the store) is down -------
  const pending: TouchEvent[] = [];
  let delay = baseDelay;
  let retryTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  /** Keeps touches for a later try (oldest dropped beyond `maxPending`) and schedules it. */
  const hold = (touches: readonly TouchEvent[], reason: string): void => {
    if (pending.length === 0 && touches.length > 0) log.warn({ reason, touches: touches.length }, 'touches held in memory until they can be queued; retrying');
    pending.push(...touches);
    if (pending.length > maxPending) {
      const lost = pending.splice(0, pending.length - maxPending);
      log.warn({ lost: lost.length, kept: maxPending }, 'touches waited too long: the oldest were dropped');
    }
    if (!retryTimer && !closed) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        void flush();
      }, delay);
      retryTimer.unref();
      delay = Math.min(delay * 2, 30_000);
    }
  };

  /**
   * Drops opted-out people's touches and queues the rest. Returns true when done (or when
   * the touches were invalid, a mapping bug: logged and dropped), else why it must wait:
   * the opt-out list unreadable (store down: nothing is recorded unchecked) or Redis down.
   */
  const deliver = async (touches: readonly TouchEvent[]): Promise<true | string> => {
    const kept: TouchEvent[] = [];
    try {
      for (const t of touches) if (t.actor.userId === undefined || !(await optedOut(t.actor.userId))) kept.push(t);
    } catch (err) {
      return `opt-out list unreadable: ${errText(err)}`;
    }
    if (kept.length === 0) return true;
    try {
      await options.touches.enqueueMany(kept);
      return true;
    } catch (err) {
      if (err instanceof ZodError) {
        log.error({ kinds: kept.map((t) => t.kind), issues: err.issues.map((i) => i.path.join('.')) }, 'invalid touches dropped (a mapping bug)');
        return true;
      }
      return `touch queue unavailable: ${errText(err)}`;
    }
  };

  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      try {
        let sent = 0;
        while (pending.length > 0) {
          const batch = pending.slice(0, 500);
          const r = await deliver(batch);
          if (r !== true) return hold([], r);
          pending.splice(0, batch.length);
          sent += batch.length;
        }
        delay = baseDelay;
        if (sent > 0) log.info({ touches: sent }, 'held touches queued');
      } finally {
        flushing = undefined;
      }
    })();
    return flushing;
  };

  const enqueue = async (touches: readonly TouchEvent[]): Promise<void> => {
    if (touches.length === 0) return;
    // Behind held touches: wait in line, so order is kept.
    if (pending.length > 0) return hold(touches, 'earlier touches are still held');
    const r = await deliver(touches);
    if (r !== true) hold(touches, r);
  };

  const report = (event: string, outcome: MapOutcome, extra: Record<string, unknown> = {}): TouchEvent[] => {
    if (!outcome.ok) {
      log.debug({ event, reason: outcome.reason, ...extra }, 'event dropped');
      return [];
    }
    return outcome.touches;
  };

  const context = (phones: PhoneOfLid, chatTitle?: string): WaMapContext => ({
    workspace: ws,
    account: account.id,
    hash,
    selfIds: lookups.selfIds(),
    phones,
    ...(chatTitle !== undefined ? { chatTitle } : {}),
  });

  const guarded = (event: string, fn: () => Promise<void>): Promise<void> =>
    track(
      fn().catch((err: unknown) => {
        log.error({ event, err: errText(err) }, 'whatsapp event handling failed');
      }),
    );

  // --- events --------------------------------------------------------------------------
  const onMessage = async (message: unknown): Promise<void> => {
    const read = readMessage(message);
    if (!read.ok) return void log.debug({ event: 'message', reason: read.reason }, 'event dropped');
    const phones = await phonesOf(message);
    let title: string | undefined;
    if (read.facts.chatKind === 'group') {
      const publicId = publicChatId(read.facts.chatId, hash);
      if (publicId !== null) title = await ensureGroup(read.facts.chatId, publicId);
    }
    const touches = report('message', mapMessage(message, { ...context(phones, title), matcher: await matcher() }));
    await enqueue(touches);
  };

  /** Updates the group's registration when a notification is about the account itself. */
  const onSelfChange = async (notification: unknown, phones: PhoneOfLid): Promise<'joined' | 'left' | 'removed' | null> => {
    const change = selfMembership(notification, lookups.selfIds(), phones);
    const chatId = groupIdOf(notification);
    const publicId = chatId !== null ? publicChatId(chatId, hash) : null;
    if (change === null || chatId === null || publicId === null) return change;
    groups.delete(publicId);
    try {
      await registerSelfChange(change, notification, chatId, publicId, phones);
    } catch (err) {
      log.warn({ chat: publicId, change, err: errText(err) }, 'group registration not updated');
    }
    return change;
  };

  const registerSelfChange = async (change: 'joined' | 'left' | 'removed', notification: unknown, chatId: string, publicId: string, phones: PhoneOfLid): Promise<void> => {
    if (change === 'joined') {
      const read = readNotification(notification);
      const author = read.ok ? read.facts.author : null;
      const adder = author !== null ? personIdentity(author, hash, phones)?.userId : undefined;
      await ensureGroup(chatId, publicId);
      const stored = await store.community.groups.get(ws, 'whatsapp', publicId);
      if (adder !== undefined && stored && stored.addedBy === undefined) {
        await store.community.groups.upsert(ws, { ...stored, addedBy: subjectOf('whatsapp', adder), at: now().toISOString() });
      }
      log.info({ chat: publicId }, 'account added to a group');
      return;
    }
    const stored = await store.community.groups.get(ws, 'whatsapp', publicId);
    await store.community.groups.upsert(ws, {
      workspace: ws,
      platform: 'whatsapp',
      chatId: publicId,
      title: stored?.title ?? publicId,
      account: account.id,
      status: change,
      botIsAdmin: false,
      at: now().toISOString(),
    });
    // Remembered as gone, so a later event in the same batch does not register it again.
    groups.set(publicId, { title: stored?.title, at: now().getTime() });
    log.info({ chat: publicId, change }, 'account left a group');
  };

  const onJoin = async (notification: unknown, kind: 'group_join' | 'group_membership_request'): Promise<void> => {
    const read = readNotification(notification);
    if (!read.ok) return void log.debug({ event: kind, reason: read.reason }, 'event dropped');
    const phones = await phonesOf(notification);
    // The account's own join registers the group; anyone added with it still makes a touch.
    if (kind === 'group_join') await onSelfChange(notification, phones);
    const f = read.facts;
    const publicId = publicChatId(f.chatId, hash);
    const title = publicId !== null ? await ensureGroup(f.chatId, publicId) : undefined;
    const wantsInvite = kind === 'group_membership_request' || f.type === 'invite';
    const invite = wantsInvite ? await inviteOf(f.chatId) : undefined;
    const o = { ...context(phones, title), ...(invite ? { invite } : {}) };
    const touches = report(kind, kind === 'group_join' ? mapGroupJoin(notification, o) : mapMembershipRequest(notification, o), { type: f.type });
    if (kind === 'group_membership_request') {
      // Stored before the join is queued, so an approval arriving right after finds it.
      for (const t of touches) {
        if (t.actor.userId === undefined) continue;
        await store.community.joinRequests
          .put(ws, {
            workspace: ws,
            platform: 'whatsapp',
            chatId: t.chat.id,
            userId: t.actor.userId,
            touchId: t.id,
            requestedAt: t.occurredAt,
            expiresAt: new Date(Date.parse(t.occurredAt) + JOIN_REQUEST_TTL_MS).toISOString(),
          })
          .catch((err: unknown) => log.warn({ err: errText(err) }, 'pending join request not stored; its approval will count as a second join'));
      }
      await enqueue(touches);
      return;
    }
    const kept: TouchEvent[] = [];
    for (const t of touches) {
      const userId = t.actor.userId;
      const approved =
        userId !== undefined
          ? await store.community.joinRequests.take(ws, 'whatsapp', t.chat.id, userId, t.occurredAt).catch((err: unknown) => {
              log.debug({ err: errText(err) }, 'pending join request lookup failed');
              return null;
            })
          : null;
      // The request was recorded as the join already: its approval is not a second join.
      if (approved) continue;
      kept.push(t);
    }
    await enqueue(kept);
  };

  const onLeave = async (notification: unknown): Promise<void> => {
    const read = readNotification(notification);
    if (!read.ok) return void log.debug({ event: 'group_leave', reason: read.reason }, 'event dropped');
    const phones = await phonesOf(notification);
    const self = await onSelfChange(notification, phones);
    const publicId = publicChatId(read.facts.chatId, hash);
    // After the account itself left, the group is not registered again as active.
    const title = publicId === null ? undefined : self !== null ? groups.get(publicId)?.title : await ensureGroup(read.facts.chatId, publicId);
    await enqueue(report('group_leave', mapGroupLeave(notification, context(phones, title)), { type: read.facts.type }));
  };

  return {
    message: (m) => guarded('message', () => onMessage(m)),
    messageEdit: () => log.debug({ event: 'message_edit' }, 'edited message: no second touch'),
    groupJoin: (n) => guarded('group_join', () => onJoin(n, 'group_join')),
    groupLeave: (n) => guarded('group_leave', () => onLeave(n)),
    membershipRequest: (n) => guarded('group_membership_request', () => onJoin(n, 'group_membership_request')),
    groupUpdate: (n) => {
      const read = readNotification(n);
      if (!read.ok) return void log.debug({ event: 'group_update', reason: read.reason }, 'event dropped');
      if (read.facts.type === 'subject') {
        const publicId = publicChatId(read.facts.chatId, hash);
        if (publicId !== null) groups.delete(publicId);
      }
      log.debug({ event: 'group_update', type: read.facts.type.slice(0, 40) }, 'group update: no touch');
    },
    pending: () => pending.length,
    flush,
    async close() {
      await Promise.all([...inFlight]);
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await flushing;
      if (pending.length > 0) {
        const batch = pending.splice(0);
        const r = await deliver(batch);
        if (r !== true) log.warn({ lost: batch.length, reason: r }, 'touches still held at shutdown were lost');
      }
    },
  };
}
