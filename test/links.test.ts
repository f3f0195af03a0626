/**
 * Tracked links: creating them (allow-listed destinations only), redirects with UTM and
 * click ids over real HTTP, preview robots and HEAD not counted, repeat clicks counted once
 * (Redis SET NX EX), visitors kept only as keyed hashes, personal links tied to the member,
 * and the `links` CLI.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import type { CliIo } from '../src/cli/io.js';
import { makeLinksCommand } from '../src/cli/links.js';
import { loadConfig, type WorkspaceConfig } from '../src/config.js';
import { LinkError, checkDestination, createLink } from '../src/links/create-link.js';
import { personalLinkUrl } from '../src/links/member-tokens.js';
import { isNotAClick } from '../src/links/preview-bots.js';
import { redirectUrl } from '../src/links/redirect-url.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { makeTouchId } from '../src/touch-event.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

async function start(store: Store): Promise<{ base: string; app: RunningRoles }> {
  const prefix = uniquePrefix('links');
  const config = loadConfig(
    { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-links-')), MIDFUNNEL_HASH_KEY: 'links-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json' },
    () => JSON.stringify({ workspaces: [{ id: WS, allowedDomains: ['shop.example.com'] }] }),
  );
  const app = await startRoles({ config, roles: ['http', 'workers'], log: createLogger('silent'), store });
  running.push({ app, prefix });
  return { base: `http://127.0.0.1:${app.address?.port}`, app };
}

async function visit(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; location: string | null; cache: string | null; body: string }> {
  const res = await fetch(`${base}${path}`, { method, redirect: 'manual', headers });
  return { status: res.status, location: res.headers.get('location'), cache: res.headers.get('cache-control'), body: await res.text() };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const LINK = { workspace: WS, code: 'spring1', destination: 'https://shop.example.com/p/7?color=red#reviews', platform: 'telegram' as const, campaign: 'spring', chatId: '-1001', chatTitle: '团购群 Deals' };

describe('link destinations (no open redirect)', () => {
  const allowed = ['shop.example.com'];
  it('accepts the allowed domain and its subdomains over http(s)', () => {
    expect(checkDestination('https://shop.example.com/p?a=1', allowed)).toBe('https://shop.example.com/p?a=1');
    expect(checkDestination('http://m.shop.example.com', allowed)).toBe('http://m.shop.example.com/');
    expect(checkDestination('https://SHOP.example.com./x', allowed)).toBe('https://shop.example.com./x');
  });

  it.each([
    ['https://evil.example.com/', /evil.example.com is not on this workspace's allowed domains \(shop.example.com\)/],
    ['https://shop.example.com.evil.io/', /is not on this workspace's allowed domains/],
    ['https://shop.example.com@evil.io/', /must not carry a user name or password/],
    ['https://notshop.example.com/', /is not on this workspace's allowed domains/],
    ['javascript:alert(1)', /only http and https/],
    ['//shop.example.com/x', /is not a URL/],
    ['shop', /is not a URL/],
  ])('refuses %s', (url, message) => {
    expect(() => checkDestination(url, allowed)).toThrow(message);
  });

  it('refuses everything while the workspace allows no domain, saying what to configure', () => {
    expect(() => checkDestination('https://shop.example.com/', [])).toThrow(/add the shop domain to allowedDomains/);
  });
});

describe('redirect URL', () => {
  it('keeps the destination’s query and fragment and appends UTM and the click id', () => {
    const link = { ...LINK, createdAt: '2026-03-01T00:00:00Z' };
    expect(redirectUrl(link, 'CK1')).toBe(
      'https://shop.example.com/p/7?color=red&utm_source=telegram&utm_medium=community&utm_campaign=spring&utm_content=%E5%9B%A2%E8%B4%AD%E7%BE%A4+Deals&mf_click=CK1#reviews',
    );
    expect(redirectUrl(link, null)).not.toContain('mf_click');
  });

  it('keeps a UTM parameter the operator put in the destination and replaces a stale mf_click', () => {
    const link = { workspace: WS, code: 'x', destination: 'https://shop.example.com/?utm_campaign=own&mf_click=old', platform: 'whatsapp' as const, createdAt: '2026-03-01T00:00:00Z' };
    expect(redirectUrl(link, 'new')).toBe('https://shop.example.com/?utm_campaign=own&mf_click=new&utm_source=whatsapp&utm_medium=community');
  });
});

describe('preview robots', () => {
  it.each([
    ['TelegramBot (like TwitterBot)'],
    ['WhatsApp/2.23.20.0 A'],
    ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
    ['Twitterbot/1.0'],
    ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
    ['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
    ['Mozilla/5.0 (compatible; SomeCrawler/1.0)'],
    ['curl/8.5.0'],
  ])('%s is not a click', (ua) => {
    expect(isNotAClick('GET', { 'user-agent': ua })).toBe(true);
  });

  it.each([
    ['Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 WhatsApp/2.21'],
    ['Mozilla/5.0 (Linux; Android 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 facebookexternalhit/1.1'],
    ['Mozilla/5.0 (Linux; Android 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 Iframely/1.3.1'],
    ['Mozilla/5.0 (Linux; Android 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 kakaotalk-scrap/1.0'],
    ['Mozilla/5.0 (Linux; Android 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 python-requests/2.31'],
  ])('a preview fetcher isbot misses (%s) is not a click', (ua) => {
    expect(isNotAClick('GET', { 'user-agent': ua })).toBe(true);
  });

  it.each([
    ['Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121 Mobile Safari/537.36 Telegram-Android/10.6.2 (Google Pixel 6; Android 12; SDK 32; AVERAGE)'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/13.19.0'],
    ['Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116 Mobile Safari/537.36 KAKAOTALK 10.3.5'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.0;]'],
  ])('a person in an in-app browser (%s) is a click', (ua) => {
    expect(isNotAClick('GET', { 'user-agent': ua })).toBe(false);
  });

  it('people’s browsers are clicks; HEAD, prefetch and a missing user agent are not', () => {
    expect(isNotAClick('GET', { 'user-agent': CHROME })).toBe(false);
    // Telegram's in-app browser on iOS: a person.
    expect(isNotAClick('GET', { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Telegram-iOS/10.9' })).toBe(false);
    expect(isNotAClick('HEAD', { 'user-agent': CHROME })).toBe(true);
    expect(isNotAClick('GET', { 'user-agent': CHROME, 'sec-purpose': 'prefetch;prerender' })).toBe(true);
    expect(isNotAClick('GET', {})).toBe(true);
  });
});

describe('creating a link with ill-formed text', () => {
  it('refuses a campaign or group with a lone surrogate and stores nothing', async () => {
    const store = createMemoryStore();
    await expect(createLink(store, { allowedDomains: ['shop.example.com'] }, { ...LINK, campaign: 'spring\ud800' })).rejects.toThrow(/campaign is not well-formed Unicode/);
    await expect(createLink(store, { allowedDomains: ['shop.example.com'] }, { ...LINK, chatId: '-100\udc00' })).rejects.toThrow(/group is not well-formed Unicode/);
    expect(await store.links.get(WS, 'spring1')).toBeNull();
  });
});

describe('GET /l/<code> (real HTTP, touch queue on Redis)', () => {
  it('redirects with UTM and a click id, records the click, and the profile worker stores its anonymous touch', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    await createLink(store, { allowedDomains: ['shop.example.com'] }, LINK);
    const r = await visit(base, '/l/spring1', { 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.7, 10.0.0.1' });
    expect(r.status).toBe(302);
    expect(r.cache).toBe('no-store');
    const url = new URL(r.location ?? '');
    const clickId = url.searchParams.get('mf_click') ?? '';
    expect(clickId).toMatch(/^[0-9A-Za-z]{16}$/);
    expect(r.location).toBe(`https://shop.example.com/p/7?color=red&utm_source=telegram&utm_medium=community&utm_campaign=spring&utm_content=%E5%9B%A2%E8%B4%AD%E7%BE%A4+Deals&mf_click=${clickId}#reviews`);

    const click = await store.clicks.get(WS, clickId);
    expect(click).toMatchObject({ code: 'spring1', profileId: null, chatId: '-1001', campaign: 'spring', touchId: makeTouchId('web', 'click', clickId) });
    // The visitor is a keyed hash: no IP anywhere in the stored click.
    expect(JSON.stringify(click)).not.toMatch(/203\.0\.113\.7|127\.0\.0\.1/);
    expect(click?.visitorHash).toMatch(/^[0-9a-f]{32}$/);

    const stored = await until(() => store.touches.get(WS, makeTouchId('web', 'click', clickId)), (t) => t !== null, 'the click touch');
    expect(stored).toMatchObject({
      kind: 'link_click',
      platform: 'web',
      account: 'links',
      chat: { id: '-1001', title: '团购群 Deals', type: 'web' },
      actor: {},
      details: { code: 'spring1', clickId, campaign: 'spring' },
      profileId: null,
    });
  });

  it('counts a visitor’s repeated clicks within the hour once, with the same click id; another visitor counts', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    await createLink(store, { allowedDomains: ['shop.example.com'] }, LINK);
    const first = new URL((await visit(base, '/l/spring1', { 'user-agent': CHROME })).location ?? '').searchParams.get('mf_click');
    const again = new URL((await visit(base, '/l/spring1', { 'user-agent': CHROME })).location ?? '').searchParams.get('mf_click');
    const other = new URL((await visit(base, '/l/spring1', { 'user-agent': FIREFOX })).location ?? '').searchParams.get('mf_click');
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(await store.clicks.count(WS)).toBe(2);
    // The dedupe key lives for an hour.
    const redis = testRedis();
    const keys = await redis.keys(`${running[0]?.prefix}:click:${WS}:spring1:*`);
    expect(keys).toHaveLength(2);
    const ttl = await redis.ttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    await redis.quit();
  });

  it('redirects preview robots and HEAD requests without a click id and counts nothing', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    await createLink(store, { allowedDomains: ['shop.example.com'] }, LINK);
    for (const ua of ['TelegramBot (like TwitterBot)', 'WhatsApp/2.24.1.6 i', 'facebookexternalhit/1.1', 'Twitterbot/1.0', 'Slackbot-LinkExpanding 1.0', 'Discordbot/2.0']) {
      const r = await visit(base, '/l/spring1', { 'user-agent': ua });
      expect(r.status).toBe(302);
      expect(r.location).toBe('https://shop.example.com/p/7?color=red&utm_source=telegram&utm_medium=community&utm_campaign=spring&utm_content=%E5%9B%A2%E8%B4%AD%E7%BE%A4+Deals#reviews');
    }
    const head = await visit(base, '/l/spring1', { 'user-agent': CHROME }, 'HEAD');
    expect(head.status).toBe(302);
    expect(head.location).not.toContain('mf_click');
    expect(await store.clicks.count(WS)).toBe(0);
    expect(await store.touches.count(WS)).toBe(0);
  });

  it('answers an unknown code with a plain 404 page', async () => {
    const { base } = await start(createMemoryStore());
    for (const path of ['/l/nope', '/l/nope/token', '/l/%E2%98%83']) {
      const r = await visit(base, path, { 'user-agent': CHROME });
      expect(r.status).toBe(404);
      expect(r.body).toBe('This link does not exist or is no longer active.\n');
    }
  });

  it('ties a personal link’s click to the member, even after their profile merged into another', async () => {
    const store = createMemoryStore();
    const { base, app } = await start(store);
    await createLink(store, { allowedDomains: ['shop.example.com'] }, LINK);
    await app.touchQueue.enqueue(touch({ kind: 'dm_start', ref: 'alice-start', at: '2026-03-01T00:00:00Z', chat: { id: '101', type: 'private' }, actor: { userId: '101' }, details: { payload: 'spring' } }));
    const owner = await until(() => store.identities.find(WS, [{ type: 'tg_id', value: '101' }]), (m) => m.size === 1, 'Alice’s profile');
    const url = await personalLinkUrl(store, { workspace: WS, code: 'spring1', baseUrl: base, member: { identifier: { type: 'tg_id', value: '101' } } });
    expect(url).toMatch(new RegExp(`^${base}/l/spring1/[0-9A-Za-z]{22}$`));
    // The same member gets the same token.
    expect(await personalLinkUrl(store, { workspace: WS, code: 'spring1', baseUrl: `${base}/`, member: { identifier: { type: 'tg_id', value: '101' } } })).toBe(url);

    const r = await visit(base, new URL(url).pathname, { 'user-agent': CHROME });
    const clickId = new URL(r.location ?? '').searchParams.get('mf_click') ?? '';
    const stored = await until(() => store.touches.get(WS, makeTouchId('web', 'click', clickId)), (t) => t !== null, 'the personal click');
    expect(stored?.profileId).toBe(owner.get('tg_id|101'));
    expect(stored?.actor).toEqual({ profileId: owner.get('tg_id|101') });
    // A bad token is still a redirect, counted as an anonymous click.
    const bad = await visit(base, '/l/spring1/notAToken', { 'user-agent': FIREFOX });
    expect(bad.status).toBe(302);
    expect((await store.clicks.get(WS, new URL(bad.location ?? '').searchParams.get('mf_click') ?? ''))?.profileId).toBeNull();
  });
});

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, {
    stdout: (t: string) => void (o.out += t),
    stderr: (t: string) => void (o.err += t),
    readFile: async () => Buffer.alloc(0),
    cwd: '/',
    env: {},
    isTTY: false,
  });
}

describe('midfunnel links', () => {
  const workspaces = [{ id: WS, allowedDomains: ['shop.example.com'] }] as unknown as WorkspaceConfig[];

  it('creates a link and prints its URL; lists the workspace’s links', async () => {
    const store = createMemoryStore();
    const cmd = makeLinksCommand({ store, workspaces, hashKey: 'k'.repeat(32), publicBaseUrl: 'https://go.example.com/' });
    const c = io();
    expect(await cmd(['create', '--workspace', WS, '--url', 'https://shop.example.com/spring', '--platform', 'whatsapp', '--campaign', 'spring', '--group', '120363@g.us', '--group-title', '粉丝群'], c)).toBe(0);
    const code = c.out.trim().replace('https://go.example.com/l/', '');
    expect(code).toMatch(/^[0-9A-Za-z]{7}$/);
    expect(await store.links.get(WS, code)).toMatchObject({ destination: 'https://shop.example.com/spring', platform: 'whatsapp', campaign: 'spring', chatId: '120363@g.us', chatTitle: '粉丝群', createdBy: 'cli' });
    const l = io();
    expect(await cmd(['list', '--workspace', WS], l)).toBe(0);
    expect(l.out).toContain(`https://go.example.com/l/${code}  whatsapp  spring    粉丝群  https://shop.example.com/spring`);
  });

  it('refuses a destination off the allow-list, a taken code and a missing platform, writing nothing', async () => {
    const store = createMemoryStore();
    const cmd = makeLinksCommand({ store, workspaces, hashKey: 'k'.repeat(32) });
    await expect(cmd(['create', '--workspace', WS, '--url', 'https://evil.io/x', '--platform', 'web'], io())).rejects.toThrow(/evil.io is not on this workspace's allowed domains/);
    expect(await cmd(['create', '--workspace', WS, '--url', 'https://shop.example.com/', '--platform', 'web', '--code', 'mine'], io())).toBe(0);
    await expect(cmd(['create', '--workspace', WS, '--url', 'https://shop.example.com/', '--platform', 'web', '--code', 'mine'], io())).rejects.toThrow(/the code mine is taken/);
    await expect(cmd(['create', '--workspace', WS, '--url', 'https://shop.example.com/'], io())).rejects.toThrow(/--platform is one of telegram, whatsapp, web/);
    await expect(cmd(['create', '--workspace', 'other', '--url', 'https://shop.example.com/', '--platform', 'web'], io())).rejects.toThrow(/workspace other is not configured/);
    expect((await store.links.list(WS)).map((x) => x.code)).toEqual(['mine']);
  });

  it('gives LinkError for bad link fields through the library too', async () => {
    const store = createMemoryStore();
    await expect(createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, destination: 'https://shop.example.com/', platform: 'web', code: 'a b' })).rejects.toBeInstanceOf(LinkError);
  });
});
