/**
 * One WhatsApp account's event handler: a pure mapper from the library's event objects to
 * touches (`map-events.ts`) and community events, queued; it never reads or writes the
 * store, so a store outage cannot fail or lose an event.
 *
 * - Messages: the phones of linked ids involved (sender, mentions) are looked up in
 *   WhatsApp Web so a person seen as `@lid` and as `@c.us` is one person; the group's title
 *   (and whether the account is an admin) rides on the touches and, on first sight and every
 *   few minutes, on a `group_seen` community event (the community worker registers it); the
 *   workspace's keyword matcher comes from the capture settings pushed to this process.
 * - Joins: an `invite` join or a membership request is credited to the campaign of the
 *   group's current invite link when an operator registered that link for a campaign (the
 *   pushed invite links; url `https://chat.whatsapp.com/<code>`). A membership request is
 *   recorded as the join; its approval (an `add` or `invite` of the same person) is queued
 *   too and dropped by the profile worker as a repeat of the request.
 * - The account's own joins and leaves are `bot_status` community events, not touches.
 * - Opt-outs (erasure) are applied by the profile worker.
 * - Edits and other group updates make no touch; a subject change refreshes the title.
 * - Ids that are not well-formed Unicode are dropped (`wa-ids.ts`).
 *
 * The connector never blocks on storage: touches and events go to their queues. When Redis
 * is unreachable (`QueueUnavailableError`), they wait in memory (bounded, oldest dropped
 * first with a warning) and are tried again with backoff; ids are deterministic, so a
 * resend is never a duplicate. A failing WhatsApp Web lookup degrades the touch (no title,
 * no campaign), never loses it. Handlers never throw. Logs carry ids, kinds and counts,
 * never message text.
 */
import { ZodError } from 'zod';
import { subjectOf } from '../../src/access/roles.js';
import type { CaptureSettings } from '../../src/capture/capture-settings.js';
import type { CommunityEvent } from '../../src/capture/community-event.js';
import { makePseudonymizer } from '../../src/identity/pseudonymize.js';
import type { Logger } from '../../src/logger.js';
import { isWellFormed, type TouchEvent } from '../../src/touch-event.js';
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
import { parseCommand } from '../../src/commands/index.js';
import { parseWaId, personIdentity, publicChatId, type PhoneOfLid } from './wa-ids.js';
import type { GroupLinkState } from '../../src/group-links/group-links.js';
import type { SendingClient } from './send-limiter.js';
import type { WhatsAppCommands } from './whatsapp-commands.js';

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
  /** Serialized ids of a group's admins (commands' admin checks); absent: nobody is an admin. */
  groupAdmins?(chatId: string): Promise<string[]>;
  /** The client driving the account now, to answer commands; absent or undefined: nothing is sent. */
  sendingClient?(): SendingClient | undefined;
}

export interface WhatsAppHandlerOptions {
  account: WhatsAppAccount;
  /** The deployment's keyed-hash secret (`MIDFUNNEL_HASH_KEY`). */
  hashKey: string;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  /** Community events (groups seen, the account's own joins and leaves) for the community worker. */
  community: { addMany(events: readonly CommunityEvent[]): Promise<void> };
  /** Keywords and invite links, pushed to this process (`src/capture`). */
  capture: Pick<CaptureSettings, 'matcher' | 'inviteLink'>;
  lookups: WhatsAppLookups;
  log: Logger;
  now?: () => Date;
  /**
   * Commands (`/report`, …) sent to the account: run by the command layer and answered under
   * the send limits (`whatsapp-commands.ts`). Absent: commands are ignored (no touch either).
   */
  commands?: Pick<WhatsAppCommands, 'noteInbound' | 'run'>;
  /**
   * Tracked group links (`src/group-links`): every invite code read is kept for `/g/<code>`,
   * and an invite join without a registered campaign link takes the campaign of the click it
   * follows. Absent: neither.
   */
  groupLinks?: Pick<GroupLinkState, 'setInvite' | 'takeClick'>;
  /** Most touches kept in memory while Redis is unreachable; default 10,000. */
  maxPending?: number;
  /** First resend delay while Redis is unreachable (doubles up to 30 s); default 1 s. */
  retryDelayMs?: number;
  /** How long a group's title is reused before it is looked up (and announced) again; default 10 min. */
  groupTtlMs?: number;
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
  const { account, lookups } = options;
  const ws = account.workspace;
  const log = options.log.child({ account: account.id, workspace: ws });
  const hash = makePseudonymizer(options.hashKey, ws);
  const now = options.now ?? (() => new Date());
  const maxPending = options.maxPending ?? 10_000;
  const baseDelay = options.retryDelayMs ?? 1_000;
  const groupTtl = options.groupTtlMs ?? 10 * 60_000;

  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>): Promise<void> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  // --- lookups in WhatsApp Web, each degrading to "unknown" on failure ------------------
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

  const groupInfo = async (chatId: string, publicId: string): Promise<GroupInfo | undefined> => {
    try {
      const info = await lookups.group(chatId);
      // A title that is not well-formed Unicode is not kept (it would be stored).
      return info && !isWellFormed(info.title) ? { ...info, title: publicId } : info;
    } catch (err) {
      log.debug({ chat: publicId, err: errText(err) }, 'group lookup failed');
      return undefined;
    }
  };

  const groups = new Map<string, { title: string | undefined; at: number }>();
  /**
   * The group's title for its touches; on first sight (and after the title may have changed)
   * a `group_seen` event asks the community worker to register it.
   */
  const groupSeen = async (chatId: string, publicId: string, at: string): Promise<string | undefined> => {
    const hit = groups.get(publicId);
    if (hit && now().getTime() - hit.at < groupTtl) return hit.title;
    const info = await groupInfo(chatId, publicId);
    await send({ events: [{ kind: 'group_seen', workspace: ws, platform: 'whatsapp', chatId: publicId, account: account.id, at, ...(info ? { title: info.title.slice(0, 300), botIsAdmin: info.selfIsAdmin } : {}) }] });
    groups.set(publicId, { title: info?.title, at: now().getTime() });
    return info?.title;
  };

  const inviteOf = async (chatId: string): Promise<{ link?: string; campaign?: string } | undefined> => {
    try {
      const code = await lookups.inviteCode(chatId);
      if (code === undefined || !/^[A-Za-z0-9_-]{6,64}$/.test(code)) return undefined;
      const publicId = publicChatId(chatId, hash);
      // Kept for the group's tracked links (`/g/<code>` redirects to it); a failure only delays that.
      if (options.groupLinks && publicId !== null) await options.groupLinks.setInvite(ws, publicId, code).catch((err: unknown) => log.debug({ err: errText(err) }, 'invite code not kept'));
      const link = `https://chat.whatsapp.com/${code}`;
      const stored = options.capture.inviteLink(ws, 'whatsapp', link);
      return stored && !stored.revoked ? { link, campaign: stored.campaign } : undefined;
    } catch (err) {
      log.debug({ err: errText(err) }, 'invite link lookup failed; the join has no campaign');
      return undefined;
    }
  };

  // --- sending, with a bounded in-memory wait while Redis is down -----------------------
  interface Outbound {
    touches?: TouchEvent[];
    events?: CommunityEvent[];
  }
  const pending: Outbound[] = [];
  const pendingCount = (): number => pending.reduce((n, o) => n + (o.touches?.length ?? 0) + (o.events?.length ?? 0), 0);
  let delay = baseDelay;
  let retryTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  /** Keeps items for a later try (oldest dropped beyond `maxPending`) and schedules it. */
  const hold = (items: readonly Outbound[], reason: string): void => {
    if (pending.length === 0 && items.length > 0) log.warn({ reason, items: items.length }, 'touches held in memory until they can be queued; retrying');
    pending.push(...items);
    let lost = 0;
    while (pendingCount() > maxPending && pending.length > 1) {
      const o = pending.shift();
      lost += (o?.touches?.length ?? 0) + (o?.events?.length ?? 0);
    }
    if (lost > 0) log.warn({ lost, kept: maxPending }, 'touches waited too long: the oldest were dropped');
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
   * Queues community events, then touches. Returns true when done (or when they were
   * invalid, a mapping bug: logged and dropped), else why they must wait (Redis down).
   */
  const deliver = async (o: Outbound): Promise<true | string> => {
    try {
      if (o.events && o.events.length > 0) await options.community.addMany(o.events);
    } catch (err) {
      if (!(err instanceof ZodError)) return `community queue unavailable: ${errText(err)}`;
      log.error({ kinds: o.events?.map((e) => e.kind), issues: err.issues.map((i) => i.path.join('.')) }, 'invalid community events dropped (a mapping bug)');
    }
    try {
      if (o.touches && o.touches.length > 0) await options.touches.enqueueMany(o.touches);
      return true;
    } catch (err) {
      if (err instanceof ZodError) {
        log.error({ kinds: o.touches?.map((t) => t.kind), issues: err.issues.map((i) => i.path.join('.')) }, 'invalid touches dropped (a mapping bug)');
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
          const next = pending[0] as Outbound;
          const r = await deliver(next);
          if (r !== true) return hold([], r);
          pending.shift();
          sent += (next.touches?.length ?? 0) + (next.events?.length ?? 0);
        }
        delay = baseDelay;
        if (sent > 0) log.info({ items: sent }, 'held touches queued');
      } finally {
        flushing = undefined;
      }
    })();
    return flushing;
  };

  const send = async (o: Outbound): Promise<void> => {
    if ((o.touches?.length ?? 0) + (o.events?.length ?? 0) === 0) return;
    // Behind held items: wait in line, so order is kept.
    if (pending.length > 0) return hold([o], 'earlier touches are still held');
    const r = await deliver(o);
    if (r !== true) hold([o], r);
  };
  const enqueue = (touches: readonly TouchEvent[]): Promise<void> => send({ touches: [...touches] });

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
      if (publicId !== null) title = await groupSeen(read.facts.chatId, publicId, read.facts.occurredAt);
    }
    const f = read.facts;
    options.commands?.noteInbound(f.chatId);
    const command = options.commands && f.type === 'chat' ? parseCommand(f.text) : null;
    if (command && options.commands) {
      const sender = personIdentity(f.senderId, hash, phones);
      const publicId = publicChatId(f.chatId, hash, phones);
      if (sender && publicId !== null && !lookups.selfIds().has(parseWaId(f.senderId).canonical)) {
        // `/start <code>` in a private chat is also where the person came from (a `dm_start`).
        if (command.name === 'start' && f.chatKind === 'private') await enqueue(report('message', mapMessage(message, { ...context(phones, title), matcher: options.capture.matcher(ws) })));
        await options.commands.run({ chatId: f.chatId, chatKind: f.chatKind, publicChatId: publicId, ...(title !== undefined ? { chatTitle: title } : {}), senderId: f.senderId, sender, name: command.name, args: command.args, at: new Date(f.occurredAt) });
        return;
      }
    }
    const touches = report('message', mapMessage(message, { ...context(phones, title), matcher: options.capture.matcher(ws) }));
    await enqueue(touches);
  };

  /** Announces the account's own join or leave as a `bot_status` event. */
  const onSelfChange = async (notification: unknown, phones: PhoneOfLid): Promise<'joined' | 'left' | 'removed' | null> => {
    const change = selfMembership(notification, lookups.selfIds(), phones);
    const read = readNotification(notification);
    const chatId = groupIdOf(notification);
    const publicId = chatId !== null ? publicChatId(chatId, hash) : null;
    if (change === null || chatId === null || publicId === null || !read.ok) return change;
    const at = read.facts.occurredAt;
    const base = { kind: 'bot_status' as const, workspace: ws, platform: 'whatsapp' as const, chatId: publicId, account: account.id, at };
    if (change === 'joined') {
      const author = read.facts.author;
      const adder = author !== null ? personIdentity(author, hash, phones)?.userId : undefined;
      const info = await groupInfo(chatId, publicId);
      await send({ events: [{ ...base, status: 'active', ...(info ? { title: info.title.slice(0, 300), botIsAdmin: info.selfIsAdmin } : {}), ...(adder !== undefined ? { addedBy: subjectOf('whatsapp', adder) } : {}) }] });
      groups.set(publicId, { title: info?.title, at: now().getTime() });
      log.info({ chat: publicId }, 'account added to a group');
      return change;
    }
    await send({ events: [{ ...base, status: change, botIsAdmin: false }] });
    // Remembered as gone, so a later event in the same batch does not announce it again.
    groups.set(publicId, { title: groups.get(publicId)?.title, at: now().getTime() });
    log.info({ chat: publicId, change }, 'account left a group');
    return change;
  };

  const onJoin = async (notification: unknown, kind: 'group_join' | 'group_membership_request'): Promise<void> => {
    const read = readNotification(notification);
    if (!read.ok) return void log.debug({ event: kind, reason: read.reason }, 'event dropped');
    const phones = await phonesOf(notification);
    // The account's own join registers the group; anyone added with it still makes a touch.
    if (kind === 'group_join') await onSelfChange(notification, phones);
    const f = read.facts;
    const publicId = publicChatId(f.chatId, hash);
    const title = publicId !== null ? await groupSeen(f.chatId, publicId, f.occurredAt) : undefined;
    const wantsInvite = kind === 'group_membership_request' || f.type === 'invite';
    const invite = wantsInvite ? await inviteOf(f.chatId) : undefined;
    const o = { ...context(phones, title), ...(invite ? { invite } : {}) };
    // A request's approval is queued like any join; the profile worker drops it as a repeat of the request.
    const touches = report(kind, kind === 'group_join' ? mapGroupJoin(notification, o) : mapMembershipRequest(notification, o), { type: f.type });
    if (wantsInvite && publicId !== null && options.groupLinks) await creditGroupLinkClicks(touches, publicId);
    await enqueue(touches);
  };

  /** Invite joins without a campaign take the campaign of the tracked group link click they follow (`src/group-links`). */
  const creditGroupLinkClicks = async (touches: TouchEvent[], publicId: string): Promise<void> => {
    for (const t of touches) {
      if (t.kind !== 'join' || t.details.campaign !== undefined || t.actor.userId === undefined) continue;
      const userIds = [t.actor.userId, ...(t.actor.lidHash !== undefined ? [t.actor.lidHash] : [])];
      try {
        const click = await options.groupLinks?.takeClick(ws, publicId, { atMs: Date.parse(t.occurredAt), userIds });
        if (click) {
          t.details.campaign = click.campaign;
          log.debug({ chat: publicId, rule: click.rule }, 'join credited to a tracked group link click');
        }
      } catch (err) {
        log.debug({ err: errText(err) }, 'group link clicks unreadable; the join has no campaign');
      }
    }
  };

  const onLeave = async (notification: unknown): Promise<void> => {
    const read = readNotification(notification);
    if (!read.ok) return void log.debug({ event: 'group_leave', reason: read.reason }, 'event dropped');
    const phones = await phonesOf(notification);
    const self = await onSelfChange(notification, phones);
    const publicId = publicChatId(read.facts.chatId, hash);
    // After the account itself left, the group is not announced again as active.
    const title = publicId === null ? undefined : self !== null ? groups.get(publicId)?.title : await groupSeen(read.facts.chatId, publicId, read.facts.occurredAt);
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
    pending: pendingCount,
    flush,
    async close() {
      await Promise.all([...inFlight]);
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await flushing;
      while (pending.length > 0) {
        const next = pending[0] as Outbound;
        const r = await deliver(next);
        if (r !== true) {
          log.warn({ lost: pendingCount(), reason: r }, 'touches still held at shutdown were lost');
          break;
        }
        pending.shift();
      }
    },
  };
}
