/**
 * The shapes of the optimization reports: keyword lift, hints and readiness (GRO's
 * *Optimization* and *Readiness*), as the bot commands, the CLI and the HTTP report API get
 * them (`ReportsApi.lift`, `.hints`, `.readiness`).
 */
import type { Period } from '../reports/period.js';
import type { LiftRow } from './keyword-lift.js';

export type { LiftRow } from './keyword-lift.js';

export interface LiftReport {
  workspace: string;
  period: Period;
  /** Days after the first mention a conversion counts in. */
  windowDays: number;
  /** Fewest people per group for a keyword to be shown. */
  minGroup: number;
  /** Keywords with enough people in both groups, highest lift first. */
  rows: LiftRow[];
  /** Keywords mentioned in the period with too few people in a group (not shown as rows). */
  tooFew: Array<{ keyword: string; treated: number; controls: number }>;
  notes?: string[];
}

/** The hint rules (see the README, "Hints, readiness and alerts"). */
export const HINT_RULES = ['last-click-gap', 'roas-below-one', 'keyword-lift', 'engaged-not-clicking'] as const;
export type HintRule = (typeof HINT_RULES)[number];

export type Confidence = 'high' | 'medium' | 'low';

/** One evidence-based statement. */
export interface Hint {
  /** `<rule>:<subject>` (stable). */
  key: string;
  rule: HintRule;
  /** The group (chat id), campaign or keyword it is about. */
  subject: string;
  /** What people read about the subject (a group's title). */
  subjectLabel: string;
  /** The sentence, with its numbers. */
  label: string;
  /** The sample it rests on: conversions (last-click-gap, roas-below-one), people (keyword-lift, engaged-not-clicking). */
  n: number;
  confidence: Confidence;
  /** Why that confidence, in words. */
  confidenceNote: string;
  /** The figures behind it (snake_case names, as the API shows them). */
  numbers: Record<string, number | null>;
  /** The unrounded figures the sentence is worded from (`hintText` words it again in another language). */
  facts?: HintFacts;
}

/** What a hint's sentence says, by rule: shares and rates are 0..1, lifts are ratio − 1. */
export type HintFacts =
  | { rule: 'last-click-gap'; by: 'group' | 'campaign'; markov: number; lastTouch: number; margin: number }
  | { rule: 'roas-below-one'; low: number; high: number; withRoas: number; models: number }
  | { rule: 'keyword-lift'; lift: number; liftLow: number; liftHigh: number | null; treated: number; controls: number }
  | { rule: 'engaged-not-clicking'; engaged: number; clicked: number; clickedLow: number; clickedHigh: number };

export interface HintsReport {
  workspace: string;
  period: Period;
  /** Matched conversions in the period: no hint is given under {@link MIN_CONVERSIONS}. */
  conversions: number;
  hints: Hint[];
  notes?: string[];
}

/** A campaign's ROAS under each model, as the campaign report gives it (null: no spend or no revenue). */
export interface CampaignRoasRow {
  campaign: string;
  conversions: number;
  roas: Record<string, number | null>;
}

/** Where hints read campaign ROAS from (wired to the campaign report); absent: that rule is skipped. */
export type CampaignRoasProvider = (workspace: string, period: Period) => Promise<readonly CampaignRoasRow[]>;

export type ReadinessStatus = 'red' | 'amber' | 'green';
export type ReadinessScope = 'workspace' | 'bot' | 'group';

export interface ReadinessCheck {
  /** `<check>:<scope subject>`, e.g. `bot-admin:-1001234`, `keywords:acme`. */
  key: string;
  check: string;
  scope: ReadinessScope;
  /** Workspace id, bot id or chat id. */
  subject: string;
  /** What was found, in one line. */
  label: string;
  status: ReadinessStatus;
  /** What to do, in one line (empty when green). */
  fix: string;
  /** Which finding of the check it is (e.g. `none`, `stale`, `not-admin`); with {@link facts}, what `readinessText` words again. */
  finding?: string;
  /** The figures and names the label and fix are worded from. */
  facts?: Record<string, string | number | null>;
}

export interface ReadinessReport {
  workspace: string;
  at: string;
  checks: ReadinessCheck[];
  /** The worst status of any check. */
  worst: ReadinessStatus;
}

/** Fewest conversions any hint rests on. */
export const MIN_CONVERSIONS = 30;
