/**
 * Campaigns through every surface: the bot commands (`/goal`, `/spend`, `/campaign`,
 * `/campaigns`, `/cohorts`, `/paths`), the CLI (`midfunnel campaigns|spend|report …`) and the
 * HTTP API (`GET /v1/reports/campaigns|cohorts|paths`, `PUT /v1/spend`, on the real server with
 * Redis) show the same numbers on the hand-checked community of `support/campaign-data.ts`.
 * Also: spend import (bad rows reported by line, valid ones kept, a re-import replaces, another
 * currency refused, exit codes), and the API's keys and refusals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRoles } from '../app/roles.js';
import { makeCampaignsCommand, makeSpendCommand } from '../src/cli/campaigns.js';
import { UsageError, type CliIo } from '../src/cli/io.js';
import { makeReportCommand } from '../src/cli/report.js';
import { createCommandHandler, parseCommand, type ChatPlatform } from '../src/commands/index.js';
import type { WorkspaceConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createReports } from '../src/reports/index.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { CW, NOW, loadCampaignData } from './support/campaign-data.js';
import { testConfig } from './support/telegram-harness.js';

const KEY = 'cw-report-key-5f1c0a9e7b3d42c8a6e1f0b9d2c7a4e3';
const OTHER_KEY = 'xx-report-key-0b9d2c7a4e35f1c0a9e7b3d42c8a6e1f';
const MARCH = '2026-03-01..2026-03-31';
const WORKSPACES = {
  workspaces: [
    { id: CW, timezone: 'UTC', currency: 'CNY', apiKeys: [KEY], roles: { managers: ['telegram:2'] }, campaigns: [{ name: 'kol', goal: 'conversion', target: 'roas 2' }] },
    { id: 'other', apiKeys: [OTHER_KEY] },
  ],
};

const open: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

function cliIo(files: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: async (p) => {
      const name = Object.keys(files).find((f) => p.endsWith(f));
      if (name === undefined) throw new Error('ENOENT: no such file');
      return Buffer.from(files[name] as string, 'utf8');
    },
    cwd: process.cwd(),
    env: {},
    isTTY: false,
  };
}

const platform: ChatPlatform = { botUsername: 'mf_bot', isChatAdmin: async () => false, createInviteLink: async () => ({ url: 'x' }), revokeInviteLink: async () => undefined };

async function setUp(): Promise<{ store: Store; workspaces: readonly WorkspaceConfig[]; say: (user: string, text: string) => Promise<string>; get: (path: string, key?: string) => Promise<Response>; put: (body: unknown, key?: string) => Promise<Response> }> {
  const store = createMemoryStore();
  await loadCampaignData(store);
  await rebuildCounters({ store, timeZoneOf: () => 'UTC', now: () => NOW }, CW);
  const config = testConfig({}, WORKSPACES);
  const settings = (ws: string) => config.workspaces.find((w) => w.id === ws);
  const handler = createCommandHandler({ store, reports: createReports(store, config.workspaces), settings, platform, log: createLogger('silent'), charts: false });
  const say = async (user: string, text: string): Promise<string> => {
    const parsed = parseCommand(text);
    if (!parsed) throw new Error('not a command');
    const r = await handler.handle({ workspace: CW, platform: 'telegram', account: '99', user: { id: user }, chat: { id: user, type: 'private' }, name: parsed.name, args: parsed.args, now: new Date() });
    return r.answers.map((a) => (a.type === 'text' ? a.text : `[${a.type}]`)).join('\n');
  };
  const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
  open.push(() => app.close());
  const base = `http://127.0.0.1:${app.address?.port ?? 0}`;
  const get = (path: string, key = KEY) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const put = (body: unknown, key = KEY) => fetch(`${base}/v1/spend`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { store, workspaces: config.workspaces, say, get, put };
}

describe('campaigns: commands, CLI and HTTP API show the same numbers', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    // One server for the whole suite: its close moves from afterEach's list to afterAll's.
    s = await setUp();
    closers.push(...open.splice(0));
  });
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('spend and goals entered by command, CLI and API; the card agrees everywhere', async () => {
    expect(await s.say('2', '/spend spring 600 2026-03-01..2026-03-06')).toBe('Spend of spring: ¥600 over 6 days (2026-03-01 – 2026-03-06), ¥100 a day. It replaces what was entered for those days.');
    const io = cliIo();
    expect(await makeSpendCommand({ store: s.store, workspaces: s.workspaces, hashKey: 'k'.repeat(32) })(['set', 'spring', '200', '--workspace', CW, '--period', '2026-03-07..2026-03-08'], io)).toBe(0);
    const api = await s.put({ workspace: CW, rows: [{ date: '2026-03-09', campaign: 'spring', amount: 100 }, { date: '2026-03-10', campaign: 'spring', amount: '100', currency: 'CNY' }] });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ status: 'ok', written: 2, errors: [] });
    expect(await s.say('2', '/goal spring awareness target=3joins')).toBe('spring: goal awareness, target 3 joins. /campaign spring shows its card.');
    expect(await s.say('3', '/goal spring conversion')).toMatch(/managers/i);

    const text = await s.say('2', `/campaign spring ${MARCH}`);
    expect(text).toContain('awareness: 3 joins, ¥333 per join, 33% still in at day 30 — target 3 joins ✔');
    expect(text).toContain('joins 3 (telegram 2, whatsapp 1) · still in: day 7 67% of 3, day 30 33% of 3');
    expect(text).toMatch(/linear\s+2\.3\s+¥467\s+¥429\s+0\.47/);
    const all = await s.say('2', `/campaigns ${MARCH}`);
    expect(all).toContain('• kol: conversion: 1 converted, no spend entered — target ROAS 2: not measurable yet');

    const http = (await (await s.get(`/v1/reports/campaigns?workspace=${CW}&period=${MARCH}`)).json()) as { rows: Array<Record<string, unknown>>; currency: string };
    const cliOut = cliIo();
    expect(await makeReportCommand({ store: s.store, workspaces: s.workspaces, hashKey: 'k'.repeat(32) })(['campaigns', '--workspace', CW, '--since', MARCH, '--json'], cliOut)).toBe(0);
    const cli = JSON.parse(cliOut.out.join('')) as typeof http;
    const strip = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ ...r, retained_d7_people: undefined }));
    expect(strip(cli.rows)).toEqual(strip(http.rows));
    const spring = http.rows.find((r) => r.key === 'spring') as Record<string, any>;
    expect([http.currency, spring.goal, spring.joins, spring.spend, spring.retained_d7, spring.retained_d30]).toEqual(['CNY', 'awareness', 3, 1000, 0.6667, 0.3333]);
    expect(spring.roas.last_touch).toBe(0.6);
    expect(spring.cac.first_touch).toBe(500);
    expect(spring.headline).toBe('awareness: 3 joins, ¥333 per join, 33% still in at day 30 — target 3 joins ✔');
    const kol = http.rows.find((r) => r.key === 'kol') as Record<string, any>;
    expect([kol.goal, kol.spend, kol.roas.linear, kol.cac.linear]).toEqual(['conversion', null, null, null]);

    const res = await s.get(`/v1/reports/campaigns?workspace=${CW}&period=${MARCH}&format=csv`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8');
    expect(csv.startsWith('\uFEFFkey,label,goal')).toBe(true);
    expect(csv).toContain('roas.last_touch');
    expect(csv.split('\r\n').find((l) => l.startsWith('kol,'))).toContain(',conversion,');
  });

  it('cohorts and paths: the command text, the CLI JSON and the API JSON agree', async () => {
    const http = (await (await s.get(`/v1/reports/cohorts?workspace=${CW}&period=${MARCH}&by=campaign&weeks=3`)).json()) as { by: string; rows: Array<{ key: string; joined: number; weeks: Array<{ week: number; member: number; active: number }> }> };
    const io = cliIo();
    expect(await makeReportCommand({ store: s.store, workspaces: s.workspaces, hashKey: 'k'.repeat(32) })(['cohorts', '--workspace', CW, '--since', MARCH, '--by', 'campaign', '--weeks', '3', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out.join('')).rows).toEqual(http.rows);
    expect(http.rows.find((r) => r.key === 'spring')?.weeks.map((w) => [w.member, w.active])).toEqual([
      [0.6667, 0.3333],
      [0.6667, 0.3333],
      [0.3333, 0],
    ]);
    const text = await s.say('2', `/cohorts ${MARCH} by=campaign`);
    expect(text).toMatch(/spring\s+3\s+67\/33\s+67\/33\s+33\/0/);

    const paths = (await (await s.get(`/v1/reports/paths?workspace=${CW}&period=${MARCH}`)).json()) as { by: string; timeLag: unknown[]; pathLength: unknown[]; topPaths: Array<{ steps: string[]; conversions: number }>; rows: Array<Record<string, unknown>> };
    const pio = cliIo();
    expect(await makeReportCommand({ store: s.store, workspaces: s.workspaces, hashKey: 'k'.repeat(32) })(['paths', '--workspace', CW, '--since', MARCH, '--json'], pio)).toBe(0);
    const cli = JSON.parse(pio.out.join('')) as typeof paths;
    expect([cli.timeLag, cli.pathLength, cli.topPaths, cli.rows]).toEqual([paths.timeLag, paths.pathLength, paths.topPaths, paths.rows]);
    expect(paths.by).toBe('campaign');
    expect(paths.rows.find((r) => r.key === 'kol')).toEqual({ key: 'kol', label: 'kol', assists: 1, last_touch: 0, assist_ratio: null, sensitivity: 0.3333 });
    const ptext = await s.say('2', `/paths ${MARCH}`);
    expect(ptext).toContain('Days from first touch to conversion — 0: 0 · 1: 0 · 2-3: 1 · 4-7: 1 · 8-14: 1 · 15-30: 0 · 31+: 0');
    expect(ptext).toContain('2. kol → spring  (1 conv, 200)');
  });

  it('the API refuses without a key, with another workspace’s key, and names bad parameters', async () => {
    expect((await s.get(`/v1/reports/paths?workspace=${CW}`, 'not-a-key-at-all-1234567')).status).toBe(401);
    const forbidden = await s.get(`/v1/reports/campaigns?workspace=${CW}`, OTHER_KEY);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).not.toContain('spring');
    const bad = await s.get(`/v1/reports/cohorts?workspace=${CW}&by=month&weeks=99`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('"field":"by"');
    const unknown = await s.get(`/v1/reports/paths?workspace=${CW}&group=x`);
    expect((await unknown.json()) as unknown).toMatchObject({ errors: [{ field: 'group' }] });
    expect((await s.put({ workspace: CW, rows: [{ date: '2026-03-01', campaign: 'x', amount: 1 }] }, OTHER_KEY)).status).toBe(403);
  });
});

describe('spend import', () => {
  it('keeps valid rows, reports bad ones by line (exit 1), refuses another currency, and a re-import replaces the day', async () => {
    const store = createMemoryStore();
    const config = testConfig({}, WORKSPACES);
    const cmd = makeSpendCommand({ store, workspaces: config.workspaces, hashKey: 'k'.repeat(32) });
    const file = ['date,campaign,amount,currency', '2026-03-01,spring,100,CNY', '2026-03-01,spring,50', '2026-03-02,kol,abc', '2026-02-30,kol,10', '2026-03-02,kol,10,EUR', '2026-03-03,双十一,1200.5'].join('\n');
    const io = cliIo({ 'spend.csv': file });
    expect(await cmd(['import', 'spend.csv', '--workspace', CW], io)).toBe(1);
    expect(io.out.join('')).toContain('spend.csv: 6 rows: 2 day entries stored (¥1,351), 3 refused');
    expect(io.out.join('')).toContain('line 4: amount "abc"');
    expect(io.out.join('')).toContain('line 5: date "2026-02-30"');
    expect(io.out.join('')).toContain('line 6: currency EUR is not the workspace currency CNY');
    expect((await store.campaigns.spend.list(CW)).map((r) => [r.day, r.campaign, r.amount])).toEqual([
      ['2026-03-01', 'spring', 150],
      ['2026-03-03', '双十一', 1200.5],
    ]);
    const again = cliIo({ 'fix.csv': '2026-03-01,spring,80\n' });
    expect(await cmd(['import', 'fix.csv', '--workspace', CW], again)).toBe(0);
    expect((await store.campaigns.spend.list(CW, { campaign: 'spring' })).map((r) => r.amount)).toEqual([80]);
    // Usage errors are thrown as UsageError, which `midfunnel` (src/cli/main.ts) exits 2 with.
    await expect(cmd(['import', 'spend.csv', '--workspace', 'nope'], cliIo({ 'spend.csv': file }))).rejects.toThrow(UsageError);
    await expect(cmd(['import', '--workspace', CW], cliIo())).rejects.toThrow(UsageError);
    expect(await cmd(['import', 'missing.csv', '--workspace', CW], cliIo())).toBe(1);
    const set = makeCampaignsCommand({ store, workspaces: config.workspaces, hashKey: 'k'.repeat(32) });
    await expect(set(['set', 'spring', '--workspace', CW, '--goal', 'fame'], cliIo())).rejects.toThrow(/goal must be one of/);
    const ok = cliIo();
    expect(await set(['set', 'spring', '--workspace', CW, '--goal', 'engagement', '--target', '20%@d28'], ok)).toBe(0);
    expect(ok.out.join('')).toBe('spring: goal engagement, target 20% at day 28\n');
    expect((await store.campaigns.records.get(CW, 'spring'))?.target).toEqual({ metric: 'retention', value: 0.2, day: 28 });
  });
});
