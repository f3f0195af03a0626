/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core) against the real
 * server (`startRoles` with the http role: real HTTP, the report API over a seeded in-memory
 * store, Redis for one-time links): the Mini App opened with launch data signed by the test
 * bot's token shows the report API's figures for the same period and model; switching the
 * range or the model changes them as the API does; tampered, expired and members' launch
 * data are refused without figures; a one-time link works once; the Chinese view has Chinese
 * labels and draws the CJK group names with a font. A screenshot of each view is written to
 * `test-artifacts/dashboard/`.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { createLoginLinks, signInitData } from '../src/dashboard/index.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { ARTIFACTS, hasChromium, launchChromium } from './support/browser.js';
import { seedDashboard, seedKeywordSpike } from './support/dashboard-data.js';
import { HASH_KEY, P, testConfig, TOKEN, WORKSPACES } from './support/telegram-harness.js';

const KEY = 'acme-dashboard-key-5f1c0a9e7b3d42c8a6e1f0b9d2c7a4e3';
const CONFIG = { workspaces: WORKSPACES.workspaces.map((w) => (w.id === 'acme' ? { ...w, apiKeys: [KEY], currency: 'CNY', name: 'Acme 商店' } : w)) };
const THEME = JSON.stringify({ bg_color: '#17212b', secondary_bg_color: '#232e3c', text_color: '#f5f5f5', hint_color: '#708499', link_color: '#6ab3f3', button_color: '#5288c1', button_text_color: '#ffffff' });

let roles: RunningRoles;
let browser: Browser;
let base: string;
let config: ReturnType<typeof testConfig>;

const skip = hasChromium() ? false : 'Chromium is not installed at /usr/bin/chromium (apt-get install chromium; .ci/run does it)';

beforeAll(async () => {
  if (skip) return;
  const store = createMemoryStore();
  await seedDashboard(store, 'acme');
  await seedKeywordSpike(store, 'acme');
  config = testConfig({}, CONFIG);
  roles = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
  // localhost: Chromium keeps Secure cookies of http://localhost (a secure context).
  base = `http://localhost:${roles.address?.port ?? 0}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await roles?.close();
});

function appUrl(initData: string, extra = ''): string {
  return `${base}/app#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=7.10&tgWebAppPlatform=android&tgWebAppThemeParams=${encodeURIComponent(THEME)}${extra}`;
}

const manager = (lang = 'en') => signInitData(TOKEN, { id: P.manager, first_name: 'Mia', username: 'mia', language_code: lang });

async function api(path: string): Promise<any> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/** A figure's text as a number (`¥1,234.50` → 1234.5, `75%` → 75). */
const numberOf = (text: string | null): number => Number((text ?? '').replace(/[^0-9.\-]/g, ''));

async function openPage(url: string, viewport = { width: 412, height: 915 }): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-US' });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  (page as Page & { cspViolations: string[] }).cspViolations = violations;
  await page.goto(url);
  return page;
}

async function settled(page: Page): Promise<void> {
  await page.waitForSelector('.view[aria-busy="false"], [data-state="refused"]');
}

async function overviewFigures(page: Page): Promise<{ conversions: number; value: number; unattributed: number; matchRate: number }> {
  await settled(page);
  const text = async (name: string) => page.locator(`[data-figure="${name}"]`).textContent();
  return { conversions: numberOf(await text('conversions')), value: numberOf(await text('value')), unattributed: numberOf(await text('unattributed')), matchRate: numberOf(await text('match-rate')) };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate('document.fonts.ready.then(() => true)');
  await page.waitForTimeout(400); // charts finish their entry animation
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(skip)(skip ? `dashboard in Chromium (skipped: ${skip})` : 'dashboard in Chromium', { timeout: 180_000 }, () => {
  it('opened as a Mini App it shows the report API’s figures, and the range and model switches change them as the API does', async () => {
    const page = await openPage(appUrl(manager()));
    const shown30 = await overviewFigures(page);
    const api30 = await api('/v1/reports/attribution?workspace=acme&period=30d&model=linear&by=group');
    expect(shown30).toEqual({ conversions: api30.totals.conversions, value: api30.totals.value, unattributed: api30.totals.unattributed, matchRate: Math.round(api30.totals.match_rate * 1000) / 10 });
    // The seeded data: 3 matched + 1 unattributed conversion in 30 days.
    expect(shown30.conversions).toBe(5);
    // Telegram's theme (dark) is applied.
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    // Switching Telegram's theme while the page is open (the native bridge's event) switches ours.
    await page.evaluate(`window.Telegram.WebView.receiveEvent('theme_changed', { theme_params: { bg_color: '#ffffff', text_color: '#000000', hint_color: '#999999', secondary_bg_color: '#efeff3' } })`);
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('light');
    expect(await page.evaluate(`getComputedStyle(document.body).backgroundColor`)).toBe('rgb(255, 255, 255)');
    await page.evaluate(`window.Telegram.WebView.receiveEvent('theme_changed', { theme_params: ${THEME} })`);
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    // The alerts of the last 7 days are the alerts report's (a keyword spike yesterday).
    const alerts = await api('/v1/reports/alerts?workspace=acme&period=7d');
    expect(alerts.rows.map((r: { kind: string; subject: string }) => [r.kind, r.subject])).toEqual([['keyword-spike', '面膜']]);
    expect(await page.$$eval('[data-list="alerts"] li', (lis) => lis.map((li) => li.getAttribute('data-key')))).toEqual(alerts.rows.map((r: { key: string }) => r.key));
    expect(await page.textContent('[data-list="alerts"]')).toContain('面膜');
    await shot(page, 'overview');

    for (const [preset, period] of [['7d', '7d'], ['90d', '90d']] as const) {
      await page.selectOption('[data-control="range"]', preset);
      const shown = await overviewFigures(page);
      const fromApi = await api(`/v1/reports/attribution?workspace=acme&period=${period}&model=linear&by=group`);
      expect(shown.conversions).toBe(fromApi.totals.conversions);
      expect(shown.value).toBe(fromApi.totals.value);
    }
    expect((await overviewFigures(page)).conversions).not.toBe(shown30.conversions);

    // Attribution: each row's credited value under the chosen model, beside last click.
    await page.click('[data-tab="attribution"]');
    await settled(page);
    const rowsOf = async () =>
      page.$$eval('table[data-table="attribution"] tbody tr', (trs) => trs.map((tr) => ({ key: tr.getAttribute('data-key'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })));
    for (const model of ['linear', 'first_touch', 'shapley']) {
      await page.selectOption('[data-control="model"]', model);
      await settled(page);
      const fromApi = await api(`/v1/reports/attribution?workspace=acme&period=90d&model=${model}&by=group`);
      const shown = await rowsOf();
      expect(shown.map((r) => r.key)).toEqual(fromApi.rows.map((r: { key: string }) => r.key));
      for (const [i, r] of fromApi.rows.entries()) {
        expect(numberOf(shown[i]?.cells[2] ?? '')).toBeCloseTo(r.value, 1);
        expect(numberOf(shown[i]?.cells[1] ?? '')).toBeCloseTo(r.conversions, 1);
        expect(numberOf(shown[i]?.cells[3] ?? '')).toBeCloseTo(r.last_touch.conversions, 1);
      }
    }
    // First touch gives the Chinese-named group everything; Shapley splits it.
    await page.selectOption('[data-control="model"]', 'first_touch');
    await settled(page);
    const deals = (await rowsOf()).find((r) => r.key === '-1001');
    expect(deals?.cells[0]).toBe('团购群 Deals');
    expect(await page.locator('[data-state="error"]').allTextContents()).toEqual([]);
    await shot(page, 'attribution');
    // A theme change draws the charts again in the new colours (no reports asked again).
    const drawn = Number(await page.getAttribute('.chart', 'data-drawn'));
    await page.evaluate(`window.Telegram.WebView.receiveEvent('theme_changed', { theme_params: { bg_color: '#ffffff', text_color: '#000000', hint_color: '#999999' } })`);
    expect(Number(await page.getAttribute('.chart', 'data-drawn'))).toBeGreaterThan(drawn);
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('light');
    await page.evaluate(`window.Telegram.WebView.receiveEvent('theme_changed', { theme_params: ${THEME} })`);

    // Every other view draws (or says it is not available here), with a screenshot each.
    for (const view of ['campaigns', 'funnel', 'cohorts', 'paths', 'referrals', 'export']) {
      await page.click(`[data-tab="${view}"]`);
      await settled(page);
      expect(await page.locator(`.view[data-view="${view}"]`).count()).toBe(1);
      // Each view's reports answered (a view asking with a parameter its report does not take shows an error).
      expect(await page.locator('[data-state="error"]').allTextContents(), view).toEqual([]);
      if (view === 'paths') {
        // Assists beside last touch; a ratio with no last-touch credit is shown as undefined, as the API gives it.
        const fromApi = await api('/v1/reports/paths?workspace=acme&period=90d');
        const shown = await page.$$eval('table[data-table="assists"] tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-key'), ...[...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')]));
        expect(shown).toEqual(fromApi.rows.map((r: { key: string; label: string; assists: number; last_touch: number; assist_ratio: number | null }) => [r.key, r.label, String(r.assists), String(r.last_touch), r.assist_ratio === null ? '–' : r.assist_ratio.toFixed(2).replace(/\.?0+$/, '')]));
        expect(shown.some((r) => r[4] === '–')).toBe(true);
      }
      await shot(page, view);
    }
    await page.click('[data-tab="funnel"]');
    await settled(page);
    expect(await page.locator('[data-state="error"]').count()).toBe(0);
    await page.click('[data-tab="journey"]');
    await page.fill('[data-control="member"]', 'nobody-here');
    await page.press('[data-control="member"]', 'Enter');
    await page.waitForSelector('[data-state="not-found"]');
    await shot(page, 'journey');
    expect((page as Page & { cspViolations: string[] }).cspViolations).toEqual([]);
    await page.context().close();
  });

  it('refuses tampered, expired and members’ launch data with a page that says so and shows no figures', async () => {
    const good = manager();
    const tampered = good.replace(encodeURIComponent(`"id":${P.manager}`), encodeURIComponent(`"id":${P.owner}`));
    expect(tampered).not.toBe(good);
    const expired = signInitData(TOKEN, { id: P.manager, language_code: 'en' }, new Date(Date.now() - 25 * 3600_000));
    const member = signInitData(TOKEN, { id: P.member, language_code: 'zh-hans' });
    const otherBot = signInitData('7000000009:AAH_not_our_bot_token_000000000000', { id: P.manager });
    for (const [name, data, words] of [
      ['tampered', tampered, 'Not allowed'],
      ['expired', expired, 'Not allowed'],
      ['member', member, '没有权限'],
      ['other-bot', otherBot, 'Not allowed'],
    ] as const) {
      const page = await openPage(appUrl(data));
      await page.waitForSelector('[data-state="refused"]');
      const text = (await page.textContent('body')) ?? '';
      expect(text, name).toContain(words);
      expect(await page.locator('[data-figure]').count()).toBe(0);
      expect(text).not.toMatch(/团购群|\b240\b|¥/);
      if (name === 'member') await shot(page, 'refused-member-zh');
      await page.context().close();
      // The report API refuses the same launch data, without figures.
      const res = await fetch(`${base}/v1/reports/attribution?workspace=acme&period=30d`, { headers: { authorization: `tma ${data}` } });
      expect(res.status, name).toBe(name === 'member' ? 403 : 401);
      expect(await res.text()).not.toMatch(/totals|rows/);
    }
  });

  it('a one-time login link opens a session once; the second opening is refused', async () => {
    const links = createLoginLinks({ hashKey: HASH_KEY, baseUrl: base });
    const issued = await links.issue('acme', `telegram:${P.owner}`, 'en');
    if ('limited' in issued) throw new Error('rate-limited');
    expect(issued.url).toMatch(/\/app#login=link\./);
    const page = await openPage(issued.url, { width: 1280, height: 900 });
    const shown = await overviewFigures(page);
    expect(shown.conversions).toBe((await api('/v1/reports/attribution?workspace=acme&period=30d')).totals.conversions);
    // The token left the address bar; the session cookie is HttpOnly, Secure, SameSite=Lax.
    expect(page.url()).not.toContain('login=');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'mf_dashboard');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect((cookie?.expires ?? 0) - Date.now() / 1000).toBeGreaterThan(11.9 * 3600);
    // The session reads the report API (the export downloads) without an API key.
    const csv = await page.evaluate(async () => {
      const res = await fetch('/v1/reports/export?workspace=acme&period=30d');
      return { status: res.status, type: res.headers.get('content-type'), bytes: [...new Uint8Array(await res.arrayBuffer()).slice(0, 3)] };
    });
    expect(csv).toEqual({ status: 200, type: 'text/csv; charset=utf-8', bytes: [0xef, 0xbb, 0xbf] });
    await shot(page, 'overview-desktop');
    await page.context().close();

    const again = await openPage(issued.url);
    await again.waitForSelector('[data-state="refused"]');
    expect(await again.textContent('body')).toContain('already used');
    expect(await again.locator('[data-figure]').count()).toBe(0);
    await again.context().close();
  });

  it('the Chinese view (language_code zh-hans) has Chinese labels and draws CJK group names with a font', async () => {
    const page = await openPage(appUrl(manager('zh-hans')));
    await overviewFigures(page);
    expect(await page.textContent('[data-tab="overview"]')).toBe('概览');
    expect(await page.textContent('.figures')).toContain('转化');
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    // Readiness and alerts are worded in Chinese too (names and keywords as written).
    await settled(page);
    expect(await page.textContent('ul.readiness')).toMatch(/正在监测 \d+ 个关键词/);
    expect(await page.textContent('[data-list="alerts"]')).toMatch(/关键词「面膜」/);
    await shot(page, 'overview-zh');
    await page.click('[data-tab="attribution"]');
    await settled(page);
    expect(await page.textContent('table[data-table="attribution"]')).toContain('团购群 Deals');
    // The group name is drawn with a font that has the characters (ours, or the system's).
    const hasGlyphs = await page.evaluate(`(async () => {
      await document.fonts.load('16px "MF CJK"', '团购群');
      return document.fonts.check('16px "MF CJK"', '团购群') && [...document.fonts].some((f) => f.family.includes('MF CJK') && f.status === 'loaded');
    })()`);
    expect(hasGlyphs).toBe(true);
    await shot(page, 'attribution-zh');
    // Switching the language in the page works too.
    await page.selectOption('[data-control="lang"]', 'en');
    await settled(page);
    expect(await page.textContent('[data-tab="overview"]')).toBe('Overview');
    await page.context().close();
  });
});
