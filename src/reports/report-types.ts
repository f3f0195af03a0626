/**
 * The shapes reports come in. `src/reports/` computes them from the counters the rollup keeps
 * (`store.counters`: per-day counters and per-person facts), reading the raw rows only of a
 * period's partial edge days and of days the rollup has not caught up with; `journey` reads a
 * person's touches, `exportCredits` the credit sets. The CLI renders them as tables or JSON,
 * the bot commands as compact chat tables and chart images, the HTTP API as JSON or CSV.
 * Amounts are in the workspace's conversion currency; a report over conversions in several
 * currencies lists each currency's value apart where it says so (`byCurrency`), and sums them
 * as they are elsewhere.
 */
import type { Lang } from '../i18n/language.js';
import { CREDIT_DIMENSIONS, type CreditDimension } from '../store/counters/counter-repo.js';
import type { IdentityLine } from '../identity/link-evidence.js';
import type { Platform, TouchKind } from '../touch-event.js';
import type { ReferralKind } from '../store/referrals/referral-repo.js';
import type { Period } from './period.js';
import type { HintsReport, LiftReport, ReadinessReport } from '../optimize/optimize-types.js';

/** What attribution rows are keyed by: group (chat id), campaign, keyword, link, platform, referrer (the inviter's profile id of a referral step). */
export type ReportDimension = CreditDimension;
export const REPORT_DIMENSIONS: readonly ReportDimension[] = CREDIT_DIMENSIONS;

export interface Amount {
  conversions: number;
  value: number;
  /** Value per currency; present only when the report spans more than one currency. */
  byCurrency?: Record<string, number>;
}

export interface AttributionRow {
  /** Stable key of the row (chat id, campaign name, keyword, link code, platform); `(none)` for credit without one. */
  key: string;
  /** What people read: group title, campaign name, … */
  label: string;
  /** Credited under the report's model. */
  credited: Amount;
  /** Credited under last touch, for comparison. */
  lastTouch: Amount;
  /** credited − lastTouch: what last touch hides (positive) or over-credits (negative). */
  difference: Amount;
}

export interface AttributionReport {
  workspace: string;
  period: Period;
  by: ReportDimension;
  model: string;
  rows: AttributionRow[];
  totals: {
    /** All conversions in the period, matched or not. */
    conversions: number;
    value: number;
    matched: number;
    unattributed: Amount;
    /** matched / conversions (0 when there are none). */
    matchRate: number;
    /** Conversions matched only through a Telegram username (low confidence). */
    lowConfidence: number;
    /** Conversions not reconciled yet (counted in `unattributed` until they are). */
    pending?: number;
  };
  currencies: string[];
  /** What a reader should know: conversions awaiting the first data-driven fit, several currencies, … */
  notes?: string[];
}

export interface ModelComparison {
  workspace: string;
  period: Period;
  by: ReportDimension;
  models: string[];
  rows: Array<{ key: string; label: string; byModel: Record<string, Amount> }>;
  totals: AttributionReport['totals'];
  currencies?: string[];
  notes?: string[];
}

/** The key of the funnel row over every cohort (distinct people). */
export const FUNNEL_ALL_KEY = 'all';

/**
 * One cohort of the funnel: the people who joined (a group, or through a campaign) in the
 * period, each counted once, and how far each got after joining, within the period.
 */
export interface FunnelRow {
  /** Chat id or campaign (`(none)`: joined without one); `all` for the row over every cohort. */
  key: string;
  label: string;
  /** Distinct people who joined in the period. */
  joined: number;
  /** Of them, distinct people who wrote in the group they joined, after joining. */
  engaged: number;
  /** Of them, distinct people with a tracked-link click after joining. */
  clicked: number;
  /** Of them, distinct people with a matched conversion after joining. */
  converted: number;
  /** engaged / joined, clicked / joined, converted / joined (0 when nobody joined). */
  engagedRate: number;
  clickedRate: number;
  convertedRate: number;
  /** Median days from joining to the first conversion, among those who converted. */
  medianDaysToConvert: number | null;
  /**
   * Revenue: the value of every conversion of the cohort's people from their joining to the end
   * of the period (currencies summed as they are; see the report's `currencies`).
   */
  value: number;
}

export interface FunnelReport {
  workspace: string;
  period: Period;
  by: 'group' | 'campaign';
  /**
   * One row per cohort, most joined first, then one row with key `all`: every person who joined
   * in the period counted once, whatever cohorts they are in (their first join in the period
   * is their joining; engaged in any group they joined; converted after that first join).
   */
  rows: FunnelRow[];
  /** Currencies of the conversions in `value`, sorted. */
  currencies?: string[];
  /** Conversions of the period, matched or not (the same totals as the attribution report). */
  totals?: AttributionReport['totals'];
  /** What a reader should know (people whose latest activity is still being rolled up, …). */
  notes?: string[];
}

export interface GroupStatsReport {
  workspace: string;
  period: Period;
  /** One group, or all groups of the workspace when absent. */
  chatId?: string;
  /**
   * Joins per campaign of the join, and leaves per campaign of the person's latest join into
   * that group before leaving (`null`: none, or a leave by nobody known).
   */
  joinsByCampaign: Array<{ campaign: string | null; joins: number; leaves: number }>;
  /** Distinct people with at least one touch in a group (or in `chatId`) in the period. */
  activeMembers: number;
  /** Per local day (workspace time zone), ascending; every day of a period up to 400 days long. */
  days: Array<{ day: string; messages: number; keywordHits: number; joins: number; leaves: number }>;
  topKeywords: Array<{ keyword: string; count: number }>;
  /** Tracked-link clicks in the period (links of `chatId` when given). */
  clicks?: number;
  /** The most clicked links (tracked-link codes), at most 10. */
  topLinks?: Array<{ link: string; clicks: number }>;
  /** Conversions of the period, matched or not (the same totals as the attribution report). */
  totals?: AttributionReport['totals'];
  /** What a reader should know (people whose latest activity is still being rolled up, …). */
  notes?: string[];
}

export interface JourneyReport {
  workspace: string;
  profileId: string;
  usernames: string[];
  firstSeenAt: string | null;
  touches: Array<{ at: string; kind: TouchKind; platform: Platform; chatId: string; chatTitle?: string; campaign?: string; keywords?: string[] }>;
  conversions: Array<{ id: string; at: string; value: number; currency: string; rule: string }>;
  /** Older touches left out of `touches` (the most recent 500 are listed). */
  touchesOmitted?: number;
  /** The person's identifiers (masked) and the evidence behind each link and merge (`src/identity/link-evidence.ts`). */
  identities?: IdentityLine[];
  /** Referral chains: who brought the member into a group, and whom they brought. */
  referrals?: { invitedBy: JourneyReferral[]; invited: JourneyReferral[] };
}

/** One invitation on a member's journey: the other person, how, when, where, and whether it counts (stayed `referralMinDays`). */
export interface JourneyReferral {
  profileId: string | null;
  label: string;
  kind: ReferralKind;
  at: string;
  chatId: string;
  chatTitle?: string;
  leftAt: string | null;
}

/** One inviter of the referral leaderboard (see `referral-report.ts` for what each figure sums). */
export interface ReferralRow {
  /** The inviter's profile id (their identifier key when they have no profile yet). */
  key: string;
  /** @username(s), else a short masked id (as `/journey` names people). */
  label: string;
  joined: number;
  invitees: number;
  stillInDay7: number;
  engaged: number;
  converted: number;
  revenue: number;
  referralCredit: number;
  secondDegree: number;
  /** Counted invitees by how the invitation is known. */
  byKind: Partial<Record<ReferralKind, number>>;
}

export interface ReferralReport {
  workspace: string;
  period: Period;
  model: string;
  minDays: number;
  chatId?: string;
  rows: ReferralRow[];
  kFactor: Array<{ campaign: string | null; members: number; invitees: number; kFactor: number | null }>;
  shares: { joined: number; referredJoined: number; joinShare: number; value: number; referralValue: number; revenueShare: number };
  totals: AttributionReport['totals'];
  currencies: string[];
  notes: string[];
}

/**
 * What the bot commands, the CLI and the HTTP report API ask of the reports
 * (`createReports(store, settings)`). Every method reads counters (see the header), so it
 * answers in milliseconds whatever the period; `journey` reads one person's touches and
 * `exportCredits` the credit sets of the period.
 */
export interface ReportsApi {
  /**
   * Credit by `by` under `model` (one of the seven model names) beside last touch, with the
   * period's totals. Throws `ReportError` for an unknown model or dimension.
   */
  attribution(workspace: string, options: { period: Period; by: ReportDimension; model: string }): Promise<AttributionReport>;
  /** Credit by `by` under every model side by side, with the period's totals. */
  compareModels(workspace: string, options: { period: Period; by: ReportDimension }): Promise<ModelComparison>;
  /**
   * joined → engaged → clicked → converted per group or campaign cohort of the period, in
   * distinct people, plus the `all` row; `key` keeps only that cohort (a chat id or campaign).
   */
  funnel(workspace: string, options: { period: Period; by: 'group' | 'campaign'; key?: string }): Promise<FunnelReport>;
  /** Joins and leaves by campaign, distinct active members, activity per local day, top keywords and links; of one group (`chatId`) or all. */
  groupStats(workspace: string, options: { period: Period; chatId?: string }): Promise<GroupStatsReport>;
  /** A member by profile id, Telegram user id, or @username; null when unknown. */
  journey(workspace: string, member: string): Promise<JourneyReport | null>;
  /** CSV (UTF-8 with BOM, for spreadsheets) of every credited touch in the period under every model. */
  exportCredits(workspace: string, options: { period: Period }): Promise<string>;
  /** Keyword lift of the first mentions in the period (`src/optimize`); absent in stand-ins. */
  lift?(workspace: string, options: { period: Period }): Promise<LiftReport>;
  /** Optimization hints of the period (`src/optimize`). */
  hints?(workspace: string, options: { period: Period; lang?: Lang }): Promise<HintsReport>;
  /** Readiness checks of the workspace, its bots and groups, now (`src/optimize`). */
  readiness?(workspace: string, options?: { lang?: Lang }): Promise<ReadinessReport>;
  /**
   * The referral leaderboard of the invitations made in the period (see `referral-report.ts`);
   * absent where referral chains are not wired (the command and the API then say so).
   */
  referrals?(workspace: string, options: { period: Period; model?: string; chatId?: string }): Promise<ReferralReport>;
}
