/**
 * The storage interface. Every read and write takes the workspace as its first,
 * required argument: no method can reach another workspace's data.
 *
 * Two adapters implement it: `createMongoStore` (mongoose, what users run) and
 * `createMemoryStore` (tests and demos). `test/store-contract.ts` is the contract both
 * must pass; the memory adapter behaves like MongoDB on every operation used here
 * (unique keys, upserts, ordering, time ranges).
 */
import type { Identifier } from '../identity/identifier.js';
import type { TouchEvent, TouchKind } from '../touch-event.js';
import type { ProfileStats } from '../profile/profile-stats.js';
import type { AttributionRepos } from './attribution-repos.js';
import type { CommunityRepos } from './community-repos.js';

/** A touch as stored: the event plus the profile it was credited to (null: anonymous). */
export type StoredTouch = TouchEvent & {
  profileId: string | null;
  /** True once the profile's stats include this touch. */
  applied: boolean;
};

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

export interface TouchQuery {
  profileId?: string;
  chatId?: string;
  kinds?: readonly TouchKind[];
  /** Inclusive lower bound on occurredAt (ISO). */
  from?: string;
  /** Exclusive upper bound on occurredAt (ISO). */
  to?: string;
  /** Most rows returned; default 10,000. */
  limit?: number;
}

export type InsertResult = 'inserted' | 'duplicate';

export interface TouchRepo {
  /** Inserts one touch; a touch whose id is already stored is left as it is. */
  insert(workspace: string, touch: StoredTouch): Promise<InsertResult>;
  /** Batch insert, same semantics per touch; returns how many were new. */
  insertMany(workspace: string, touches: readonly StoredTouch[]): Promise<{ inserted: number; duplicates: number }>;
  get(workspace: string, id: string): Promise<StoredTouch | null>;
  /** Touches matching the query, ordered by occurredAt then id, ascending. */
  list(workspace: string, query: TouchQuery): Promise<StoredTouch[]>;
  markApplied(workspace: string, id: string): Promise<void>;
  /** Moves every touch of `fromProfileId` to `toProfileId`; returns how many moved. */
  reassign(workspace: string, fromProfileId: string, toProfileId: string): Promise<number>;
  count(workspace: string): Promise<number>;
  /** Deletes every touch of a profile (erasure on request); returns how many were deleted. */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
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

export interface Store {
  readonly kind: 'memory' | 'mongo';
  readonly touches: TouchRepo;
  readonly identities: IdentityRepo;
  readonly profiles: ProfileRepo;
  /** Tracked links, clicks, conversions, credits. */
  readonly attribution: AttributionRepos;
  /** Groups, invite links, roles, audit log, keywords, digests. */
  readonly community: CommunityRepos;
  /** Creates indexes (Mongo) and checks the connection. Idempotent. */
  init(): Promise<void>;
  /** Resolves when the store answers; throws otherwise. Used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
