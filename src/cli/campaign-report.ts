/**
 * `midfunnel report campaigns|cohorts|paths --workspace W [--since P] …`: the campaign cards,
 * cohort table and paths report as text, or with `--json` exactly as the HTTP report API
 * answers them (`src/campaigns/campaign-json.ts`).
 *
 * Exit codes: 0 done; 2 bad command line (unknown option, workspace, model, dimension or period);
 * 1 the configuration or the store cannot be opened.
 */
import { MODEL_NAMES, type ModelName } from '../attribution/index.js';
import { campaignsJson, cohortsJson, createCampaignReports, formatCampaignCard, formatCampaigns, formatCohorts, formatPaths, pathsJson, type ReportJson } from '../campaigns/index.js';
import { parseWeeks } from '../campaigns/campaign-api.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import { parsePeriod, PeriodError, PERIOD_USAGE } from '../reports/period.js';
import { ReportParamError } from '../reports/report-params.js';
import { UsageError, type CliIo } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

export const CAMPAIGN_REPORTS = ['campaigns', 'cohorts', 'paths'] as const;
export type CampaignReportName = (typeof CAMPAIGN_REPORTS)[number];

export const CAMPAIGN_REPORT_USAGE =
  'usage: midfunnel report campaigns|cohorts|paths --workspace W [--since 30d] [--campaign C] [--model linear] [--by week|campaign (cohorts) | campaign|group|keyword (paths)] [--weeks 8] [--json]';

/** Runs one of the campaign reports; `argv` starts with its name. */
export async function runCampaignReport(name: CampaignReportName, argv: string[], io: CliIo, overrides: CliContextOverrides & { now?: () => Date } = {}): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    { workspace: { type: 'string' }, since: { type: 'string' }, by: { type: 'string' }, model: { type: 'string', default: 'linear' }, campaign: { type: 'string' }, weeks: { type: 'string' }, json: { type: 'boolean', default: false } },
    CAMPAIGN_REPORT_USAGE,
  );
  const v = parsed.values;
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected ${parsed.positionals.join(' ')}\n${CAMPAIGN_REPORT_USAGE}`);
  if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${CAMPAIGN_REPORT_USAGE}`);
  if (!(MODEL_NAMES as readonly string[]).includes(v.model)) throw new UsageError(`--model ${v.model}: use one of ${MODEL_NAMES.join(', ')}`);
  const byAllowed: Record<CampaignReportName, readonly string[]> = { campaigns: [], cohorts: ['week', 'campaign'], paths: ['campaign', 'group', 'keyword'] };
  if (v.by !== undefined && !byAllowed[name].includes(v.by)) throw new UsageError(`--by ${v.by}: ${name} takes ${byAllowed[name].length > 0 ? byAllowed[name].join(', ') : 'no --by'}`);
  if (v.campaign !== undefined && name !== 'campaigns') throw new UsageError('--campaign goes with report campaigns');
  let weeks: number | undefined;
  if (v.weeks !== undefined) {
    if (name !== 'cohorts') throw new UsageError('--weeks goes with report cohorts');
    try {
      weeks = parseWeeks(v.weeks);
    } catch (err) {
      if (err instanceof ReportParamError) throw new UsageError(`--weeks: ${err.message}`);
      throw err;
    }
  }
  const ctx = await openCliContext(io.env, overrides);
  try {
    const workspace = v.workspace;
    requireWorkspace(ctx.workspaces, workspace);
    const settings = ctx.workspaces.find((w) => w.id === workspace);
    const tz = settings?.timezone ?? 'UTC';
    const now = overrides.now?.() ?? new Date();
    let period;
    try {
      period = parsePeriod(v.since ?? '30d', now, tz);
    } catch (err) {
      if (err instanceof PeriodError) throw new UsageError(`--since: ${err.message} (${PERIOD_USAGE})`);
      throw err;
    }
    const reports = createCampaignReports(ctx.store, (ws) => ctx.workspaces.find((w) => w.id === ws));
    const print = (j: ReportJson, text: string): void => io.stdout(v.json ? `${JSON.stringify({ report: name, workspace, ...j.body, rows: j.rows }, null, 2)}\n` : `${text}\n`);
    if (name === 'campaigns') {
      const r = await reports.cards(workspace, { period, model: v.model as ModelName, now, ...(v.campaign !== undefined ? { campaign: v.campaign } : {}) });
      const one = v.campaign !== undefined ? r.rows[0] : undefined;
      print(campaignsJson(r), one ? formatCampaignCard(r, one, tz) : formatCampaigns(r, tz));
    } else if (name === 'cohorts') {
      const r = await reports.cohorts(workspace, { period, by: (v.by ?? 'week') as 'week' | 'campaign', now, ...(weeks !== undefined ? { weeks } : {}) });
      print(cohortsJson(r), formatCohorts(r, tz));
    } else {
      const r = await reports.paths(workspace, { period, by: (v.by ?? 'campaign') as 'campaign' | 'group' | 'keyword' });
      print(pathsJson(r), formatPaths(r, tz));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
