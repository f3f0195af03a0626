/**
 * Enqueue failures are classified for whoever answers a client: Redis unreachable is
 * QueueUnavailableError (answer 503: the sender retries), a payload that can never be
 * queued is PayloadRejectedError (answer 400: retrying cannot help).
 */
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { PayloadRejectedError, checkPayload, jsonDepth } from '../src/queue/check-payload.js';
import { QueueUnavailableError, failFast } from '../src/queue/fail-fast.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { REDIS_URL, uniquePrefix } from './support/redis.js';

function nested(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = { next: v };
  return v;
}

describe('enqueue failure classification', () => {
  it('measures any depth without recursion and refuses payloads past the limits', () => {
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
    expect(jsonDepth(nested(400_000))).toBe(400_000);
    expect(() => checkPayload(nested(64))).not.toThrow();
    expect(() => checkPayload(nested(65))).toThrow(PayloadRejectedError);
    expect(() => checkPayload({ big: 'x'.repeat(2_000) }, { maxBytes: 1_000 })).toThrow(/larger than 1000 bytes/);
    expect(() => checkPayload({ n: 10n })).toThrow(/cannot be serialized/);
  });

  it('a payload BullMQ cannot encode is PayloadRejectedError, with Redis up', async () => {
    const connection = createProducerConnection({ url: REDIS_URL });
    const queue = new Queue(uniquePrefix('classify'), { connection });
    try {
      const err = await failFast(connection, 5_000, 'update', () => queue.add('x', nested(400_000) as object)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PayloadRejectedError);
      expect((err as Error).message).toMatch(/Maximum call stack/);
      expect((await queue.getJobCounts('waiting')).waiting).toBe(0);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    }
  });

  it('Redis unreachable is QueueUnavailableError, whatever the payload', async () => {
    const connection = createProducerConnection({ url: 'redis://127.0.0.1:1' });
    connection.on('error', () => undefined);
    const queue = new Queue(uniquePrefix('classify'), { connection });
    queue.on('error', () => undefined);
    try {
      await expect(failFast(connection, 1_000, 'update', () => queue.add('x', { ok: true }))).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(failFast(connection, 1_000, 'update', () => queue.add('x', nested(400_000) as object))).rejects.toBeInstanceOf(QueueUnavailableError);
    } finally {
      connection.disconnect();
    }
  });
});
