/**
 * Telegram Mini App launch data (`Telegram.WebApp.initData`), validated exactly as Telegram
 * documents it (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
 * - the data-check string is every received field except `hash`, as `key=value`, sorted by
 *   key, joined with `\n`;
 * - the secret key is HMAC-SHA256 of the bot token keyed with the string `WebAppData`;
 * - `hash` is the hex HMAC-SHA256 of the data-check string keyed with the secret key,
 *   compared in constant time;
 * - `auth_date` (unix seconds) may be at most {@link INIT_DATA_MAX_AGE_S} old (and not from
 *   the future beyond a little clock skew).
 * Pure; signing ({@link signInitData}) is what tests and the bench use to open the app.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Launch data older than this is refused (24 h). */
export const INIT_DATA_MAX_AGE_S = 24 * 3600;
/** Launch data dated this far ahead of our clock is still taken (clock skew). */
const FUTURE_SKEW_S = 300;
/** Longer launch data is refused unread (real launch data is about 1 KB). */
const MAX_INIT_DATA = 8_192;

export interface InitDataUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export type InitDataResult =
  | { ok: true; user: InitDataUser; authDate: number; fields: Map<string, string> }
  | { ok: false; reason: 'malformed' | 'bad-hash' | 'expired' | 'no-user' };

const secretOf = (botToken: string): Buffer => createHmac('sha256', 'WebAppData').update(botToken).digest();

/** The fields of launch data (a URL query string), each key once; null when malformed. */
function fieldsOf(raw: string): Map<string, string> | null {
  if (raw.length === 0 || raw.length > MAX_INIT_DATA) return null;
  const fields = new Map<string, string>();
  try {
    for (const [k, v] of new URLSearchParams(raw)) {
      if (fields.has(k)) return null;
      fields.set(k, v);
    }
  } catch {
    return null;
  }
  return fields;
}

function dataCheckString(fields: ReadonlyMap<string, string>): string {
  return [...fields]
    .filter(([k]) => k !== 'hash')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Whether `raw` carries a valid hash for `botToken` (nothing else is checked). */
export function initDataSignedBy(raw: string, botToken: string): boolean {
  const fields = fieldsOf(raw);
  const hash = fields?.get('hash');
  if (!fields || !hash || !/^[0-9a-f]{64}$/i.test(hash)) return false;
  const expected = createHmac('sha256', secretOf(botToken)).update(dataCheckString(fields)).digest();
  return timingSafeEqual(expected, Buffer.from(hash, 'hex'));
}

/** Validates launch data against one bot's token at `now`. */
export function validateInitData(raw: string, botToken: string, now: Date = new Date()): InitDataResult {
  const fields = fieldsOf(raw);
  if (!fields || !fields.has('hash')) return { ok: false, reason: 'malformed' };
  if (!initDataSignedBy(raw, botToken)) return { ok: false, reason: 'bad-hash' };
  const authDate = Number(fields.get('auth_date'));
  const nowS = Math.floor(now.getTime() / 1000);
  if (!Number.isInteger(authDate) || authDate <= 0) return { ok: false, reason: 'malformed' };
  if (nowS - authDate > INIT_DATA_MAX_AGE_S || authDate - nowS > FUTURE_SKEW_S) return { ok: false, reason: 'expired' };
  let user: InitDataUser;
  try {
    user = JSON.parse(fields.get('user') ?? 'null') as InitDataUser;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!user || typeof user !== 'object' || !Number.isSafeInteger(user.id) || user.id <= 0) return { ok: false, reason: 'no-user' };
  return { ok: true, user, authDate, fields };
}

/**
 * Launch data as Telegram would send it for `user`, signed with `botToken` (tests, the bench,
 * local trials): `auth_date`, `query_id`, `user` (JSON) and `hash`, as a query string.
 */
export function signInitData(botToken: string, user: InitDataUser, authDate: Date = new Date(), extra: Record<string, string> = {}): string {
  const fields = new Map<string, string>([
    ['auth_date', String(Math.floor(authDate.getTime() / 1000))],
    ['query_id', 'AAHdF6IQAAAAAN0XohDhrOrc'],
    ['user', JSON.stringify(user)],
    ...Object.entries(extra),
  ]);
  const hash = createHmac('sha256', secretOf(botToken)).update(dataCheckString(fields)).digest('hex');
  const q = new URLSearchParams([...fields]);
  q.set('hash', hash);
  return q.toString();
}
