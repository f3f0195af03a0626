/**
 * `midfunnel attribute --input FILE …`: credits conversions to channels under every model,
 * from aggregated paths (.csv) or journeys (.jsonl), as an aligned table or JSON.
 *
 * Exit codes: 0 done; 2 bad command line (unknown option or model, bad --order, duration or
 * weights, wrong file extension, a time-based model asked for on CSV); 1 the file cannot be
 * read or has a bad line (the message names the line and what is wrong). Never throws.
 */
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  MODEL_NAMES,
  NO_TIMES_REASON,
  TIME_MODELS,
  attribute,
  formatAttributionTable,
  isModelName,
  parseJourneysJsonl,
  parsePathsCsv,
  type ModelName,
} from '../attribution/index.js';
import { UsageError, type CliCommand } from './io.js';

const USAGE =
  'usage: midfunnel attribute --input FILE [--model all|NAME[,NAME…]] [--order K] [--half-life 7d] [--lookback 30d] [--position 40,20,40] [--json]';

const HELP = `${USAGE}

Credits conversions and their value to channels under each attribution model.

  --input FILE       .csv aggregated paths (columns path, total_conversions, optional
                     total_conversion_value, total_null; channels separated by ">"), or
                     .jsonl journeys, one per line:
                     {"touches":[{"channel":"tg/deals","at":"2026-03-01T10:00:00Z"}],
                      "conversion":{"at":"2026-03-02T09:00:00Z","value":12.5}}  (or null)
  --model LIST       all (default) or a comma list of: ${MODEL_NAMES.join(', ')}
  --order K          markov chain order, a positive integer (default 1)
  --half-life D      time_decay half-life, e.g. 7d, 12h, 30m (default 7d)
  --lookback D       jsonl only: drop touches more than D before the conversion (default: no
                     window); journeys that did not convert keep all their touches
  --position F,M,L   position_based weights for first, middle, last touches (default 40,20,40)
  --json             print {"total":…,"models":…,"notes":…} instead of the table

CSV has no times, so time_decay is left out of --model all and refused when named.
Each CSV row counts as total_conversions + total_null journeys.
`;

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(d|h|m)$/;
const UNIT_DAYS: Record<string, number> = { d: 1, h: 1 / 24, m: 1 / 1440 };

/** Parses `7d` / `12h` / `30m` (decimals allowed) to days. */
function parseDurationDays(flag: string, text: string): number {
  const m = DURATION.exec(text.trim());
  if (m === null) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration like 7d, 12h or 30m`);
  const days = Number(m[1]) * (UNIT_DAYS[m[2] as string] as number);
  if (!(days > 0)) throw new UsageError(`${flag} ${JSON.stringify(text)}: must be longer than zero`);
  return days;
}

function parseModels(text: string): ModelName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...MODEL_NAMES];
  if (names.length === 0) throw new UsageError(`--model: expected all or a comma list of ${MODEL_NAMES.join(', ')}`);
  for (const name of names) {
    if (!isModelName(name)) {
      throw new UsageError(`unknown model ${JSON.stringify(name)} (expected all or one or more of ${MODEL_NAMES.join(', ')})`);
    }
  }
  return MODEL_NAMES.filter((m) => names.includes(m));
}

function parseOrder(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`--order ${JSON.stringify(text)}: expected a positive integer (1, 2, 3…)`);
  return Number(text);
}

function parsePosition(text: string): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map((s) => (/^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : NaN));
  if (nums.length !== 3 || nums.some((n) => !Number.isFinite(n)) || !(nums[0]! + nums[1]! + nums[2]! > 0)) {
    throw new UsageError(`--position ${JSON.stringify(text)}: expected three non-negative weights first,middle,last like 40,20,40`);
  }
  return nums as [number, number, number];
}

interface AttributeArgs {
  readonly input: string;
  readonly format: 'csv' | 'jsonl';
  readonly models: ModelName[];
  readonly modelsNamed: boolean;
  readonly order: number;
  readonly halfLifeDays: number | undefined;
  readonly lookbackDays: number | undefined;
  readonly positionWeights: [number, number, number] | undefined;
  readonly json: boolean;
}

function parseCommandLine(argv: string[]): AttributeArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: 'string', short: 'i' },
        model: { type: 'string', short: 'm' },
        order: { type: 'string' },
        'half-life': { type: 'string' },
        lookback: { type: 'string' },
        position: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help === true) return 'help';
  if (v.input === undefined || v.input.trim() === '') throw new UsageError('--input FILE is required (a .csv or .jsonl file)');
  const ext = extname(v.input).toLowerCase();
  const format = ext === '.csv' ? 'csv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : null;
  if (format === null) throw new UsageError(`--input ${JSON.stringify(v.input)}: expected a .csv (aggregated paths) or .jsonl (journeys) file`);
  const modelText = v.model ?? 'all';
  return {
    input: v.input,
    format,
    models: parseModels(modelText),
    modelsNamed: modelText.trim() !== 'all',
    order: v.order === undefined ? 1 : parseOrder(v.order),
    halfLifeDays: v['half-life'] === undefined ? undefined : parseDurationDays('--half-life', v['half-life']),
    lookbackDays: v.lookback === undefined ? undefined : parseDurationDays('--lookback', v.lookback),
    positionWeights: v.position === undefined ? undefined : parsePosition(v.position),
    json: v.json === true,
  };
}

/** `midfunnel attribute`: see the module header and `--help`. */
export const runAttribute: CliCommand = async (argv, io) => {
  const fail = (code: number, message: string): number => {
    io.stderr(`midfunnel attribute: ${message}\n`);
    return code;
  };
  try {
    let args: AttributeArgs | 'help';
    try {
      args = parseCommandLine(argv);
    } catch (err) {
      if (err instanceof UsageError) return fail(2, `${err.message} (see midfunnel attribute --help)`);
      throw err;
    }
    if (args === 'help') {
      io.stdout(HELP);
      return 0;
    }
    if (args.format === 'csv' && args.modelsNamed) {
      const timed = args.models.filter((m) => TIME_MODELS.has(m));
      if (timed.length > 0) {
        return fail(2, `${timed.join(', ')} ${NO_TIMES_REASON}; use a .jsonl journeys file or leave ${timed.join(', ')} out`);
      }
    }

    let text: string;
    try {
      text = (await io.readFile(resolve(io.cwd, args.input))).toString('utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : err instanceof Error ? err.message : String(err);
      return fail(1, `cannot read ${args.input}: ${why}`);
    }

    const parsed = args.format === 'csv' ? parsePathsCsv(text) : parseJourneysJsonl(text, { lookbackDays: args.lookbackDays });
    if (!parsed.ok) return fail(1, `${args.input} line ${parsed.line}: ${parsed.message}`);

    const extraNotes: string[] = [];
    if (args.format === 'csv' && args.lookbackDays !== undefined) extraNotes.push('--lookback ignored: aggregated paths have no times');
    // The table compares every model with last_touch, so compute it even when not asked for.
    const computed = args.json || args.models.includes('last_touch') ? args.models : [...args.models, 'last_touch' as const];
    const result = attribute(parsed.table, {
      models: computed,
      order: args.order,
      halfLifeDays: args.halfLifeDays,
      positionWeights: args.positionWeights,
    });
    const notes = [...extraNotes, ...result.notes];

    if (args.json) {
      const models: Record<string, unknown> = {};
      for (const m of args.models) if (result.models[m] !== undefined) models[m] = result.models[m];
      io.stdout(JSON.stringify({ total: result.total, models, notes }) + '\n');
    } else {
      io.stdout(formatAttributionTable({ ...result, notes }, { baseline: 'last_touch' }));
    }
    return 0;
  } catch (err) {
    return fail(1, err instanceof Error ? err.message : String(err));
  }
};
