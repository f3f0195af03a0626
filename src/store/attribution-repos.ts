/**
 * The attribution repositories of the store: tracked links, member tokens, link clicks,
 * conversions, their credits, and the fitted data-driven models.
 * Every method takes the workspace first, like the rest of the store; the one exception is
 * {@link LinkRepo.workspaceOfCode}, because `GET /l/<code>` carries no workspace.
 *
 * Both adapters (`memory-attribution-repos.ts`, `mongo-attribution-repos.ts`) follow
 * `test/attribution-repos-contract.ts`: unique keys, first-write-wins inserts, ordering by
 * instant then id in code-point order, inclusive `from` and exclusive `to`.
 *
 * Erasure on request (`/forgetme`, see `commands/erase-member.ts`): a person's member tokens
 * ({@link MemberTokenRepo.deleteByMember}) and personal-link clicks
 * ({@link ClickRepo.deleteByProfile}) are deleted. Their conversions are the shop's records
 * (order id, value) and stay, unlinked from the person ({@link ConversionRepo.unlinkRelated}):
 * no identifiers, username, click id or match, `unattributed` with `erasedAt` set, and never
 * matched again; their credits are deleted ({@link CreditRepo.deleteMany}). Reports then count
 * the sale as unattributed, never as credited to the erased person's touches.
 */
import type { ModelName } from '../attribution/index.js';
import type { Identifier } from '../identity/identifier.js';
import type { Platform, TouchKind } from '../touch-event.js';
import type { InsertResult } from './store.js';

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
}

/** The rules a conversion can be matched by, in the order they are tried. */
export const MATCH_RULES = ['click_id', 'phone', 'wa_id', 'tg_id', 'email', 'external_id', 'coupon', 'tg_username'] as const;
export type MatchRule = (typeof MATCH_RULES)[number];

/** How the reconciler matched a conversion. */
export interface ConversionMatch {
  rule: MatchRule;
  /** The person whose journey it is; null for a lone anonymous click or a coupon. */
  profileId: string | null;
  /** Matched only through a Telegram username (usernames change hands). */
  lowConfidence: boolean;
}

export type ConversionStatus = 'pending' | 'matched' | 'unattributed';

/** A conversion as stored: personal identifiers only as keyed hashes. */
export interface ConversionRecord {
  workspace: string;
  /** The shop's order / lead id: the idempotency key. */
  id: string;
  /** `purchase`, `lead`, `signup`, … */
  type: string;
  occurredAt: string;
  value: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** Strong identifiers; phone, email, WhatsApp id and external id as keyed hashes. */
  identifiers: Identifier[];
  /** Telegram username, lower case without `@` (last-resort, low-confidence matching). */
  telegramUsername?: string;
  clickId?: string;
  /** Coupon code as sent (matched case-insensitively). */
  coupon?: string;
  utm?: Record<string, string>;
  /** SHA-256 of the normalized content: a re-send with other content is told apart from a duplicate. */
  fingerprint: string;
  source: 'webhook' | 'csv';
  receivedAt: string;
  status: ConversionStatus;
  match: ConversionMatch | null;
  reconciledAt: string | null;
  /**
   * Set (ISO time) when the person the conversion named asked for erasure
   * ({@link ConversionRepo.unlinkRelated}): it then has no identifiers, username, click id or
   * match, stays `unattributed` and is never matched again. Absent otherwise.
   */
  erasedAt?: string;
}

export interface ConversionQuery {
  /** Inclusive lower bound on occurredAt (ISO). */
  from?: string;
  /** Exclusive upper bound on occurredAt (ISO). */
  to?: string;
  status?: ConversionStatus;
  /** Conversions matched to this profile. */
  profileId?: string;
  /** Most rows; default 10,000. */
  limit?: number;
  /** Keyset paging: rows strictly after this (occurredAt, id). */
  after?: { at: string; id: string };
}

/** Result of storing one conversion: `duplicate` carries the stored one. */
export type ConversionInsert = { status: 'inserted' } | { status: 'duplicate'; existing: ConversionRecord };

export interface ConversionRepo {
  /** Stores a conversion unless its id exists in the workspace (the stored one stays). */
  insert(workspace: string, conversion: ConversionRecord): Promise<ConversionInsert>;
  /** Same per item, in order; a batch never fails on duplicates. */
  insertMany(workspace: string, conversions: readonly ConversionRecord[]): Promise<ConversionInsert[]>;
  get(workspace: string, id: string): Promise<ConversionRecord | null>;
  /**
   * Records the reconciler's outcome; true when recorded. An unknown id, and an erased
   * conversion (`erasedAt` set: it stays unattributed), are left as they are: false.
   */
  setOutcome(workspace: string, id: string, outcome: Pick<ConversionRecord, 'status' | 'match' | 'reconciledAt'>): Promise<boolean>;
  /** Conversions matching the query, ordered by occurredAt then id, ascending. */
  list(workspace: string, query: ConversionQuery): Promise<ConversionRecord[]>;
  /**
   * Conversions carrying any of `identifiers` or matched to any of `profileIds`, with
   * occurredAt in [from, to) when given, in list order.
   */
  related(
    workspace: string,
    options: { identifiers: readonly Identifier[]; profileIds: readonly string[]; from?: string; to?: string; limit?: number },
  ): Promise<ConversionRecord[]>;
  count(workspace: string): Promise<number>;
  /**
   * Erasure on request: unlinks from the person every conversion {@link ConversionRepo.related} finds for
   * these identifiers and profiles (any time, any status). Each keeps its id, type, value,
   * currency, times, coupon, UTM, source and fingerprint (so a re-sent order is still a
   * duplicate); loses its identifiers, Telegram username, click id and match; and becomes
   * `unattributed` with `reconciledAt` and `erasedAt` set to `at`. Returns the unlinked ids in
   * list order (their credits are the caller's to delete). Idempotent: an unlinked conversion
   * carries nothing `related` could find again.
   */
  unlinkRelated(workspace: string, person: { identifiers: readonly Identifier[]; profileIds: readonly string[]; at: string }): Promise<string[]>;
}

/** A touch of a conversion's journey, with what reports group credits by. */
export interface CreditedTouch {
  /** Stored touch id, or `coupon:<code>` for a coupon (a touch without a person). */
  touchId: string;
  at: string;
  kind: TouchKind | 'coupon';
  platform: Platform;
  /** Group (chat id) the touch happened in or belongs to; absent for none. */
  chatId?: string;
  chatTitle?: string;
  /** Its own campaign, else the campaign of the join that brought the person into that group. */
  campaign?: string;
  /** Keywords of a keyword touch (of every touch it collapsed). */
  keywords?: string[];
  /** Tracked link code of a link click. */
  linkCode?: string;
  /** Channel name the data-driven models saw. */
  channel: string;
}

/** One model's credit, aligned with `CreditSet.touches`. */
export interface ModelCredits {
  /** Fraction of the conversion credited to each touch. */
  conversions: number[];
  /** Conversion value credited to each touch (in the conversion's currency). */
  value: number[];
}

/**
 * Every credit of one conversion: per touch of its journey and per model. Stored as one
 * record per conversion, so a re-reconcile replaces them all at once; reports read these
 * and never rebuild journeys.
 */
export interface CreditSet {
  workspace: string;
  conversionId: string;
  conversionAt: string;
  value: number;
  currency: string;
  type: string;
  rule: MatchRule;
  profileId: string | null;
  lowConfidence: boolean;
  /** Journey touches in time order; empty when the person had none in the window (credited to `(none)`). */
  touches: CreditedTouch[];
  models: Partial<Record<ModelName, ModelCredits>>;
  /** The data-driven fit used for markov/shapley; null when none existed yet (those models are then absent). */
  fitId: string | null;
  computedAt: string;
}

export interface CreditQuery {
  /** Inclusive lower bound on conversionAt. */
  from?: string;
  /** Exclusive upper bound on conversionAt. */
  to?: string;
  /** Only these models' credits are returned (all when absent). */
  models?: readonly ModelName[];
  /** Keyset paging: rows strictly after this (conversionAt, conversionId). */
  after?: { at: string; id: string };
  /** Most rows; default 10,000. */
  limit?: number;
}

export interface CreditRepo {
  /** Creates or replaces the credits of one conversion. */
  put(workspace: string, credits: CreditSet): Promise<void>;
  get(workspace: string, conversionId: string): Promise<CreditSet | null>;
  delete(workspace: string, conversionId: string): Promise<boolean>;
  /** Deletes the credits of these conversions (ids without credits are skipped); returns how many were deleted. */
  deleteMany(workspace: string, conversionIds: readonly string[]): Promise<number>;
  /** Credit sets ordered by conversionAt then conversionId, ascending. */
  list(workspace: string, query: CreditQuery): Promise<CreditSet[]>;
  count(workspace: string): Promise<number>;
}

/** One set of distinct channels and how many journeys with exactly that set converted or not. */
export interface Coalition {
  /** Distinct channels, sorted by code point. */
  channels: string[];
  conversions: number;
  nulls: number;
}

/** A fit of the data-driven models over all journeys of a period, converting or not. */
export interface StoredFit {
  workspace: string;
  id: string;
  createdAt: string;
  /** The period the journeys were taken from. */
  from: string;
  to: string;
  journeys: number;
  conversions: number;
  /** The Markov fit (see `MarkovFit`), its maps as `[channel, effect]` pairs. */
  markov: {
    order: number;
    stateCount: number;
    transitionCount: number;
    conversionProbability: number;
    expectedValue: number;
    removalEffect: Array<[string, number]>;
    valueRemovalEffect: Array<[string, number]>;
  };
  /** Shapley coalition counts: the Shapley fit is rebuilt from them. */
  coalitions: Coalition[];
}

export interface FitRepo {
  /** Stores a fit (ids are unique per workspace; a stored id stays). Older fits beyond the last 3 are removed. */
  put(workspace: string, fit: StoredFit): Promise<void>;
  /** The most recent fit (by createdAt, then id), or null. */
  latest(workspace: string): Promise<StoredFit | null>;
}

export interface AttributionRepos {
  links: LinkRepo;
  memberTokens: MemberTokenRepo;
  clicks: ClickRepo;
  conversions: ConversionRepo;
  credits: CreditRepo;
  fits: FitRepo;
}
