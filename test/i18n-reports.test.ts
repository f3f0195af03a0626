/**
 * `/models`, `/funnel` and `/groupstats` in the asker's language: a `zh-hans` user gets
 * Chinese titles, headers, chart titles and the fit line; an `en` user the English of before;
 * group names, campaigns and keywords as written. Through the platform-neutral command handler
 * (fake reports with Chinese group names); the chart functions record what would be drawn.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BarChartOptions, FunnelChartOptions } from '../src/charts/index.js';

const drawn: { bars: BarChartOptions[]; funnels: FunnelChartOptions[] } = { bars: [], funnels: [] };
vi.mock('../src/charts/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/charts/index.js')>();
  return {
    ...real,
    renderBarChart: async (o: BarChartOptions) => (drawn.bars.push(o), Buffer.from('png')),
    renderFunnelChart: async (o: FunnelChartOptions) => (drawn.funnels.push(o), Buffer.from('png')),
  };
});

const { createCommandHandler, parseCommand } = await import('../src/commands/index.js');
const { createLogger } = await import('../src/logger.js');
const { createMemoryStore } = await import('../src/store/memory-store.js');
const { fakeReports, REPORT_MARKER } = await import('./support/fake-reports.js');
type Settings = import('../src/commands/index.js').CommandSettings;
type Platform = import('../src/commands/index.js').ChatPlatform;
type Answer = import('../src/commands/index.js').Answer;

const WS = 'acme';
const NOW = new Date('2026-03-20T09:00:00Z');
const SETTINGS: Settings = { id: WS, keywords: ['发货'], roles: { owners: ['telegram:1'], managers: ['telegram:2'], operators: ['telegram:3'] }, managersChats: [], timezone: 'UTC' };

function setup() {
  const platform: Platform = { botUsername: 'mf_bot', isChatAdmin: async () => false, createInviteLink: async (_c, o) => ({ url: `https://t.me/+${o.name}` }), revokeInviteLink: async () => undefined };
  const models = { status: async () => [{ month: '2026-03', fitId: null, fittedAt: null, journeys: 0, conversions: 0, dirty: false }], requestRefit: async () => 'months 2026-03 queued' };
  const reports = {
    ...fakeReports(),
    referrals: async (workspace: string, o: { period: import('../src/reports/period.js').Period; model: string }) => ({
      workspace,
      period: o.period,
      model: o.model,
      minDays: 3,
      rows: [{ key: 'p_alice', label: '@小红_shop', joined: 4, invitees: 3, stillInDay7: 3, engaged: 2, converted: 2, revenue: 598, referralCredit: 120, secondDegree: 1, byKind: { personal_link: 3 } }],
      kFactor: [{ campaign: '春季活动', members: 10, invitees: 3, kFactor: 0.3 }],
      shares: { joined: 40, referredJoined: 4, joinShare: 0.1, value: 12_300, referralValue: 120, revenueShare: 120 / 12_300 },
      totals: { conversions: 42, value: 12_300, matched: 37, unattributed: { conversions: 5, value: 900 }, matchRate: 37 / 42, lowConfidence: 0 },
      currencies: ['CNY'],
      notes: [],
    }),
  };
  const handler = createCommandHandler({ store: createMemoryStore(), reports, models, settings: (ws) => (ws === WS ? SETTINGS : undefined), platform, log: createLogger('silent') });
  return async (line: string, languageCode?: string): Promise<{ text: string; captions: string[] }> => {
    const parsed = parseCommand(line);
    if (!parsed) throw new Error('not a command');
    const r = await handler.handle({ workspace: WS, platform: 'telegram', account: '111', user: { id: '2', ...(languageCode !== undefined ? { languageCode } : {}) }, chat: { id: '2', type: 'private' }, name: parsed.name, args: parsed.args, now: NOW });
    const answers: Answer[] = r.answers;
    return { text: answers.map((a) => (a.type === 'text' ? a.text : '')).join('\n'), captions: answers.flatMap((a) => ((a.type === 'photo' || a.type === 'document') && a.caption ? [a.caption] : [])) };
  };
}

describe('/models in the asker’s language', () => {
  it('Chinese titles, model columns, fit line and chart for zh-hans; the English of before for en', async () => {
    const say = setup();
    drawn.bars.length = 0;
    const zh = await say('/models 30d', 'zh-hans');
    expect(zh.text).toContain('各归因模型并排对比 · 按群组（归因转化数）');
    expect(zh.text).toContain('注：数据驱动模型（markov、shapley）上次拟合：从未拟合；尚未拟合：2026-03（发送 /refit 拟合）');
    expect(zh.text).toMatch(/群组\s+首次点击\s+最后点击\s+线性\s+U 型\s+时间衰减\s+Markov\s+Shapley/);
    expect(zh.text).toContain(REPORT_MARKER);
    expect(zh.captions).toEqual(['按群组对比各归因模型 · 30d']);
    expect(drawn.bars[0]?.title).toBe('按群组对比各归因模型');
    expect(drawn.bars[0]?.series).toContain('线性');
    expect(drawn.bars[0]?.rows[0]?.label).toBe(REPORT_MARKER);

    const en = await say('/models 30d', 'en');
    expect(en.text).toContain('Models side by side by group (credited conversions)');
    expect(en.text).toContain('Note: Data-driven models (markov, shapley) last fitted: never; not fitted yet: 2026-03 (/refit fits them)');
    expect(en.text).toMatch(/group\s+first\s+last\s+linear\s+u-shape\s+decay\s+markov\s+shapley/);
    expect(en.text).toContain(REPORT_MARKER);
    expect(en.captions).toEqual(['Models compared by group · 30d']);
    expect(drawn.bars[1]?.title).toBe('Every model by group');
  });
});

describe('/funnel in the asker’s language', () => {
  it('Chinese headers, legend and funnel chart steps for zh-hans; English for en; group names as written', async () => {
    const say = setup();
    drawn.funnels.length = 0;
    const zh = await say('/funnel 30d', 'zh-CN');
    expect(zh.text).toContain('按群组的漏斗');
    expect(zh.text).toMatch(/群组\s+入群\s+互动\s+点击\s+转化\s+天数\s+金额/);
    expect(zh.text).toContain('天数：从入群到首次转化的中位天数；金额：入群后购买的金额');
    expect(zh.text).toContain(REPORT_MARKER);
    expect(zh.captions).toEqual(['漏斗 · 30d']);
    expect(drawn.funnels[0]?.title).toBe(`漏斗 · ${REPORT_MARKER}`);
    expect(drawn.funnels[0]?.steps.map((s) => s.label)).toEqual(['入群', '互动', '点击', '转化']);
    expect(drawn.funnels[0]?.footnote).toBe('从入群到转化的中位数为 4.5 天');
    expect(drawn.funnels[0]?.revenue).toMatch(/^收入 /);

    const en = await say('/funnel 30d', 'en');
    expect(en.text).toContain('Funnel by group');
    expect(en.text).toMatch(/group\s+joined\s+engaged\s+clicked\s+conv\s+days\s+value/);
    expect(en.text).toContain('days: median days from joining to the first conversion; value: what they bought after joining');
    expect(en.captions).toEqual(['Funnel · 30d']);
    expect(drawn.funnels[1]?.steps.map((s) => s.label)).toEqual(['joined', 'engaged', 'clicked', 'converted']);
    expect(drawn.funnels[1]?.footnote).toBe('median 4.5 days from joining to converting');
  });
});

describe('/groupstats in the asker’s language', () => {
  it('Chinese totals, tables and chart for zh-hans; English for en; campaigns and keywords as written', async () => {
    const say = setup();
    drawn.bars.length = 0;
    const zh = await say('/groupstats 30d', 'zh-hans');
    expect(zh.text).toContain('群组统计 · 全部群组');
    expect(zh.text).toContain('入群 42 · 退群 8 · 净增 +34');
    expect(zh.text).toContain('活跃成员 77 · 消息 310 · 关键词命中 41');
    expect(zh.text).toMatch(/活动\s+入群\s+退群\nspring\s+30\s+3\n（无活动）\s+12\s+5/);
    expect(zh.text).toMatch(/关键词\s+命中\n发货\s+25/);
    expect(zh.captions).toEqual(['按活动的入群 · 30d']);
    expect(drawn.bars[0]?.title).toBe('按活动的入群 · 全部群组');
    expect(drawn.bars[0]?.series).toEqual(['入群', '退群']);

    const en = await say('/groupstats 30d', 'en');
    expect(en.text).toContain('Group stats · all groups');
    expect(en.text).toContain('Joins 42 · leaves 8 · net +34');
    expect(en.text).toMatch(/campaign\s+joins\s+leaves\nspring\s+30\s+3\n\(no campaign\)\s+12\s+5/);
    expect(en.text).toMatch(/keyword\s+hits\n发货\s+25/);
    expect(en.captions).toEqual(['Joins by campaign · 30d']);
    expect(drawn.bars[1]?.series).toEqual(['joins', 'leaves']);
  });
});

describe('/referrals in the asker’s language', () => {
  it('the leaderboard, shares and k-factors in Chinese for zh-hans, English for en; people and campaigns as written', async () => {
    const say = setup();
    const zh = (await say('/referrals 30d', 'zh-hans')).text;
    expect(zh).toContain('推荐 30d · linear · 计入：留存满 3 天');
    expect(zh).toMatch(/邀请人\s+收入\s+邀请\s+入群\s+d7\s+互动\s+转化\s+二度\n@小红_shop\s+598\.00\s+3\s+4\s+3\s+2\s+2\s+1/);
    expect(zh).toContain('经由推荐：入群的 10.0%（4/40），收入的 1.0%（12300.00 中有 120.00 归因到推荐环节）。');
    expect(zh).toContain('各活动的 k 因子（经由该活动入群的每位成员带来的受邀人数）：春季活动 0.3（3/10）');
    const en = (await say('/referrals 30d', 'en')).text;
    expect(en).toContain('Referrals 30d · linear · counted: stayed 3+ days');
    expect(en).toContain('inviter              revenue   inv  joined  d7  eng  conv  2nd\n@小红_shop');
    expect(en).toContain('Through referrals: 10.0% of joins (4/40), 1.0% of revenue (120.00 of 12300.00 credited to referral steps).');
    expect(en).toContain('k-factor per campaign (invitees per member who joined through it): 春季活动 0.3 (3/10)');
  });
});

describe('the note in a group when the answer goes to a private chat', () => {
  it('is in the asker’s language', async () => {
    const platform: Platform = { botUsername: 'mf_bot', isChatAdmin: async () => false, createInviteLink: async (_c, o) => ({ url: `https://t.me/+${o.name}` }), revokeInviteLink: async () => undefined };
    const handler = createCommandHandler({ store: createMemoryStore(), reports: fakeReports(), settings: (ws) => (ws === WS ? SETTINGS : undefined), platform, log: createLogger('silent') });
    const ask = (languageCode: string, username?: string) =>
      handler.handle({ workspace: WS, platform: 'telegram', account: '111', user: { id: '3', languageCode, ...(username ? { username } : {}) }, chat: { id: '-100', type: 'supergroup', title: '团购群 Deals' }, name: 'keywords', args: [], now: NOW });
    expect((await ask('zh-hans', 'op_li')).groupNote).toBe('@op_li，我已在私聊中把结果发给你。');
    expect((await ask('zh-hans')).groupNote).toBe('我已在私聊中把结果发给你。');
    expect((await ask('en', 'op_li')).groupNote).toBe('@op_li, I sent you the answer in a private chat.');
    expect((await ask('en')).groupNote).toBe('I sent the answer in a private chat.');
  });
});

describe('/journey in the asker’s language', () => {
  it('the timeline in Chinese for zh-hans, English for en; groups, campaigns and keywords as written', async () => {
    const say = setup();
    const zh = (await say('/journey @alice_shop', 'zh-hans')).text;
    expect(zh).toContain('@alice_shop 的旅程\n首次出现 2026-03-01 02:00 · 2 个触点 · 1 个转化');
    expect(zh).toContain(`2026-03-01 02:00  入群 · ${REPORT_MARKER} · 活动 spring`);
    expect(zh).toContain(`2026-03-02 02:00  消息 · ${REPORT_MARKER} · [发货]`);
    expect(zh).toContain('2026-03-05 02:00  ★ 转化 299 CNY（tg_id）');
    expect(await say('/journey @nobody', 'zh-hans')).toMatchObject({ text: '这个工作区里没有“@nobody”这个人。' });
    const en = (await say('/journey @alice_shop', 'en')).text;
    expect(en).toContain('Journey of @alice_shop\nFirst seen 2026-03-01 02:00 · 2 touches · 1 conversion');
    expect(en).toContain(`2026-03-01 02:00  joined · ${REPORT_MARKER} · campaign spring`);
    expect(en).toContain('2026-03-05 02:00  ★ converted 299 CNY (tg_id)');
    expect(await say('/journey @nobody', 'en')).toMatchObject({ text: 'I know nobody as “@nobody” in this workspace.' });
  });
});

describe('keyword, export and refit answers in the asker’s language', () => {
  it('/track, /untrack, /keywords, /export and /refit answer zh-hans in Chinese and en in English; keywords as written', async () => {
    const say = setup();
    expect((await say('/track 包邮 发货', 'zh-hans')).text).toBe('开始监测：包邮\n已在监测：发货');
    expect((await say('/track discount', 'en')).text).toBe('Now watching: discount');
    expect((await say('/keywords', 'zh-CN')).text).toBe('配置文件中的（1）：发货\n用 /track 添加的（2）：discount, 包邮');
    expect((await say('/keywords', 'en')).text).toBe('Configured (1): 发货\nAdded with /track (2): discount, 包邮');
    expect((await say('/untrack 包邮 发货 价格', 'zh-hans')).text).toBe('已停止监测：包邮\n这些写在配置文件里（请在配置文件中删除）：发货\n未在监测：价格');
    expect((await say('/untrack discount 价格', 'en')).text).toBe('Stopped watching: discount\nNot watched: 价格');
    expect((await say('/export 30d', 'zh-hans')).captions).toEqual(['归因触点 · 30d · 全部模型']);
    expect((await say('/export 30d', 'en')).captions).toEqual(['Credited touches · 30d · every model']);
    expect((await say('/refit', 'zh-hans')).text).toBe('已排队重新拟合所有有转化的月份：months 2026-03 queued。Markov 和 Shapley 会重新拟合并改写它们的归因；/models 会显示上次拟合时间。');
    expect((await say('/refit 30d', 'en')).text).toBe('Refit queued for 30d: months 2026-03 queued. Markov and Shapley are fitted again and their credits rewritten; /models shows when they were last fitted.');
  });
});

describe('invite links in the asker’s language', () => {
  it('/invite, /invites, /revoke and /link answer zh-hans in Chinese and en in English; group and campaign names as written', async () => {
    const store = createMemoryStore();
    await store.community.groups.upsert(WS, { workspace: WS, platform: 'telegram', chatId: '-1003', title: REPORT_MARKER, account: '111', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
    const platform: Platform = { botUsername: 'mf_bot', isChatAdmin: async () => true, createInviteLink: async (_c, o) => ({ url: `https://t.me/+${o.name}` }), revokeInviteLink: async () => undefined };
    const handler = createCommandHandler({ store, reports: fakeReports(), settings: (ws) => (ws === WS ? SETTINGS : undefined), platform, log: createLogger('silent') });
    const say = async (line: string, languageCode: string): Promise<string> => {
      const parsed = parseCommand(line);
      if (!parsed) throw new Error('not a command');
      const r = await handler.handle({ workspace: WS, platform: 'telegram', account: '111', user: { id: '3', languageCode }, chat: { id: '3', type: 'private' }, name: parsed.name, args: parsed.args, now: NOW });
      return r.answers.map((a) => (a.type === 'text' ? a.text : '')).join('\n');
    };
    expect(await say('/invites', 'zh-hans')).toBe('没有有效的活动邀请链接。用 /invite <活动> 创建一个。');
    expect(await say('/invites', 'en')).toBe('No active campaign invite links. Make one with /invite <campaign>.');
    expect(await say('/invite 春季活动 group=-1003', 'zh-hans')).toBe(`${REPORT_MARKER} 的活动“春季活动”邀请链接：\nhttps://t.me/+春季活动\n通过它入群的成员都归因到 春季活动。`);
    expect(await say('/invite spring request group=-1003', 'en')).toBe(`Invite link for campaign “spring” in ${REPORT_MARKER}:\nhttps://t.me/+spring\nJoins through it are credited to spring (people ask to join; an admin approves).`);
    expect(await say('/invites', 'zh-hans')).toMatch(/^活动\s+链接\s+群组\n/);
    expect(await say('/revoke 春季活动 group=-1003', 'zh-hans')).toBe(`已撤销 ${REPORT_MARKER} 里“春季活动”的 1 个链接。已经发生的入群仍然计入归因。`);
    expect(await say('/revoke spring group=-1003', 'en')).toBe(`Revoked 1 link for “spring” in ${REPORT_MARKER}. Joins already made stay credited.`);
    expect(await say('/revoke spring group=-1003', 'zh-hans')).toBe(`${REPORT_MARKER} 里没有“spring”的有效邀请链接。`);
    expect(await say('/link https://shop.example.com/a spring', 'zh-hans')).toBe('此安装还没有配置可追踪链接。');
    expect(await say('/link https://shop.example.com/a spring', 'en')).toBe('Tracked links are not configured on this installation yet.');
  });
});
