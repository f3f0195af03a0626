/**
 * Conversions (the shop's orders, leads, sign-ups), their credits per touch and model, and
 * the fitted data-driven models. Ordering by instant then id in code-point order, inclusive
 * `from` and exclusive `to`.
 *
 * Erasure on request (`/forgetme`, see `commands/erase-member.ts`): a person's conversions are
 * the shop's records (order id, value) and stay, unlinked from the person
 * ({@link ConversionRepo.unlinkRelated}): no identifiers, username, click id or match,
 * `unattributed` with `erasedAt` set, and never matched again; their credits are deleted
 * ({@link CreditRepo.deleteMany}). Reports then count the sale as unattributed.
 */
import type { ModelName } from '../../attribution/index.js';
import type { Identifier } from '../../identity/identifier.js';
import type { Platform, TouchKind } from '../../touch-event.js';

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
  kind: TouchKind | 'coupon' | 'referral';
  platform: Platform;
  /** Group (chat id) the touch happened in or belongs to; absent for none. */
  chatId?: string;
  chatTitle?: string;
  /** Its own campaign, else the campaign of the join that brought the person into that group. */
  campaign?: string;
  /** Keyword facets: the watched keywords a message matched (of every message it collapsed). */
  keywords?: string[];
  /**
   * Link facets: a click's tracked-link code; a message's links (tracked-link codes, else host
   * and path of the URLs it carried).
   */
  links?: string[];
  /** Channel name the data-driven models saw. */
  channel: string;
  /** A referral step (`kind: 'referral'`): the inviter's profile id (see `src/referrals`). */
  referrer?: string;
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
  /**
   * Replaces the credits of conversions that have credits stored, each on its own (a set
   * whose credits were deleted meanwhile, e.g. by an erasure, stays deleted); returns how
   * many were replaced.
   */
  replaceExisting(workspace: string, sets: readonly CreditSet[]): Promise<number>;
  get(workspace: string, conversionId: string): Promise<CreditSet | null>;
  /** The credits of these conversions that exist, in no particular order. */
  getMany(workspace: string, conversionIds: readonly string[]): Promise<CreditSet[]>;
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

/**
 * A fit of the data-driven models for the conversions of one calendar month (UTC), over every
 * journey of its window (the 90 days before the month, and the month), converting or not.
 * Its id is a hash of its input: the same journeys always give the same id.
 */
export interface StoredFit {
  workspace: string;
  id: string;
  /** The month (`YYYY-MM`, UTC) whose conversions it credits. */
  month: string;
  /** When it was first computed (an identical refit later keeps the stored one). */
  createdAt: string;
  /** The window the journeys were taken from: inclusive `from`, exclusive `to`. */
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
  /** Shapley coalition counts, sorted by channel list: the Shapley fit is rebuilt from them. */
  coalitions: Coalition[];
}

/**
 * What the store knows of one month's fit: which fit credits the month's conversions, and
 * whether the data changed since. Kept per workspace and month.
 */
export interface FitMonth {
  workspace: string;
  /** `YYYY-MM` (UTC). */
  month: string;
  /** The month's current fit; null when the month was never fitted or had nothing to fit. */
  fitId: string | null;
  /** When the current fit was made current (null: never). */
  fittedAt: string | null;
  /** Journeys (converting or not) and conversions the current fit was made from. */
  journeys: number;
  conversions: number;
  /** Data changes reported for the month so far ({@link FitRepo.markDirty}); starts at 0. */
  marks: number;
  /** `marks` as it was when the current fit's data was read; −1 when never fitted. */
  fittedMarks: number;
  /** The fit every conversion of the month was last re-credited with in bulk (null: none yet). */
  creditedFitId: string | null;
}

/** Fits kept per workspace and month: the current one and the one before (a reconcile may still be reading it). */
export const FITS_KEPT_PER_MONTH = 2;

/** What {@link FitRepo.setCurrent} records. */
export interface FitCurrent {
  month: string;
  fitId: string | null;
  fittedAt: string;
  journeys: number;
  conversions: number;
  /** The month's `marks` read before the fit's data was read. */
  marks: number;
}

export interface FitRepo {
  /** Stores a fit under its id; an id already stored is left as it is (the same id is the same content). */
  put(workspace: string, fit: StoredFit): Promise<void>;
  get(workspace: string, id: string): Promise<StoredFit | null>;
  /**
   * Makes `fitId` the month's current fit, fitted from the data as of `marks` marks. Refused
   * (false) when the month's current fit was made from later data (its `fittedMarks` is
   * greater), so a slow refit never replaces a newer one. Stored fits of that month other
   * than the new current one and the one it replaces are deleted.
   */
  setCurrent(workspace: string, current: FitCurrent): Promise<boolean>;
  /** Records that every conversion of the month was re-credited with `fitId`, if it is still the month's current fit. */
  setCredited(workspace: string, month: string, fitId: string | null): Promise<void>;
  month(workspace: string, month: string): Promise<FitMonth | null>;
  /** Months with inclusive `from` and exclusive `to` (`YYYY-MM`), in month order. */
  months(workspace: string, range?: { from?: string; to?: string }): Promise<FitMonth[]>;
  /** Reports a data change in each month (its `marks` + 1; an unknown month starts at 0 and is never fitted). */
  markDirty(workspace: string, months: readonly string[]): Promise<void>;
}
