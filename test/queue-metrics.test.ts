/**
 * `/metrics` of the http role counts stalled and failed jobs per queue (from BullMQ's event
 * streams, so a stall noticed by any worker anywhere is counted), and shows the depth of the
 * Telegram update queue. A stall is made the way it happens: a worker takes a job and stops
 * renewing its lock; another worker's stall check finds it and runs it again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { touchQueueName } from '../src/queue/keys.js';
import { createWorkerConnection } from '../src/queue/redis.js';
import { signBody } from '../src/conversions/verify-signature.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function metricsUntil(base: string, pattern: RegExp, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await (await fetch(`${base}/metrics`)).text();
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last scrape:\n${text.split('\n').filter((l) => l.includes('jobs_') || l.includes('queue_depth') || l.includes('reconcile')).join('\n')}`);
}

describe('queue metrics', () => {
  it('counts a stalled job and a job failed for good on the queue it belongs to; shows the telegram update queue depth', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('qm');
    const config = loadConfig({ REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-qm-')) });
    const app: RunningRoles = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store: createMemoryStore(), metrics: createMetrics() });
    cleanups.push(async () => {
      await app.close();
      const redis = testRedis();
      await deleteKeys(redis, [`bull:${prefix}*`]);
      await redis.quit();
    });
    const base = `http://127.0.0.1:${app.address?.port}`;
    const first = await metricsUntil(base, /midfunnel_jobs_stalled_total\{queue="touches"\} 0/, 'the stalled counter');
    expect(first).toMatch(/midfunnel_jobs_failed_total\{queue="telegram-updates"\} 0/);
    expect(first).toMatch(/midfunnel_queue_depth\{queue="telegram-updates",state="waiting"\} 0/);
    expect(first).toContain('# TYPE midfunnel_command_failures_total counter');
    expect(first).toContain('# TYPE midfunnel_reconcile_outcomes_total counter');

    const name = touchQueueName(prefix);
    // Worker A takes the job by hand and never renews its one-second lock (a paused or dead worker).
    const connA = createWorkerConnection({ url: REDIS_URL });
    const a = new Worker(name, null, { connection: connA, lockDuration: 1_000 });
    cleanups.push(async () => {
      await a.close(true);
      await connA.quit();
    });
    await app.touchQueue.queue.add('stall', { touch: null as never }, { jobId: 'stall-me' });
    const taken = await a.getNextJob('token-a');
    expect(taken?.id).toBe('stall-me');

    // Worker B checks for stalled jobs twice a second; it fails the 'bad' job for good.
    const connB = createWorkerConnection({ url: REDIS_URL });
    const b = new Worker(
      name,
      async (job) => {
        if (job.name === 'bad') throw new UnrecoverableError('invalid job');
      },
      { connection: connB, stalledInterval: 500, lockDuration: 30_000 },
    );
    b.on('error', () => undefined);
    cleanups.push(async () => {
      await b.close();
      await connB.quit();
    });
    await app.touchQueue.queue.add('bad', { touch: null as never }, { jobId: 'bad-one', attempts: 1 });
    const failed = await metricsUntil(base, /midfunnel_jobs_failed_total\{queue="touches"\} 1/, 'the failed job');
    expect(failed).toMatch(/midfunnel_jobs_failed_total\{queue="reconcile"\} 0/);

    const stalled = await metricsUntil(base, /midfunnel_jobs_stalled_total\{queue="touches"\} 1/, 'the stalled job');
    expect(stalled).toMatch(/midfunnel_jobs_stalled_total\{queue="reconcile"\} 0/);
    // The stalled job ran again, on B.
    const deadline = Date.now() + 10_000;
    while ((await app.touchQueue.queue.getJobState('stall-me')) !== 'completed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await app.touchQueue.queue.getJobState('stall-me')).toBe('completed');
  });

  it('counts reconcile outcomes in the process running the reconcile worker', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('qm');
    const secret = 'qm-webhook-secret-0123456789';
    const config = loadConfig(
      { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-qm-')), MIDFUNNEL_HASH_KEY: 'qm-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json' },
      () => JSON.stringify({ workspaces: [{ id: 'acme', secret }] }),
    );
    const app: RunningRoles = await startRoles({ config, roles: ['http', 'workers'], log: createLogger('silent'), store: createMemoryStore(), metrics: createMetrics() });
    cleanups.push(async () => {
      await app.close();
      const redis = testRedis();
      await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
      await redis.quit();
    });
    const base = `http://127.0.0.1:${app.address?.port}`;
    const body = JSON.stringify({ id: 'o-1', workspace: 'acme', occurred_at: new Date().toISOString(), value: 10, currency: 'CNY', type: 'purchase', customer: { email: 'nobody@example.com' } });
    const res = await fetch(`${base}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-midfunnel-signature': signBody(secret, body, Math.floor(Date.now() / 1000)) }, body });
    expect(res.status).toBe(202);
    // Unattributed on intake (and again when the first fit or a sweep re-runs it).
    await metricsUntil(base, /midfunnel_reconcile_outcomes_total\{result="unattributed"\} [1-9]/, 'the reconcile outcome');
    expect(await (await fetch(`${base}/metrics`)).text()).not.toMatch(/midfunnel_reconcile_outcomes_total\{result="matched"\}/);
  });
});
