/**
 * Webhook signatures: `X-Midfunnel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>" with the workspace secret>`. Several `v1=` may be given (a secret being
 * rotated); one matching is enough. More than {@link MAX_SKEW_SECONDS} between `t` and now,
 * either way, is refused, so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Longest accepted distance between the signature's time and ours. */
export const MAX_SKEW_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** The header value for a body: what a shop computes (also used by tests and the docs). */
export function signBody(secret: string, body: string | Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Checks a signature header against the raw body; the reason says what to fix. */
export function verifySignature(header: string | undefined, body: Buffer, secret: string, now: Date): SignatureCheck {
  if (header === undefined || header.trim() === '') {
    return { ok: false, reason: 'missing X-Midfunnel-Signature header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">)' };
  }
  let t: number | undefined;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v !== undefined && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v !== undefined && /^[0-9a-fA-F]{64}$/.test(v)) macs.push(v.toLowerCase());
  }
  if (t === undefined || macs.length === 0) {
    return { ok: false, reason: 'malformed X-Midfunnel-Signature header; expected t=<unix seconds>,v1=<64 hex digits>' };
  }
  const skew = Math.abs(now.getTime() / 1000 - t);
  if (skew > MAX_SKEW_SECONDS) {
    return { ok: false, reason: `signature timestamp is ${Math.round(skew)} s away from now (at most ${MAX_SKEW_SECONDS} s); sign each request when sending it` };
  }
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex'), 'ascii');
  for (const mac of macs) {
    if (timingSafeEqual(Buffer.from(mac, 'ascii'), expected)) return { ok: true };
  }
  return { ok: false, reason: 'signature does not match the body; sign "<t>.<raw body>" with the workspace secret (HMAC-SHA256, hex)' };
}
