/**
 * Campaigns, goals and ROI: campaign records and spend (`store.campaigns`), campaign cards
 * (CAC and ROAS under every model, retention, the goal's headline), cohorts and paths. The bot
 * commands (`/goal`, `/spend`, `/campaign`, `/campaigns`, `/cohorts`, `/paths`), the CLI
 * (`midfunnel campaigns|spend|report campaigns|cohorts|paths`) and the HTTP API
 * (`/v1/reports/campaigns|cohorts|paths`, `PUT /v1/spend`) all go through
 * {@link createCampaignReports} and the JSON of `campaign-json.ts`, so they show the same numbers.
 */
import type { ModelName } from '../attribution/index.js';
import type { Period } from '../reports/period.js';
import type { PathDimension, Store } from '../store/store.js';
import { campaignCards, campaignRoas, type CampaignReport, type CampaignRoas } from './campaign-card.js';
import { campaignPlans, type CampaignSettings } from './campaign-settings.js';
import type { OptimizeOptions } from '../optimize/index.js';
import { cohortReport, type CohortReport } from './cohort-report.js';
import { pathsReport, type PathsReport } from './paths-report.js';

export { campaignCards, campaignRoas, headline, retentionAt, spendOf, type CampaignCard, type CampaignReport, type CampaignRoas, type Retention } from './campaign-card.js';
export { campaignPlans, currencyOf, type CampaignPlan, type CampaignSettings, type ConfiguredCampaign } from './campaign-settings.js';
export { CampaignInputError, DEFAULT_RETENTION_DAY, TARGET_USAGE, describeTarget, goalName, money, parseGoal, parseTarget, percent, ratio } from './campaign-target.js';
export { COHORT_WEEKS, cohortReport, weekOf, type CohortReport, type CohortRow, type CohortWeek } from './cohort-report.js';
export { LAG_BUCKETS, LENGTH_BUCKETS, TOP_PATHS, pathsReport, type PathsReport, type PathsRow } from './paths-report.js';
export { campaignsJson, cohortsJson, pathsJson, type ReportJson } from './campaign-json.js';
export { formatCampaignCard, formatCampaigns, formatCohorts, formatPaths, renderCohorts } from './format-campaigns.js';
export { importSpendCsv, parseAmount, parseSpendCsv, periodDays, setSpend, spreadEvenly, type SpendImport } from './spend.js';
export { isMemberAt } from './membership.js';

/** The campaign reports of every workspace in a store. */
export interface CampaignReports {
  cards(workspace: string, options: { period: Period; campaign?: string; model?: ModelName; now?: Date }): Promise<CampaignReport>;
  /** Per campaign: ROAS, credited conversions and revenue under every model (for hints). */
  roas(workspace: string, period: Period): Promise<CampaignRoas[]>;
  cohorts(workspace: string, options: { period: Period; by: 'week' | 'campaign'; now?: Date; weeks?: number }): Promise<CohortReport>;
  paths(workspace: string, options: { period: Period; by: PathDimension }): Promise<PathsReport>;
}

/** `settings` finds a workspace's configuration (time zone, currency, configured campaigns); unknown ones use UTC and USD. */
export function createCampaignReports(store: Store, settings: (workspace: string) => Omit<CampaignSettings, 'id'> | undefined): CampaignReports {
  const of = (workspace: string): CampaignSettings => ({ ...(settings(workspace) ?? {}), id: workspace });
  const tz = (workspace: string): string => settings(workspace)?.timezone ?? 'UTC';
  return {
    cards: (workspace, options) => campaignCards(store, of(workspace), options),
    roas: (workspace, period) => campaignRoas(store, of(workspace), period),
    cohorts: (workspace, options) => cohortReport(store, workspace, tz(workspace), options),
    paths: (workspace, options) => pathsReport(store, workspace, tz(workspace), options),
  };
}

/**
 * What hints and readiness read of campaigns (`createReports(…, optimize)`): each campaign's
 * ROAS under every model with its linear-credited conversions (the hints' ROAS rule), and the
 * planned campaigns' names (readiness's campaign-links check).
 */
export function campaignOptimizeOptions(store: Store, settings: (workspace: string) => Omit<CampaignSettings, 'id'> | undefined): Pick<OptimizeOptions, 'roas' | 'campaignNames'> {
  const reports = createCampaignReports(store, settings);
  return {
    roas: async (workspace, period) => (await reports.roas(workspace, period)).map((r) => ({ campaign: r.campaign, conversions: r.conversions.linear, roas: r.roas })),
    campaignNames: async (workspace) => [...(await campaignPlans(store, { ...(settings(workspace) ?? {}), id: workspace })).keys()],
  };
}
