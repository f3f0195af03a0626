/**
 * Mutual exclusion for profile writes. Identity resolution reads several profiles and
 * may merge them; holding the locks of every profile involved (acquired in sorted
 * order, so two workers can never deadlock) makes that read-modify-write safe.
 * - `createRedisLocker`: across processes (what production uses).
 * - `createMemoryLocker`: inside one process (the in-memory store's companion).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Locker {
  /** Runs `fn` while holding every lock in `keys`; releases them whatever happens. */
  withLocks<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T>;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

const RELEASE = `-- KEYS[1]: lock key; ARGV[1]: owner token. Deletes the key only if we still own it. Returns 1/0.
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisLockerOptions {
  /** How long a lock lives if its holder dies; default 30 s. */
  ttlMs?: number;
  /** How long to wait for a lock before giving up; default 15 s. */
  waitMs?: number;
}

export function createRedisLocker(redis: Redis, options: RedisLockerOptions = {}): Locker {
  const ttl = options.ttlMs ?? 30_000;
  const wait = options.waitMs ?? 15_000;
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
      try {
        for (const k of sorted) {
          await acquire(k, token, deadline);
          held.push(k);
        }
        return await fn();
      } finally {
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
  return {
    async withLocks(keys, fn) {
      const releases: Array<() => void> = [];
      try {
        for (const k of [...new Set(keys)].sort()) releases.push(await lockOne(k));
        return await fn();
      } finally {
        for (const r of releases.reverse()) r();
      }
    },
  };
}
