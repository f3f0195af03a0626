/**
 * Profiles (one person each) and the identity records that say which profile owns each
 * strong identifier (unique per workspace, type and value).
 */
import type { Identifier } from '../../identity/identifier.js';
import type { ProfileStats, TouchDelta } from '../../profile/profile-stats.js';
import type { InsertResult } from '../rules.js';

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
  /**
   * Whether a conversion was linked to or matched this person ({@link ProfileRepo.noteConversion},
   * kept by the reconciler): false for a person created since this is tracked and never noted;
   * absent when unknown (profiles stored before). The touch trigger reads no conversions for `false`.
   */
  hasConversions?: boolean;
}

/** What the profile worker needs to know about a person after writing to their profile. */
export interface ProfileFacts {
  /** Strong identifiers, sorted by key. */
  identifiers: Identifier[];
  /** See {@link Profile.hasConversions}. */
  hasConversions?: boolean;
}

/** Options of {@link ProfileRepo.applyTouch}. */
export interface ApplyTouchOptions {
  /** A Telegram username seen on the touch (lower-case), added to `usernames`. */
  username?: string;
  /** Identifiers just claimed for this profile, added to `identifiers`. */
  identifiers?: readonly Identifier[];
  /** `updatedAt` to set (ISO). */
  at: string;
}

/** A rewrite's claim on a profile (see {@link ProfileRepo.fence}). */
export interface ProfileFence {
  /** The token the profile was fenced with. */
  token: string;
  /** Touches the new statistics include that are not marked applied yet: a late `applyTouch` of one of them writes nothing. */
  adopted: readonly string[];
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
  /**
   * Moves these identifiers to `toProfileId`, each only if `fromProfileId` owns it (a split of a
   * wrong merge, `/unmerge`); returns how many moved.
   */
  move(workspace: string, identifiers: readonly Identifier[], fromProfileId: string, toProfileId: string): Promise<number>;
  /** Identifiers owned by a profile, sorted by key. */
  ofProfile(workspace: string, profileId: string): Promise<Identifier[]>;
  /** Deletes every identifier a profile owns (erasure on request); returns how many were deleted. */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
}

/**
 * Profiles. Two ways to write one:
 * - partial, atomic, no lock needed: `applyTouch` (one touch into the statistics),
 *   `noteConversion`, `addIdentifiers`;
 * - whole, fenced: `fence` marks the profile as being rewritten (partial touch updates then
 *   write nothing and the worker takes the locked path), the caller folds the statistics again
 *   from the stored touches, and `replace` writes them only if its fence is still the one on the
 *   profile, so a worker paused past its lock cannot write over a newer state.
 * `create` makes a new profile; `put` replaces one unconditionally (tests, tools).
 */
export interface ProfileRepo {
  get(workspace: string, id: string): Promise<Profile | null>;
  /** Creates or replaces the profile with this id, unconditionally (clears any fence). */
  put(workspace: string, profile: Profile): Promise<void>;
  /** Creates the profile unless one with its id exists (then `duplicate`, nothing written). */
  create(workspace: string, profile: Profile, options?: { adopted?: readonly string[] }): Promise<InsertResult>;
  /**
   * Adds one touch's delta to the profile's statistics in one atomic partial update (plus the
   * username, identifiers and `updatedAt` of `options`), and returns the person's facts after it.
   * Writes nothing and returns null when the profile does not exist, is fenced, has adopted
   * this touch already, or stores its statistics in an older shape: the caller then takes the
   * locked path, which folds the statistics again.
   */
  applyTouch(workspace: string, id: string, delta: TouchDelta, options: ApplyTouchOptions): Promise<ProfileFacts | null>;
  /** Fences the profile with `token` (replacing any earlier fence) and returns it; null when it does not exist. */
  fence(workspace: string, id: string, token: string): Promise<Profile | null>;
  /**
   * Replaces identifiers, usernames, statistics, times and adopted touches of a profile fenced
   * by `fence.token`, and lifts the fence; returns the facts after it, or null (nothing written)
   * when the profile is gone or fenced by someone else since. `hasConversions` only rises
   * (false, then unknown, then true): a conversion noted meanwhile stays noted.
   */
  replace(workspace: string, profile: Profile, fence: ProfileFence): Promise<ProfileFacts | null>;
  /** Marks that a conversion was linked to or matched this person; false when there is no such profile. */
  noteConversion(workspace: string, id: string): Promise<boolean>;
  /** Adds identifiers to the profile's copy of them; false when there is no such profile. */
  addIdentifiers(workspace: string, id: string, identifiers: readonly Identifier[]): Promise<boolean>;
  delete(workspace: string, id: string): Promise<boolean>;
  /** Profiles that have used this Telegram username (lower-case, no `@`). */
  findByUsername(workspace: string, username: string): Promise<Profile[]>;
  /** Profiles ordered by id, after `afterId` when given. */
  list(workspace: string, options?: { afterId?: string; limit?: number }): Promise<Profile[]>;
  count(workspace: string): Promise<number>;
}

