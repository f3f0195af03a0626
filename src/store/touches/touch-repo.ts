/**
 * Touches: every normalized touch event as stored, with the profile it was credited to.
 * Unique per (workspace, touch id); listed in (occurredAt, id) order.
 */
import type { TouchEvent, TouchKind } from '../../touch-event.js';
import type { InsertResult } from '../rules.js';

/** A touch as stored: the event plus the profile it was credited to (null: anonymous). */
export type StoredTouch = TouchEvent & {
  profileId: string | null;
  /** True once the profile's stats include this touch. */
  applied: boolean;
};

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

export interface TouchRepo {
  /** Inserts one touch; a touch whose id is already stored is left as it is. */
  insert(workspace: string, touch: StoredTouch): Promise<InsertResult>;
  /** Batch insert, same semantics per touch; returns how many were new. */
  insertMany(workspace: string, touches: readonly StoredTouch[]): Promise<{ inserted: number; duplicates: number }>;
  /**
   * Batch insert in one round trip, same semantics per touch, answering for each touch (in
   * order) whether it was inserted or already stored (a second copy within the batch is a duplicate).
   */
  insertEach(workspace: string, touches: readonly StoredTouch[]): Promise<InsertResult[]>;
  get(workspace: string, id: string): Promise<StoredTouch | null>;
  /** Touches matching the query, ordered by occurredAt then id, ascending. */
  list(workspace: string, query: TouchQuery): Promise<StoredTouch[]>;
  markApplied(workspace: string, id: string): Promise<void>;
  /** Marks every touch with one of these ids applied, in one round trip; unknown ids are skipped. */
  markAppliedMany(workspace: string, ids: readonly string[]): Promise<void>;
  /** Moves one touch to a profile (null: anonymous); false when no touch has this id. */
  assign(workspace: string, id: string, profileId: string | null): Promise<boolean>;
  /** Moves every touch of `fromProfileId` to `toProfileId`; returns how many moved. */
  reassign(workspace: string, fromProfileId: string, toProfileId: string): Promise<number>;
  count(workspace: string): Promise<number>;
  /** Deletes every touch of a profile (erasure on request); returns how many were deleted. */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
  /** Deletes every touch that occurred before `before` (ISO; retention); returns how many. */
  deleteBefore(workspace: string, before: string): Promise<number>;

  // --- erasure: a person named in other people's touches ---------------------------------
  /**
   * Removes an erased person from other people's touches: `details.addedBy` and
   * `details.removedBy` equal to one of `refs.userIds` are removed, and so are the entries of
   * `details.mentioned` found in `refs.mentions` (a facet left empty is removed). Returns how
   * many fields changed (a touch that lost its `addedBy` and a mention counts twice).
   * Idempotent: a second call changes nothing.
   */
  scrubPerson(workspace: string, refs: PersonRefs): Promise<number>;
}

/**
 * How other people's touches name a person (see {@link TouchRepo.scrubPerson}), in the form
 * the connectors wrote: Telegram user ids in clear, WhatsApp ids as the workspace's keyed
 * hash; mentions as Telegram usernames (lower case), `id:<telegram user id>`, or hashed
 * WhatsApp ids.
 */
export interface PersonRefs {
  userIds: readonly string[];
  mentions: readonly string[];
}

