/**
 * Hints, readiness, keyword lift and alerts in the asker's language: a `zh-hans` user gets
 * simplified Chinese, an `en` user the English of before, and names people gave (groups,
 * campaigns, keywords) stay as written. Through the platform-neutral command handler with the
 * real hint and readiness rules; the daily alerts and digests, which answer no one, follow the
 * workspace's `language`.
 */
import { describe, expect, it } from 'vitest';
import { buildDigest, createCommandHandler, parseCommand, type ChatPlatform, type CommandSettings } from '../src/commands/index.js';
import { createLogger } from '../src/logger.js';
import { alertAnswers, alertText, detectAlerts, type AlertInputs } from '../src/optimize/alerts.js';
import { runDailyAlerts } from '../src/optimize/daily-alerts.js';
import { buildHints, hintText, type HintInputs } from '../src/optimize/hints.js';
import type { LiftReport, ReadinessReport } from '../src/optimize/optimize-types.js';
import { evaluateReadiness, readinessText, worstOf, type ReadinessFacts } from '../src/optimize/readiness.js';
import type { Period } from '../src/reports/period.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { StoredTouch } from '../src/store/store.js';
import { touchEventSchema } from '../src/touch-event.js';
import { fakeReports } from './support/fake-reports.js';

const WS = 'acme';
const NOW = new Date('2026-03-20T09:00:00Z');
const DAY_MS = 86_400_000;
const GROUP = '团购群 Deals';
const SETTINGS: CommandSettings = {
  id: WS,
  keywords: ['包邮'],
  roles: { owners: ['telegram:1'], managers: ['telegram:2'], operators: ['telegram:3'] },
  managersChats: ['telegram:-500'],
  timezone: 'Asia/Shanghai',
};

const HINT_INPUTS: HintInputs = {
  conversions: 166,
  groupShares: [
    { key: '-1001', label: '深圳 VIP群', markov: 51.46, lastTouch: 29.88 },
    { key: '-1002', label: 'Deals EN', markov: 114.54, lastTouch: 136.12 },
  ],
  campaignShares: [],
  roas: [{ campaign: 'kol_anna', conversions: 40, roas: { linear: 0.7, markov: 0.9 } }],
  lift: [{ keyword: '包邮', treated: 120, controls: 300, treatedConverted: 30, controlsConverted: 36, treatedRate: 0.25, controlRate: 0.12, lift: 1.1, liftLow: 0.6, liftHigh: 1.7, unmatched: 0 }],
  groups: [{ key: '-1003', label: GROUP, joined: 100, engaged: 80, clicked: 2 }],
};

const READINESS_FACTS: ReadinessFacts = {
  workspace: WS,
  now: NOW,
  today: '2026-03-20',
  keywords: 0,
  groups: [
    { platform: 'telegram', chatId: '-1003', title: GROUP, account: '111', botIsAdmin: false, registeredAt: '2026-01-01T00:00:00Z', lastMemberUpdate: null },
    { platform: 'telegram', chatId: '-1004', title: '深圳 VIP群', account: '111', botIsAdmin: true, registeredAt: '2026-01-01T00:00:00Z', lastMemberUpdate: '2026-03-18' },
  ],
  bots: [{ botId: '111', me: { canReadAll: false, username: 'mf_bot' }, webhook: { url: 'https://x.example/hook', pending: 3, lastErrorAt: '2026-03-20T07:00:00.000Z', lastError: 'Connection timed out' } }],
  campaigns: [{ name: 'spring', handles: [] }, { name: 'kol_anna', handles: ['invite link'] }],
  lastConversionDay: '2026-03-01',
  recent: { conversions: 200, matched: 90 },
  previous: { conversions: 180, matched: 120 },
  profiles: { total: 400, crossPlatform: 60 },
};

function reports(): ReportsApi {
  const checks = evaluateReadiness(READINESS_FACTS);
  const lift = (period: Period): LiftReport => ({ workspace: WS, period, windowDays: 30, minGroup: 30, rows: HINT_INPUTS.lift.slice(), tooFew: [] });
  return {
    ...fakeReports(),
    hints: async (workspace, { period }) => ({ workspace, period, conversions: HINT_INPUTS.conversions, hints: buildHints(HINT_INPUTS) }),
    readiness: async (workspace): Promise<ReadinessReport> => ({ workspace, at: NOW.toISOString(), checks, worst: worstOf(checks) }),
    lift: async (_workspace, { period }) => lift(period),
  };
}

function setup() {
  const store = createMemoryStore();
  const platform: ChatPlatform = {
    botUsername: 'mf_bot',
    isChatAdmin: async () => false,
    createInviteLink: async (_chatId, o) => ({ url: `https://t.me/+${o.name}` }),
    revokeInviteLink: async () => undefined,
  };
  const handler = createCommandHandler({ store, reports: reports(), settings: (ws) => (ws === WS ? SETTINGS : undefined), platform, log: createLogger('silent'), charts: false });
  const say = async (user: string, line: string, languageCode?: string): Promise<string> => {
    const parsed = parseCommand(line);
    if (!parsed) throw new Error('not a command');
    const r = await handler.handle({ workspace: WS, platform: 'telegram', account: '111', user: { id: user, ...(languageCode !== undefined ? { languageCode } : {}) }, chat: { id: user, type: 'private' }, name: parsed.name, args: parsed.args, now: NOW });
    return r.answers.map((a) => (a.type === 'text' ? a.text : `[${a.type}]`)).join('\n');
  };
  return { store, say };
}

describe('/hints in the asker’s language', () => {
  it('answers a zh-hans manager in Chinese and an en one in the English of before; names as written', async () => {
    const { say } = setup();
    const zh = await say('2', '/hints 30d', 'zh-hans');
    const en = await say('2', '/hints 30d', 'en');
    expect(zh).toMatch(/^提示 · 30d \(.+\) · 166 个已匹配的转化/);
    expect(zh).toContain('Markov 模型给 深圳 VIP群 31% 的转化，最后点击给 18%：最后点击低估了它 13 个百分点（n=166）');
    expect(zh).toContain('kol_anna：在每个归因模型下 ROAS 都只有 0.7–0.9，建议停投或调整（n=40）');
    expect(zh).toContain('问到 包邮 的成员转化率是对照组的 2.1 倍（1.6–2.7）；120 人对比 300 人');
    expect(zh).toContain(`${GROUP}：80% 的入群成员发过言，但只有 2% 点击过链接`);
    expect(zh).toMatch(/ {3}置信度 (高|中)：/);
    expect(zh).not.toMatch(/confidence|undervalues|engaged but/);

    expect(en).toMatch(/^Hints · 30d \(.+\) · 166 matched conversions/);
    expect(en).toContain('Markov gives 深圳 VIP群 31% of conversions, last click 18%: last click undervalues it by 13 points (n=166)');
    expect(en).toContain('kol_anna: ROAS 0.7–0.9 under every model — cut or change it (n=40)');
    expect(en).toContain('members who ask 包邮 convert 2.1× their controls (1.6–2.7); 120 vs 300 people');
    expect(en).toContain(`${GROUP}: 80% engaged but 2% clicked — post a tracked link (n=100 joined)`);
    expect(en).toMatch(/ {3}confidence (high|medium): /);
  });

  it('words a hint again from its facts, also after a JSON round trip (as the API and jobs carry it)', () => {
    for (const h of buildHints(HINT_INPUTS)) {
      const back = JSON.parse(JSON.stringify(h)) as typeof h;
      expect(hintText(back, 'en')).toEqual({ label: h.label, confidenceNote: h.confidenceNote });
      expect(hintText(back, 'zh').label).not.toBe(h.label);
      expect(hintText(back, 'zh').label).toContain(h.subjectLabel);
    }
    // Without facts (a hint made elsewhere), the words it came with.
    const { facts: _facts, ...bare } = buildHints(HINT_INPUTS)[0]!;
    expect(hintText(bare, 'zh').label).toBe(bare.label);
  });
});

describe('/readiness in the asker’s language', () => {
  it('gives Chinese check names, findings and fixes to zh-hans; the English of before to en; group titles as written', async () => {
    const { say } = setup();
    const zh = await say('2', '/readiness', 'zh-CN');
    const en = await say('2', '/readiness', 'en');
    expect(zh).toMatch(/^就绪检查 · acme：红 \d+ 项，橙 \d+ 项，绿 \d+ 项/);
    expect(zh).toContain('🔴 关键词 · 没有监测任何关键词：关键词报表、关键词提升和提示都会是空的');
    expect(zh).toContain('🔴 活动链接 · 2 个活动中有 1 个没有链接、邀请链接、代码或优惠券：spring');
    expect(zh).toContain('→ 给 spring 创建邀请链接（/invite spring）或可追踪链接');
    expect(zh).toContain(`🔴 机器人管理员 · ${GROUP}：机器人不是管理员`);
    expect(zh).toContain(`→ 把机器人设为 ${GROUP} 的管理员（Telegram 只把入群和退群通知发给管理员）`);
    expect(zh).toContain('🔴 隐私模式 · 隐私模式已开启，且 @mf_bot 在 1 个群里不是管理员');
    expect(zh).toContain('webhook 在 2026-03-20T07:00:00.000Z 出错：Connection timed out（3 条更新待处理）');
    expect(zh).toContain('🟠 匹配率 · 最近 30 天 200 个转化中匹配了 45%（之前 30 天为 67%）');
    expect(zh).toContain('🟢 成员变动 · 深圳 VIP群：能收到入群和退群（最近一次在 2026-03-18）');
    expect(zh).not.toMatch(/the bot is|privacy mode|matched in/);

    expect(en).toMatch(/^Readiness · acme: \d+ red, \d+ amber, \d+ green/);
    expect(en).toContain('🔴 keywords · no keywords are watched: keyword reports, lift and hints stay empty');
    expect(en).toContain('   → add the words buyers ask about with /track <word> (or keywords: in the configuration)');
    expect(en).toContain('🔴 campaign-links · 1 of 2 campaigns have no link, invite link, code or coupon: spring');
    expect(en).toContain(`🔴 bot-admin · ${GROUP}: the bot is not an admin`);
    expect(en).toContain('🟠 match-rate · 45% of 200 conversions matched in the last 30 days (67% the 30 days before)');
    expect(en).toContain(`🔴 member-updates · ${GROUP}: no join or leave seen in 60 days`);
  });

  it('words each check again from its finding and facts, in English exactly as it was made', () => {
    const variants: ReadinessFacts[] = [
      READINESS_FACTS,
      { ...READINESS_FACTS, keywords: 4, campaigns: [], lastConversionDay: null, recent: { conversions: 0, matched: 0 }, profiles: { total: 0, crossPlatform: 0 }, bots: [{ botId: '222', me: { error: '401 Unauthorized' }, webhook: { error: 'timeout' } }], groups: [] },
      { ...READINESS_FACTS, campaigns: [{ name: 'spring', handles: ['code'] }], lastConversionDay: '2026-03-19', previous: { conversions: 0, matched: 0 }, bots: [{ botId: '333', me: { canReadAll: true }, webhook: { url: '', pending: 0, lastErrorAt: null, lastError: null } }] },
    ];
    const findings = new Set<string>();
    for (const facts of variants) {
      for (const c of evaluateReadiness(facts)) {
        findings.add(`${c.check}:${c.finding}`);
        const back = JSON.parse(JSON.stringify(c)) as typeof c;
        expect(readinessText(back, 'en')).toEqual({ check: c.check, label: c.label, fix: c.fix });
        const zh = readinessText(back, 'zh');
        expect(zh.label).not.toBe(c.label);
        expect(zh.fix === '').toBe(c.fix === '');
      }
    }
    expect(findings.size).toBeGreaterThanOrEqual(20);
  });
});

describe('/lift in the asker’s language', () => {
  it('titles and headers in Chinese for zh-hans, English for en; keywords as written', async () => {
    const { say } = setup();
    const zh = await say('2', '/lift 30d', 'zh-hans');
    const en = await say('2', '/lift 30d', 'en');
    expect(zh).toMatch(/^关键词提升 · 30d/);
    expect(zh).toContain('首次提及后 30 天内的转化');
    expect(zh).toMatch(/关键词\s+人数\s+对照\s+转化率\s+对照转化率\s+提升\s+95%/);
    expect(zh).toMatch(/包邮\s+120\s+300/);
    expect(en).toMatch(/^Keyword lift · 30d/);
    expect(en).toContain('Converted within 30 days of the first mention, vs matched controls (same join campaign, week and activity decile).');
    expect(en).toMatch(/keyword\s+people\s+ctrl\s+conv\s+ctrl conv\s+lift\s+95%/);
    expect(en).toMatch(/包邮\s+120\s+300/);
  });
});

describe('/help describes every command in Chinese for zh-hans', () => {
  it('names the optimization and campaign commands in Chinese, and in English for en', async () => {
    const { say } = setup();
    const zh = await say('2', '/help', 'zh-hans');
    for (const line of ['/hints [period] — 最后点击低估了什么，以及该怎么做', '/readiness [problems] — 就绪检查：监测是否设置好，附修复建议', '/alerts on|off — 变化超出随机波动时的每日预警', '/campaigns [period] [model=linear] — 各活动对照目标的表现']) expect(zh).toContain(line);
    expect(await say('2', '/help', 'en')).toContain('/hints [period] — What last click undervalues, and what to do');
  });
});

describe('/alerts in the asker’s language', () => {
  it('says whether alerts are on, and turns them off and on, in Chinese for zh-hans and English for en', async () => {
    const { say } = setup();
    expect(await say('2', '/alerts', 'zh-hans')).toBe('预警已开启：每天 09:00（Asia/Shanghai）检查，发到经理群。发送 /alerts off 更改。');
    expect(await say('2', '/alerts', 'en')).toBe('Alerts are on: checked daily at 09:00 (Asia/Shanghai) and posted to the managers’ chat. /alerts off to change.');
    expect(await say('2', '/alerts off', 'zh')).toBe('预警已关闭。发送 /alerts on 重新开启。');
    expect(await say('2', '/alerts', 'zh-hans')).toBe('预警已关闭：每天 09:00（Asia/Shanghai）检查，发到经理群。发送 /alerts on 更改。');
    expect(await say('2', '/alerts off', 'en')).toBe('Alerts off. /alerts on starts them again.');
    expect(await say('2', '/alerts on', 'zh-hans')).toBe('预警已开启：每天 09:00（Asia/Shanghai）检查，每条都写明预期和实际的数字，发到经理群。');
    expect(await say('2', '/alerts on')).toBe('Alerts on: checked daily at 09:00 (Asia/Shanghai); each says what was expected and what came, posted to the managers’ chat.');
    expect(await say('2', '/alerts maybe', 'zh-hans')).toBe('用法：/alerts on|off');
    expect(await say('2', '/alerts maybe', 'en')).toBe('Usage: /alerts on|off');
  });
});

const days = Array.from({ length: 29 }, (_, i) => new Date(Date.parse('2026-02-20T00:00:00Z') + i * DAY_MS).toISOString().slice(0, 10));
const flat = (key: string, label: string, v: number, last: number) => ({ key, label, values: [...days.slice(1).map(() => v), last], messages: 12 });

describe('daily alerts in the workspace’s language', () => {
  const inputs: AlertInputs = {
    days,
    campaignJoins: [flat('spring', 'spring', 2, 25), flat('vip', 'vip', 12, 0)],
    groupLeaves: [flat('-1003', GROUP, 1, 20)],
    keywordHits: [flat('包邮', '包邮', 3, 40)],
    conversions: days.map(() => 30),
    matched: [...days.slice(1).map(() => 21), 6],
    webhooks: [{ botId: '111', lastErrorAt: '2026-03-20T07:00:00.000Z', lastError: 'Connection timed out', pending: 40 }],
    now: NOW,
  };

  it('words every kind of alert in Chinese from its facts, and in English exactly as before', async () => {
    const alerts = detectAlerts(inputs);
    expect(alerts.map((a) => a.kind)).toEqual(['campaign-joins', 'campaign-joins', 'leave-spike', 'keyword-spike', 'match-rate-drop', 'webhook-errors']);
    for (const a of alerts) expect(alertText(JSON.parse(JSON.stringify(a)) as typeof a, 'en')).toBe(a.label);
    const zh = alerts.map((a) => alertText(a, 'zh'));
    expect(zh[0]).toBe('经由 spring 入群：2026-03-20（周五）25 人，预期约 2 人（前 4 个周五平均 2 人）；p < 0.001');
    expect(zh[1]).toMatch(/^经由 vip 入群的人数下降：2026-03-20（周五）0 人，预期约 12 人.*它的邀请链接还有效吗？$/);
    expect(zh[2]).toMatch(new RegExp(`^${GROUP} 退群：2026-03-20 20 人，预期约每天 1 人（此前 28 天）；当天群里发了 12 条消息`));
    expect(zh[3]).toMatch(/^关键词「包邮」：2026-03-20 被提及 40 次，预期约每天 3 次/);
    expect(zh[4]).toMatch(/^匹配率：2026-03-20 的 30 个转化中匹配了 20%，预期约 70%/);
    expect(zh[5]).toMatch(/^机器人 111 的 webhook 出错：.*Connection timed out.*40 条更新在等待/);
    expect(alerts[0]!.label).toBe('Joins via spring: 25 on Friday 2026-03-20, expected about 2 (the last 4 Fridays averaged 2); p < 0.001');

    const [text, photo] = await alertAnswers(alerts, { day: '2026-03-20', lang: 'zh' });
    expect(text?.type === 'text' && text.text).toMatch(/^2026-03-20 的预警 · 变化超出随机波动（p < 0.01）· 发送 \/alerts off 停止\n\n• 经由 spring 入群/);
    expect(photo?.type === 'photo' && photo.caption).toBe(zh[0]);
    const [textEn, photoEn] = await alertAnswers(alerts, { day: '2026-03-20' });
    expect(textEn?.type === 'text' && textEn.text).toMatch(/^Alerts for 2026-03-20 · moved beyond chance \(p < 0.01\) · \/alerts off to stop\n\n• Joins via spring: 25/);
    expect(photoEn?.type === 'photo' && photoEn.caption).toBe(alerts[0]!.label);
  });

  it('posts the day’s run in Chinese when the workspace’s language is zh, English by default', async () => {
    const store = createMemoryStore();
    const touches: StoredTouch[] = [];
    let n = 0;
    const join = (at: number): StoredTouch =>
      ({ ...touchEventSchema.parse({ id: `j${n}`, workspace: WS, account: '111', platform: 'telegram', chat: { id: '-1003', type: 'group', title: GROUP }, actor: { profileId: `p${n++}` }, kind: 'join', occurredAt: new Date(at).toISOString(), details: { via: 'invite_link', campaign: '春季活动' } }), profileId: `p${n}`, applied: true }) as StoredTouch;
    for (let d = 1; d <= 28; d++) for (let k = 0; k < 2; k++) touches.push(join(Date.parse('2026-03-19T12:00:00Z') - d * DAY_MS));
    for (let k = 0; k < 25; k++) touches.push(join(Date.parse('2026-03-19T12:00:00Z') + k * 60_000));
    await store.touches.insertMany(WS, touches);
    const probe = { botId: '111', getMe: async () => ({}), getWebhookInfo: async () => ({ url: '', pending_update_count: 0 }) };
    const zh = await runDailyAlerts({ store, workspace: { id: WS, language: 'zh' }, probes: [probe], now: NOW, charts: false });
    expect(zh.status === 'checked' && zh.answers.map((a) => (a.type === 'text' ? a.text : '')).join('\n')).toContain('• 经由 春季活动 入群：2026-03-19（周四）25 人，预期约 2 人');
    const other = createMemoryStore();
    await other.touches.insertMany(WS, touches);
    const en = await runDailyAlerts({ store: other, workspace: { id: WS }, probes: [probe], now: NOW, charts: false });
    expect(en.status === 'checked' && en.answers.map((a) => (a.type === 'text' ? a.text : '')).join('\n')).toContain('• Joins via 春季活动: 25 on Thursday 2026-03-19, expected about 2');
  });
});

describe('digests in the workspace’s language', () => {
  it('/digest answers the one who subscribes in their language', async () => {
    const { say } = setup();
    expect(await say('2', '/digest weekly', 'zh-hans')).toBe('已开启每周摘要：每周一 09:00（Asia/Shanghai）把归因报表发到这里。发送 /digest off 停止。');
    expect(await say('2', '/digest daily', 'en')).toBe('Daily digest on: the attribution report comes here every day at 09:00 (Asia/Shanghai). /digest off stops it.');
    expect(await say('2', '/digest off', 'zh')).toBe('已关闭此聊天的定期摘要。');
    expect(await say('2', '/digest off', 'en')).toBe('This chat had no digest.');
  });

  it('writes the weekly digest (attribution, hints, red readiness checks) in Chinese for zh, English by default', async () => {
    const r = reports();
    const texts = async (lang?: 'zh' | 'en'): Promise<string> =>
      (await buildDigest(r, WS, 'weekly', NOW, 'Asia/Shanghai', lang)).map((a) => (a.type === 'text' ? a.text : a.type === 'photo' ? `[photo ${a.caption ?? ''}]` : '')).join('\n');
    const zh = await texts('zh');
    expect(zh).toMatch(/^\[photo 按群组归因 · 最近 7 天/);
    expect(zh).toContain('每周摘要 · 发送 /digest off 停止\n\n按群组归因 · linear 对比最后点击');
    expect(zh).toContain('团购群 Deals');
    expect(zh).toContain('提示 · 最近 7 天');
    expect(zh).toContain(`🔴 机器人管理员 · ${GROUP}：机器人不是管理员`);
    expect(zh).not.toContain('🟠');
    const en = await texts();
    expect(en).toContain('Weekly digest · send /digest off to stop\n\nAttribution by group · linear vs last touch');
    expect(en).toContain('Hints · last 7 days');
    expect(en).toContain(`🔴 bot-admin · ${GROUP}: the bot is not an admin`);
  });
});
