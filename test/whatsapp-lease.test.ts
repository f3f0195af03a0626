/**
 * One owner per WhatsApp account across processes: connector processes (each the real account
 * runner and Redis lease, `test/support/whatsapp-lease-process.ts`) against the real Redis. The
 * account is never driven by two at once; when the owner crashes another takes over once its
 * lease expires (within the lease time plus one standby retry), and at once (well within it)
 * when the owner stops cleanly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const TTL = 2_000;
let redis: Redis;
let prefix: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  redis = testRedis();
  prefix = uniquePrefix('lease');
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await deleteKeys(redis, [`${prefix}*`]);
  await redis.quit();
});

function start(name: string): Promise<ChildProcess> {
  const c = fork(join(import.meta.dirname, 'support', 'whatsapp-lease-process.ts'), [], {
    env: { ...process.env, REDIS_URL, LEASE_PREFIX: prefix, LEASE_TTL_MS: String(TTL), PROCESS_NAME: name },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(c);
  return new Promise((resolve, reject) => {
    c.stdout?.on('data', (d: Buffer) => d.toString().includes('up') && resolve(c));
    c.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was up`)));
  });
}

interface Drive {
  name: string;
  what: 'start' | 'stop';
  at: number;
}
const drives = async (): Promise<Drive[]> =>
  (await redis.lrange(`${prefix}:drivers`, 0, -1)).map((l) => {
    const [name, what, at] = l.split(' ');
    return { name: name as string, what: what as Drive['what'], at: Number(at) };
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}
const started = (name: string) => async () => (await drives()).some((d) => d.name === name && d.what === 'start');

describe('whatsapp account lease across processes', () => {
  it('never lets two processes drive one account; a standby takes over when the owner crashes or stops', async () => {
    const a = await start('A');
    await until(started('A'));
    const b = await start('B');
    // B stands by: two lease ttls later it has not started a client, and A still holds the lease.
    await sleep(2 * TTL);
    expect((await drives()).map((d) => `${d.name} ${d.what}`)).toEqual(['A start']);
    expect(await redis.get(`${prefix}:lease:whatsapp:wa1`)).toMatch(/^A\//);

    // A crashes (SIGKILL: no release). B takes over once A's lease has expired.
    const killedAt = Date.now();
    a.kill('SIGKILL');
    await until(started('B'));
    const bStart = (await drives()).find((d) => d.name === 'B' && d.what === 'start') as Drive;
    // Not before A could have renewed for the last time (its lease runs a full ttl from then) ...
    expect(bStart.at).toBeGreaterThan(killedAt);
    // ... and within the lease time plus one standby retry (ttl / 2), with scheduling slack.
    expect(bStart.at - killedAt).toBeLessThan(TTL + TTL / 2 + 1_500);
    expect(await redis.get(`${prefix}:lease:whatsapp:wa1`)).toMatch(/^B\//);

    // C stands by; B stops cleanly (releases the lease): C takes over, after B stopped its client.
    await start('C');
    await sleep(TTL);
    expect((await drives()).some((d) => d.name === 'C')).toBe(false);
    const stoppedAt = Date.now();
    b.kill('SIGTERM');
    await until(started('C'));
    const log = await drives();
    const bStop = log.find((d) => d.name === 'B' && d.what === 'stop') as Drive;
    const cStart = log.find((d) => d.name === 'C' && d.what === 'start') as Drive;
    expect(cStart.at).toBeGreaterThanOrEqual(bStop.at);
    expect(cStart.at - stoppedAt).toBeLessThan(TTL + 1_500);
    // Driving intervals: A until its kill, B from after it until its stop, C from after that: never two at once.
    expect(log.map((d) => `${d.name} ${d.what}`)).toEqual(['A start', 'B start', 'B stop', 'C start']);
  }, 40_000);
});
