import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryLocker, createRedisLocker, LockLostError, LockTimeoutError, type Locker } from '../src/lock.js';
import { deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const redis = testRedis();
const prefix = uniquePrefix('lock');
afterAll(async () => {
  await deleteKeys(redis, [`${prefix}*`]);
  await redis.quit();
});

async function exclusive(locker: Locker): Promise<void> {
  // 20 concurrent read-modify-write increments with awaits in between: without mutual
  // exclusion they interleave and lose updates.
  let value = 0;
  let inside = 0;
  let maxInside = 0;
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      locker.withLocks([`${prefix}:a`, i % 2 ? `${prefix}:b` : `${prefix}:a`], async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        const v = value;
        await new Promise((r) => setTimeout(r, 1));
        value = v + 1;
        inside--;
      }),
    ),
  );
  expect(value).toBe(20);
  expect(maxInside).toBe(1);
}

describe('profile locks', () => {
  it('serializes holders of the same key in one process', () => exclusive(createMemoryLocker()));
  it('serializes holders of the same key through Redis', () => exclusive(createRedisLocker(redis)));

  it('takes several keys in sorted order, so opposite orders never deadlock', async () => {
    const locker = createRedisLocker(redis);
    const order: string[] = [];
    await Promise.all([
      locker.withLocks([`${prefix}:x`, `${prefix}:y`], async () => void order.push('xy')),
      locker.withLocks([`${prefix}:y`, `${prefix}:x`], async () => void order.push('yx')),
    ]);
    expect(order.sort()).toEqual(['xy', 'yx']);
  });

  it('releases on error and gives up with LockTimeoutError when a lock stays held', async () => {
    const locker = createRedisLocker(redis, { waitMs: 200 });
    await expect(locker.withLocks([`${prefix}:e`], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await redis.exists(`${prefix}:e`)).toBe(0);
    await redis.set(`${prefix}:held`, 'someone-else', 'PX', 10_000);
    await expect(locker.withLocks([`${prefix}:held`], async () => 1)).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await redis.get(`${prefix}:held`)).toBe('someone-else');
  });
});

describe('lock leases', () => {
  it('extends a held lock while the work runs, so a slow holder keeps it past its TTL', async () => {
    const short = createRedisLocker(redis, { ttlMs: 150 });
    const other = createRedisLocker(redis, { waitMs: 5_000 });
    const events: string[] = [];
    const slow = short.withLocks([`${prefix}:slow`], async (lease) => {
      events.push('slow in');
      await new Promise((r) => setTimeout(r, 600));
      await lease.check();
      expect(lease.lost).toBe(false);
      events.push('slow out');
    });
    await new Promise((r) => setTimeout(r, 20));
    const waiting = other.withLocks([`${prefix}:slow`], async () => void events.push('other'));
    await Promise.all([slow, waiting]);
    expect(events).toEqual(['slow in', 'slow out', 'other']);
  });

  it('tells a holder whose lock ran out (a paused process) that it lost it, and never releases the new owner’s lock', async () => {
    // No extension within the TTL: what a stopped process looks like to Redis.
    const paused = createRedisLocker(redis, { ttlMs: 100, extendEveryMs: 60_000 });
    const key = `${prefix}:paused`;
    let taken!: () => void;
    const takenOver = new Promise<void>((r) => (taken = r));
    const outcome = paused.withLocks([key], async (lease) => {
      await takenOver;
      await lease.check();
    });
    await new Promise((r) => setTimeout(r, 250));
    expect(await redis.exists(key)).toBe(0);
    await redis.set(key, 'new-owner', 'PX', 10_000);
    taken();
    await expect(outcome).rejects.toBeInstanceOf(LockLostError);
    expect(await redis.get(key)).toBe('new-owner');
  });
});
