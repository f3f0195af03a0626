/**
 * A redis-server of a test's own, on a free port, that the test can restart: no periodic
 * snapshots and no append-only file (`--save '' --appendonly no`); a restart is a graceful
 * `SHUTDOWN SAVE` (one snapshot written at shutdown into the server's own folder) and a new
 * server loading it, as a Redis upgrade or a restart of the service does. Queued jobs
 * survive a restart; what a client sends while the server is down is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface OwnRedis {
  url: string;
  port: number;
  /** Graceful restart: snapshot at shutdown, down for `downMs`, then a new server loads it. */
  restart(downMs?: number): Promise<void>;
  /** How many times the server was started. */
  starts(): number;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mf-redis-'));
  let proc: ChildProcess | undefined;
  let starts = 0;
  const url = `redis://127.0.0.1:${port}`;

  const start = async (): Promise<void> => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'], { stdio: 'ignore' });
    starts++;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
    probe.disconnect();
  };

  const shutdown = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    const admin = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => undefined);
    await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    admin.disconnect();
    await exited;
  };

  await start();
  return {
    url,
    port,
    async restart(downMs = 500) {
      await shutdown();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    starts: () => starts,
    async stop() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Hands jobs stuck in `active` back to their queue (BullMQ's `Job#moveToWait` with the
 * job's lock token), as BullMQ's stalled-job check does once their lock expires: a job
 * taken from Redis just before it restarted, whose worker never got it, or a job of a
 * killed process. BullMQ waits for the lock to expire (30 s) and for its next check (every
 * 30 s); this looks every second for jobs active longer than `olderThanMs`, so a test need
 * not wait a minute per fault. With `locks`, the product's own Redis locks (profile,
 * conversion) held longer than `olderThanMs` are removed likewise, as their ttl would.
 */
export function reclaimStalledJobs(
  url: string,
  queueNames: readonly string[],
  olderThanMs: number,
  options: { everyMs?: number; locks?: { pattern: string; ttlMs: number } } = {},
): { reclaimed: () => number; runOnce: () => Promise<void>; stop: () => Promise<void> } {
  const everyMs = options.everyMs ?? 1_000;
  const r = new Redis(url, { maxRetriesPerRequest: null });
  r.on('error', () => undefined);
  const queues = queueNames.map((name) => new Queue(name, { connection: r }));
  for (const q of queues) q.on('error', () => undefined);
  let reclaimed = 0;
  let stopped = false;
  const runOnce = async (): Promise<void> => {
    for (const q of queues) {
      for (const job of await q.getActive()) {
        if (job.processedOn !== undefined && Date.now() - job.processedOn < olderThanMs) continue;
        const token = await r.get(`bull:${q.name}:${job.id}:lock`);
        try {
          await job.moveToWait(token ?? undefined);
          reclaimed++;
        } catch {
          // Finished or moved meanwhile.
        }
      }
    }
    // Profile and conversion locks whose holder died (or whose release was lost while Redis
    // was down) expire after their ttl; a lock held longer than `olderThanMs` is one of them.
    if (options.locks) {
      const { pattern, ttlMs } = options.locks;
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const left = await r.pttl(key);
          if (left > 0 && ttlMs - left > olderThanMs) {
            await r.del(key);
            reclaimed++;
          }
        }
      } while (cursor !== '0');
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await runOnce().catch(() => undefined);
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    reclaimed: () => reclaimed,
    runOnce,
    async stop() {
      stopped = true;
      await loop;
      for (const q of queues) await q.close();
      r.disconnect();
    },
  };
}
