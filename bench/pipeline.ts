/**
 * Touch pipeline throughput: enqueue → BullMQ on Redis → profile worker → in-memory
 * store, against the ceiling of a bare BullMQ worker that does nothing, on the same
 * Redis, with the same jobs and concurrency, in the same run.
 */
import { Worker, type Job } from 'bullmq';
import { pathToFileURL } from 'node:url';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { touchQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue, type TouchJobData } from '../src/queue/touch-queue.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../src/touch-event.js';
import { createProfileWorker } from '../workers/profile.worker.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_PIPELINE_EVENTS ?? 20_000);
const PEOPLE = Math.max(1, Math.floor(EVENTS / 10));
const CONCURRENCY = 16;

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
        actor: { userId: String(100000 + person) },
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

async function measure(label: string, events: TouchEvent[], makeWorker: (prefix: string, onDone: (job: Job) => void) => Promise<{ close: () => Promise<void> }>): Promise<{ perSec: number; p50: number; p99: number }> {
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
  for (let i = 0; i < events.length; i += 500) await queue.enqueueMany(events.slice(i, i + 500));
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await worker.close();
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await producer.quit();
  latencies.sort((a, b) => a - b);
  return { perSec: events.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run(): Promise<void> {
  const events = makeEvents(EVENTS);
  console.log(`\n## Touch pipeline: ${EVENTS} events, ${PEOPLE} people, worker concurrency ${CONCURRENCY}, in-memory store`);
  const ceiling = await measure('noop', events, async (prefix, onDone) => {
    const conn = createWorkerConnection({ url: REDIS_URL });
    const w = new Worker(touchQueueName(prefix), async () => undefined, { connection: conn, concurrency: CONCURRENCY });
    w.on('completed', (job) => onDone(job));
    return { close: async () => { await w.close(); await conn.quit(); } };
  });
  const full = await measure('profile', events, async (prefix, onDone) => {
    const conn = createWorkerConnection({ url: REDIS_URL });
    const store = createMemoryStore();
    await store.init();
    const w = createProfileWorker({ connection: conn, store, locker: createMemoryLocker(), log: createLogger('silent'), metrics: createMetrics(), prefix, concurrency: CONCURRENCY });
    w.on('completed', (job: Job<TouchJobData>) => onDone(job));
    return { close: async () => { await w.close(); await conn.quit(); } };
  });
  const row = (name: string, r: { perSec: number; p50: number; p99: number }): string =>
    `| ${name.padEnd(34)} | ${r.perSec.toFixed(0).padStart(9)} | ${String(r.p50).padStart(8)} | ${String(r.p99).padStart(8)} |`;
  console.log('| run                                | events/s  | p50 (ms) | p99 (ms) |');
  console.log('|------------------------------------|-----------|----------|----------|');
  console.log(row('bare BullMQ no-op worker (ceiling)', ceiling));
  console.log(row('enqueue → profile worker → store', full));
  console.log(`profile pipeline reaches ${((full.perSec / ceiling.perSec) * 100).toFixed(0)}% of the no-op ceiling`);
  console.log('(latency is enqueue → processed; the whole burst is enqueued at once, so it includes queueing time)');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
