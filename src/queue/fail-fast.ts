/**
 * Producers answer a caller (a webhook, a connector, an HTTP click) and must fail fast
 * when Redis is unreachable: BullMQ would otherwise wait for the connection forever.
 * Every queue's producer side runs its Redis operations through `failFast`.
 */
import type { Redis } from 'ioredis';
import { PayloadRejectedError } from './check-payload.js';
import { waitReady } from './redis.js';

export { PayloadRejectedError } from './check-payload.js';

/** Redis cannot take the job now; the caller should answer so its sender retries (a 5xx). */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

/**
 * Runs `op` if the connection is (or within a second becomes) ready, and gives up after
 * `timeoutMs`. A failure becomes a QueueUnavailableError naming `what` was refused, except
 * one about the payload itself: a RangeError from BullMQ's JSON encoding (nesting past the
 * call stack, a string too long), which is a PayloadRejectedError. Callers that answer a
 * client check the payload first (`checkPayload`), so this is the last line of defence.
 */
export async function failFast<T>(connection: Redis, timeoutMs: number, what: string, op: () => Promise<T>): Promise<T> {
  if (connection.status !== 'ready') {
    await waitReady(connection, Math.min(1_000, timeoutMs)).catch(() => {
      throw new QueueUnavailableError(`Redis is not reachable (connection ${connection.status})`);
    });
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not take the ${what} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof QueueUnavailableError || err instanceof PayloadRejectedError) throw err;
    if (err instanceof RangeError) throw new PayloadRejectedError(`the ${what} cannot be queued: ${err.message}`);
    throw new QueueUnavailableError(`Redis refused the ${what}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
