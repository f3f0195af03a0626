/**
 * Tracked links (`/l/<code>`), the member tokens of personal links, and counted clicks.
 * Every method takes the workspace first; the one exception is
 * {@link LinkRepo.workspaceOfCode}, because `GET /l/<code>` carries no workspace.
 *
 * Erasure on request: a person's member tokens ({@link MemberTokenRepo.deleteByMember}) and
 * personal-link clicks ({@link ClickRepo.deleteByProfile}) are deleted.
 */
import type { Identifier } from '../../identity/identifier.js';
import type { Platform } from '../../touch-event.js';
import type { InsertResult } from '../rules.js';

/** A short link that records a click and redirects (`GET /l/<code>`). */
export interface TrackedLink {
  workspace: string;
  /** Random base62 code, unique across all workspaces (the URL carries no workspace). */
  code: string;
  /** Where the link leads; its host is on the workspace's allow-list. */
  destination: string;
  /** Where the link is posted (becomes `utm_source`). */
  platform: Platform;
  campaign?: string;
  /** The group the link is posted in (chat id), and its title (becomes `utm_content`). */
  chatId?: string;
  chatTitle?: string;
  createdAt: string;
  /** Who created it (e.g. `telegram:<user id>`, `cli`). */
  createdBy?: string;
}

export interface LinkRepo {
  /** Stores a link; `duplicate` when its code exists in any workspace (the stored one stays). */
  insert(workspace: string, link: TrackedLink): Promise<InsertResult>;
  get(workspace: string, code: string): Promise<TrackedLink | null>;
  /** Links ordered by code (code-point order), after `afterCode` when given; default limit 1,000. */
  list(workspace: string, options?: { afterCode?: string; limit?: number }): Promise<TrackedLink[]>;
  /**
   * The workspace owning a code, or null. The single read not scoped to a workspace: a
   * tracked link's URL carries only its code.
   */
  workspaceOfCode(code: string): Promise<string | null>;
}

/** An unguessable token in a personal link (`/l/<code>/<token>`) standing for one member. */
export interface MemberToken {
  workspace: string;
  token: string;
  /**
   * The member's strong identifier (e.g. their Telegram id), followed through profile merges
   * at click time; null when the token was issued for a profile id alone.
   */
  member: Identifier | null;
  /** The member's profile when the token was issued (used when `member` is null or unowned); null if none yet. */
  profileId: string | null;
  createdAt: string;
}

export interface MemberTokenRepo {
  /**
   * Stores `token` unless the same member (its identifier, else its profile id) has one
   * already; returns the token in force for that member either way.
   */
  issue(workspace: string, token: MemberToken): Promise<MemberToken>;
  get(workspace: string, token: string): Promise<MemberToken | null>;
  /**
   * Deletes every token standing for one person (erasure on request): those whose `member` is
   * one of `identifiers`, and those issued for one of `profileIds`. Returns how many were
   * deleted; a later `issue` for the same member stores a new token.
   */
  deleteByMember(workspace: string, person: { identifiers: readonly Identifier[]; profileIds: readonly string[] }): Promise<number>;
}

/** One counted click on a tracked link; its touch goes through the touch queue. */
export interface ClickRecord {
  workspace: string;
  /** Random id appended to the destination as `mf_click`; unique per workspace. */
  clickId: string;
  code: string;
  /** Id of the `link_click` touch this click became. */
  touchId: string;
  at: string;
  /** The member of a personal link at click time; null for an anonymous (group) click. */
  profileId: string | null;
  /** Keyed hash of the visitor (IP and user agent); never the IP itself. */
  visitorHash: string;
  /** The link's group and campaign, so the click can stand in for its touch. */
  chatId: string;
  chatTitle?: string;
  campaign?: string;
  /**
   * `false` while the click's touch is not on the touch queue yet (Redis was down when it was
   * clicked): the sweep (`sweepUnqueuedClicks`) queues it and clears the marker. Absent once
   * queued.
   */
  queued?: false;
}

export interface ClickRepo {
  insert(workspace: string, click: ClickRecord): Promise<InsertResult>;
  get(workspace: string, clickId: string): Promise<ClickRecord | null>;
  count(workspace: string): Promise<number>;
  /**
   * Deletes every click whose member (`profileId`) is this profile: the clicks through the
   * person's personal links (erasure on request). Anonymous clicks stay. Returns how many.
   */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
  /** Deletes every click recorded before `before` (ISO; retention); returns how many. */
  deleteBefore(workspace: string, before: string): Promise<number>;
  /** Clicks marked `queued: false`, oldest first (by time, then click id); default limit 1,000. */
  listUnqueued(workspace: string, options?: { limit?: number }): Promise<ClickRecord[]>;
  /** Clears the `queued: false` marker of these clicks (their touches are queued); returns how many had it. */
  markQueued(workspace: string, clickIds: readonly string[]): Promise<number>;
}

