import { afterAll, describe, expect, it } from 'vitest';
import { AlertQueue, dailyPattern } from '../../src/optimize/alert-queue.js';
import { detectAlerts, type AlertInputs } from '../../src/optimize/alerts.js';
import { runDailyAlerts } from '../../src/optimize/daily-alerts.js';
import { seededRandom } from '../../src/optimize/stats.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { StoredTouch } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { deleteKeys, testRedis, uniquePrefix } from '../support/redis.js';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-03-20T09:00:00Z');
const days = Array.from({ length: 29 }, (_, i) => new Date(Date.parse('2026-02-20T00:00:00Z') + i * DAY_MS).toISOString().slice(0, 10));

function poisson(rand: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  for (;;) {
    p *= rand();
    if (p <= l) return k;
    k++;
  }
}

/** 29 days of noise: 4 campaigns, 4 groups and 4 keywords at steady rates, conversions matched at 70%. */
function noise(seed: number): AlertInputs {
  const rand = seededRandom(seed);
  const series = (prefix: string, lambda: number) => Array.from({ length: 4 }, (_, k) => ({ key: `${prefix}${k}`, label: `${prefix}${k}`, values: days.map(() => poisson(rand, lambda)), messages: 10 }));
  const conversions = days.map(() => 30);
  return {
    days,
    campaignJoins: series('c', 8),
    groupLeaves: series('g', 3),
    keywordHits: series('k', 12),
    conversions,
    matched: conversions.map((n) => Array.from({ length: n }, () => rand() < 0.7).filter(Boolean).length),
    webhooks: [{ botId: '111', lastErrorAt: '2026-03-10T00:00:00.000Z', lastError: 'old', pending: 0 }],
    now: NOW,
  };
}

const withLast = <T extends { values: number[] }>(s: T, last: number): T => ({ ...s, values: [...s.values.slice(0, -1), last] });

describe('alert detection', () => {
  it('stays silent on seeded noise', () => {
    expect(detectAlerts(noise(7))).toEqual([]);
    // Over 40 noise days (16 tests each at p < 0.01), false alarms stay rare.
    let fired = 0;
    for (let s = 100; s < 140; s++) fired += detectAlerts(noise(s)).length;
    expect(fired).toBeLessThanOrEqual(10);
  });

  it('fires on a campaign join spike vs the same weekday, saying what was expected and what came', () => {
    const i = noise(7);
    const c0 = i.campaignJoins[0]!;
    const same = [7, 14, 21, 28].map((k) => c0.values[28 - k]!);
    const alerts = detectAlerts({ ...i, campaignJoins: [withLast({ ...c0, values: [...c0.values] }, 40), ...i.campaignJoins.slice(1)] });
    expect(alerts.map((a) => a.key)).toEqual(['campaign-joins:c0']);
    const expected = same.reduce((a, b) => a + b, 0) / 4;
    expect(alerts[0]).toMatchObject({ kind: 'campaign-joins', observed: 40, expected });
    expect(alerts[0]!.label).toContain(`Joins via c0: 40 on Friday 2026-03-20, expected about ${Math.round(expected * 10) / 10}`);
    expect(alerts[0]!.p).toBeLessThan(0.01);
  });

  it('fires on a campaign whose joins stopped (a drop)', () => {
    const i = noise(7);
    const flat = { key: 'vip', label: 'vip', values: days.map(() => 12) };
    const [a] = detectAlerts({ ...i, campaignJoins: [withLast(flat, 0)] });
    expect(a).toMatchObject({ key: 'campaign-joins:vip', observed: 0, expected: 12 });
    expect(a!.label).toMatch(/fell: 0 on Friday 2026-03-20, expected about 12/);
  });

  it('fires on a leave spike, a keyword spike, a match-rate drop and a recent webhook error', () => {
    const i = noise(7);
    const alerts = detectAlerts({
      ...i,
      groupLeaves: [withLast({ ...i.groupLeaves[0]!, values: [...i.groupLeaves[0]!.values] }, 25), ...i.groupLeaves.slice(1)],
      keywordHits: [withLast({ ...i.keywordHits[0]!, values: [...i.keywordHits[0]!.values] }, 60), ...i.keywordHits.slice(1)],
      matched: [...i.matched.slice(0, -1), 6],
      webhooks: [{ botId: '111', lastErrorAt: '2026-03-20T07:00:00.000Z', lastError: 'Connection timed out', pending: 40 }],
    });
    expect(alerts.map((a) => a.key)).toEqual(['leave-spike:g0', 'keyword-spike:k0', 'match-rate-drop:workspace', 'webhook-errors:111']);
    expect(alerts[0]!.label).toMatch(/^Leaves from g0: 25 on 2026-03-20, expected about [\d.]+ a day .*10 messages were posted there that day/);
    expect(alerts[2]!.label).toMatch(/^Match rate: 20% of 30 conversions matched on 2026-03-20, expected about 7\d%/);
    expect(alerts[3]!.label).toMatch(/Connection timed out.*expected none in 24 hours/);
  });
});

describe('daily alert run', () => {
  const WS = 'acme';
  const join = (id: string, at: number, campaign: string): StoredTouch =>
    ({ ...touchEventSchema.parse({ id, workspace: WS, account: '111', platform: 'telegram', chat: { id: '-1001', type: 'group', title: 'Deals' }, actor: { profileId: `p${id}` }, kind: 'join', occurredAt: new Date(at).toISOString(), details: { via: 'invite_link', campaign } }), profileId: `p${id}`, applied: true }) as StoredTouch;

  it('reads the days from the store, posts text and a chart once per day, and nothing while off', async () => {
    const store = createMemoryStore();
    const touches: StoredTouch[] = [];
    let n = 0;
    // 2 joins a day for four weeks, then 25 on the day checked (2026-03-19, the day before NOW).
    for (let d = 1; d <= 28; d++) for (let k = 0; k < 2; k++) touches.push(join(`j${n++}`, Date.parse('2026-03-19T12:00:00Z') - d * DAY_MS, 'spring'));
    for (let k = 0; k < 25; k++) touches.push(join(`j${n++}`, Date.parse('2026-03-19T12:00:00Z') + k * 60_000, 'spring'));
    await store.touches.insertMany(WS, touches);
    const probe = { botId: '111', getMe: async () => ({}), getWebhookInfo: async () => ({ url: '', pending_update_count: 0 }) };

    await store.optimize.alertSettings.put(WS, { workspace: WS, enabled: false, changedBy: 'telegram:1', changedAt: NOW.toISOString() });
    expect(await runDailyAlerts({ store, workspace: { id: WS }, probes: [probe], now: NOW })).toEqual({ status: 'off' });

    await store.optimize.alertSettings.put(WS, { workspace: WS, enabled: true, changedBy: 'telegram:1', changedAt: NOW.toISOString() });
    const r = await runDailyAlerts({ store, workspace: { id: WS }, probes: [probe], now: NOW });
    expect(r.status).toBe('checked');
    if (r.status !== 'checked') return;
    expect(r.day).toBe('2026-03-19');
    expect(r.alerts.map((a) => [a.key, a.observed, a.expected])).toEqual([['campaign-joins:spring', 25, 2]]);
    expect(r.answers[0]).toMatchObject({ type: 'text' });
    expect((r.answers[0] as { text: string }).text).toContain('Joins via spring: 25 on Thursday 2026-03-19, expected about 2');
    const photo = r.answers[1];
    expect(photo?.type).toBe('photo');
    expect(photo?.type === 'photo' && photo.png.subarray(1, 4).toString()).toBe('PNG');
    expect(await runDailyAlerts({ store, workspace: { id: WS }, probes: [probe], now: NOW })).toEqual({ status: 'done-before', day: '2026-03-19' });
  });
});

describe('alert schedule', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('alerts');
  afterAll(async () => {
    await deleteKeys(redis, [`${prefix}*`]);
    await redis.quit();
  });

  it('is one BullMQ job scheduler per workspace at its local time, in its time zone', async () => {
    expect(dailyPattern('09:05')).toBe('5 9 * * *');
    expect(() => dailyPattern('9am')).toThrow(/local time/);
    const q = new AlertQueue({ connection: redis, prefix });
    try {
      await q.schedule([{ id: 'acme', timezone: 'Asia/Shanghai', alerts: { at: '08:30' } }, { id: 'beta' }]);
      await q.schedule([{ id: 'acme', timezone: 'Asia/Shanghai', alerts: { at: '08:30' } }, { id: 'beta' }]);
      const schedulers = (await q.queue.getJobSchedulers()).map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz })).sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(schedulers).toEqual([
        { key: 'alerts.acme', pattern: '30 8 * * *', tz: 'Asia/Shanghai' },
        { key: 'alerts.beta', pattern: '0 9 * * *', tz: 'UTC' },
      ]);
    } finally {
      await q.close();
    }
  });
});
