/**
 * `midfunnel report [attribution|funnel|stats|journey|export] --workspace W --since 30d …`:
 * reports from stored credits and touches, as tables or JSON.
 *
 * Exit codes: 0 done; 2 bad command line (unknown option, model, dimension or period);
 * 1 the configuration or the store cannot be opened, or a member is unknown.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MODEL_NAMES } from '../attribution/index.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import {
  PERIOD_USAGE,
  PeriodError,
  REPORT_DIMENSIONS,
  ReportError,
  createReports,
  formatAttributionReport,
  formatFunnelReport,
  formatGroupStats,
  formatModelComparison,
  parsePeriod,
  type ReportDimension,
} from '../reports/index.js';
import { CAMPAIGN_REPORTS, runCampaignReport, type CampaignReportName } from './campaign-report.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

const USAGE =
  'usage: midfunnel report [attribution|funnel|stats|journey|export] --workspace W [--since 30d] [--by group|campaign|keyword|link|platform|referrer] [--model M|all] [--json]';

const HELP = `${USAGE}

  attribution (default)  conversions and value credited per row under --model (default
                         linear), beside last touch and the difference; match rate and
                         unattributed totals. --model all puts every model side by side.
  funnel                 joined → engaged → clicked → converted per group (--by group) or
                         campaign (--by campaign), with rates and median days to convert
  stats                  joins/leaves per campaign, active members, per-day messages and
                         keyword hits (--group CHAT_ID for one group)
  journey MEMBER         one member's touches and conversions (profile id, Telegram id or @username)
  export                 CSV of every credited touch under every model (--out FILE, default stdout)
  campaigns | cohorts | paths
                         campaign cards (CAC, ROAS per model), retention cohorts, converting
                         paths; see midfunnel report campaigns --help

  --workspace W   workspace id (required)
  --since P       ${PERIOD_USAGE} (default 30d)
  --by D          ${REPORT_DIMENSIONS.join(', ')} (default group)
  --model M       ${MODEL_NAMES.join(', ')}, or all (default linear)
  --json          print the report as JSON
`;

/** The `report` command; `overrides` replace configured parts (tests). */
export function makeReportCommand(overrides: CliContextOverrides & { now?: () => Date } = {}): CliCommand {
  return async (argv, io) => {
    const sub0 = argv[0];
    if (sub0 !== undefined && (CAMPAIGN_REPORTS as readonly string[]).includes(sub0)) return runCampaignReport(sub0 as CampaignReportName, argv.slice(1), io, overrides);
    const parsed = parseCommandLine(
      argv,
      {
        workspace: { type: 'string' },
        since: { type: 'string', default: '30d' },
        by: { type: 'string' },
        model: { type: 'string', default: 'linear' },
        group: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      USAGE,
    );
    const v = parsed.values;
    if (v.help) {
      io.stdout(HELP);
      return 0;
    }
    const [sub = 'attribution', ...rest] = parsed.positionals;
    if (!['attribution', 'funnel', 'stats', 'journey', 'export'].includes(sub)) throw new UsageError(`unknown report '${sub}'\n${USAGE}`);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
    if (sub === 'journey' && rest.length !== 1) throw new UsageError('report journey takes one member: a profile id, a Telegram user id or @username');
    const by = v.by ?? 'group';
    if (!(REPORT_DIMENSIONS as readonly string[]).includes(by)) throw new UsageError(`--by ${by}: use one of ${REPORT_DIMENSIONS.join(', ')}`);
    if (sub === 'funnel' && by !== 'group' && by !== 'campaign') throw new UsageError('report funnel --by group or --by campaign');
    if (v.model !== 'all' && !(MODEL_NAMES as readonly string[]).includes(v.model)) throw new UsageError(`--model ${v.model}: use one of ${MODEL_NAMES.join(', ')}, or all`);

    const ctx = await openCliContext(io.env, overrides);
    try {
      const workspace = v.workspace;
      requireWorkspace(ctx.workspaces, workspace);
      const tz = ctx.settings(workspace)?.timezone ?? 'UTC';
      let period;
      try {
        period = parsePeriod(v.since, overrides.now?.() ?? new Date(), tz);
      } catch (err) {
        if (err instanceof PeriodError) throw new UsageError(`--since: ${err.message}`);
        throw err;
      }
      const reports = createReports(ctx.store, ctx.workspaces);
      const print = (json: unknown, text: string): void => io.stdout(v.json ? `${JSON.stringify(json, null, 2)}\n` : text);
      try {
        switch (sub) {
          case 'attribution':
            if (v.model === 'all') {
              const r = await reports.compareModels(workspace, { period, by: by as ReportDimension });
              print(r, formatModelComparison(r));
            } else {
              const r = await reports.attribution(workspace, { period, by: by as ReportDimension, model: v.model });
              print(r, formatAttributionReport(r));
            }
            return 0;
          case 'funnel': {
            const r = await reports.funnel(workspace, { period, by: by as 'group' | 'campaign' });
            print(r, formatFunnelReport(r));
            return 0;
          }
          case 'stats': {
            const r = await reports.groupStats(workspace, { period, ...(v.group !== undefined ? { chatId: v.group } : {}) });
            print(r, formatGroupStats(r));
            return 0;
          }
          case 'journey': {
            const r = await reports.journey(workspace, rest[0] as string);
            if (!r) {
              io.stderr(`midfunnel report: no member ${rest[0]} in workspace ${workspace}\n`);
              return 1;
            }
            const lines = [
              `${r.profileId}${r.usernames.length > 0 ? ` (@${r.usernames.join(', @')})` : ''}, first seen ${r.firstSeenAt ?? '-'}`,
              ...r.touches.map((t) => `  ${t.at}  ${t.kind.padEnd(11)} ${t.platform}/${t.chatTitle ?? t.chatId}${t.campaign ? `  campaign ${t.campaign}` : ''}${t.keywords ? `  [${t.keywords.join(', ')}]` : ''}`),
              ...r.conversions.map((c) => `  ${c.at}  conversion  ${c.id} ${c.value} ${c.currency} (${c.rule})`),
            ];
            print(r, `${lines.join('\n')}\n`);
            return 0;
          }
          default: {
            const csv = await reports.exportCredits(workspace, { period });
            if (v.out !== undefined) {
              await writeFile(resolve(io.cwd, v.out), csv);
              io.stderr(`wrote ${csv.split('\r\n').length - 2} credit rows to ${v.out}\n`);
            } else io.stdout(csv);
            return 0;
          }
        }
      } catch (err) {
        if (err instanceof ReportError) throw new UsageError(err.message);
        throw err;
      }
    } finally {
      await ctx.close();
    }
  };
}

export const runReport: CliCommand = makeReportCommand();
