/**
 * The dashboard's own signed tokens (HMAC-SHA256 with a key derived from
 * `MIDFUNNEL_HASH_KEY`, so every process of a deployment signs and checks the same way):
 * - a **login link** token: who it is for (workspace, subject), the language of the asker,
 *   a random nonce and its expiry (10 minutes). It is single-use: the http role claims the
 *   nonce in Redis when it is opened (see `dashboard-auth.ts`).
 * - a **session** token, the value of the session cookie: workspace, subject, language and
 *   expiry (12 hours). The role is looked up again on every request, so a revoked manager
 *   loses access at once.
 * Format: `<kind>.<base64url JSON>.<base64url MAC>`. Pure.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Lang } from '../i18n/language.js';

/** How long a login link can be opened (10 minutes). */
export const LINK_TTL_MS = 10 * 60_000;
/** How long a dashboard session lasts (12 hours). */
export const SESSION_TTL_MS = 12 * 3600_000;

export type TokenKind = 'link' | 'session';

export interface TokenClaims {
  /** Workspace id. */
  ws: string;
  /** Who: `telegram:<user id>` or `whatsapp:<phone>`, as roles name people. */
  sub: string;
  lang?: Lang;
  /** Expiry, unix milliseconds. */
  exp: number;
  /** Random id (login links: claimed once). */
  n: string;
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The signing key of dashboard tokens, derived from the deployment's hash key. */
export function dashboardKey(hashKey: string): Buffer {
  return createHmac('sha256', hashKey).update('midfunnel dashboard tokens v1').digest();
}

function mac(key: Buffer, kind: TokenKind, body: string): Buffer {
  return createHmac('sha256', key).update(`${kind}.${body}`).digest();
}

/** Signs claims as a token of `kind`. */
export function signToken(key: Buffer, kind: TokenKind, claims: Omit<TokenClaims, 'n'> & { n?: string }): string {
  const body = b64(JSON.stringify({ ...claims, n: claims.n ?? randomBytes(12).toString('base64url') }));
  return `${kind}.${body}.${b64(mac(key, kind, body))}`;
}

/** The claims of a token of `kind` signed with `key` and not expired at `now`; null otherwise. */
export function verifyToken(key: Buffer, kind: TokenKind, token: string, now: number = Date.now()): TokenClaims | null {
  if (token.length > 2_048) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== kind) return null;
  const [, body, sig] = parts as [string, string, string];
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, kind, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return null;
  }
  if (typeof claims.ws !== 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || typeof claims.n !== 'string') return null;
  if (claims.exp <= now) return null;
  return claims;
}
