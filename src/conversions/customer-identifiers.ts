/**
 * A conversion's customer fields → strong identifiers, pseudonymized: the same keyed hashes
 * touches carry, so matching works without keeping phones or emails in clear.
 *
 * Hashing conventions (connectors must hash the same way for matches to happen):
 * - phone: `pseudonymize('phone', E.164)`, e.g. `+8613800138000`;
 * - WhatsApp id: `pseudonymize('wa_id', E.164 of the WhatsApp number)`; a WhatsApp number is
 *   also a phone, so it yields the phone identifier too;
 * - email: `pseudonymize('email', lower-cased trimmed address)`;
 * - external id (a shop's customer id, which may be an email): `pseudonymize('external_id', trimmed)`;
 * - Telegram id: in clear, as touches carry it.
 * A value that cannot be normalized is left out with a warning; it never rejects the conversion.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { uniqueIdentifiers, type Identifier } from '../identity/identifier.js';
import { normalizeEmail, type Pseudonymizer } from '../identity/pseudonymize.js';

/** The customer object of a conversion, as sent (all optional). */
export interface CustomerInput {
  phone?: string | undefined;
  email?: string | undefined;
  telegram_id?: string | undefined;
  telegram_username?: string | undefined;
  whatsapp?: string | undefined;
  external_id?: string | undefined;
}

/**
 * E.164 form of a phone number, or null when it is not a valid number. National numbers are
 * read in `region` (ISO 3166 alpha-2); `+…` and `00…` numbers are international.
 */
export function toE164(raw: string, region: string): string | null {
  const text = raw.trim().replace(/^00(?=\d)/, '+');
  if (text === '' || text.length > 40) return null;
  const parsed = parsePhoneNumberFromString(text, region as CountryCode);
  if (parsed?.isValid()) return parsed.number;
  return null;
}

/**
 * E.164 form of a WhatsApp number. WhatsApp numbers always include the country code, with or
 * without `+` (`8613800138000`, `8613800138000@c.us`), so digits are read as international first.
 */
export function whatsAppToE164(raw: string, region: string): string | null {
  const text = raw.trim().replace(/@c\.us$|@s\.whatsapp\.net$/, '');
  if (/^\d{8,15}$/.test(text)) {
    const international = toE164(`+${text}`, region);
    if (international) return international;
  }
  return toE164(text, region);
}

export interface CustomerIdentifiers {
  identifiers: Identifier[];
  /** Telegram username, lower case without `@`. */
  telegramUsername?: string;
  /** One line per value left out, naming the field. */
  warnings: string[];
}

/** Normalizes and pseudonymizes a customer's identifiers for one workspace. */
export function customerIdentifiers(customer: CustomerInput | undefined, pseudonymize: Pseudonymizer, region: string): CustomerIdentifiers {
  const ids: Identifier[] = [];
  const warnings: string[] = [];
  if (!customer) return { identifiers: [], warnings };
  const present = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
  if (present(customer.phone)) {
    const e164 = toE164(customer.phone, region);
    if (e164) ids.push({ type: 'phone', value: pseudonymize('phone', e164) });
    else warnings.push(`customer.phone: not a valid phone number (national numbers are read in region ${region}); left out`);
  }
  if (present(customer.whatsapp)) {
    const e164 = whatsAppToE164(customer.whatsapp, region);
    if (e164) ids.push({ type: 'wa_id', value: pseudonymize('wa_id', e164) }, { type: 'phone', value: pseudonymize('phone', e164) });
    else warnings.push('customer.whatsapp: not a valid WhatsApp number (expected one with its country code, like +8613800138000); left out');
  }
  if (present(customer.telegram_id)) {
    const id = customer.telegram_id.trim();
    if (/^\d{1,20}$/.test(id)) ids.push({ type: 'tg_id', value: id });
    else warnings.push('customer.telegram_id: expected the numeric Telegram user id; left out');
  }
  if (present(customer.email)) {
    const e = normalizeEmail(customer.email);
    if (e) ids.push({ type: 'email', value: pseudonymize('email', e) });
    else warnings.push('customer.email: not an email address; left out');
  }
  if (present(customer.external_id)) ids.push({ type: 'external_id', value: pseudonymize('external_id', customer.external_id.trim()) });
  const out: CustomerIdentifiers = { identifiers: uniqueIdentifiers(ids), warnings };
  if (present(customer.telegram_username)) {
    const u = customer.telegram_username.trim().replace(/^@/, '').toLowerCase();
    if (/^[a-z0-9_]{4,32}$/.test(u)) out.telegramUsername = u;
    else warnings.push('customer.telegram_username: not a Telegram username (4-32 of a-z 0-9 _); left out');
  }
  return out;
}
