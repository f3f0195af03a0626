/**
 * The one job outcome (`src/queue/outcome.ts`) mapped to BullMQ, on the real Redis: `ok`
 * and `drop` complete, `retry` and unknown thrown errors retry with the queue's backoff,
 * `dlq` fails at once (UnrecoverableError) with the data redacted, and a job out of
 * attempts stays failed with its data redacted too.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { dlq, drop, failedKind, InvalidPayloadError, ok, outcomeOfError, processWithOutcome, retry, type JobOutcome } from '../src/queue/outcome.js';
import { createWorkerConnection } from '../src/queue/redis.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

interface Data {
  text: string;
  plan: string[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(plans: Record<string, { plan: string[]; attempts?: number }>) {
  const name = uniquePrefix('outcome');
  const conn = createWorkerConnection({ url: REDIS_URL });
  const queue = new Queue<Data>(name, { connection: conn });
  const seen: Array<[string, string]> = [];
  // Each attempt plays the next step of the job's plan.
  const step = async (job: Job<Data>): Promise<JobOutcome<string>> => {
    const what = job.data.plan[job.attemptsMade] ?? 'ok';
    switch (what) {
      case 'ok':
        return ok(`done after ${job.attemptsMade + 1}`);
      case 'drop':
        return drop('nothing to do');
      case 'retry':
        return retry('store unreachable');
      case 'dlq':
        return dlq('invalid payload: no update_id');
      case 'throw':
        throw new TypeError('Cannot read properties of null');
      case 'invalid':
        throw new InvalidPayloadError('touch.id missing');
      default:
        throw new Error(`unknown plan step ${what}`);
    }
  };
  const worker = new Worker<Data>(
    name,
    processWithOutcome(step, {
      redact: (d) => ({ ...d, text: `[redacted: ${d.text.length} chars]` }),
      onOutcome: (o, job) => seen.push([String(job.id), o.kind]),
    }),
    { connection: createWorkerConnection({ url: REDIS_URL }) },
  );
  cleanups.push(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await conn.quit();
    const r = testRedis();
    await deleteKeys(r, [`bull:${name}*`]);
    await r.quit();
  });
  for (const [id, p] of Object.entries(plans)) {
    await queue.add('job', { text: 'what people wrote', plan: p.plan }, { jobId: id, attempts: p.attempts ?? 3, backoff: { type: 'fixed', delay: 10 } });
  }
  const ids = Object.keys(plans);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const states = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.getState()));
    if (states.every((s) => s === 'completed' || s === 'failed')) break;
    if (Date.now() > deadline) throw new Error(`jobs did not finish: ${states.join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const jobs = new Map(await Promise.all(ids.map(async (id) => [id, (await queue.getJob(id)) as Job<Data>] as const)));
  return { jobs, seen };
}

describe('job outcomes mapped to BullMQ', () => {
  it('ok and drop complete; retry and unknown errors retry with backoff; dlq and exhausted jobs stay failed, redacted', async () => {
    const { jobs, seen } = await run({
      ok: { plan: ['ok'] },
      drop: { plan: ['drop'] },
      retried: { plan: ['retry', 'throw', 'ok'] },
      dlq: { plan: ['dlq'] },
      invalid: { plan: ['invalid'] },
      exhausted: { plan: ['retry', 'throw', 'retry'], attempts: 3 },
    });
    const ok1 = jobs.get('ok');
    expect(await ok1?.getState()).toBe('completed');
    expect(ok1?.returnvalue).toEqual({ status: 'ok', value: 'done after 1' });
    expect(jobs.get('drop')?.returnvalue).toEqual({ status: 'dropped', reason: 'nothing to do' });
    // A retry outcome and an unknown error both came back; the third attempt succeeded, data intact.
    const retried = jobs.get('retried');
    expect(await retried?.getState()).toBe('completed');
    expect(retried?.returnvalue).toEqual({ status: 'ok', value: 'done after 3' });
    expect(retried?.data.text).toBe('what people wrote');
    expect(seen.filter(([id]) => id === 'retried').map(([, k]) => k)).toEqual(['retry', 'retry', 'ok']);
    // dlq: failed after one attempt of three, kept redacted, listed as dead-lettered.
    for (const id of ['dlq', 'invalid']) {
      const j = jobs.get(id);
      expect(await j?.getState()).toBe('failed');
      expect(j?.attemptsMade).toBe(1);
      expect(j?.data.text).toBe('[redacted: 17 chars]');
      expect(failedKind(j as Job)).toBe('dead-letter');
    }
    expect(jobs.get('dlq')?.failedReason).toBe('invalid payload: no update_id');
    expect(jobs.get('invalid')?.failedReason).toBe('invalid payload: touch.id missing');
    // Exhausted: every attempt made, then kept failed and redacted.
    const exhausted = jobs.get('exhausted');
    expect(await exhausted?.getState()).toBe('failed');
    expect(exhausted?.attemptsMade).toBe(3);
    expect(exhausted?.failedReason).toBe('store unreachable');
    expect(exhausted?.data.text).toBe('[redacted: 17 chars]');
    expect(failedKind(exhausted as Job)).toBe('exhausted');
  });

  it('classifies thrown errors: only InvalidPayloadError is dead-lettered, anything else retries', () => {
    expect(outcomeOfError(new InvalidPayloadError('bad')).kind).toBe('dlq');
    for (const err of [new TypeError('x'), Object.assign(new Error('down'), { name: 'MongoServerSelectionError' }), 'a string', null]) expect(outcomeOfError(err).kind).toBe('retry');
  });
});
