/**
 * `midfunnel readiness --workspace W [--json]`, `midfunnel lift --workspace W [--since P]
 * [--json]`, `midfunnel hints --workspace W [--since P] [--json]`: the readiness checks, keyword
 * lift and hints, the same figures as `/readiness`, `/lift`, `/hints` and the report API.
 *
 * Exit codes: 0 done (readiness: also when checks are red; `--fail-on red|amber` exits 3 then);
 * 2 bad command line; 1 the configuration or the store cannot be opened.
 */
import { campaignOptimizeOptions } from '../campaigns/index.js';
import type { Answer } from '../commands/command-types.js';
import { renderHints, renderLift, renderReadiness } from '../commands/render-optimize.js';
import type { OptimizeOptions } from '../optimize/index.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import { createReports, parsePeriod, PERIOD_USAGE, PeriodError } from '../reports/index.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

type Which = 'readiness' | 'lift' | 'hints';

const USAGE: Record<Which, string> = {
  readiness: 'usage: midfunnel readiness --workspace W [--json] [--fail-on red|amber]',
  lift: 'usage: midfunnel lift --workspace W [--since 30d] [--json]',
  hints: 'usage: midfunnel hints --workspace W [--since 30d] [--json]',
};

const HELP: Record<Which, string> = {
  readiness: 'checks per workspace, bot and group (red / amber / green) with a one-line fix each: bot admin, privacy mode, joins arriving, webhook, keywords, campaign links, conversions, match rate, cross-platform identifiers',
  lift: 'per keyword: conversion within 30 days of the first mention vs matched controls (same join campaign, week and activity decile), lift with a 95% bootstrap interval; keywords with 30+ people in both groups',
  hints: 'evidence-based statements (last click vs Markov, campaign ROAS, keyword lift, engaged groups without clicks), each with its numbers and confidence; none under 30 conversions',
};

const plain = (answers: readonly Answer[]): string => `${answers.map((a) => (a.type === 'text' ? a.text : '')).filter(Boolean).join('\n\n')}\n`;

/** One of the three commands; `overrides` replace configured parts (tests). */
export function makeOptimizeCommand(which: Which, overrides: CliContextOverrides & { now?: () => Date; optimize?: OptimizeOptions } = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(
      argv,
      {
        workspace: { type: 'string' },
        since: { type: 'string', default: '30d' },
        json: { type: 'boolean', default: false },
        'fail-on': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      USAGE[which],
    );
    const v = parsed.values;
    if (v.help) {
      io.stdout(`${USAGE[which]}\n\n  ${HELP[which]}\n\n  --since P   ${PERIOD_USAGE} (default 30d)\n`);
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'\n${USAGE[which]}`);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE[which]}`);
    const failOn = v['fail-on'];
    if (failOn !== undefined && (which !== 'readiness' || (failOn !== 'red' && failOn !== 'amber'))) throw new UsageError(`--fail-on takes red or amber (readiness only)\n${USAGE[which]}`);
    if (which === 'readiness' && argv.some((a) => a === '--since' || a.startsWith('--since='))) throw new UsageError(`readiness takes no --since: it checks now\n${USAGE[which]}`);
    const ctx = await openCliContext(io.env, overrides);
    try {
      const workspace = v.workspace;
      requireWorkspace(ctx.workspaces, workspace);
      const tz = ctx.settings(workspace)?.timezone ?? 'UTC';
      const now = overrides.now?.() ?? new Date();
      const reports = createReports(ctx.store, ctx.workspaces, { telegramApiRoot: io.env.TELEGRAM_API_ROOT?.trim() || 'https://api.telegram.org', ...campaignOptimizeOptions(ctx.store, (ws) => ctx.workspaces.find((w) => w.id === ws)), ...overrides.optimize });
      const print = (json: unknown, answers: readonly Answer[]): void => io.stdout(v.json ? `${JSON.stringify(json, null, 2)}\n` : plain(answers));
      if (which === 'readiness') {
        const r = await (reports.readiness as NonNullable<typeof reports.readiness>)(workspace);
        print(r, renderReadiness(r));
        return (failOn === 'red' && r.worst === 'red') || (failOn === 'amber' && r.worst !== 'green') ? 3 : 0;
      }
      let period;
      try {
        period = parsePeriod(v.since, now, tz);
      } catch (err) {
        if (err instanceof PeriodError) throw new UsageError(`--since: ${err.message}`);
        throw err;
      }
      if (which === 'lift') {
        const r = await (reports.lift as NonNullable<typeof reports.lift>)(workspace, { period });
        print(r, renderLift(r, { timeZone: tz }));
      } else {
        const r = await (reports.hints as NonNullable<typeof reports.hints>)(workspace, { period });
        print(r, renderHints(r, { timeZone: tz }));
      }
      return 0;
    } finally {
      await ctx.close();
    }
  };
}
