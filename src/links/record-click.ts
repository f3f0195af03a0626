/**
 * A visit to a tracked link (`GET /l/<code>[/<member token>]`): always a redirect (302) to
 * the destination with UTM parameters, and, when it is a person's first click on that link
 * within the hour, a recorded click:
 * 1. robots, HEAD and prefetch requests are redirected without a click id and not counted;
 * 2. the visitor (keyed hash of IP, user agent and token; the IP is never kept) is deduped
 *    for an hour with Redis `SET NX EX 3600`: a repeat gets the first click's id back;
 * 3. a new click is stored (`clicks`, findable by its id for conversions carrying it), marked
 *    `queued: false`, and becomes a `link_click` touch through the touch queue (the profile
 *    worker stores it, on the member's profile for a personal link, anonymous otherwise);
 *    once the touch is queued the marker is cleared. A click whose touch could not be queued
 *    (Redis down) keeps the marker, and `sweepUnqueuedClicks` queues its touch later.
 * Failures after the redirect target is known (Redis, the store, the queue) never block
 * the redirect: they are logged, and the click counts as far as it got.
 *
 * The visitor's address is the one the HTTP layer resolved (`request.ip`): the socket's,
 * or the `X-Forwarded-For` client only behind a trusted proxy (`TRUST_PROXY`), so nobody can
 * mint visitors by sending headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { makePseudonymizer } from '../identity/pseudonymize.js';
import type { Logger } from '../logger.js';
import { makeTouchId, type TouchEvent } from '../touch-event.js';
import type { ClickRecord, TrackedLink } from '../store/store.js';
import type { Store } from '../store/store.js';
import { profileOfToken } from './member-tokens.js';
import { isNotAClick } from './preview-bots.js';
import { CLICK_ID_LENGTH, randomBase62 } from './random-code.js';
import { redirectUrl } from './redirect-url.js';

/** Seconds a visitor's repeated clicks on one link count once. */
export const CLICK_DEDUPE_SECONDS = 3600;

export interface RecordClickDeps {
  store: Store;
  /** Enqueues a touch (`TouchQueue.enqueue`). */
  enqueueTouch: (touch: TouchEvent) => Promise<void>;
  /**
   * Claims `clickId` for a dedupe key for {@link CLICK_DEDUPE_SECONDS} unless the key holds
   * one already; returns the click id in force (ours when new).
   */
  dedupe: (key: string, clickId: string) => Promise<string>;
  /** Builds the dedupe key (`clickDedupeKey` with the queue prefix). */
  dedupeKey: (workspace: string, code: string, visitorHash: string) => string;
  hashKey: string;
  log: Logger;
  now?: () => Date;
}

export interface LinkVisit {
  code: string;
  token?: string;
  method: string | undefined;
  headers: IncomingHttpHeaders;
  /** The client's address as the HTTP layer resolved it (`TRUST_PROXY` rules). */
  clientAddress: string | undefined;
}

export type VisitOutcome =
  | { status: 'unknown' }
  | { status: 'redirect'; location: string; counted: 'new' | 'repeat' | 'not_a_click'; link: TrackedLink; clickId: string | null };

/** The `link_click` touch of a click. */
export function clickTouch(
  link: Pick<TrackedLink, 'workspace' | 'code' | 'chatId' | 'chatTitle' | 'campaign'>,
  click: Pick<ClickRecord, 'clickId' | 'at' | 'profileId'>,
): TouchEvent {
  const chat: TouchEvent['chat'] = { id: link.chatId ?? `link:${link.code}`, type: 'web' };
  if (link.chatTitle !== undefined) chat.title = link.chatTitle;
  const details: { code: string; clickId: string; campaign?: string } = { code: link.code, clickId: click.clickId };
  if (link.campaign !== undefined) details.campaign = link.campaign;
  return {
    id: makeTouchId('web', 'click', click.clickId),
    workspace: link.workspace,
    platform: 'web',
    account: 'links',
    chat,
    actor: click.profileId ? { profileId: click.profileId } : {},
    kind: 'link_click',
    details,
    occurredAt: click.at,
  };
}

/** Handles one visit; throws only when the link itself cannot be looked up (the store is down). */
export async function recordLinkVisit(deps: RecordClickDeps, visit: LinkVisit): Promise<VisitOutcome> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(visit.code)) return { status: 'unknown' };
  const workspace = await deps.store.links.workspaceOfCode(visit.code);
  const link = workspace === null ? null : await deps.store.links.get(workspace, visit.code);
  if (!link) return { status: 'unknown' };

  if (isNotAClick(visit.method, visit.headers)) {
    return { status: 'redirect', location: redirectUrl(link, null), counted: 'not_a_click', link, clickId: null };
  }
  const hash = makePseudonymizer(deps.hashKey, link.workspace);
  const ua = visit.headers['user-agent'] ?? '';
  const visitorHash = hash('visitor', `${visit.clientAddress ?? 'unknown'}\u0000${ua}\u0000${visit.token ?? ''}`);
  const fresh = randomBase62(CLICK_ID_LENGTH);
  let clickId = fresh;
  try {
    clickId = await deps.dedupe(deps.dedupeKey(link.workspace, link.code, visitorHash), fresh);
  } catch (err) {
    deps.log.warn({ code: link.code, err: err instanceof Error ? err.message : String(err) }, 'click dedupe unavailable; counting the click');
  }
  if (clickId !== fresh) return { status: 'redirect', location: redirectUrl(link, clickId), counted: 'repeat', link, clickId };

  let profileId: string | null = null;
  try {
    if (visit.token !== undefined) profileId = await profileOfToken(deps.store, link.workspace, visit.token);
  } catch (err) {
    // The member token could not be read: the click still counts, anonymously.
    deps.log.warn({ code: link.code, err: err instanceof Error ? err.message : String(err) }, 'member token unreadable; counting the click as anonymous');
  }
  const click: ClickRecord = {
    workspace: link.workspace,
    clickId,
    code: link.code,
    touchId: '',
    at: (deps.now?.() ?? new Date()).toISOString(),
    profileId,
    visitorHash,
    chatId: link.chatId ?? `link:${link.code}`,
    queued: false,
  };
  if (link.chatTitle !== undefined) click.chatTitle = link.chatTitle;
  if (link.campaign !== undefined) click.campaign = link.campaign;
  const touch = clickTouch(link, click);
  click.touchId = touch.id;
  let stored = false;
  try {
    await deps.store.clicks.insert(link.workspace, click);
    stored = true;
  } catch (err) {
    deps.log.warn({ code: link.code, err: err instanceof Error ? err.message : String(err) }, 'click not stored; queueing its touch anyway');
  }
  try {
    await deps.enqueueTouch(touch);
  } catch (err) {
    // Stored with `queued: false`: the sweep queues the touch once Redis is back.
    deps.log.warn({ code: link.code, stored, err: err instanceof Error ? err.message : String(err) }, 'click touch not queued; the sweep queues it later');
    return { status: 'redirect', location: redirectUrl(link, clickId), counted: 'new', link, clickId };
  }
  if (stored) {
    await deps.store.clicks.markQueued(link.workspace, [clickId]).catch((err: unknown) => {
      // Harmless: the sweep queues it again and the touch's job id makes that a no-op.
      deps.log.warn({ code: link.code, err: err instanceof Error ? err.message : String(err) }, 'click queued but its marker not cleared');
    });
  }
  return { status: 'redirect', location: redirectUrl(link, clickId), counted: 'new', link, clickId };
}
