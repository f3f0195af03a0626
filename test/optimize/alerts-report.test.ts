/**
 * The alerts of a period (`GET /v1/reports/alerts`, the dashboard's Overview): each ended day
 * of the period is checked as the daily alert run checks it, from the same counters. Planted: a
 * campaign's join spike three days ago and a keyword spike yesterday, over steady joins and
 * mentions; the report lists both on their days (newest first), and each day's list is what
 * the daily run finds for that day. Over HTTP with the report API's keys; `lang=zh` words them
 * (and readiness and hints) in Chinese; a period longer than the report checks is a 400.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startRoles } from '../../app/roles.js';
import { createLogger } from '../../src/logger.js';
import { alertsReport, MAX_ALERT_DAYS } from '../../src/optimize/alerts-report.js';
import { runDailyAlerts } from '../../src/optimize/daily-alerts.js';
import { parsePeriod } from '../../src/reports/period.js';
import { rebuildCounters } from '../../src/reports/rollup.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store, StoredTouch } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { testConfig } from '../support/telegram-harness.js';

const WS = 'acme';
const KEY = 'alerts-report-key-0123456789abcdef';
const DAY_MS = 86_400_000;
const NOW = new Date();
/** Noon UTC `d` days before today. */
const noon = (d: number): number => Date.parse(`${NOW.toISOString().slice(0, 10)}T12:00:00Z`) - d * DAY_MS;
const dayOf = (d: number): string => new Date(noon(d)).toISOString().slice(0, 10);

function touch(id: string, at: number, kind: 'join' | 'message', details: Record<string, unknown>): StoredTouch {
  const event = touchEventSchema.parse({ id, workspace: WS, account: '111', platform: 'telegram', chat: { id: '-1001', type: 'group', title: 'Deals 团购' }, actor: { profileId: `p${id}` }, kind, occurredAt: new Date(at).toISOString(), details });
  return { ...event, profileId: `p${id}`, applied: true } as StoredTouch;
}

async function community(): Promise<Store> {
  const store = createMemoryStore();
  const touches: StoredTouch[] = [];
  let n = 0;
  // 45 days of 2 joins (campaign spring) and 2 mentions of 面膜 a day; 25 joins three days ago, 30 mentions yesterday.
  for (let d = 1; d <= 45; d++) {
    const joins = d === 3 ? 25 : 2;
    const mentions = d === 1 ? 30 : 2;
    for (let k = 0; k < joins; k++) touches.push(touch(`j${n++}`, noon(d) + k * 60_000, 'join', { via: 'invite_link', campaign: 'spring' }));
    for (let k = 0; k < mentions; k++) touches.push(touch(`m${n++}`, noon(d) + k * 60_000, 'message', { keywords: ['面膜'] }));
  }
  await store.touches.insertMany(WS, touches);
  await rebuildCounters({ store, timeZoneOf: () => 'UTC', now: () => NOW }, WS);
  return store;
}

describe('alerts report', () => {
  const open: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of open) await close();
  });

  it('lists each ended day’s alerts, newest first, exactly as the daily run finds them for that day', async () => {
    const store = await community();
    const r = await alertsReport(store, WS, 'UTC', parsePeriod('7d', NOW, 'UTC'), NOW);
    // Today is not over: it is not checked.
    expect(r.days.at(-1)).toBe(dayOf(1));
    expect(r.days).not.toContain(dayOf(0));
    expect(r.alerts.map((a) => [a.day, a.key, a.observed])).toEqual([
      [dayOf(1), 'keyword-spike:面膜', 30],
      [dayOf(3), 'campaign-joins:spring', 25],
    ]);
    expect(r.alerts[1]?.label).toContain('Joins via spring: 25');
    for (const day of r.days) {
      const daily = await runDailyAlerts({ store, workspace: { id: WS }, probes: [], now: new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS + 3_600_000), charts: false });
      expect(daily.status).toBe('checked');
      if (daily.status !== 'checked') continue;
      expect(daily.day).toBe(day);
      const listed = r.alerts.filter((a) => a.day === day);
      expect(listed.map((a) => [a.key, a.observed, a.expected, a.p])).toEqual(daily.alerts.map((a) => [a.key, a.observed, a.expected, a.p]));
    }
  });

  it('answers over HTTP with the report API’s keys, in Chinese with lang=zh (readiness and hints too); too long a period or a bad lang is a 400', async () => {
    const store = await community();
    const config = testConfig({}, { workspaces: [{ id: WS, timezone: 'UTC', apiKeys: [KEY] }] });
    const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
    open.push(() => app.close());
    const base = `http://127.0.0.1:${app.address?.port ?? 0}`;
    const get = (q: string, key = KEY) => fetch(`${base}/v1/reports/alerts?${q}`, { headers: { authorization: `Bearer ${key}` } });

    const res = await get(`workspace=${WS}&period=7d`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { days: string[]; rows: Array<Record<string, unknown>> };
    expect(body.rows.map((row) => [row.key, row.day, row.kind, row.subject, row.observed])).toEqual([
      [`${dayOf(1)}:keyword-spike:面膜`, dayOf(1), 'keyword-spike', '面膜', 30],
      [`${dayOf(3)}:campaign-joins:spring`, dayOf(3), 'campaign-joins', 'spring', 25],
    ]);
    expect(body.rows[0]?.label).toMatch(/^Keyword “面膜”: 30 mentions/);
    // lang=zh words the same alerts in Chinese (names as written); a bad lang is a 400 on lang.
    const zh = (await (await get(`workspace=${WS}&period=7d&lang=zh-CN`)).json()) as { rows: Array<Record<string, unknown>> };
    expect(zh.rows.map((row) => row.key)).toEqual(body.rows.map((row) => row.key));
    expect(zh.rows[0]?.label).toMatch(/^关键词「面膜」：.*被提及 30 次/);
    const badLang = await get(`workspace=${WS}&period=7d&lang=<b>`);
    expect(badLang.status).toBe(400);
    expect(JSON.stringify(await badLang.json())).toMatch(/lang/);
    // Readiness and hints take lang= too: the words change, the check ids do not.
    const rEn = (await (await fetch(`${base}/v1/reports/readiness?workspace=${WS}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { rows: Array<{ key: string; check: string; label: string }> };
    const rZh = (await (await fetch(`${base}/v1/reports/readiness?workspace=${WS}&lang=zh`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { rows: Array<{ key: string; check: string; label: string }> };
    expect(rZh.rows.map((row) => [row.key, row.check])).toEqual(rEn.rows.map((row) => [row.key, row.check]));
    const keywords = rZh.rows.find((row) => row.check === 'keywords');
    expect(keywords?.label).toMatch(/[\u4e00-\u9fff]/);
    expect(rEn.rows.find((row) => row.check === 'keywords')?.label).not.toMatch(/[\u4e00-\u9fff]/);
    expect((await fetch(`${base}/v1/reports/hints?workspace=${WS}&period=30d&lang=zh`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    expect((await fetch(`${base}/v1/reports/attribution?workspace=${WS}&period=30d&lang=zh`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(400);
    // Default period: 7 days.
    expect(((await (await get(`workspace=${WS}`)).json()) as { rows: unknown[] }).rows).toHaveLength(2);
    // Two days: only yesterday's.
    expect(((await (await get(`workspace=${WS}&period=2d`)).json()) as { rows: unknown[] }).rows).toHaveLength(1);
    const long = await get(`workspace=${WS}&period=${MAX_ALERT_DAYS + 10}d`);
    expect(long.status).toBe(400);
    expect(JSON.stringify(await long.json())).toMatch(/period/);
    expect((await get(`workspace=${WS}&period=7d`, 'wrong-key-0123456789abcdef0123456789')).status).toBe(401);
    expect((await get(`workspace=${WS}&period=7d&by=group`)).status).toBe(400);
  });
});
