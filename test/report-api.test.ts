/**
 * Reports over HTTP (`GET /v1/reports/<name>`) against the real server (`startRoles` with
 * the http role): refusals without figures (401 without or with an unknown key, 403 for a
 * key of another workspace or an unknown one), field-level 400s, the JSON shapes (period,
 * totals, rows with key/label/conversions/value; funnel rows with distinct people and an
 * `all` row), CSV with a BOM and defused formula cells, and the same figures through the
 * bot command, the CLI's `--json` and the API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import type { CliIo } from '../src/cli/io.js';
import { makeReportCommand } from '../src/cli/report.js';
import { ConfigError, parseWorkspacesFile, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createReports } from '../src/reports/index.js';
import type { AttributionReport, ReportsApi } from '../src/reports/report-types.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, CreditedTouch, Store } from '../src/store/store.js';
import { conversionRecord, creditSet } from './support/credits.js';
import { fakeReports } from './support/fake-reports.js';
import { commandUpdate, P, privateChat, startTelegramHarness, testConfig, WORKSPACES, type TelegramHarness } from './support/telegram-harness.js';

const KEY_ACME = 'acme-report-key-5f1c0a9e7b3d42c8a6e1f0b9d2c7a4e3';
const KEY_OTHER = 'other-report-key-0b9d2c7a4e35f1c0a9e7b3d42c8a6e1f';
const WITH_KEYS = { workspaces: WORKSPACES.workspaces.map((w) => ({ ...w, apiKeys: [w.id === 'acme' ? KEY_ACME : KEY_OTHER] })) };
const MARCH = '2026-03-01..2026-03-31';

const open: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

const conversion = (id: string, at: string, value: number, status: ConversionRecord['status']): ConversionRecord => conversionRecord('acme', id, at, value, status);

const J: CreditedTouch = { touchId: 't-j', at: '2026-03-02T00:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring', channel: 'telegram/-1001/join' };
const K: CreditedTouch = { touchId: 't-k', at: '2026-03-03T00:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1001', chatTitle: '团购群', campaign: 'spring', keywords: ['price'], channel: 'telegram/-1001/keyword' };
const C: CreditedTouch = { touchId: 't-c', at: '2026-03-04T00:00:00.000Z', kind: 'link_click', platform: 'web', chatId: '-1002', chatTitle: '=VIP', campaign: 'vip', links: ['vip1'], channel: 'web/-1002/link_click' };

/** c1 (90): J, K, C under every model; c3 (40): matched, no touch in its window; c4 (25) unattributed; c5 (15) pending. */
async function seed(store: Store): Promise<void> {
  const c1 = conversion('c1', '2026-03-10T00:00:00.000Z', 90, 'matched');
  const c3 = conversion('c3', '2026-03-12T00:00:00.000Z', 40, 'matched');
  await store.conversions.insertMany('acme', [c1, c3, conversion('c4', '2026-03-13T00:00:00.000Z', 25, 'unattributed'), conversion('c5', '2026-03-14T00:00:00.000Z', 15, 'pending')]);
  const all = (conversions: number[], value: number[]) => ({ conversions, value });
  const set = creditSet;
  await store.credits.put(
    'acme',
    set(c1, [J, K, C], {
      first_touch: all([1, 0, 0], [90, 0, 0]),
      last_touch: all([0, 0, 1], [0, 0, 90]),
      linear: all([1 / 3, 1 / 3, 1 / 3], [30, 30, 30]),
      position_based: all([0.4, 0.2, 0.4], [36, 18, 36]),
      time_decay: all([0.2, 0.3, 0.5], [18, 27, 45]),
      markov: all([0.25, 0.25, 0.5], [22.5, 22.5, 45]),
      shapley: all([0.5, 0, 0.5], [45, 0, 45]),
    }),
  );
  const none = all([], []);
  await store.credits.put('acme', set(c3, [], { first_touch: none, last_touch: none, linear: none, position_based: none, time_decay: none, markov: none, shapley: none }));
}

async function server(options: { store?: Store; reports?: ReportsApi; config?: Config } = {}): Promise<{ app: RunningRoles; store: Store; get: (path: string, key?: string | null, headers?: Record<string, string>) => Promise<Response> }> {
  const store = options.store ?? createMemoryStore();
  const config = options.config ?? testConfig({}, WITH_KEYS);
  const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store, ...(options.reports ? { reports: options.reports } : {}) });
  open.push({ close: () => app.close() });
  const base = `http://127.0.0.1:${app.address?.port ?? 0}`;
  const get = (path: string, key: string | null = KEY_ACME, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { ...(key !== null ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  return { app, store, get };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

describe('report API: who may read', () => {
  it('no key or an unknown key is 401, a key of another workspace or an unknown workspace 403; refusals carry no figures', async () => {
    const store = createMemoryStore();
    await seed(store);
    const { get } = await server({ store });
    const path = `/v1/reports/attribution?workspace=acme&period=${MARCH}`;
    const refusals = [
      [await get(path, null), 401],
      [await get(path, 'not-a-key-of-anyone-0123456789abcdef'), 401],
      [await get(path, null, { authorization: `Basic ${Buffer.from(`acme:${KEY_ACME}`).toString('base64')}` }), 401],
      [await get(path, KEY_OTHER), 403],
      [await get(`/v1/reports/attribution?workspace=nope&period=${MARCH}`, KEY_ACME), 403],
      [await get(`/v1/reports/export?workspace=acme&period=${MARCH}`, KEY_OTHER), 403],
    ] as const;
    for (const [res, status] of refusals) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await res.text();
      expect(text).not.toMatch(/totals|rows|conversion_id|团购群|spring|\b90\b/);
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    // The owner's key reads it.
    expect((await get(path)).status).toBe(200);
    // Without a workspace there is nothing to authorize against yet: a field error.
    const missing = await get('/v1/reports/attribution');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'bad_request', errors: [{ field: 'workspace', message: 'required: the workspace id' }] });
  });

  it('bad parameters are 400 with one reason per field, all in one answer', async () => {
    const { get } = await server({ reports: fakeReports() });
    const res = await get('/v1/reports/attribution?workspace=acme&period=13x&by=colour&model=magic&colour=red');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ field: string; message: string }> };
    expect(body.errors.map((e) => e.field).sort()).toEqual(['by', 'colour', 'model', 'period']);
    expect(body.errors.find((e) => e.field === 'period')?.message).toBe("'13x' is not a period; periods: 7d, 30d, 90d, or 2026-01-01..2026-01-31");
    expect(body.errors.find((e) => e.field === 'by')?.message).toBe('by= must be one of group, campaign, keyword, link, platform, referrer');
    const journey = await get('/v1/reports/journey?workspace=acme');
    expect(await journey.json()).toMatchObject({ errors: [{ field: 'member' }] });
    expect((await get('/v1/reports/export?workspace=acme&format=json')).status).toBe(400);
    expect(await (await get('/v1/reports/funnel?workspace=acme&group=nope')).json()).toMatchObject({ errors: [{ field: 'group', message: 'no group has this id or title' }] });
    expect(await (await get('/v1/reports/funnel?workspace=acme&by=campaign&group=x')).json()).toMatchObject({ errors: [{ field: 'group', message: 'group= goes with by=group' }] });
    expect((await get('/v1/reports/attribution?workspace=acme&period=7d&period=30d')).status).toBe(400);
    expect((await get('/v1/reports/lift-off?workspace=acme')).status).toBe(404);
  });
});

describe('report API: answers', () => {
  it('attribution: period, totals and rows with key, label, conversions and value; the (none) row is labelled for its dimension', async () => {
    const store = createMemoryStore();
    await seed(store);
    const { get } = await server({ store });
    const res = await get(`/v1/reports/attribution?workspace=acme&period=${MARCH}&by=campaign&model=linear`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as { period: unknown; totals: Record<string, number>; rows: Array<Record<string, unknown>> };
    // The range is in the workspace's time zone (Asia/Shanghai).
    expect(body.period).toEqual({ from: '2026-02-28T16:00:00.000Z', to: '2026-03-31T16:00:00.000Z', label: MARCH });
    expect(body.totals).toMatchObject({ conversions: 4, value: 170, matched: 2, unattributed: 2, unattributed_value: 40 });
    const rows = Object.fromEntries(body.rows.map((r) => [r.key, r]));
    expect(round1(Number(rows.spring?.conversions))).toBe(0.7);
    expect(rows.spring).toMatchObject({ label: 'spring', value: 60, last_touch: { conversions: 0, value: 0 } });
    expect(rows.vip).toMatchObject({ label: 'vip', value: 30, last_touch: { conversions: 1, value: 90 } });
    expect(rows['(none)']).toMatchObject({ label: '(no campaign)', conversions: 1, value: 40 });
    // campaign= narrows the rows.
    const one = (await (await get(`/v1/reports/attribution?workspace=acme&period=${MARCH}&campaign=vip`)).json()) as { by: string; rows: Array<{ key: string }> };
    expect(one.by).toBe('campaign');
    expect(one.rows.map((r) => r.key)).toEqual(['vip']);
  });

  it('models: every model per row; conversions and value under the model asked for', async () => {
    const store = createMemoryStore();
    await seed(store);
    const { get } = await server({ store });
    const body = (await (await get(`/v1/reports/models?workspace=acme&period=${MARCH}&by=group&model=shapley`)).json()) as { models: string[]; rows: Array<{ key: string; conversions: number; value: number; by_model: Record<string, { conversions: number; value: number }> }> };
    expect(body.models).toHaveLength(7);
    const vip = body.rows.find((r) => r.key === '-1002');
    expect(vip).toMatchObject({ conversions: 0.5, value: 45, by_model: { first_touch: { conversions: 0, value: 0 }, last_touch: { conversions: 1, value: 90 }, markov: { conversions: 0.5, value: 45 } } });
  });

  it('format=csv: text/csv with a BOM and one header row; formula-like cells are defused', async () => {
    const store = createMemoryStore();
    await seed(store);
    const { get } = await server({ store });
    const res = await get(`/v1/reports/attribution?workspace=acme&period=${MARCH}&by=group&format=csv`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,label,conversions,value,last_touch.conversions,last_touch.value,difference.conversions,difference.value');
    expect(lines.find((l) => l.startsWith('-1002,'))).toMatch(/^-1002,'=VIP,/);
    expect(lines).toHaveLength(4);
  });

  it('export: the CSV of every credit, named after the period’s days in the workspace’s calendar', async () => {
    const store = createMemoryStore();
    await seed(store);
    const { get } = await server({ store });
    const res = await get(`/v1/reports/export?workspace=acme&period=${MARCH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="credits-acme-2026-03-01-2026-03-31.csv"');
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text.split('\r\n')[0]).toMatch(/^\ufeffconversion_id,conversion_at,/);
    expect(text).toContain(",'=VIP,");
  });

  it('funnel: rows with joined, engaged, clicked and converted, and one all row (people counted once)', async () => {
    const reports = fakeReports();
    const funnel = reports.funnel.bind(reports);
    reports.funnel = async (ws, o) => {
      const f = await funnel(ws, o);
      const second = { ...f.rows[0]!, key: 'vip', label: 'VIP', joined: 40, engaged: 30, clicked: 10, converted: 4 };
      return { ...f, rows: [f.rows[0]!, second, { ...second, key: 'all', label: 'all', joined: 150, engaged: 90, clicked: 28, converted: 9, medianDaysToConvert: 5 }] };
    };
    const { get } = await server({ reports });
    const body = (await (await get('/v1/reports/funnel?workspace=acme&period=30d')).json()) as { totals: Record<string, number>; rows: Array<Record<string, unknown>> };
    expect(body.totals).toMatchObject({ conversions: 42, value: 12_300, matched: 37, unattributed: 5 });
    expect(body.rows.map((r) => r.key)).toEqual(['-1001234567890', 'vip', 'all']);
    for (const r of body.rows) for (const k of ['key', 'label', 'conversions', 'value', 'joined', 'engaged', 'clicked', 'converted']) expect(r).toHaveProperty(k);
    expect(body.rows[2]).toMatchObject({ key: 'all', joined: 150, engaged: 90, clicked: 28, converted: 9, conversions: 9, median_days_to_convert: 5 });
    expect(reports.calls.find((c) => c.method === 'funnel')?.options).toMatchObject({ by: 'group' });
  });

  it('groupstats: a row per group and one for all groups; group= by title narrows it', async () => {
    const reports = fakeReports();
    const { get, store } = await server({ reports });
    for (const [chatId, title] of [['-1001234567890', '团购群 Deals'], ['-1005550001111', '品牌粉丝群 v2.0']] as const) {
      await store.community.groups.upsert('acme', { workspace: 'acme', platform: 'telegram', chatId, title, account: '1', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
    }
    const body = (await (await get('/v1/reports/groupstats?workspace=acme&period=7d')).json()) as { rows: Array<Record<string, unknown>>; days: unknown[]; top_keywords: unknown[] };
    expect(body.rows.map((r) => r.key)).toEqual(['-1001234567890', '-1005550001111', 'all']);
    expect(body.rows[0]).toMatchObject({ label: '团购群 Deals', conversions: 20.5, value: 6_000, joins: 42, leaves: 8, net: 34, active_members: 77, messages: 310, keyword_hits: 41 });
    expect(body.rows[2]).toMatchObject({ label: 'all groups', conversions: 37, value: 11_400 });
    expect(body.top_keywords).toEqual([{ keyword: '发货', count: 25 }]);
    const one = (await (await get(`/v1/reports/groupstats?workspace=acme&group=${encodeURIComponent('品牌粉丝群 v2.0')}`)).json()) as { rows: Array<{ key: string }> };
    expect(one.rows.map((r) => r.key)).toEqual(['-1005550001111']);
    expect(reports.calls.filter((c) => c.method === 'groupStats').at(-1)?.options).toMatchObject({ chatId: '-1005550001111' });
  });

  it('journey: touches and conversions as rows in time order; an unknown member is 404', async () => {
    const { get } = await server({ reports: fakeReports() });
    const body = (await (await get('/v1/reports/journey?workspace=acme&member=%40alice_shop')).json()) as { member: Record<string, unknown>; totals: Record<string, number>; rows: Array<Record<string, unknown>> };
    expect(body.member).toMatchObject({ profile_id: 'p_alice', label: '@alice_shop' });
    expect(body.rows.map((r) => r.kind)).toEqual(['join', 'message', 'conversion']);
    expect(body.rows[2]).toMatchObject({ key: 'o-1', conversions: 1, value: 299, currency: 'CNY' });
    expect(body.totals).toEqual({ conversions: 1, value: 299, matched: 1, unattributed: 0 });
    expect((await get('/v1/reports/journey?workspace=acme&member=%40ghost')).status).toBe(404);
  });
});

describe('one set of figures', () => {
  it('the bot command, the CLI (--json) and the API give the same figures for the same period and model', async () => {
    let h: TelegramHarness | undefined;
    h = await startTelegramHarness({ reports: (store) => createReports(store, WORKSPACES.workspaces) });
    open.push({ close: () => (h as TelegramHarness).close() });
    await seed(h.store);
    // The bot.
    await h.feed([commandUpdate(`/report ${MARCH} by=campaign model=time_decay`, { id: P.manager }, privateChat(P.manager))]);
    const table = h.stub.callsTo('sendMessage').map((c) => String(c.payload.text)).find((t) => t.includes('Attribution by campaign')) ?? '';
    // The CLI.
    const out: string[] = [];
    const io: CliIo = { stdout: (t) => out.push(t), stderr: () => undefined, readFile: async () => Buffer.alloc(0), cwd: process.cwd(), env: {}, isTTY: false };
    const cmd = makeReportCommand({ store: h.store, workspaces: h.config.workspaces, hashKey: 'k'.repeat(32) });
    expect(await cmd(['--workspace', 'acme', '--since', MARCH, '--by', 'campaign', '--model', 'time_decay', '--json'], io)).toBe(0);
    const cli = JSON.parse(out.join('')) as AttributionReport;
    // The API.
    const { get } = await server({ store: h.store });
    const api = (await (await get(`/v1/reports/attribution?workspace=acme&period=${MARCH}&by=campaign&model=time_decay`)).json()) as { period: { from: string; to: string }; totals: Record<string, number>; rows: Array<{ key: string; conversions: number; value: number }> };

    expect(api.period).toMatchObject({ from: cli.period.from, to: cli.period.to });
    expect(api.totals).toMatchObject({ conversions: cli.totals.conversions, value: cli.totals.value, matched: cli.totals.matched, unattributed: cli.totals.unattributed.conversions });
    expect(api.rows.map((r) => [r.key, r.conversions, r.value])).toEqual(cli.rows.map((r) => [r.key, r.credited.conversions, r.credited.value]));
    expect(api.rows.map((r) => r.key).sort()).toEqual(['(none)', 'spring', 'vip']);
    // The chat table shows the same rows (rounded to one decimal, grouped thousands).
    for (const r of api.rows) {
      const label = r.key === '(none)' ? '\\(no campaign\\)' : r.key;
      expect(table).toMatch(new RegExp(`${label}\\s+${round1(r.conversions)}\\s+${round1(r.value)}\\s`));
    }
    expect(table).toContain(`Conversions: ${cli.totals.conversions} (value ${cli.totals.value} CNY)`);
  });
});

describe('apiKeys in the workspace configuration', () => {
  it('takes keys from the environment, refuses short ones and one key in two workspaces', () => {
    const env = { ACME_REPORTS_KEY: KEY_ACME };
    const [w] = parseWorkspacesFile(JSON.stringify({ workspaces: [{ id: 'acme', apiKeys: ['${ACME_REPORTS_KEY}'] }] }), 'w.json', env);
    expect(w?.apiKeys).toEqual([KEY_ACME]);
    expect(() => parseWorkspacesFile(JSON.stringify({ workspaces: [{ id: 'acme', apiKeys: ['short'] }] }), 'w.json', env)).toThrow(/w\.json\.workspaces\.0\.apiKeys\.0: at least 16 printable characters/);
    const twice = JSON.stringify({ workspaces: [{ id: 'acme', apiKeys: [KEY_ACME] }, { id: 'other', apiKeys: [KEY_ACME] }] });
    expect(() => parseWorkspacesFile(twice, 'w.json', env)).toThrow(ConfigError);
    expect(() => parseWorkspacesFile(twice, 'w.json', env)).toThrow(/apiKeys\[0\] is also a key of workspace 'acme'/);
  });
});
