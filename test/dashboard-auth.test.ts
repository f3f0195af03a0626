/**
 * Signing in to the dashboard, without a browser: Mini App launch data checked exactly as
 * Telegram documents it (recomputed here from the documentation, independently of the
 * product's code), its 24 h limit; the real server's page headers (strict CSP), refusals
 * without figures, one-time login links over HTTP (once; rate-limited per client address),
 * the session cookie reading the report API; and `midfunnel dashboard link`.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { main } from '../src/cli/main.js';
import { createLoginLinks, signInitData, validateInitData } from '../src/dashboard/index.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { seedDashboard } from './support/dashboard-data.js';
import { REDIS_URL } from './support/redis.js';
import { HASH_KEY, P, testConfig, TOKEN, WORKSPACES } from './support/telegram-harness.js';

const KEY = 'acme-dashboard-key-0b9d2c7a4e35f1c0a9e7b3d42c8a6e1f';
const CONFIG = { workspaces: WORKSPACES.workspaces.map((w) => (w.id === 'acme' ? { ...w, apiKeys: [KEY] } : w)) };

/** Launch data signed the way Telegram's documentation describes, written out here on its own. */
function documentedSign(fields: Record<string, string>, botToken: string): string {
  const check = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('\n');
  const secret = createHmac('sha256', 'WebAppData').update(botToken).digest();
  const hash = createHmac('sha256', secret).update(check).digest('hex');
  return new URLSearchParams({ ...fields, hash }).toString();
}

describe('Mini App launch data', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const authDate = String(Math.floor(now.getTime() / 1000) - 3600);
  const user = JSON.stringify({ id: P.manager, first_name: 'Mia', language_code: 'zh-hans', allows_write_to_pm: true });

  it('accepts data signed as documented (any fields, sorted data-check string) and reads the user', () => {
    const raw = documentedSign({ query_id: 'AAHdF6IQAAAAAN0XohDhrOrc', user, auth_date: authDate, chat_instance: '-8120195', chat_type: 'private', signature: 'c2ln' }, TOKEN);
    const r = validateInitData(raw, TOKEN, now);
    expect(r).toMatchObject({ ok: true, user: { id: P.manager, language_code: 'zh-hans' }, authDate: Number(authDate) });
    // The product's own signer produces data the documented check accepts too.
    expect(validateInitData(signInitData(TOKEN, { id: 1, first_name: 'A' }, now), TOKEN, now).ok).toBe(true);
  });

  it('refuses a changed field, another bot’s token, a missing hash, data older than 24 h, and no user', () => {
    const fields = { user, auth_date: authDate, query_id: 'q' };
    const raw = documentedSign(fields, TOKEN);
    expect(validateInitData(raw.replace('Mia', 'Max'), TOKEN, now)).toEqual({ ok: false, reason: 'bad-hash' });
    expect(validateInitData(raw, '7000000009:AAH_some_other_bot_token_0000000000', now)).toEqual({ ok: false, reason: 'bad-hash' });
    expect(validateInitData(raw.replace(/&?hash=[0-9a-f]+/, ''), TOKEN, now)).toEqual({ ok: false, reason: 'malformed' });
    const at = (secondsAgo: number) => documentedSign({ ...fields, auth_date: String(Math.floor(now.getTime() / 1000) - secondsAgo) }, TOKEN);
    expect(validateInitData(at(24 * 3600 - 60), TOKEN, now).ok).toBe(true);
    expect(validateInitData(at(24 * 3600 + 1), TOKEN, now)).toEqual({ ok: false, reason: 'expired' });
    expect(validateInitData(at(-3600), TOKEN, now)).toEqual({ ok: false, reason: 'expired' });
    expect(validateInitData(documentedSign({ auth_date: authDate }, TOKEN), TOKEN, now)).toEqual({ ok: false, reason: 'no-user' });
  });
});

describe('dashboard over HTTP', () => {
  let roles: RunningRoles;
  let base: string;
  let config: ReturnType<typeof testConfig>;
  beforeAll(async () => {
    const store = createMemoryStore();
    await seedDashboard(store, 'acme');
    config = testConfig({}, CONFIG);
    roles = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
    base = `http://127.0.0.1:${roles.address?.port ?? 0}`;
  }, 60_000);
  afterAll(async () => {
    await roles?.close();
  });
  const links = () => createLoginLinks({ hashKey: HASH_KEY, baseUrl: base });
  const tokenOf = (url: string) => url.split('#login=')[1] ?? '';
  const open = (token: string, headers: Record<string, string> = {}) => fetch(`${base}/app/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });

  it('serves the page and its bundle from our origin under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${base}/app`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\/(?!web\.telegram\.org|\*\.web\.telegram\.org)/);
    const html = await res.text();
    const script = /type="module" src="(\/app\/assets\/app-[0-9A-Z]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/app\/assets\/app-[0-9A-Z]+\.css)"/.exec(html)?.[1];
    expect(html).not.toMatch(/<script>|style="|https?:\/\//);
    const js = await fetch(`${base}${script}`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // ECharts is bundled (tree-shaken) in a chunk of its own that the page's script imports
    // only when a view draws a chart: the first view does not load it.
    const main = await js.text();
    expect(main).not.toMatch(/zrender/i);
    const chunks = [...new Set([...main.matchAll(/\.\/(chunk-[0-9A-Z]+\.js)/g)].map((m) => m[1]))];
    expect(chunks.length).toBeGreaterThan(0);
    const bodies = await Promise.all(chunks.map(async (c) => {
      const res = await fetch(`${base}/app/assets/${c}`);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      return res.text();
    }));
    expect(bodies.some((b) => /zrender/i.test(b))).toBe(true);
    const sheet = await fetch(`${base}${style}`);
    expect(sheet.status).toBe(200);
    // The CJK font is declared in slices by unicode range (a style sheet the page adds after its
    // first view, named in a meta tag), each served from our origin.
    expect(await sheet.text()).not.toContain('@font-face');
    const cjk = /<meta name="midfunnel:cjk-css" content="(\/app\/assets\/cjk-[0-9a-f]+\.css)">/.exec(html)?.[1];
    const css = await (await fetch(`${base}${cjk}`)).text();
    const slices = [...css.matchAll(/url\((\/app\/assets\/noto-sans-sc-\d+-wght-normal\.woff2)\)[^}]*unicode-range:U\+/g)].map((m) => m[1]);
    expect(slices.length).toBeGreaterThan(80);
    const font = await fetch(`${base}${slices[0]}`);
    expect(font.headers.get('content-type')).toBe('font/woff2');
    expect((await font.arrayBuffer()).byteLength).toBeLessThan(200_000);
    expect((await fetch(`${base}/app/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('who am I: refused without credentials, for a member and for a forged session; no figures in any refusal', async () => {
    const none = await fetch(`${base}/app/api/me`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ refused: 'missing', lang: null });
    const member = await fetch(`${base}/app/api/me`, { headers: { authorization: `tma ${signInitData(TOKEN, { id: P.member, language_code: 'zh' })}` } });
    expect(member.status).toBe(403);
    expect(await member.json()).toEqual({ refused: 'not-allowed', lang: 'zh' });
    const forged = await fetch(`${base}/v1/reports/attribution?workspace=acme&period=30d`, { headers: { cookie: 'mf_dashboard=session.eyJ3cyI6ImFjbWUifQ.AAAA' } });
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toMatch(/totals|rows/);
    const manager = await fetch(`${base}/app/api/me`, { headers: { authorization: `tma ${signInitData(TOKEN, { id: P.manager, language_code: 'en' })}` } });
    expect(await manager.json()).toMatchObject({ workspace: 'acme', role: 'manager', via: 'telegram', lang: 'en', timezone: 'Asia/Shanghai' });
    // A Mini App user of the other workspace's bot reads only that workspace.
    const other = await fetch(`${base}/v1/reports/attribution?workspace=acme&period=30d`, { headers: { authorization: `tma ${signInitData(config.workspaces[1]?.telegram.bots[0]?.token ?? '', { id: P.otherManager })}` } });
    expect(other.status).toBe(403);
  });

  it('launch data reads its own workspace without workspace=; an API key must name it', async () => {
    const tma = { authorization: `tma ${signInitData(TOKEN, { id: P.manager, language_code: 'en' })}` };
    const own = await fetch(`${base}/v1/reports/attribution?period=30d&model=linear&by=group`, { headers: tma });
    expect(own.status).toBe(200);
    const named = await fetch(`${base}/v1/reports/attribution?workspace=acme&period=30d&model=linear&by=group`, { headers: { authorization: `Bearer ${KEY}` } });
    const ownBody = (await own.json()) as { workspace: string; totals: unknown; rows: unknown };
    const namedBody = (await named.json()) as { workspace: string; totals: unknown; rows: unknown };
    expect(ownBody.workspace).toBe('acme');
    expect([ownBody.totals, ownBody.rows]).toEqual([namedBody.totals, namedBody.rows]);
    const keyOnly = await fetch(`${base}/v1/reports/attribution?period=30d`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(keyOnly.status).toBe(400);
    expect(JSON.stringify(await keyOnly.json())).toMatch(/workspace/);
  });

  it('a login link opens a session once; the cookie reads the report API as the API key does', async () => {
    const issued = await links().issue('acme', `telegram:${P.manager}`, 'zh');
    if ('limited' in issued) throw new Error('limited');
    const first = await open(tokenOf(issued.url));
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^mf_dashboard=session\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=43\d{3}$/);
    const second = await open(tokenOf(issued.url));
    expect(second.status).toBe(401);
    expect(await second.json()).toEqual({ refused: 'used', lang: 'zh' });
    const session = cookie.split(';')[0] ?? '';
    const viaCookie = (await (await fetch(`${base}/v1/reports/attribution?workspace=acme&period=90d&model=markov`, { headers: { cookie: session } })).json()) as { rows: unknown[] };
    const viaKey = (await (await fetch(`${base}/v1/reports/attribution?workspace=acme&period=90d&model=markov`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { rows: unknown[] };
    // Same figures (the period's bounds are taken at each request's own instant).
    expect({ ...viaCookie, period: null }).toEqual({ ...viaKey, period: null });
    expect(viaCookie.rows.length).toBeGreaterThan(0);
    // The session is for its own workspace only.
    expect((await fetch(`${base}/v1/reports/attribution?workspace=other&period=30d`, { headers: { cookie: session } })).status).toBe(403);
    // A link for a member opens nothing; a forged or expired one neither.
    const forMember = await links().issue('acme', `telegram:${P.member}`);
    if ('limited' in forMember) throw new Error('limited');
    expect(await (await open(tokenOf(forMember.url))).json()).toEqual({ refused: 'not-allowed', lang: null });
    expect((await open(tokenOf(issued.url).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')))).status).toBe(401);
    const old = await createLoginLinks({ hashKey: HASH_KEY, baseUrl: base, now: () => new Date(Date.now() - 11 * 60_000) }).issue('acme', `telegram:${P.manager}`);
    if ('limited' in old) throw new Error('limited');
    expect(await (await open(tokenOf(old.url))).json()).toEqual({ refused: 'expired', lang: null });
  });

  it('opening links is rate-limited per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await open(`link.bad.${i}`)).status);
    expect(statuses.slice(0, 15).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('midfunnel dashboard link', () => {
  it('prints a one-time link for a manager; bad arguments exit 2', async () => {
    const dir = testConfig().dataDir;
    const file = join(dir, 'ws.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), readFile: async () => Buffer.alloc(0), cwd: dir, isTTY: false };
    const env = { REDIS_URL, MIDFUNNEL_CONFIG: file, MIDFUNNEL_HASH_KEY: HASH_KEY, MIDFUNNEL_DATA_DIR: dir, PUBLIC_BASE_URL: 'https://mf.example.com' };
    expect(await main(['dashboard', 'link', '--workspace', 'acme', '--user', String(P.manager), '--lang', 'zh'], { ...io, env })).toBe(0);
    expect(out.join('')).toMatch(/^https:\/\/mf\.example\.com\/app#login=link\.[\w-]+\.[\w-]+\n$/);
    expect(await main(['dashboard', 'link', '--workspace', 'nope', '--user', '1'], { ...io, env })).toBe(2);
    expect(await main(['dashboard', 'link', '--workspace', 'acme', '--user', 'bob'], { ...io, env })).toBe(2);
    expect(await main(['dashboard', 'link', '--workspace', 'acme', '--user', '1'], { ...io, env: { ...env, PUBLIC_BASE_URL: undefined } })).toBe(2);
    expect(err.join('')).toMatch(/PUBLIC_BASE_URL is not set/);
  });
});
