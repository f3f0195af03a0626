/**
 * What can be told about a job payload before it goes to Redis: a payload that cannot be a
 * job (nested deeper than any real one, too large, not serializable) is the sender's
 * problem, answered 400 and kept for inspection; it must never be answered as "Redis is
 * down" (a 503), or the sender would resend it forever.
 */

/** The payload itself cannot be queued; resending it cannot help. */
export class PayloadRejectedError extends Error {
  override name = 'PayloadRejectedError';
}

export interface PayloadLimits {
  /** Deepest nesting of objects and arrays; default 64 (Telegram updates nest about 10 deep). */
  maxDepth?: number;
  /** Largest serialized size in bytes; default 1 MB. */
  maxBytes?: number;
}

/** The nesting depth of a JSON value, counted without recursion (so any depth is safe to measure); stops past `limit`. */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d]);
  }
  return deepest;
}

/** Throws PayloadRejectedError when `value` cannot be a job: too deep, too large or not serializable. */
export function checkPayload(value: unknown, limits: PayloadLimits = {}): void {
  const maxDepth = limits.maxDepth ?? 64;
  const depth = jsonDepth(value, maxDepth);
  if (depth > maxDepth) throw new PayloadRejectedError(`nested more than ${maxDepth} levels deep`);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new PayloadRejectedError(`cannot be serialized: ${err instanceof Error ? err.message : String(err)}`);
  }
  const maxBytes = limits.maxBytes ?? 1_000_000;
  if (text !== undefined && Buffer.byteLength(text) > maxBytes) throw new PayloadRejectedError(`larger than ${maxBytes} bytes`);
}
