/**
 * `midfunnel jobs failed` and `midfunnel jobs replay` against the real Redis and BullMQ,
 * through the CLI's own entry (`main`, configuration from the environment and a workspaces
 * file): jobs left failed by the real workers (a touch with an invalid payload,
 * dead-lettered at once; a touch whose store was down for all its attempts; a Telegram
 * update job without an update) are listed with reason and time and without their data;
 * replaying the exhausted one after the store came back records its touch once, and
 * replaying it again changes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramUpdateWorker } from '../bots/telegram/update-worker.js';
import { TelegramUpdateQueue } from '../bots/telegram/update-queue.js';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue } from '../src/queue/touch-queue.js';
import { TOUCH_JOB_OPTIONS } from '../src/queue/job-options.js';
import { touchJobId } from '../src/queue/keys.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { createProfileWorker } from '../workers/profile.worker.js';
import { BOT, TOKEN } from './support/telegram-harness.js';
import { withOutage } from './support/store-outage.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const log = createLogger('silent');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function io(env: Record<string, string>): CliIo & { out: string; err: string } {
  const c = { out: '', err: '', stdout: (t: string) => void (c.out += t), stderr: (t: string) => void (c.err += t), readFile: async () => Buffer.from(''), cwd: '/', env, isTTY: false };
  return c;
}

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function setup() {
  const prefix = uniquePrefix('jobs');
  const dir = mkdtempSync(join(tmpdir(), 'mf-jobs-'));
  const file = join(dir, 'workspaces.json');
  writeFileSync(file, JSON.stringify({ workspaces: [{ id: 'acme', telegram: { bots: [{ token: TOKEN }] } }, { id: 'other' }] }));
  const env = { REDIS_URL, QUEUE_PREFIX: prefix, MIDFUNNEL_CONFIG: file, MIDFUNNEL_STORE: 'memory' };
  const memory = createMemoryStore();
  const broken = withOutage(memory);
  const producer = createProducerConnection({ url: REDIS_URL });
  const conns = [createWorkerConnection({ url: REDIS_URL }), createWorkerConnection({ url: REDIS_URL })];
  const touches = new TouchQueue({ connection: producer, prefix });
  const updates = new TelegramUpdateQueue({ connection: producer, prefix });
  const workers: Worker[] = [
    createProfileWorker({ connection: conns[0]!, store: broken.store, locker: createMemoryLocker(), log, metrics: createMetrics(), prefix }),
    createTelegramUpdateWorker({ connection: conns[1]!, bots: new Map(), log, prefix }),
  ];
  cleanups.push(async () => {
    for (const w of workers) await w.close();
    for (const q of [touches.queue, updates.queue]) await q.obliterate({ force: true }).catch(() => undefined);
    await touches.close();
    await updates.close();
    const redis = testRedis();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
    await Promise.all([redis.quit(), producer.quit(), ...conns.map((c) => c.quit())]);
  });
  const run = async (...argv: string[]) => {
    const c = io(env);
    const code = await main(['jobs', ...argv], c);
    return { code, out: c.out, err: c.err };
  };
  return { prefix, env, memory, broken, touches, updates, run };
}

describe('midfunnel jobs', () => {
  it('lists dead-lettered and exhausted jobs without their data, and replays them idempotently', { timeout: 60_000 }, async () => {
    const { memory, broken, touches, updates, run } = await setup();
    const group = { id: '-1001', title: '团购群 Deals', type: 'group' as const };
    const good = touch({ kind: 'keyword', ref: 'm-1', at: '2026-03-01T10:00:00Z', chat: group, actor: { userId: '101' } });
    // 1. An invalid touch: dead-lettered at once (its data holds a word that must not be printed).
    await touches.queue.add('message', { touch: { ...good, id: 'bad-1', occurredAt: 'secret words' } } as never, { ...TOUCH_JOB_OPTIONS, jobId: 't.acme.bad-1' });
    // 2. A valid touch while the store is down for every attempt: exhausted (two quick attempts here).
    broken.setDown(true);
    await touches.queue.add('message', { touch: good }, { ...TOUCH_JOB_OPTIONS, jobId: touchJobId('acme', good.id), attempts: 2, backoff: { type: 'fixed', delay: 20 } });
    // 3. A Telegram update job without an update: dead-lettered, its workspace known from its bot.
    await updates.queue.add('update', { botId: BOT, update: { text: 'secret words' } } as never, { jobId: `tg.${BOT}.1` });
    await until('three failed jobs', async () => (await touches.queue.getFailedCount()) === 2 && (await updates.queue.getFailedCount()) === 1);

    const listed = await run('failed');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/queue\s+job\s+workspace\s+kind\s+attempts\s+failed at\s+reason/);
    expect(listed.out).toMatch(new RegExp(`touches\\s+t\\.acme\\.bad-1\\s+acme\\s+dead-letter\\s+1\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+invalid touch: occurredAt`));
    expect(listed.out).toMatch(new RegExp(`touches\\s+${touchJobId('acme', good.id).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s+acme\\s+exhausted\\s+2\\s+\\S+\\s+Mongo(ose|Network|ServerSelection)Error: `));
    expect(listed.out).toMatch(new RegExp(`telegram-updates\\s+tg\\.${BOT}\\.1\\s+acme\\s+dead-letter\\s+1\\s+\\S+\\s+invalid job`));
    expect(listed.out).not.toContain('secret words');

    const json = await run('failed', '--queue', 'touches', '--json');
    const rows = JSON.parse(json.out) as Array<{ id: string; kind: string; workspace: string; failedAt: string }>;
    expect(rows.map((r) => [r.id, r.kind, r.workspace]).sort()).toEqual([
      ['t.acme.bad-1', 'dead-letter', 'acme'],
      [touchJobId('acme', good.id), 'exhausted', 'acme'],
    ].sort());
    expect(rows.every((r) => !Number.isNaN(Date.parse(r.failedAt)))).toBe(true);
    expect(json.out).not.toContain('secret words');
    expect((await run('failed', '--workspace', 'other')).out).toBe('no failed jobs of workspace other\n');

    // The store is back: replaying the exhausted touch records it once.
    broken.setDown(false);
    const replay = await run('replay', touchJobId('acme', good.id));
    expect(replay).toMatchObject({ code: 0, out: `replayed ${touchJobId('acme', good.id)} (touches)\n1 job replayed\n` });
    await until('the replayed touch stored', async () => (await memory.touches.get('acme', good.id)) !== null);
    const profiles = await memory.profiles.list('acme');
    expect(profiles.map((p) => p.stats.touchCount)).toEqual([1]);
    // Replaying it again: it is no longer failed, nothing changes.
    const again = await run('replay', touchJobId('acme', good.id));
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/skipped .* \(touches\): (completed|waiting|active), not failed\n0 jobs replayed\n/);
    await new Promise((r) => setTimeout(r, 200));
    expect(await memory.touches.count('acme')).toBe(1);
    expect((await memory.profiles.list('acme')).map((p) => p.stats.touchCount)).toEqual([1]);

    // --queue Q --all: the invalid touch is tried again and dead-lettered again; nothing is stored.
    const all = await run('replay', '--queue', 'touches', '--all');
    expect(all).toMatchObject({ code: 0, out: 'replayed t.acme.bad-1 (touches)\n1 job replayed\n' });
    await until('the invalid touch failed again', async () => (await touches.queue.getFailedCount()) === 1);
    expect(await memory.touches.count('acme')).toBe(1);
    // An id that is in no queue.
    const missing = await run('replay', 'nope.1');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no job nope\.1 in any queue/);
  });

  it('answers usage errors with exit 2 and a one-line reason', async () => {
    const { run } = await setup();
    const cases: Array<[string[], RegExp]> = [
      [['failed', '--queue', 'emails'], /unknown queue 'emails'; queues: touches, telegram-updates, reconcile, community/],
      [['failed', '--workspace', 'nope'], /unknown workspace 'nope'/],
      [['replay'], /name the jobs to replay, or --queue Q --all/],
      [['replay', '--all'], /--all needs --queue Q/],
      [['replay', 'x', '--queue', 'touches', '--all'], /give job ids or --queue Q --all, not both/],
      [['purge'], /expected failed or replay/],
      [['failed', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, reason] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(reason);
      expect(r.out).toBe('');
    }
  });

  it('says plainly when Redis is not reachable (exit 1)', async () => {
    const { env } = await setup();
    const c = io({ ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await main(['jobs', 'failed'], c)).toBe(1);
    expect(c.err).toBe('midfunnel jobs: Redis is not reachable (REDIS_URL); nothing was read or changed\n');
  });
});
