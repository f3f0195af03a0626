/**
 * Profiles (one person each) and the identity records that say which profile owns each
 * strong identifier (unique per workspace, type and value).
 */
import type { Identifier } from '../../identity/identifier.js';
import type { ProfileStats } from '../../profile/profile-stats.js';

export interface Profile {
  id: string;
  workspace: string;
  /** Strong identifiers (hashed where personal), sorted by key. */
  identifiers: Identifier[];
  /** Telegram usernames seen for this person: low-trust, display and last-resort matching only. */
  usernames: string[];
  stats: ProfileStats;
  createdAt: string;
  updatedAt: string;
}

export interface IdentityRepo {
  /** Profile ids owning the given identifiers, keyed by `identifierKey`. Missing ones are absent. */
  find(workspace: string, identifiers: readonly Identifier[]): Promise<Map<string, string>>;
  /**
   * Claims each identifier for `profileId` if no profile owns it yet (unique per
   * workspace, type and value). Returns the owner of every identifier after the call.
   */
  claim(workspace: string, identifiers: readonly Identifier[], profileId: string): Promise<Map<string, string>>;
  /** Moves every identifier of `fromProfileId` to `toProfileId`. */
  reassign(workspace: string, fromProfileId: string, toProfileId: string): Promise<number>;
  /** Identifiers owned by a profile, sorted by key. */
  ofProfile(workspace: string, profileId: string): Promise<Identifier[]>;
  /** Deletes every identifier a profile owns (erasure on request); returns how many were deleted. */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
}

export interface ProfileRepo {
  get(workspace: string, id: string): Promise<Profile | null>;
  /** Creates or replaces the profile with this id. */
  put(workspace: string, profile: Profile): Promise<void>;
  delete(workspace: string, id: string): Promise<boolean>;
  /** Profiles that have used this Telegram username (lower-case, no `@`). */
  findByUsername(workspace: string, username: string): Promise<Profile[]>;
  /** Profiles ordered by id, after `afterId` when given. */
  list(workspace: string, options?: { afterId?: string; limit?: number }): Promise<Profile[]>;
  count(workspace: string): Promise<number>;
}

