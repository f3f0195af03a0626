/**
 * Who may open the dashboard, and how:
 * - **Inside Telegram**: the page forwards the Mini App launch data with every call
 *   (`Authorization: tma <initData>`). It is validated against the token of each configured
 *   bot (see `init-data.ts`); the bot whose token signed it names the workspace, and the
 *   Telegram user is mapped to their role there.
 * - **Anywhere else**: a one-time login link (`<PUBLIC_BASE_URL>/app#login=<token>`, 10
 *   minutes) is exchanged once for a session cookie (12 hours). The token sits in the URL
 *   fragment, which browsers never send to a server, so a link preview cannot use it up.
 *   A link is claimed in Redis (`SET NX`) when it is opened: a second opening is refused.
 *   Asking for links (per person) and opening them (per client address) are rate-limited.
 *
 * Only people who may read reports get in: managers and owners (settings or `/grant`), as
 * for the bot's report commands. Everyone else is refused without any figures.
 */
import type { Redis } from 'ioredis';
import { hasRole, workspaceRole, type Role, type RoleSettings } from '../access/roles.js';
import { languageOf, type Lang } from '../i18n/language.js';
import { dashboardLinkUsedKey, dashboardRateKey } from '../queue/keys.js';
import type { RoleGrant } from '../store/store.js';
import { initDataSignedBy, validateInitData } from './init-data.js';
import { dashboardKey, LINK_TTL_MS, SESSION_TTL_MS, signToken, verifyToken } from './tokens.js';

/** The name of the dashboard's session cookie. */
export const SESSION_COOKIE = 'mf_dashboard';
/** Login links one person may ask for per window. */
export const LINK_ISSUE_LIMIT = 5;
/** Login links one client address may try to open per window (used, bad or good). */
export const LINK_OPEN_LIMIT = 20;
/** The window of both rate limits (10 minutes). */
export const RATE_WINDOW_S = 600;

/** What the dashboard needs of a workspace's settings. */
export type DashboardWorkspace = RoleSettings & { id: string; timezone?: string; currency?: string; name?: string; telegram?: { bots: ReadonlyArray<{ token: string }> } };

/** Someone let in. */
export interface Principal {
  workspace: string;
  /** `telegram:<id>` or `whatsapp:<phone>`. */
  subject: string;
  role: Role;
  /** Their language as Telegram or the login link said it; null when unknown (the browser decides). */
  lang: Lang | null;
  via: 'telegram' | 'session';
  /** Telegram's first name of the user (launch data), for a greeting. */
  name?: string;
}

export type RefusalReason = 'missing' | 'malformed' | 'bad-hash' | 'expired' | 'no-user' | 'not-allowed' | 'used' | 'rate-limited';

export interface Refusal {
  refused: RefusalReason;
  lang: Lang | null;
}

export type AuthResult = Principal | Refusal;

export const isRefusal = (r: AuthResult): r is Refusal => 'refused' in r;

export interface DashboardAuthOptions {
  workspaces: readonly DashboardWorkspace[];
  /** A person's stored grants (`/grant`). */
  grants: (workspace: string, subject: string) => Promise<readonly RoleGrant[]>;
  /** Claims login links and counts rate limits; without it links cannot be opened. */
  redis?: Pick<Redis, 'set' | 'incr' | 'expire'>;
  prefix: string;
  hashKey: string;
  now?: () => Date;
}

export interface DashboardAuth {
  /** From request headers: `Authorization: tma <launch data>`, else the session cookie. */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Promise<AuthResult>;
  /** Validates Mini App launch data. */
  fromInitData(raw: string): Promise<AuthResult>;
  /** Exchanges a login link token for a session (a cookie value), once; `client` is the client address. */
  openLink(token: string, client: string): Promise<(Principal & { session: string; expires: Date }) | Refusal>;
  /** Whether the request carries dashboard credentials (rather than an API key). */
  claims(headers: Readonly<Record<string, string | string[] | undefined>>): boolean;
}

const first = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function tmaOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const m = /^tma[ \t]+(\S+)$/i.exec(first(headers.authorization) ?? '');
  return m?.[1];
}

/** Counts one event against a rate limit; true while under `limit` per window. */
export async function underLimit(redis: Pick<Redis, 'incr' | 'expire'>, key: string, limit: number, windowS = RATE_WINDOW_S): Promise<boolean> {
  const n = await redis.incr(key);
  if (n === 1) await redis.expire(key, windowS);
  return n <= limit;
}

export function createDashboardAuth(options: DashboardAuthOptions): DashboardAuth {
  const key = dashboardKey(options.hashKey);
  const now = options.now ?? (() => new Date());
  const bots = options.workspaces.flatMap((w) => (w.telegram?.bots ?? []).map((b) => ({ workspace: w, token: b.token })));
  const settingsOf = (id: string): DashboardWorkspace | undefined => options.workspaces.find((w) => w.id === id);

  async function admit(ws: DashboardWorkspace, subject: string, lang: Lang | null, via: Principal['via'], name?: string): Promise<AuthResult> {
    const role = workspaceRole(ws, await options.grants(ws.id, subject), subject);
    if (!hasRole(role, 'manager')) return { refused: 'not-allowed', lang };
    return { workspace: ws.id, subject, role, lang, via, ...(name ? { name } : {}) };
  }

  async function fromInitData(raw: string): Promise<AuthResult> {
    // Every bot's token is tried (no early exit), so the time taken does not tell which bot, if any, signed it.
    let bot: (typeof bots)[number] | undefined;
    for (const b of bots) if (initDataSignedBy(raw, b.token) && !bot) bot = b;
    if (!bot) return { refused: raw.includes('hash=') ? 'bad-hash' : 'malformed', lang: null };
    const v = validateInitData(raw, bot.token, now());
    if (!v.ok) return { refused: v.reason, lang: null };
    const lang = v.user.language_code ? languageOf(v.user.language_code) : null;
    return admit(bot.workspace, `telegram:${v.user.id}`, lang, 'telegram', v.user.first_name);
  }

  async function fromSession(token: string): Promise<AuthResult> {
    const c = verifyToken(key, 'session', token, now().getTime());
    const ws = c ? settingsOf(c.ws) : undefined;
    if (!c || !ws) return { refused: 'expired', lang: null };
    return admit(ws, c.sub, c.lang ?? null, 'session');
  }

  return {
    claims: (headers) => tmaOf(headers) !== undefined || (!/^Bearer\b/i.test(first(headers.authorization) ?? '') && cookieValue(first(headers.cookie), SESSION_COOKIE) !== undefined),
    fromInitData,
    async authenticate(headers) {
      const tma = tmaOf(headers);
      if (tma !== undefined) return fromInitData(tma);
      const session = cookieValue(first(headers.cookie), SESSION_COOKIE);
      if (session !== undefined) return fromSession(session);
      return { refused: 'missing', lang: null };
    },
    async openLink(token, client) {
      const at = now().getTime();
      if (!options.redis) return { refused: 'used', lang: null };
      if (!(await underLimit(options.redis, dashboardRateKey(options.prefix, `open:${client}`), LINK_OPEN_LIMIT))) return { refused: 'rate-limited', lang: null };
      const c = verifyToken(key, 'link', token, at);
      const ws = c ? settingsOf(c.ws) : undefined;
      if (!c || !ws) return { refused: 'expired', lang: null };
      const lang = c.lang ?? null;
      const claimed = await options.redis.set(dashboardLinkUsedKey(options.prefix, c.n), '1', 'PX', Math.max(1, c.exp - at), 'NX');
      if (claimed !== 'OK') return { refused: 'used', lang };
      const who = await admit(ws, c.sub, lang, 'session');
      if (isRefusal(who)) return who;
      const expires = new Date(at + SESSION_TTL_MS);
      const session = signToken(key, 'session', { ws: ws.id, sub: c.sub, ...(lang ? { lang } : {}), exp: expires.getTime() });
      return { ...who, session, expires };
    },
  };
}

export interface LoginLinksOptions {
  hashKey: string;
  /** `PUBLIC_BASE_URL` (the app is at `<base>/app`). */
  baseUrl: string;
  /** Rate-limits asking for links, per person; without it there is no limit (the CLI). */
  redis?: Pick<Redis, 'incr' | 'expire'>;
  prefix?: string;
  now?: () => Date;
}

/** Makes one-time login links (`/dashboard` outside a Telegram Mini App, the CLI). */
export function createLoginLinks(options: LoginLinksOptions): {
  issue(workspace: string, subject: string, lang?: Lang | null): Promise<{ url: string; expiresAt: Date } | { limited: true }>;
} {
  const key = dashboardKey(options.hashKey);
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async issue(workspace, subject, lang) {
      if (options.redis && !(await underLimit(options.redis, dashboardRateKey(options.prefix ?? 'midfunnel', `issue:${workspace}:${subject}`), LINK_ISSUE_LIMIT))) return { limited: true };
      const expiresAt = new Date((options.now ?? (() => new Date()))().getTime() + LINK_TTL_MS);
      const token = signToken(key, 'link', { ws: workspace, sub: subject, ...(lang ? { lang } : {}), exp: expiresAt.getTime() });
      return { url: `${base}/app#login=${token}`, expiresAt };
    },
  };
}
