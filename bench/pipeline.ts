/**
 * Touch pipeline throughput: enqueue → BullMQ on Redis → profile worker → in-memory store,
 * against the ceiling of a bare BullMQ worker that does nothing, on the same Redis, with the
 * same jobs and concurrency, in the same run.
 *
 * The profile worker runs as `app/roles.ts` sets it up: Redis profile locks (taken only on the
 * locked path), the opt-out check against the Redis version key, concurrent store calls
 * batched, and the touch trigger on every processed touch (with a real reconcile queue). The
 * store underneath counts every call that reaches it (`src/store/count-calls.ts`): each is one
 * round trip to MongoDB with the MongoDB adapter, so "store round trips per touch" is what a
 * touch costs the database.
 */
import { Worker, type Job } from 'bullmq';
import { pathToFileURL } from 'node:url';
import { createRedisLocker, type Locker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { touchQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue, type TouchJobData } from '../src/queue/touch-queue.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { makeTouchTrigger } from '../src/reconcile/touch-trigger.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { batchStoreCalls } from '../src/store/batch-calls.js';
import { countStoreCalls } from '../src/store/count-calls.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../src/touch-event.js';
import { createProfileWorker, isRecorded } from '../workers/profile.worker.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_PIPELINE_EVENTS ?? 20_000);
const PEOPLE = Math.max(1, Math.floor(EVENTS / 10));
const CONCURRENCY = 16;
const ROUNDS = Math.max(1, Number(process.env.BENCH_PIPELINE_ROUNDS ?? 5));

function makeEvents(n: number): TouchEvent[] {
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const kinds = ['message', 'message', 'message', 'keyword', 'mention', 'join', 'link_posted'] as const;
  // keyword, mention and link_posted are messages with that facet: one touch each.
  const out: TouchEvent[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kinds[Math.floor(rnd() * kinds.length)] ?? 'message';
    const person = Math.floor(rnd() * PEOPLE);
    const details =
      kind === 'keyword' ? { keywords: ['price'] } : kind === 'mention' ? { mentioned: ['shop'] } : kind === 'join' ? { via: 'public' } : kind === 'link_posted' ? { urls: ['https://x.example/'] } : {};
    const stored = kind === 'join' ? 'join' : 'message';
    out.push(
      parseTouchEvent({
        id: makeTouchId('telegram', 'bench', i),
        workspace: 'bench',
        platform: 'telegram',
        account: 'bot',
        chat: { id: `-100${person % 20}`, title: `群 ${person % 20}`, type: 'group' },
        actor: { userId: String(100000 + person), username: `user${person}` },
        kind: stored,
        details,
        occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      }),
    );
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Measured {
  perSec: number;
  p50: number;
  p99: number;
  /** CPU time of this process (worker and producer) per event, µs. */
  cpuUs: number;
}

async function measure(label: string, events: TouchEvent[], makeWorker: (prefix: string, onDone: (job: Job) => void) => Promise<{ close: () => Promise<void> }>): Promise<Measured> {
  const prefix = `bench-${label}-${process.pid}`;
  const producer = createProducerConnection({ url: REDIS_URL });
  const queue = new TouchQueue({ connection: producer, prefix });
  await queue.queue.obliterate({ force: true }).catch(() => undefined);
  const latencies: number[] = [];
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const worker = await makeWorker(prefix, (job) => {
    latencies.push(Date.now() - job.timestamp);
    if (++done === events.length) finish();
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < events.length; i += 500) await queue.enqueueMany(events.slice(i, i + 500));
  await finished;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await worker.close();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await producer.quit();
  latencies.sort((a, b) => a - b);
  return { perSec: events.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuUs: (cpu.user + cpu.system) / events.length };
}

interface PipelineRun extends Measured {
  calls: Record<string, number>;
  total: number;
  lockSections: number;
  batches: ReturnType<ReturnType<typeof batchStoreCalls>['batches']>;
}

/** One run of the production-shaped profile worker on a fresh store. */
async function measurePipeline(round: number, events: TouchEvent[]): Promise<PipelineRun> {
  const base = createMemoryStore();
  await base.init();
  const counted = countStoreCalls(base);
  const batching = batchStoreCalls(counted.store);
  let lockSections = 0;
  const measured = await measure(`profile${round}`, events, async (prefix, onDone) => {
    const conn = createWorkerConnection({ url: REDIS_URL });
    const redis = createProducerConnection({ url: REDIS_URL });
    const reconcileQueue = new ReconcileQueue({ connection: redis, prefix });
    const redisLocker = createRedisLocker(redis);
    const locker: Locker = {
      withLocks: (keys, fn) => {
        lockSections++;
        return redisLocker.withLocks(keys, fn);
      },
    };
    const log = createLogger('silent');
    // As app/roles.ts wires it: every applied touch may re-reconcile the person's conversions.
    const trigger = makeTouchTrigger({ store: counted.store, settings: settingsLookup([]), enqueue: (ws, ids, cause) => reconcileQueue.enqueue(ws, ids, cause), log });
    const w = createProfileWorker({
      connection: conn,
      store: batching.store,
      batch: false,
      redis,
      locker,
      log,
      metrics: createMetrics(),
      prefix,
      concurrency: CONCURRENCY,
      onProcessed: (result, job) => {
        if (isRecorded(result)) void trigger(result, job.data.touch);
      },
    });
    w.on('completed', (job: Job<TouchJobData>) => onDone(job));
    return {
      close: async () => {
        await w.close();
        await reconcileQueue.queue.obliterate({ force: true });
        await reconcileQueue.close();
        await Promise.all([conn.quit(), redis.quit()]);
      },
    };
  });
  await base.close();
  return { ...measured, calls: counted.counts(), total: counted.total(), lockSections, batches: batching.batches() };
}

export async function run(): Promise<void> {
  const events = makeEvents(EVENTS);
  console.log(`\n## Touch pipeline: ${EVENTS} events, ${PEOPLE} people, worker concurrency ${CONCURRENCY}, in-memory store, ${ROUNDS} alternating rounds`);
  const ceilings: Measured[] = [];
  const pipelines: PipelineRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    ceilings.push(
      await measure(`noop${round}`, events, async (prefix, onDone) => {
        const conn = createWorkerConnection({ url: REDIS_URL });
        const w = new Worker(touchQueueName(prefix), async () => undefined, { connection: conn, concurrency: CONCURRENCY });
        w.on('completed', (job) => onDone(job));
        return { close: async () => { await w.close(); await conn.quit(); } };
      }),
    );
    pipelines.push(await measurePipeline(round, events));
    const c = ceilings[round - 1] as Measured;
    const p = pipelines[round - 1] as PipelineRun;
    console.log(`round ${round}: no-op ${c.perSec.toFixed(0)}/s (${c.cpuUs.toFixed(0)} µs CPU/event), pipeline ${p.perSec.toFixed(0)}/s (${p.cpuUs.toFixed(0)} µs CPU/event): ${(p.perSec / c.perSec).toFixed(2)}×`);
  }
  // Rounds pair a no-op run with the pipeline run right after it, so both saw the same machine;
  // the round with the median ratio is reported.
  const order = ceilings.map((_, i) => i).sort((a, b) => (pipelines[a] as PipelineRun).perSec / (ceilings[a] as Measured).perSec - (pipelines[b] as PipelineRun).perSec / (ceilings[b] as Measured).perSec);
  const mid = order[Math.floor(order.length / 2)] ?? 0;
  const ceiling = ceilings[mid] as Measured;
  const full = pipelines[mid] as PipelineRun;
  const row = (name: string, r: Measured): string =>
    `| ${name.padEnd(34)} | ${r.perSec.toFixed(0).padStart(9)} | ${String(r.p50).padStart(8)} | ${String(r.p99).padStart(8)} |`;
  console.log(`Round ${mid + 1}, the median ratio:`);
  console.log('| run                                | events/s  | p50 (ms) | p99 (ms) |');
  console.log('|------------------------------------|-----------|----------|----------|');
  console.log(row('bare BullMQ no-op worker (ceiling)', ceiling));
  console.log(row('enqueue → profile worker → store', full));
  console.log(`profile pipeline: ${(full.perSec / ceiling.perSec).toFixed(2)}× the no-op ceiling`);
  console.log('(latency is enqueue → processed; the whole burst is enqueued at once, so it includes queueing time)');
  console.log(`store round trips per touch: ${(full.total / EVENTS).toFixed(2)} (${full.total} calls reached the store for ${EVENTS} touches; each is one MongoDB operation, except a claim that finds an identifier owned already, which reads the owners back); profile lock sections: ${(full.lockSections / EVENTS).toFixed(3)} per touch`);
  console.log('| store method | calls | per touch |');
  console.log('|---|---|---|');
  for (const [name, n] of Object.entries(full.calls).sort(([, a], [, b]) => b - a)) console.log(`| ${name} | ${n} | ${(n / EVENTS).toFixed(3)} |`);
  console.log(
    `calls per batched round trip: ${Object.entries(full.batches)
      .map(([name, b]) => `${name} ${b.batches > 0 ? (b.calls / b.batches).toFixed(1) : '-'}`)
      .join(', ')}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
