/** Real Redis for tests: unique names per test, everything removed afterwards. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `mft-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every Redis key starting with the given prefixes (BullMQ keys are `bull:<queue>:…`). */
export async function deleteKeys(redis: Redis, patterns: string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}

export function testRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: null });
}
