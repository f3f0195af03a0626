/**
 * Payloads refused for good (answered 400: not JSON, not the right shape, nested too deep)
 * are kept for inspection in a capped Redis list per source, newest first
 * (`rejectedPayloadsKey`): at most 1,000 entries, the list expiring 14 days after the last
 * one. An entry holds the reason, the size and a SHA-256 of the bytes, and at most a
 * redacted sample the caller made (never message text). Read them with
 * `redis-cli LRANGE <prefix>:rejected:<source> 0 -1` or {@link listRejectedPayloads}.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { failFast } from './fail-fast.js';
import { rejectedPayloadsKey } from './keys.js';

/** Entries kept per source. */
export const MAX_REJECTED_PAYLOADS = 1_000;
/** Largest sample kept with an entry (bytes of JSON); a larger one is replaced by its top-level keys. */
export const MAX_SAMPLE_BYTES = 8_192;

export interface RejectedPayload {
  at: string;
  source: string;
  reason: string;
  /** Size of the refused body. */
  bytes: number;
  /** SHA-256 of the refused body, to match it with a sender's logs. */
  sha256: string;
  /** Where it came from (e.g. the bot id); no personal data. */
  origin?: string;
  /** A redacted, bounded view of the payload when it was JSON. */
  sample?: unknown;
}

/** The record kept for a refused body; `sample` must already be redacted. */
export function rejectedPayload(source: string, reason: string, body: Buffer, extra: { origin?: string; sample?: unknown; now?: Date } = {}): RejectedPayload {
  const record: RejectedPayload = {
    at: (extra.now ?? new Date()).toISOString(),
    source,
    reason,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  if (extra.origin !== undefined) record.origin = extra.origin;
  if (extra.sample !== undefined) {
    const text = JSON.stringify(extra.sample);
    record.sample =
      text !== undefined && Buffer.byteLength(text) <= MAX_SAMPLE_BYTES
        ? extra.sample
        : { truncated: true, keys: extra.sample !== null && typeof extra.sample === 'object' ? Object.keys(extra.sample).slice(0, 50) : [] };
  }
  return record;
}

/** Pushes a record onto the source's capped list. */
export async function keepRejectedPayload(redis: Redis, prefix: string, record: RejectedPayload): Promise<void> {
  const key = rejectedPayloadsKey(prefix, record.source);
  // A producer connection still connecting (right after start) is waited for briefly; one that is down fails within 2 s.
  await failFast(redis, 2_000, 'rejected payload', () =>
    redis
      .multi()
      .lpush(key, JSON.stringify(record))
      .ltrim(key, 0, MAX_REJECTED_PAYLOADS - 1)
      .expire(key, 14 * 24 * 3600)
      .exec(),
  );
}

/** The newest `limit` (default 100) records of a source. */
export async function listRejectedPayloads(redis: Redis, prefix: string, source: string, limit = 100): Promise<RejectedPayload[]> {
  const rows = await redis.lrange(rejectedPayloadsKey(prefix, source), 0, limit - 1);
  return rows.map((r) => JSON.parse(r) as RejectedPayload);
}
