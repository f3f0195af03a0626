/**
 * Redis connections for the two sides of a queue.
 * - Workers block on Redis and must never give up a command: `maxRetriesPerRequest: null`
 *   (BullMQ requires it) and an offline queue, so they ride out a Redis restart.
 * - Producers answer a caller (a webhook, a connector) and must fail fast instead:
 *   one retry per command and no offline queue, so "Redis is down" becomes an error the
 *   caller can act on (Telegram gets a 5xx and resends).
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port[/db]`; default `redis://127.0.0.1:6379`. */
  url: string;
}

export function createWorkerConnection(options: RedisConnectionOptions): Redis {
  return new Redis(options.url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

const producerOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectTimeout: 2_000,
  commandTimeout: 5_000,
  // Keep reconnecting in the background; commands issued meanwhile fail at once.
  retryStrategy: (times) => Math.min(times * 200, 2_000),
};

export function createProducerConnection(options: RedisConnectionOptions): Redis {
  return new Redis(options.url, producerOptions);
}

/** Waits until a connection is ready, or throws after `timeoutMs`. */
export async function waitReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
