/**
 * Reports for the bot commands, the CLI and the HTTP report API: `createReports(store,
 * settings)` implements `ReportsApi` (see `report-types.ts`) from the counters the rollup keeps
 * (`rollup.ts`), which data landing marks dirty (`counter-marks.ts`, wired in `app/roles.ts`).
 */
import type { Store } from '../store/store.js';
import { optimizeReports, type OptimizeOptions, type OptimizeWorkspace } from '../optimize/index.js';
import { attributionReport, compareModels } from './attribution-report.js';
import { exportCredits } from './export-credits.js';
import { funnelReport } from './funnel-report.js';
import { groupStatsReport } from './group-stats.js';
import { journeyReport } from './journey-report.js';
import { referralReport } from './referral-report.js';
import type { ReportsApi } from './report-types.js';

export { ReportError, NONE_KEY, checkModel, checkDimension, rowsOfTouch } from './attribution-report.js';
export { EXPORT_COLUMNS, csvCell } from './export-credits.js';
export { findMember, JOURNEY_TOUCH_LIMIT } from './journey-report.js';
export { formatAttributionReport, formatFunnelReport, formatGroupStats, formatModelComparison } from './format-report.js';
export * from './report-types.js';
export { parsePeriod, PeriodError, PERIOD_USAGE, type Period } from './period.js';

/** The time zone of each workspace (UTC when not configured). */
export function timeZoneLookup(settings: ReportSettings): (workspace: string) => string {
  const lookup = typeof settings === 'function' ? settings : (ws: string) => settings.find((w) => w.id === ws);
  return (workspace) => lookup(workspace)?.timezone ?? 'UTC';
}

/** What reports need of a workspace's configuration: its time zone (default UTC), where its local days begin and end. */
export type ReportSettings = ReadonlyArray<{ id: string; timezone?: string; referralMinDays?: number }> | ((workspace: string) => { timezone?: string; referralMinDays?: number } | undefined);

/**
 * The reports of every workspace in `store`. `settings` is the configured workspaces
 * (`config.workspaces`) or a lookup; a workspace not found uses UTC. Use the same settings as
 * the rollup (`timeZoneLookup`), so reports read the days the counters were built in.
 */
export function createReports(store: Store, settings: ReportSettings = [], optimize: OptimizeOptions = {}): ReportsApi {
  const timeZoneOf = timeZoneLookup(settings);
  // Lift, hints and readiness read more of the configuration (keywords, bots, coupons) when given.
  const workspaceOf = typeof settings === 'function' ? (ws: string) => ({ id: ws, ...settings(ws) }) : (ws: string) => settings.find((w) => w.id === ws) as OptimizeWorkspace | undefined;
  const lookup = typeof settings === 'function' ? settings : (ws: string) => settings.find((w) => w.id === ws);
  const minDaysOf = (workspace: string): number => lookup(workspace)?.referralMinDays ?? 3;
  return {
    ...optimizeReports(store, workspaceOf, optimize),
    attribution: (workspace, options) => attributionReport(store, workspace, timeZoneOf(workspace), options),
    compareModels: (workspace, options) => compareModels(store, workspace, timeZoneOf(workspace), options),
    funnel: (workspace, options) => funnelReport(store, workspace, timeZoneOf(workspace), options),
    groupStats: (workspace, options) => groupStatsReport(store, workspace, timeZoneOf(workspace), options),
    journey: (workspace, member) => journeyReport(store, workspace, member),
    exportCredits: (workspace, options) => exportCredits(store, workspace, options),
    referrals: (workspace, options) => referralReport(store, workspace, timeZoneOf(workspace), { ...options, minDays: minDaysOf(workspace) }),
  };
}
