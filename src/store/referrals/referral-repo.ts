/**
 * Referral chains: who brought whom into a group ({@link ReferralEdge}), the personal invite
 * links members ask the bot for ({@link PersonalInviteLink}), and the groups where operators
 * turned personal links off.
 *
 * People are named by a platform identifier (a Telegram user id in clear, a WhatsApp id as its
 * keyed hash; see `src/identity/identifier.ts`), not by a profile id: identifiers survive
 * profile merges, and an inviter who never wrote anything yet (no profile) is still known.
 * Reports resolve them to profiles when they read.
 *
 * Every method takes the workspace first. Times are ISO (canonical UTC).
 */
import type { Identifier } from '../../identity/identifier.js';
import type { CommunityPlatform } from '../community/community-repo.js';

/** How an invitation is known. */
export const REFERRAL_KINDS = ['personal_link', 'added_by', 'whatsapp_add', 'tracked_link'] as const;
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

/** One invitation: `inviter` brought `invitee` into a group. At most one per invitee and group (the earliest). */
export interface ReferralEdge {
  workspace: string;
  /** Deterministic: from the platform, the group and the invitee (see `referralEdgeId`). */
  id: string;
  platform: CommunityPlatform | 'web';
  /** The group (chat id); for a tracked link without a group, `link:<code>`. */
  chatId: string;
  chatTitle?: string;
  inviter: Identifier;
  invitee: Identifier;
  kind: ReferralKind;
  /** When the invitee joined (or bought, for a tracked link without a join). */
  at: string;
  /** The campaign of the invitation (see the README, "Referral chains"). */
  campaign?: string;
  /** What made the edge: the join touch id, or `conversion:<id>` for a tracked link. */
  source: string;
  /** The invitee's first leave of that group after `at`; null while they are still in. */
  leftAt: string | null;
}

/** What {@link ReferralRepo.add} did. */
export type AddEdgeResult = 'inserted' | 'replaced' | 'kept';

/** A member's own invite link for one group (`/myinvite`). */
export interface PersonalInviteLink {
  workspace: string;
  platform: CommunityPlatform;
  chatId: string;
  /** The member (their platform identifier). */
  member: Identifier;
  /** The link's URL as the platform gave it. */
  url: string;
  /** The link's name on the platform (the member's short code). */
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface EdgeQuery {
  /** Inclusive lower bound on `at`. */
  from?: string;
  /** Exclusive upper bound on `at`. */
  to?: string;
  chatId?: string;
  /** Most rows; default 100,000. */
  limit?: number;
}

export interface ReferralRepo {
  /**
   * Stores an edge unless the invitee has one for that group already (`kept`); an edge with an
   * earlier `at` than the stored one replaces it (`replaced`), so the first invitation wins
   * whatever order the events arrive in.
   */
  add(workspace: string, edge: ReferralEdge): Promise<AddEdgeResult>;
  /**
   * Records the invitee's leave of a group: sets `leftAt` to `at` when it is at or after the
   * edge's `at` and earlier than a leave recorded already. Returns the edge after it, or null
   * when the invitee has no edge there.
   */
  markLeft(workspace: string, platform: ReferralEdge['platform'], chatId: string, invitee: Identifier, at: string): Promise<ReferralEdge | null>;
  /** Edges of these invitees (any group), ordered by `at` then id. */
  ofInvitees(workspace: string, invitees: readonly Identifier[]): Promise<ReferralEdge[]>;
  /** Edges of these inviters (any group), ordered by `at` then id. */
  ofInviters(workspace: string, inviters: readonly Identifier[]): Promise<ReferralEdge[]>;
  /** Edges ordered by `at` then id. */
  list(workspace: string, query?: EdgeQuery): Promise<ReferralEdge[]>;
  /** Deletes every edge naming one of these identifiers, as inviter or invitee (erasure); returns how many. */
  deleteByPerson(workspace: string, identifiers: readonly Identifier[]): Promise<number>;

  /** Stores a member's link for a group, replacing the one they had there. */
  putLink(workspace: string, link: PersonalInviteLink): Promise<void>;
  /** The member's link for a group (revoked or not), or null. */
  linkOf(workspace: string, platform: CommunityPlatform, chatId: string, member: Identifier): Promise<PersonalInviteLink | null>;
  /** The personal link with this URL (revoked or not), or null. */
  linkByUrl(workspace: string, platform: CommunityPlatform, url: string): Promise<PersonalInviteLink | null>;
  /** Every link of these members (erasure revokes and deletes them). */
  linksOf(workspace: string, members: readonly Identifier[]): Promise<PersonalInviteLink[]>;
  /** Deletes every link of these members; returns how many. */
  deleteLinks(workspace: string, members: readonly Identifier[]): Promise<number>;

  /** Turns personal links off (`false`) or on again for a group. */
  setGroupEnabled(workspace: string, platform: CommunityPlatform, chatId: string, enabled: boolean): Promise<void>;
  /** Whether personal links are on in a group (on unless turned off). */
  groupEnabled(workspace: string, platform: CommunityPlatform, chatId: string): Promise<boolean>;
}
