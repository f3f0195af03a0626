/**
 * One owner per WhatsApp account across processes: a lease in Redis.
 *
 * A WhatsApp Web session must be driven by one browser at a time; two connector processes
 * driving the same account would fight over it (WhatsApp closes one with `CONFLICT`) and
 * record every event twice. So a process drives an account only while it holds the
 * account's lease:
 * - acquire: `SET <key> <owner> PX <ttl> NX`; the value names the owner
 *   (`<host>/<pid>/<random>`), so `GET <key>` tells an operator who drives the account;
 * - renew: every `ttl / 3`, extend the lease if it is still ours (Lua, compare-and-extend);
 * - lost: when a renewal finds the lease taken, or renewals kept failing for `2/3 ttl`
 *   (Redis unreachable: the lease is about to expire and another process may take it),
 *   the holder is told at once and must stop its client;
 * - release: on shutdown, delete the lease if it is still ours, so a standby process can
 *   take over without waiting for it to expire.
 * A process that does not get the lease stands by and tries again every `ttl / 2`; when
 * the owner dies, its lease expires within `ttl` and a standby takes the account.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { waitReady } from '../../src/queue/redis.js';

const RENEW = `-- KEYS[1]: lease key; ARGV[1]: owner token; ARGV[2]: ttl in ms.
-- Extends the lease only if this owner still holds it. Returns 1 (extended) or 0 (not ours).
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

const RELEASE = `-- KEYS[1]: lease key; ARGV[1]: owner token.
-- Deletes the lease only if this owner still holds it. Returns 1 (deleted) or 0.
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface AccountLeaseOptions {
  redis: Redis;
  /** Lease key (`whatsappAccountLeaseKey`). */
  key: string;
  /** How long a lease lives without renewal; default 30 s. */
  ttlMs?: number;
  /** Owner token; default `<host>/<pid>/<random>`. */
  owner?: string;
  now?: () => number;
}

export interface AccountLease {
  readonly key: string;
  readonly owner: string;
  /** Whether this process holds the lease now. */
  readonly held: boolean;
  /** Tries once to take the lease; true when it is ours (already held counts). */
  tryAcquire(): Promise<boolean>;
  /** Who holds the lease now (their owner token), null when nobody; throws when Redis is unreachable. */
  holder(): Promise<string | null>;
  /**
   * Waits until the lease is ours (trying every `ttl / 2`), then keeps renewing it.
   * Resolves false if `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<boolean>;
  /** Called once each time a held lease is lost (taken, or not renewable for 2/3 of its ttl). */
  onLost(listener: (reason: string) => void): void;
  /** Stops renewing and deletes the lease if it is still ours. */
  release(): Promise<void>;
}

export function createAccountLease(options: AccountLeaseOptions): AccountLease {
  const { redis, key } = options;
  const ttl = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const owner = options.owner ?? `${hostname()}/${process.pid}/${randomBytes(6).toString('hex')}`;
  const listeners: Array<(reason: string) => void> = [];
  let held = false;
  let lastRenewed = 0;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> = Promise.resolve();

  const lose = (reason: string): void => {
    if (!held) return;
    held = false;
    clearInterval(timer);
    timer = undefined;
    for (const l of listeners) l(reason);
  };

  const interval = Math.max(10, Math.floor(ttl / 3));
  const renew = async (): Promise<void> => {
    if (!held) return;
    const sent = now();
    try {
      const r = await redis.eval(RENEW, 1, key, owner, String(ttl));
      if (r === 1) lastRenewed = sent;
      else lose('the lease was taken by another process');
    } catch {
      // Redis unreachable: keep driving only while the lease surely has not expired yet
      // (two renewals missed), so the client stops before anyone else can take the account.
      if (now() - lastRenewed >= ttl - interval) lose(`the lease could not be renewed for ${now() - lastRenewed} ms of its ${ttl} ms (Redis unreachable)`);
    }
  };

  const startRenewing = (): void => {
    clearInterval(timer);
    let busy = false;
    timer = setInterval(() => {
      if (busy) return;
      busy = true;
      renewing = renew().finally(() => (busy = false));
    }, interval);
    timer.unref();
  };

  const tryAcquire = async (): Promise<boolean> => {
    if (held) return true;
    // A fail-fast connection refuses commands until it is connected: give it a moment first.
    if (redis.status !== 'ready') await waitReady(redis, Math.min(2_000, ttl)).catch(() => undefined);
    const sent = now();
    const r = await redis.set(key, owner, 'PX', ttl, 'NX').catch(() => null);
    if (r !== 'OK') return false;
    held = true;
    lastRenewed = sent;
    startRenewing();
    return true;
  };

  return {
    key,
    owner,
    get held() {
      return held;
    },
    tryAcquire,
    holder: () => redis.get(key),
    async acquire(signal) {
      while (!signal?.aborted) {
        if (await tryAcquire()) return true;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.max(10, Math.floor(ttl / 2)));
          function done(): void {
            clearTimeout(t);
            signal?.removeEventListener('abort', done);
            resolve();
          }
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      return false;
    },
    onLost(listener) {
      listeners.push(listener);
    },
    async release() {
      clearInterval(timer);
      timer = undefined;
      await renewing;
      const was = held;
      held = false;
      if (was) await redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
    },
  };
}
