/**
 * `midfunnel campaigns set|list|remove`: campaign records (goal, dates, target), as `/goal` sets
 * them. `midfunnel spend import|set|list`: spend per campaign per day in the workspace currency
 * (`import FILE.csv`: `date,campaign,amount[,currency]`, each day and campaign replaced; `set
 * CAMPAIGN AMOUNT [--period P]`: spread evenly over the period's days, default today).
 *
 * Exit codes: 0 done; 1 some rows of the file were refused (they are listed with their lines;
 * the valid ones are stored), or the file, configuration or store cannot be used; 2 bad command
 * line (unknown option or workspace, bad goal, target, amount or period).
 */
import { resolve } from 'node:path';
import { CampaignInputError, describeTarget, importSpendCsv, money, parseAmount, parseGoal, parseTarget, periodDays, setSpend } from '../campaigns/index.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import { localDay, parsePeriod, PeriodError } from '../reports/period.js';
import type { CampaignRecord } from '../store/store.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

const CAMPAIGNS_USAGE = `usage: midfunnel campaigns set NAME --workspace W --goal awareness|engagement|conversion [--target 500joins|20%@d28|roas3] [--from 2026-03-01] [--to 2026-03-31]
       midfunnel campaigns list --workspace W [--json]
       midfunnel campaigns remove NAME --workspace W`;

const SPEND_USAGE = `usage: midfunnel spend import FILE.csv --workspace W [--json]      (date,campaign,amount[,currency])
       midfunnel spend set CAMPAIGN AMOUNT --workspace W [--period 2026-03-01..2026-03-10]
       midfunnel spend list --workspace W [--since 30d] [--campaign C] [--json]`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const input = <T>(f: () => T): T => {
  try {
    return f();
  } catch (err) {
    if (err instanceof CampaignInputError || err instanceof PeriodError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
};

/** The `campaigns` command; `overrides` replace configured parts (tests). */
export function makeCampaignsCommand(overrides: CliContextOverrides & { now?: () => Date } = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(argv, { workspace: { type: 'string' }, goal: { type: 'string' }, target: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, CAMPAIGNS_USAGE);
    const v = parsed.values;
    if (v.help) {
      io.stdout(`${CAMPAIGNS_USAGE}\n`);
      return 0;
    }
    const [sub, name, ...rest] = parsed.positionals;
    if (sub !== 'set' && sub !== 'list' && sub !== 'remove') throw new UsageError(CAMPAIGNS_USAGE);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${CAMPAIGNS_USAGE}`);
    if (rest.length > 0 || (sub === 'list' ? name !== undefined : name === undefined || name.length > 128)) throw new UsageError(CAMPAIGNS_USAGE);
    let record: CampaignRecord | undefined;
    const now = overrides.now?.() ?? new Date();
    if (sub === 'set') {
      if (v.goal === undefined) throw new UsageError(`campaigns set needs --goal\n${CAMPAIGNS_USAGE}`);
      const goal = input(() => parseGoal(v.goal as string));
      record = { workspace: v.workspace, name: name as string, goal, updatedBy: 'cli', updatedAt: now.toISOString() };
      if (v.target !== undefined) record.target = input(() => parseTarget(v.target as string, goal));
      if (v.from !== undefined) record.from = DAY.test(v.from) ? v.from : input(() => { throw new CampaignInputError('--from is a day like 2026-03-01'); });
      if (v.to !== undefined) record.to = DAY.test(v.to) ? v.to : input(() => { throw new CampaignInputError('--to is a day like 2026-03-31'); });
    }
    const ctx = await openCliContext(io.env, overrides);
    try {
      requireWorkspace(ctx.workspaces, v.workspace);
      const repo = ctx.store.campaigns.records;
      if (sub === 'set' && record) {
        await input(async () => repo.put(v.workspace as string, record)).catch((err: unknown) => {
          if (err instanceof RangeError) throw new UsageError(err.message);
          throw err;
        });
        io.stdout(`${record.name}: goal ${record.goal}${record.target ? `, target ${describeTarget(record.target)}` : ''}\n`);
        return 0;
      }
      if (sub === 'remove') {
        const had = await repo.remove(v.workspace, name as string);
        io.stdout(had ? `removed the goal of ${name}\n` : `${name} had no stored goal\n`);
        return 0;
      }
      const stored = await repo.list(v.workspace);
      const configured = (ctx.workspaces.find((w) => w.id === v.workspace)?.campaigns ?? []).filter((c) => !stored.some((s) => s.name === c.name));
      if (v.json) io.stdout(`${JSON.stringify({ stored, configured }, null, 2)}\n`);
      else {
        const lines = [
          ...stored.map((r) => `${r.name}  ${r.goal}${r.target ? `  target ${describeTarget(r.target)}` : ''}${r.from || r.to ? `  ${r.from ?? '…'}..${r.to ?? '…'}` : ''}  (set by ${r.updatedBy})`),
          ...configured.map((c) => `${c.name}  ${c.goal}${c.target !== undefined ? `  target ${String(c.target)}` : ''}  (configuration)`),
        ];
        io.stdout(`${lines.length > 0 ? lines.join('\n') : 'no campaign has a goal yet'}\n`);
      }
      return 0;
    } finally {
      await ctx.close();
    }
  };
}

/** The `spend` command; `overrides` replace configured parts (tests). */
export function makeSpendCommand(overrides: CliContextOverrides & { now?: () => Date } = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(argv, { workspace: { type: 'string' }, period: { type: 'string' }, since: { type: 'string' }, campaign: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, SPEND_USAGE);
    const v = parsed.values;
    if (v.help) {
      io.stdout(`${SPEND_USAGE}\n`);
      return 0;
    }
    const [sub, ...args] = parsed.positionals;
    if (sub !== 'import' && sub !== 'set' && sub !== 'list') throw new UsageError(SPEND_USAGE);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${SPEND_USAGE}`);
    if ((sub === 'import' && args.length !== 1) || (sub === 'set' && args.length !== 2) || (sub === 'list' && args.length !== 0)) throw new UsageError(SPEND_USAGE);
    const now = overrides.now?.() ?? new Date();
    const amount = sub === 'set' ? input(() => parseAmount(args[1] as string)) : 0;
    const ctx = await openCliContext(io.env, overrides);
    try {
      const workspace = v.workspace;
      requireWorkspace(ctx.workspaces, workspace);
      const settings = ctx.workspaces.find((w) => w.id === workspace);
      const tz = settings?.timezone ?? 'UTC';
      const currency = settings?.currency ?? 'USD';
      if (sub === 'import') {
        const file = args[0] as string;
        let text: string;
        try {
          text = (await io.readFile(resolve(io.cwd, file))).toString('utf8');
        } catch (err) {
          io.stderr(`midfunnel spend: cannot read ${file}: ${(err as Error).message}\n`);
          return 1;
        }
        const r = await importSpendCsv(ctx.store, text, { workspace, currency, source: 'import', at: now });
        if (v.json) io.stdout(`${JSON.stringify({ file, written: r.rows.length, lines: r.lines, errors: r.errors }, null, 2)}\n`);
        else {
          const total = r.rows.reduce((s, x) => s + x.amount, 0);
          io.stdout(`${file}: ${r.lines} rows: ${r.rows.length} day entries stored (${money(total, currency)}), ${r.errors.length} refused\n${r.errors.map((e) => `  line ${e.line}: ${e.message}`).join('\n')}${r.errors.length > 0 ? '\n' : ''}`);
        }
        return r.errors.length > 0 ? 1 : 0;
      }
      if (sub === 'set') {
        const today = localDay(now.getTime(), tz);
        const period = input(() => parsePeriod(v.period ?? `${today}..${today}`, now, tz));
        const rows = await input(() => setSpend(ctx.store, { workspace, campaign: args[0] as string, amount, currency, days: periodDays(period, tz), source: 'cli', at: now }));
        io.stdout(`${args[0]}: ${money(amount, currency)} over ${rows.length} ${rows.length === 1 ? 'day' : 'days'} (${rows[0]?.day} – ${rows[rows.length - 1]?.day})\n`);
        return 0;
      }
      const period = input(() => parsePeriod(v.since ?? '30d', now, tz));
      const days = periodDays(period, tz);
      const rows = await ctx.store.campaigns.spend.list(workspace, { from: days[0] as string, to: days[days.length - 1] as string, ...(v.campaign !== undefined ? { campaign: v.campaign } : {}) });
      if (v.json) io.stdout(`${JSON.stringify(rows.map((r) => ({ date: r.day, campaign: r.campaign, amount: r.amount, currency: r.currency, source: r.source })), null, 2)}\n`);
      else io.stdout(`${rows.length > 0 ? rows.map((r) => `${r.day}  ${r.campaign}  ${money(r.amount, r.currency)}  (${r.source})`).join('\n') : 'no spend entered in this period'}\n`);
      return 0;
    } finally {
      await ctx.close();
    }
  };
}

export const runCampaigns: CliCommand = makeCampaignsCommand();
export const runSpend: CliCommand = makeSpendCommand();
