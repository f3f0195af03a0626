/**
 * Attribution benchmark: every model on 1,000,000 generated journeys over 50 channels.
 *
 * Prints, per model, wall time and peak memory; the time to merely parse the same input as
 * JSONL (the floor); Markov at orders 1, 2 and 3; and Markov orders 1 and 3 on 250k / 500k /
 * 1M journeys with time per journey, to show it grows no worse than linearly.
 *
 * Memory: each model runs in its own child process that builds the same journeys straight
 * into a table; peak memory is that child's `process.resourceUsage().maxRSS` (resident set
 * high-water mark), printed with the RSS it had with the table loaded before the model ran.
 *
 * Run alone with `npx tsx bench/attribution.ts`, or import `run` from a bench runner.
 */
import { seededRandom } from './seeded-random.js';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JourneyTableBuilder, attribute, parseJourneysJsonl, type JourneyTable, type ModelName } from '../src/attribution/index.js';
import { buildMarkovChain, solveRemovalEffects } from '../src/attribution/markov.js';

const SEED = 20260301;
const CHANNELS = 50;
const LOOKBACK_DAYS = 30;
const FULL = 1_000_000;
const DAY_MS = 86_400_000;


type Emit = (channels: string[], times: Float64Array, count: number, conversionAt: number | null, value: number) => void;

/**
 * Generates `n` journeys: Zipf-like channel popularity, path lengths 1–10 with P(L) ∝ 0.6^L,
 * a 30% chance to stay on the previous channel, gaps of ~3 days between touches (so some
 * fall outside a 30-day lookback), and a conversion chance rising with length and with a few
 * strong channels (≈6–8% convert).
 */
function generateJourneys(n: number, emit: Emit): void {
  const rand = seededRandom(SEED);
  const names = Array.from({ length: CHANNELS }, (_, i) => `${i < 25 ? 'tg' : 'wa'}/group-${String(i).padStart(2, '0')}`);
  const cumulative = new Float64Array(CHANNELS);
  let acc = 0;
  for (let i = 0; i < CHANNELS; i++) cumulative[i] = acc += 1 / Math.pow(i + 1, 0.8);
  const pick = (): number => {
    const u = rand() * acc;
    let lo = 0;
    let hi = CHANNELS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const lengthCum: number[] = [];
  let lacc = 0;
  for (let l = 1; l <= 10; l++) lengthCum.push((lacc += Math.pow(0.6, l)));
  const chosen: string[] = new Array<string>(10);
  const ids = new Int32Array(10);
  const times = new Float64Array(10);
  const start = Date.UTC(2026, 0, 1);
  for (let j = 0; j < n; j++) {
    const u = rand() * lacc;
    let len = 1;
    while ((lengthCum[len - 1] as number) < u) len++;
    let lift = 0;
    for (let i = 0; i < len; i++) {
      const c = i > 0 && rand() < 0.3 ? (ids[i - 1] as number) : pick();
      ids[i] = c;
      chosen[i] = names[c] as string;
      if (c % 7 === 3) lift += 0.02;
    }
    const end = start + Math.floor(rand() * 90 * DAY_MS / 1000) * 1000;
    let t = end;
    for (let i = len - 1; i >= 0; i--) {
      t -= Math.floor((-Math.log(1 - rand()) * 3 * DAY_MS) / 1000) * 1000;
      times[i] = t;
    }
    const converts = rand() < Math.min(0.6, 0.02 + 0.01 * len + lift);
    const value = converts ? Math.round((10 + 190 * rand() * rand()) * 100) / 100 : 0;
    emit(chosen, times, len, converts ? end : null, value);
  }
}

function generateJsonl(n: number): string {
  const lines: string[] = [];
  generateJourneys(n, (channels, times, count, conversionAt, value) => {
    const touches: string[] = [];
    for (let i = 0; i < count; i++) touches.push(`{"channel":"${channels[i]}","at":"${new Date(times[i] as number).toISOString()}"}`);
    const conv = conversionAt === null ? 'null' : `{"at":"${new Date(conversionAt).toISOString()}","value":${value}}`;
    lines.push(`{"touches":[${touches.join(',')}],"conversion":${conv}}`);
  });
  return lines.join('\n') + '\n';
}

/** The benchmark journeys (first `n` of the seeded stream) built straight into a table. */
export function buildTable(n: number): JourneyTable {
  const builder = new JourneyTableBuilder('journeys', { lookbackDays: LOOKBACK_DAYS });
  generateJourneys(n, (channels, times, count, conversionAt, value) => builder.addJourneyArrays(channels, times, count, conversionAt, value));
  return builder.build();
}

interface ChildReport {
  readonly model: string;
  readonly order: number;
  readonly journeys: number;
  readonly ms: number;
  readonly buildMs?: number;
  readonly solveMs?: number;
  readonly states?: number;
  readonly transitions?: number;
  readonly rssWithTableMb: number;
  /** maxRSS before the model ran (building the table) and after. */
  readonly peakBeforeMb: number;
  readonly peakRssMb: number;
}

/** Child process: build the table, run one model, print one JSON line. */
async function runChild(model: string, order: number, n: number): Promise<void> {
  const table = buildTable(n);
  (globalThis as { gc?: () => void }).gc?.();
  const rssWithTableMb = process.memoryUsage().rss / 2 ** 20;
  const peakBeforeMb = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  let extra: Partial<ChildReport> = {};
  if (model === 'markov') {
    const chain = buildMarkovChain(table, order);
    const t1 = performance.now();
    solveRemovalEffects(chain);
    const t2 = performance.now();
    extra = { buildMs: t1 - t0, solveMs: t2 - t1, states: chain.stateCount - 1, transitions: chain.edgeTo.length };
  } else {
    attribute(table, { models: [model as ModelName], order });
  }
  const ms = performance.now() - t0;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const report: ChildReport = { model, order, journeys: n, ms, rssWithTableMb, peakBeforeMb, peakRssMb, ...extra };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function spawnChild(model: string, order: number, n: number): ChildReport {
  const here = fileURLToPath(import.meta.url);
  const root = join(dirname(here), '..');
  const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', here, '--child', model, String(order), String(n)], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(`bench child ${model} failed (${res.status}): ${res.stderr}`);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildReport;
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  console.log(`attribution bench: ${fmt(FULL)} journeys, ${CHANNELS} channels, seed ${SEED}, lookback ${LOOKBACK_DAYS}d`);
  let t = performance.now();
  let text: string | null = generateJsonl(FULL);
  console.log(`  generated JSONL: ${fmt(text.length / 2 ** 20, 1)} MiB in ${fmt((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  const parsed = parseJourneysJsonl(text, { lookbackDays: LOOKBACK_DAYS });
  const parseMs = performance.now() - t;
  text = null;
  if (!parsed.ok) throw new Error(`bench input did not parse: line ${parsed.line}: ${parsed.message}`);
  const table = parsed.table;
  let conversions = 0;
  for (let r = 0; r < table.rowCount; r++) conversions += table.conversions[r] as number;
  console.log(
    `  parse floor (parseJourneysJsonl): ${fmt(parseMs)} ms = ${fmt((parseMs * 1000) / FULL, 2)} µs/journey` +
      `  [${fmt(table.rowCount)} rows, ${fmt(table.touchChannel.length)} touches kept, ${fmt(conversions)} conversions = ${fmt((100 * conversions) / FULL, 1)}%]`,
  );
  console.log('');
  console.log('  per model, each in its own child process that first builds the same 1M journeys into a table.');
  console.log('  peak = the child\'s process.resourceUsage().maxRSS after the model; "table" = RSS with the table loaded');
  console.log('  (after GC) just before the model ran; "+model" = how far the model pushed maxRSS above its level before.');
  const jobs: Array<[string, number]> = [
    ['first_touch', 1],
    ['last_touch', 1],
    ['linear', 1],
    ['position_based', 1],
    ['time_decay', 1],
    ['shapley', 1],
    ['markov', 1],
    ['markov', 2],
    ['markov', 3],
  ];
  const markovByOrder = new Map<number, ChildReport>();
  for (const [model, order] of jobs) {
    const r = spawnChild(model, order, FULL);
    if (model === 'markov') markovByOrder.set(order, r);
    const name = model === 'markov' ? `markov order ${order}` : model;
    const detail =
      model === 'markov'
        ? `  (chain build ${fmt(r.buildMs ?? 0)} ms, solve ${fmt(r.solveMs ?? 0)} ms; ${fmt(r.states ?? 0)} states, ${fmt(r.transitions ?? 0)} transitions)`
        : '';
    console.log(
      `    ${name.padEnd(16)} ${fmt(r.ms).padStart(7)} ms   peak ${fmt(r.peakRssMb).padStart(4)} MiB  table ${fmt(r.rssWithTableMb).padStart(4)} MiB  +model ${fmt(r.peakRssMb - r.peakBeforeMb).padStart(3)} MiB${detail}`,
    );
  }
  console.log('');
  console.log('  markov scaling: the chain is built in one pass (time per journey flat); the solve depends on');
  console.log('  the number of states and transitions only, which stop growing once the data covers them:');
  for (const order of [1, 3]) {
    for (const n of [250_000, 500_000, FULL]) {
      const r = n === FULL ? (markovByOrder.get(order) as ChildReport) : spawnChild('markov', order, n);
      console.log(
        `    order ${order} ${fmt(n).padStart(9)} journeys: ${fmt(r.ms).padStart(5)} ms = ${fmt((r.ms * 1000) / n, 3)} µs/journey` +
          `  (build ${fmt(((r.buildMs ?? 0) * 1000) / n, 3)} µs/journey; solve ${fmt(r.solveMs ?? 0)} ms for ${fmt(r.states ?? 0)} states, ${fmt(r.transitions ?? 0)} transitions)`,
      );
    }
  }
}

const argv = process.argv;
if (import.meta.url === pathToFileURL(argv[1] ?? '').href) {
  const job = argv[2] === '--child' ? runChild(argv[3] as string, Number(argv[4]), Number(argv[5])) : run();
  job.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
