/**
 * `midfunnel conversions import <file.csv> …`: conversions from a shop export (see
 * `src/conversions/import-conversions.ts`), with a progress bar on a terminal and a summary:
 * accepted, duplicate, and rejected rows with their line numbers and reasons. Re-running it
 * after a stop is safe (rows already stored come back as duplicates).
 * `midfunnel conversions refit --workspace W [--period P]`: refit the data-driven models of
 * every month (or the period's months) in one job, wait for it, and print what each month did.
 * `midfunnel conversions sweep --workspace W`: queue a sweep of pending and unattributed conversions.
 *
 * Exit codes: 0 every row stored (or a duplicate); 1 some rows rejected (the summary lists
 * them; the others are stored), or the file, configuration or store cannot be used;
 * 2 bad command line.
 */
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { ImportHeaderError, importConversionsCsv, type ImportSummary } from '../conversions/import-conversions.js';
import { CSV_ENCODINGS, type CsvEncoding } from '../conversions/read-csv.js';
import { formatRefitMonths, requestRefit, RefitRequestError } from '../reconcile/fit-status.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import type { ReconcileQueue } from '../reconcile/reconcile-queue.js';
import type { RefitMonthResult } from '../reconcile/refit-month.js';
import { parsePeriod, PeriodError } from '../reports/period.js';
import { UsageError, type CliCommand, type CliIo } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

const USAGE = `usage: midfunnel conversions import FILE.csv [--workspace W] [--currency CNY] [--type purchase] [--encoding ${CSV_ENCODINGS.join('|')}] [--json]
       midfunnel conversions refit --workspace W [--period 2026-03-01..2026-05-31] [--wait SECONDS] [--json]
       midfunnel conversions sweep --workspace W`;

const HELP = `${USAGE}

import   stores the conversions of a shop's CSV export and queues them for reconciling.
         Columns: id, occurred_at, value, currency, type, phone, email, telegram_id,
         telegram_username, whatsapp, external_id, click_id (or mf_click), coupon,
         utm_source … utm_term, workspace (optional names: customer.phone, 订单号, 金额, …).
         --workspace / --currency / --type fill in for missing columns or cells.
         Times without an offset are read in the workspace's time zone. Any other column
         (names, addresses) is ignored and never stored.
         --encoding: auto (default: BOM, else UTF-8, else GBK), utf8, gbk, utf16le.
refit    refits the Markov and Shapley models of every month with conversions (or of the
         months of --period) in one job, re-credits their conversions, and prints what
         each month did. Waits up to --wait seconds (default 600; 0: queue and return).
         Months refit by themselves minutes after new data lands; use this after an import.
sweep    queues pending, unattributed and low-confidence conversions to be matched again.
`;

/**
 * A progress bar (cli-progress) on stderr when it is a terminal; nothing otherwise (logs and
 * pipes get the summary only). `stop` draws the final state and ends the line.
 */
function progressBar(io: CliIo): { update: (done: number, total: number) => void; stop: () => void } | undefined {
  if (!io.isTTY) return undefined;
  const stream = { isTTY: true, columns: 100, write: (text: string) => (io.stderr(text), true) } as unknown as NodeJS.WriteStream;
  const bar = new cliProgress.SingleBar({ stream, format: 'importing [{bar}] {value}/{total} rows', barCompleteChar: '#', barIncompleteChar: '.', barsize: 30, hideCursor: false, fps: 10 });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function summaryText(file: string, s: ImportSummary): string {
  const lines = [`${file} (${s.encoding}): ${s.rows} rows: ${s.accepted} accepted, ${s.duplicate} duplicate, ${s.rejected.length} rejected`];
  if (s.ignoredColumns.length > 0) lines.push(`ignored columns (not stored): ${s.ignoredColumns.join(', ')}`);
  for (const r of s.rejected) lines.push(`  line ${r.line}${r.id !== undefined ? ` (id ${r.id})` : ''}: ${r.reason}`);
  return `${lines.join('\n')}\n`;
}

/** `conversions refit`: queues one refit job and prints, per month, what it did. */
async function refit(q: ReconcileQueue, workspace: string, v: { period?: string | undefined; wait: string; json: boolean }, timeZone: string, now: Date, io: CliIo): Promise<number> {
  const wait = Number(v.wait);
  if (!/^\d+$/.test(v.wait) || wait > 86_400) throw new UsageError(`--wait ${v.wait}: seconds to wait, 0 to 86400`);
  let period: { from: string; to: string } | undefined;
  try {
    period = v.period === undefined ? undefined : parsePeriod(v.period, now, timeZone);
    const request = await requestRefit(q, workspace, period);
    const months = request.months ? request.months.join(', ') : 'every month with conversions';
    if (wait === 0) {
      io.stdout(v.json ? `${JSON.stringify({ queued: request.jobId, months: request.months })}\n` : `refit queued (${request.jobId}): ${months}\n`);
      return 0;
    }
    if (!v.json) io.stderr(`refit queued (${request.jobId}): ${months}; waiting for it…\n`);
    const result = await q.waitForResult<{ months: RefitMonthResult[] }>(request.jobId, wait * 1000);
    if (!result) {
      io.stderr(`the refit is still queued or running after ${wait} s (is a workers role running? midfunnel start --role workers); it goes on without this command\n`);
      return 1;
    }
    io.stdout(v.json ? `${JSON.stringify(result.months)}\n` : formatRefitMonths(result.months));
    return 0;
  } catch (err) {
    if (err instanceof PeriodError || err instanceof RefitRequestError) throw new UsageError(`--period: ${err.message}`);
    throw err;
  }
}

/** The `conversions` command; `overrides` replace configured parts (tests). */
export function makeConversionsCommand(overrides: CliContextOverrides & { now?: () => Date } = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(
      argv,
      {
        workspace: { type: 'string' },
        currency: { type: 'string' },
        type: { type: 'string' },
        encoding: { type: 'string', default: 'auto' },
        json: { type: 'boolean', default: false },
        period: { type: 'string' },
        wait: { type: 'string', default: '600' },
        help: { type: 'boolean', default: false },
      },
      USAGE,
    );
    const v = parsed.values;
    if (v.help) {
      io.stdout(HELP);
      return 0;
    }
    const [sub, ...rest] = parsed.positionals;
    if (sub === 'refit' || sub === 'sweep') {
      if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
      const ctx = await openCliContext(io.env, overrides);
      try {
        requireWorkspace(ctx.workspaces, v.workspace);
        const q = ctx.reconcileQueue();
        if (sub === 'refit' && !ctx.settings(v.workspace)) throw new UsageError(`--workspace ${v.workspace} is not a configured workspace (MIDFUNNEL_CONFIG)`);
        if (sub === 'refit') return await refit(q, v.workspace, v, ctx.settings(v.workspace)?.timezone ?? 'UTC', overrides.now?.() ?? new Date(), io);
        else {
          await q.requestSweep(v.workspace);
          io.stdout('sweep queued\n');
        }
        return 0;
      } finally {
        await ctx.close();
      }
    }
    if (sub !== 'import') throw new UsageError(`expected import, refit or sweep\n${USAGE}`);
    if (rest.length !== 1) throw new UsageError(`conversions import takes one CSV file\n${USAGE}`);
    if (!(CSV_ENCODINGS as readonly string[]).includes(v.encoding)) throw new UsageError(`--encoding ${v.encoding}: use one of ${CSV_ENCODINGS.join(', ')}`);
    const file = rest[0] as string;
    let bytes: Buffer;
    try {
      bytes = await io.readFile(resolve(io.cwd, file));
    } catch (err) {
      io.stderr(`midfunnel conversions: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
      return 1;
    }
    const ctx = await openCliContext(io.env, overrides);
    try {
      if (v.workspace !== undefined) requireWorkspace(ctx.workspaces, v.workspace);
      let enqueueFailed = false;
      const queue = (() => {
        try {
          return ctx.reconcileQueue();
        } catch {
          return undefined;
        }
      })();
      const progress = progressBar(io);
      let summary: ImportSummary;
      try {
        summary = await importConversionsCsv(
          {
            store: ctx.store,
            settings: ctx.settings,
            hashKey: ctx.hashKey,
            ...(queue
              ? {
                  enqueue: async (ws: string, ids: readonly string[], cause: string) => {
                    if (enqueueFailed) return;
                    try {
                      await queue.enqueue(ws, ids, cause);
                    } catch {
                      // Stored as pending: the service's sweep reconciles them.
                      enqueueFailed = true;
                    }
                  },
                }
              : {}),
          },
          bytes,
          {
            encoding: v.encoding as CsvEncoding,
            ...(v.workspace !== undefined ? { workspace: v.workspace } : {}),
            ...(v.currency !== undefined ? { currency: v.currency } : {}),
            ...(v.type !== undefined ? { type: v.type } : {}),
            ...(progress ? { onProgress: progress.update } : {}),
            ...(overrides.now ? { now: overrides.now } : {}),
          },
        );
      } catch (err) {
        progress?.stop();
        if (err instanceof ImportHeaderError) {
          io.stderr(`midfunnel conversions: ${file}: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
      progress?.stop();
      io.stdout(v.json ? `${JSON.stringify({ file, ...summary }, null, 2)}\n` : summaryText(file, summary));
      if (enqueueFailed) io.stderr('note: Redis did not take the reconcile jobs; the conversions are stored and the service reconciles them on its next sweep\n');
      return summary.rejected.length > 0 ? 1 : 0;
    } finally {
      await ctx.close();
    }
  };
}

export const runConversions: CliCommand = makeConversionsCommand();
