/**
 * Counters: what reports read instead of raw touches and credits. Two kinds of unit, each
 * recomputed from its raw rows by the rollup (`src/reports/rollup.ts`) and stored by
 * REPLACING what was there, so applying a unit twice, or re-crediting a conversion, can never
 * add up:
 *
 * - a **day** of a workspace (a local calendar day in the workspace's time zone): counts of
 *   touches, conversions and credited value, split by group, campaign, keyword, link and
 *   platform ({@link DayCounters});
 * - a **person** of a workspace: the facts distinct-people figures need, which cannot be
 *   summed over days (when they joined each group and through which campaign, when they first
 *   wrote there after joining, their clicks and conversions, the days they were active:
 *   {@link PersonFacts}).
 *
 * **Marks.** Data landing marks its units dirty ({@link CounterRepo.markDirty}: the unit's
 * `marks` count goes up by one). The rollup reads a unit's marks, then its raw rows, stores
 * the recomputed counters with `version` = the marks it read, and finally marks it clean only
 * if no mark arrived meanwhile ({@link CounterRepo.markClean} compares the count). So a crash
 * anywhere leaves the unit dirty, and a mark that arrives during a recompute is never lost.
 * A store write with a lower `version` than the stored one is refused: a slow recompute never
 * replaces a newer one.
 *
 * Every method takes the workspace first. Days are `YYYY-MM-DD`; times ISO (canonical UTC).
 */
import { MODEL_NAMES, type ModelName } from '../../attribution/index.js';

/** The dimensions credit is counted by (the report dimensions). */
export const CREDIT_DIMENSIONS = ['group', 'campaign', 'keyword', 'link', 'platform', 'referrer'] as const;
export type CreditDimension = (typeof CREDIT_DIMENSIONS)[number];

/** A unit of recomputation: one local day, or one person (profile id). */
export type CounterUnitKind = 'day' | 'person';

export interface CounterUnit {
  kind: CounterUnitKind;
  /** The day (`YYYY-MM-DD`) or the profile id. */
  key: string;
}

/** A unit's mark count: how many times data landing marked it so far. */
export interface CounterMark extends CounterUnit {
  marks: number;
}

/** Conversions of a day in one currency (every conversion, matched or not). */
export interface TotalsRow {
  currency: string;
  conversions: number;
  /** Sum of their values. */
  value: number;
  matched: number;
  /** Matched only through a Telegram username. */
  lowConfidence: number;
  /** Not matched (unattributed or not reconciled yet). */
  unattributed: number;
  unattributedValue: number;
  /** Not reconciled yet (counted in `unattributed` too). */
  pending: number;
}

/** A day's conversions and what is known about their credits. */
export interface TotalsPart {
  /** One row per currency, by currency code. */
  byCurrency: TotalsRow[];
  /** Credit sets of the day's conversions. */
  creditSets: number;
  /** Credit sets that lack a model's credits (the data-driven models before their first fit), per model. */
  missing: Partial<Record<ModelName, number>>;
}

/**
 * Credit under one model by one dimension: one row per key and currency. A row exists for
 * every key a credited step of the day counted toward, even with zero credit.
 */
export interface CreditRow {
  /** Chat id, campaign, keyword, link or platform; `(none)` for credit without one. */
  key: string;
  /** What people read (a group's title); for the group dimension, the title last seen that day. */
  label: string;
  currency: string;
  /** Fractions of conversions credited. */
  conversions: number;
  value: number;
}

/** Activity in one group (chat types `group` and `channel`) on one day. */
export interface GroupRow {
  chatId: string;
  /** Its title as last seen that day. */
  chatTitle?: string;
  messages: number;
  /** Keyword facets of its messages (a message with two watched keywords is two hits). */
  keywordHits: number;
  joins: number;
  leaves: number;
  /** Leaves by nobody known (no profile): their campaign is unknown. */
  anonymousLeaves: number;
}

/** Joins into one group through one campaign (null: none) on one day. */
export interface JoinRow {
  chatId: string;
  campaign: string | null;
  joins: number;
}

/** Hits of one keyword in one group on one day. */
export interface KeywordRow {
  chatId: string;
  keyword: string;
  hits: number;
}

/** Tracked-link clicks (every `link_click` touch) on one day, by link, group and campaign. */
export interface ClickRow {
  /** The tracked link's code. */
  link: string;
  /** The group the link belongs to (the click's chat id). */
  chatId: string;
  campaign: string | null;
  clicks: number;
}

/** The dimensions converting journeys are counted by (paths, assists). */
export const PATH_DIMENSIONS = ['group', 'campaign', 'keyword'] as const;
export type PathDimension = (typeof PATH_DIMENSIONS)[number];

/**
 * Converting journeys of a day (credit sets with at least one step, by conversion day): how
 * many had `steps` steps and began `lagDays` whole days (24 h) before their conversion.
 */
export interface JourneyRow {
  lagDays: number;
  steps: number;
  conversions: number;
}

/**
 * Converting paths of a day by one dimension: the journey's steps as row keys (a step's group,
 * campaign or keywords; consecutive repeats collapsed), per currency.
 */
export interface PathRow {
  by: PathDimension;
  steps: string[];
  /** What people read for each step (a group's title). */
  labels: string[];
  currency: string;
  conversions: number;
  value: number;
}

/** Converting journeys of a day a row was in but not in the last step of (assists). */
export interface AssistRow {
  by: PathDimension;
  key: string;
  label: string;
  assists: number;
}

/** A credits part name: `credits.<model>.<dimension>`. */
export type CreditPartName = `credits.${ModelName}.${CreditDimension}`;

/** Everything counted for one day, part by part; reports read only the parts they need. */
export type DayParts = {
  totals: TotalsPart;
  groups: GroupRow[];
  joins: JoinRow[];
  keywords: KeywordRow[];
  clicks: ClickRow[];
  journeys: JourneyRow[];
  paths: PathRow[];
  assists: AssistRow[];
} & { [P in CreditPartName]: CreditRow[] };

export type DayPartName = keyof DayParts;

/** The name of the credits part of a model and dimension. */
export function creditPart(model: ModelName, by: CreditDimension): CreditPartName {
  return `credits.${model}.${by}`;
}

/** The counters of one local day. */
export interface DayCounters {
  workspace: string;
  /** The time zone `day` is a local day of. */
  timeZone: string;
  day: string;
  /** The unit's marks the counters were computed from (0: never marked). */
  version: number;
  computedAt: string;
  /** On write: every part (a part left out is stored empty). On read: the parts asked for. */
  parts: Partial<DayParts>;
}

/** A join into a group, with what followed it. */
export interface MembershipJoin {
  at: string;
  /** The campaign of the invite link they came through; null for none. */
  campaign: string | null;
  /** Their first message in that group at or after the join; null when none (yet). */
  engagedAt: string | null;
}

/** A leave, with the campaign of the person's latest join into that group at or before it. */
export interface MembershipLeave {
  at: string;
  campaign: string | null;
}

/** A person in one group (chat types `group` and `channel`): every touch of theirs there. */
export interface Membership {
  chatId: string;
  /** The group's title as last seen on their touches. */
  chatTitle?: string;
  /** Local days with a touch of theirs in the group, ascending. */
  activeDays: string[];
  /** In time order. */
  joins: MembershipJoin[];
  /** In time order. */
  leaves: MembershipLeave[];
  /** Local days with a message of theirs in the group, ascending (absent in facts stored before it was kept). */
  messageDays?: string[];
}

/** What distinct-people figures need of one person. */
export interface PersonFacts {
  workspace: string;
  profileId: string;
  /** The time zone the day lists are in. */
  timeZone: string;
  /** The unit's marks the facts were computed from. */
  version: number;
  computedAt: string;
  /** Local days with any touch of theirs in a group or channel, ascending. */
  activeDays: string[];
  /** Local days with any touch of theirs at all, ascending. */
  touchDays: string[];
  /** Conversions matched to them, in time order. */
  conversions: Array<{ id: string; at: string; value: number; currency: string }>;
  /**
   * Their tracked-link clicks, ascending: their own `link_click` touches and anonymous group-link
   * clicks that one of their conversions carried the click id of.
   */
  clicks: string[];
  /** One per group they have touches in, by chat id. */
  memberships: Membership[];
  /** The first mention of each watched keyword they wrote (any chat), by keyword; absent when none. */
  keywords?: Array<{ keyword: string; at: string }>;
}

/**
 * One join of a person into a group, with what followed it: the compact row a funnel reads
 * (tens of thousands for a half year), derived from the person's facts ({@link joinsOfFacts}).
 */
export interface MemberJoin {
  profileId: string;
  chatId: string;
  chatTitle?: string;
  at: string;
  campaign: string | null;
  /** Their first message in that group at or after the join; null when none. */
  engagedAt: string | null;
  /** Their first click at or after the join; null when none. */
  clickedAt: string | null;
  /** Their conversions at or after the join, in time order. */
  conversions: Array<{ at: string; value: number; currency: string }>;
  /** Every join and leave of theirs in that group, in time order (whether they are still in at a later time). */
  groupJoins?: string[];
  groupLeaves?: string[];
  /** Local days with a message of theirs in that group, ascending (see {@link Membership.messageDays}). */
  messageDays?: string[];
}

/** One leave of a person from a group, with the campaign of their latest join into it before. */
export interface MemberLeave {
  profileId: string;
  chatId: string;
  at: string;
  campaign: string | null;
}

/** Index of the first item of an ascending list of ISO times that is ≥ `at`. */
function firstAtOrAfter(list: readonly string[], at: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as string) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every join of a person's facts as {@link MemberJoin} rows (times canonical ISO, so text order is time order). */
export function joinsOfFacts(f: Pick<PersonFacts, 'profileId' | 'clicks' | 'conversions' | 'memberships'>): MemberJoin[] {
  const out: MemberJoin[] = [];
  const convAts = f.conversions.map((c) => c.at);
  for (const m of f.memberships) {
    for (const j of m.joins) {
      const click = f.clicks[firstAtOrAfter(f.clicks, j.at)];
      const row: MemberJoin = { profileId: f.profileId, chatId: m.chatId, at: j.at, campaign: j.campaign, engagedAt: j.engagedAt, clickedAt: click ?? null, conversions: f.conversions.slice(firstAtOrAfter(convAts, j.at)), groupJoins: m.joins.map((x) => x.at), groupLeaves: m.leaves.map((x) => x.at) };
      if (m.messageDays !== undefined) row.messageDays = m.messageDays;
      if (m.chatTitle !== undefined) row.chatTitle = m.chatTitle;
      out.push(row);
    }
  }
  return out;
}

/** Every leave of a person's facts as {@link MemberLeave} rows. */
export function leavesOfFacts(f: Pick<PersonFacts, 'profileId' | 'memberships'>): MemberLeave[] {
  return f.memberships.flatMap((m) => m.leaves.map((l) => ({ profileId: f.profileId, chatId: m.chatId, at: l.at, campaign: l.campaign })));
}

/** Where a workspace's counters stand. */
export interface CounterState {
  workspace: string;
  /** The time zone the day counters are built in. */
  timeZone: string;
  /** When a full build (every unit from raw rows) last completed; null: never. */
  builtAt: string | null;
  /** A full build was asked for and has not run yet. */
  rebuildRequested: boolean;
}

/** A range of local days, both ends included. */
export interface DayRange {
  from: string;
  to: string;
}

export interface CounterRepo {
  /** Adds one mark to each unit (a unit's marks start at 0) and makes it dirty. */
  markDirty(workspace: string, units: readonly CounterUnit[]): Promise<void>;
  /** Dirty units of a kind, in key order (code points); at most `limit` (default 1,000). */
  dirty(workspace: string, kind: CounterUnitKind, limit?: number): Promise<CounterMark[]>;
  /** Every unit of a kind that was ever marked, dirty or not, in key order, after `afterKey`; at most `limit` (default 10,000). */
  marks(workspace: string, kind: CounterUnitKind, options?: { afterKey?: string; limit?: number }): Promise<CounterMark[]>;
  /**
   * Marks clean each unit whose marks are still the given count (a unit marked again since
   * stays dirty). Returns how many were marked clean.
   */
  markClean(workspace: string, marks: readonly CounterMark[]): Promise<number>;

  /**
   * Replaces every part of a day's counters (parts left out are stored empty). Refused (false)
   * when the stored counters of that day have a greater `version`.
   */
  putDay(workspace: string, counters: DayCounters): Promise<boolean>;
  /** Stored days in `range`, in day order, with only the asked parts (an absent part reads as empty). */
  days(workspace: string, range: DayRange, parts: readonly DayPartName[]): Promise<DayCounters[]>;
  /** Every stored day, ascending. */
  dayList(workspace: string): Promise<string[]>;

  /**
   * Replaces a person's facts (empty facts: the person has no data left). Refused (false) when
   * the stored facts have a greater `version`.
   */
  putPerson(workspace: string, facts: PersonFacts): Promise<boolean>;
  /** The stored facts of these people (missing ones are left out), in no particular order. */
  people(workspace: string, profileIds: readonly string[]): Promise<PersonFacts[]>;
  /** Profile ids of stored facts, ascending, after `afterId`; at most `limit` (default 10,000). */
  personIds(workspace: string, options?: { afterId?: string; limit?: number }): Promise<string[]>;
  /**
   * Joins in [from, to) (into `chatId` when given), with what followed each, in no particular
   * order, in pages (of at most {@link PEOPLE_PAGE} people's joins): a funnel reads tens of thousands.
   */
  joinsIn(workspace: string, query: { from: string; to: string; chatId?: string }): AsyncIterable<MemberJoin[]>;
  /** Leaves in [from, to) (from `chatId` when given), in no particular order, in pages. */
  leavesIn(workspace: string, query: { from: string; to: string; chatId?: string }): AsyncIterable<MemberLeave[]>;
  /** How many people have an active day in `range` (in `chatId` when given). */
  countActive(workspace: string, range: DayRange & { chatId?: string }): Promise<number>;

  state(workspace: string): Promise<CounterState | null>;
  setState(workspace: string, state: CounterState): Promise<void>;
  /** Deletes every day's counters and day marks of the workspace (their days belong to another time zone). */
  clearDays(workspace: string): Promise<void>;
}

/** Most people whose rows make one page of `joinsIn` / `leavesIn`. */
export const PEOPLE_PAGE = 1_000;

/** Facts of a person with nothing left to count (erased, merged away). */
export function emptyFacts(workspace: string, profileId: string, timeZone: string, version: number, computedAt: string): PersonFacts {
  return { workspace, profileId, timeZone, version, computedAt, activeDays: [], touchDays: [], conversions: [], clicks: [], memberships: [] };
}

/** Whether facts hold nothing. */
export function isEmptyFacts(f: PersonFacts): boolean {
  return f.touchDays.length === 0 && f.conversions.length === 0 && f.memberships.length === 0 && f.clicks.length === 0;
}

/** Every day part name: the fixed parts, then credits by model and dimension. */
export function dayPartNames(models: readonly ModelName[]): DayPartName[] {
  const out: DayPartName[] = ['totals', 'groups', 'joins', 'keywords', 'clicks', 'journeys', 'paths', 'assists'];
  for (const m of models) for (const d of CREDIT_DIMENSIONS) out.push(creditPart(m, d));
  return out;
}

/** Every part a day holds. */
export const DAY_PARTS: readonly DayPartName[] = dayPartNames(MODEL_NAMES);

/** A part with nothing counted. */
export function emptyPart<P extends DayPartName>(name: P): DayParts[P] {
  return (name === 'totals' ? { byCurrency: [], creditSets: 0, missing: {} } : []) as unknown as DayParts[P];
}
