/**
 * The shapes reports come in. `src/reports/` computes them from stored credits and
 * touches; the CLI renders them as tables or JSON, the bot commands as compact chat
 * tables and chart images. Amounts are in the workspace's conversion currency; a
 * report over conversions in several currencies lists each currency's value apart.
 */
import type { Platform, TouchKind } from '../touch-event.js';
import type { Period } from './period.js';

export type ReportDimension = 'group' | 'campaign' | 'keyword' | 'link' | 'platform';
export const REPORT_DIMENSIONS: readonly ReportDimension[] = ['group', 'campaign', 'keyword', 'link', 'platform'];

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

export interface FunnelRow {
  key: string;
  label: string;
  joined: number;
  engaged: number;
  clicked: number;
  converted: number;
  /** engaged / joined, clicked / joined, converted / joined (0 when nobody joined). */
  engagedRate: number;
  clickedRate: number;
  convertedRate: number;
  /** Median days from joining to the first conversion, among those who converted. */
  medianDaysToConvert: number | null;
  /** Value of the conversions counted in `converted`, when the report computes it. */
  value?: number;
}

export interface FunnelReport {
  workspace: string;
  period: Period;
  by: 'group' | 'campaign';
  rows: FunnelRow[];
  /** Every row together, people counted once (key `all`), when the report computes it. */
  all?: FunnelRow;
}

export interface GroupStatsReport {
  workspace: string;
  period: Period;
  /** One group, or all groups of the workspace when absent. */
  chatId?: string;
  joinsByCampaign: Array<{ campaign: string | null; joins: number; leaves: number }>;
  /** People with at least one touch in the period. */
  activeMembers: number;
  /** Per local day (workspace time zone), ascending. */
  days: Array<{ day: string; messages: number; keywordHits: number; joins: number; leaves: number }>;
  topKeywords: Array<{ keyword: string; count: number }>;
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
}

/** What the bot commands and the CLI ask of the reports. */
export interface ReportsApi {
  attribution(workspace: string, options: { period: Period; by: ReportDimension; model: string }): Promise<AttributionReport>;
  compareModels(workspace: string, options: { period: Period; by: ReportDimension }): Promise<ModelComparison>;
  funnel(workspace: string, options: { period: Period; by: 'group' | 'campaign'; key?: string }): Promise<FunnelReport>;
  groupStats(workspace: string, options: { period: Period; chatId?: string }): Promise<GroupStatsReport>;
  /** A member by profile id, Telegram user id, or @username; null when unknown. */
  journey(workspace: string, member: string): Promise<JourneyReport | null>;
  /** CSV (UTF-8 with BOM, for spreadsheets) of every credited touch in the period under every model. */
  exportCredits(workspace: string, options: { period: Period }): Promise<string>;
}
