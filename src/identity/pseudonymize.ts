/**
 * Keyed hashing of personal identifiers (phones, emails, WhatsApp ids), so matching
 * works without keeping them in clear. HMAC-SHA256 with the deployment's secret
 * (`MIDFUNNEL_HASH_KEY`), domain-separated by identifier type and workspace, so one
 * workspace's hashes say nothing about another's.
 */
import { createHmac } from 'node:crypto';

export type Pseudonymizer = (type: string, normalizedValue: string) => string;

/** Returns a function hashing `(type, value)` for one workspace: 32 hex chars (128 bits). */
export function makePseudonymizer(secret: string, workspace: string): Pseudonymizer {
  if (secret.length < 16) throw new Error('the hash key must be at least 16 characters');
  return (type, value) =>
    createHmac('sha256', secret).update(`${workspace}\u0000${type}\u0000${value}`).digest('hex').slice(0, 32);
}

/** Lower-cases and trims an email; returns null when it is not an address. */
export function normalizeEmail(raw: string): string | null {
  const e = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e) ? e : null;
}

/**
 * Digits-only E.164 form (`+` and digits) of a phone already in international form,
 * as platforms give them (WhatsApp ids, Telegram contacts). Conversions with national
 * numbers go through libphonenumber with the workspace's default region instead.
 */
export function normalizeInternationalPhone(raw: string): string | null {
  const digits = raw.replace(/[^\d]/g, '');
  if (digits.length < 7 || digits.length > 15) return null;
  return `+${digits}`;
}
