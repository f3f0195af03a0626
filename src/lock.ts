/**
 * Mutual exclusion for profile and conversion writes. Identity resolution reads several
 * profiles and may merge them; holding the locks of every profile involved (acquired in sorted
 * order, so two workers can never deadlock) makes that read-modify-write safe.
 * - `createRedisLocker`: across processes (what production uses). Held locks are extended
 *   while the work runs, as BullMQ extends its job locks, so slow work keeps its lock; work
 *   that was paused past the TTL (a stopped process, a long GC) finds out through its lease
 *   (`check()` rejects with LockLostError) and writes that must not land late are fenced in the
 *   store as well (see `ProfileRepo.fence`).
 * - `createMemoryLocker`: inside one process (the in-memory store's companion).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What the work running under locks can ask about them. */
export interface Lease {
  /** True once an extension found a lock taken over (its TTL ran out). */
  readonly lost: boolean;
  /** Resolves while every lock is still held (and extends them); rejects with LockLostError otherwise. */
  check(): Promise<void>;
}

export interface Locker {
  /** Runs `fn` while holding every lock in `keys`; releases them whatever happens. */
  withLocks<T>(keys: readonly string[], fn: (lease: Lease) => Promise<T>): Promise<T>;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

/** A held lock ran out before the work under it finished; the work must not write on (it is retried). */
export class LockLostError extends Error {
  override name = 'LockLostError';
}

const RELEASE = `-- KEYS[1]: lock key; ARGV[1]: owner token. Deletes the key only if we still own it. Returns 1/0.
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const EXTEND = `-- KEYS: lock keys; ARGV[1]: owner token; ARGV[2]: TTL in ms.
-- Extends every key we still own; returns how many we own (fewer than #KEYS: a lock was lost).
local n = 0
for i, k in ipairs(KEYS) do
  if redis.call('get', k) == ARGV[1] then redis.call('pexpire', k, ARGV[2]); n = n + 1 end
end
return n`;

export interface RedisLockerOptions {
  /** How long a lock lives if its holder stops extending it; default 30 s. */
  ttlMs?: number;
  /** How long to wait for a lock before giving up; default 15 s. */
  waitMs?: number;
  /** How often held locks are extended; default a third of `ttlMs`. */
  extendEveryMs?: number;
}

export function createRedisLocker(redis: Redis, options: RedisLockerOptions = {}): Locker {
  const ttl = options.ttlMs ?? 30_000;
  const wait = options.waitMs ?? 15_000;
  const every = options.extendEveryMs ?? Math.max(1, Math.floor(ttl / 3));
  async function acquire(key: string, token: string, deadline: number): Promise<void> {
    let delay = 2;
    for (;;) {
      const ok = await redis.set(key, token, 'PX', ttl, 'NX');
      if (ok === 'OK') return;
      if (Date.now() > deadline) throw new LockTimeoutError(`lock ${key} still held after ${wait} ms`);
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 50);
    }
  }
  return {
    async withLocks(keys, fn) {
      const sorted = [...new Set(keys)].sort();
      const token = randomUUID();
      const held: string[] = [];
      const deadline = Date.now() + wait;
      let lost = false;
      const extend = async (): Promise<void> => {
        if (lost) throw new LockLostError(`lock ${held.join(', ')} ran out before the work under it finished`);
        const owned = Number(await redis.eval(EXTEND, held.length, ...held, token, String(ttl)));
        if (owned < held.length) {
          lost = true;
          throw new LockLostError(`lock ${held.join(', ')} ran out before the work under it finished`);
        }
      };
      let timer: NodeJS.Timeout | undefined;
      try {
        for (const k of sorted) {
          await acquire(k, token, deadline);
          held.push(k);
        }
        timer = setInterval(() => void extend().catch(() => undefined), every);
        timer.unref();
        return await fn({
          get lost() {
            return lost;
          },
          check: extend,
        });
      } finally {
        clearInterval(timer);
        for (const k of held.reverse()) await redis.eval(RELEASE, 1, k, token).catch(() => undefined);
      }
    },
  };
}

export function createMemoryLocker(): Locker {
  const tails = new Map<string, Promise<void>>();
  async function lockOne(key: string): Promise<() => void> {
    const prev = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    };
  }
  // One process: a lock cannot run out under its holder.
  const lease: Lease = { lost: false, check: async () => undefined };
  return {
    async withLocks(keys, fn) {
      const releases: Array<() => void> = [];
      try {
        for (const k of [...new Set(keys)].sort()) releases.push(await lockOne(k));
        return await fn(lease);
      } finally {
        for (const r of releases.reverse()) r();
      }
    },
  };
}
