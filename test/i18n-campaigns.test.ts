/**
 * `/campaign` and `/campaigns` in the asker's language: a `zh-hans` manager gets the card and
 * the list in Chinese (goal, headline, retention, table headers), an `en` one the English of
 * before; campaign names as written. Real reports over the hand-checked community of
 * `support/campaign-data.ts`, through the platform-neutral command handler.
 */
import { describe, expect, it } from 'vitest';
import { createCommandHandler, parseCommand, type ChatPlatform } from '../src/commands/index.js';
import { createLogger } from '../src/logger.js';
import { createReports } from '../src/reports/index.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { CW, NOW, loadCampaignData } from './support/campaign-data.js';
import { testConfig } from './support/telegram-harness.js';

const MARCH = '2026-03-01..2026-03-31';
const platform: ChatPlatform = { botUsername: 'mf_bot', isChatAdmin: async () => false, createInviteLink: async () => ({ url: 'x' }), revokeInviteLink: async () => undefined };

async function setUp(): Promise<(line: string, languageCode?: string) => Promise<string>> {
  const store = createMemoryStore();
  await loadCampaignData(store);
  await rebuildCounters({ store, timeZoneOf: () => 'UTC', now: () => NOW }, CW);
  const config = testConfig({}, { workspaces: [{ id: CW, timezone: 'UTC', currency: 'CNY', roles: { managers: ['telegram:2'] }, campaigns: [{ name: 'kol', goal: 'conversion', target: 'roas 2' }, { name: '春季活动', goal: 'awareness', target: '500 joins' }] }] });
  const handler = createCommandHandler({ store, reports: createReports(store, config.workspaces), settings: (ws) => config.workspaces.find((w) => w.id === ws), platform, log: createLogger('silent'), charts: false });
  return async (line, languageCode) => {
    const parsed = parseCommand(line);
    if (!parsed) throw new Error('not a command');
    const r = await handler.handle({ workspace: CW, platform: 'telegram', account: '99', user: { id: '2', ...(languageCode !== undefined ? { languageCode } : {}) }, chat: { id: '2', type: 'private' }, name: parsed.name, args: parsed.args, now: NOW });
    return r.answers.map((a) => (a.type === 'text' ? a.text : `[${a.type}]`)).join('\n');
  };
}

describe('campaign cards in the asker’s language', () => {
  it('/campaign: a card in Chinese for zh-hans (goal, headline, retention, model table), in English for en; names as written', async () => {
    const say = await setUp();
    const zh = await say(`/campaign kol ${MARCH}`, 'zh-hans');
    expect(zh).toContain('活动 kol · 目标 转化 · 目标值 ROAS 2');
    expect(zh).toContain('转化：1 人转化，未录入花费 — 目标值 ROAS 2：暂时无法衡量');
    expect(zh).toContain('入群 1（telegram 1） · 仍在群：第 7 天 1 人中 100%，第 30 天 1 人中 100%');
    expect(zh).toContain('互动 1 · 点击 1 · 转化 1 · 转化中位天数 5 天');
    expect(zh).toMatch(/模型\s+转化\s+收入\s+CAC\s+ROAS\n首次点击\s+1\s+¥200/);
    expect(await say(`/campaign 春季活动 ${MARCH}`, 'zh-CN')).toContain('活动 春季活动 · 目标 曝光 · 目标值 500 人入群\n');

    const en = await say(`/campaign kol ${MARCH}`, 'en');
    expect(en).toContain('Campaign kol · goal conversion · target ROAS 2\nPeriod: 2026-03-01..2026-03-31 (2026-03-01 – 2026-03-31)\nconversion: 1 converted, no spend entered — target ROAS 2: not measurable yet');
    expect(en).toContain('joins 1 (telegram 1) · still in: day 7 100% of 1, day 30 100% of 1');
    expect(en).toContain('engaged 1 · clicked 1 · converted 1 · median 5 days to convert');
    expect(en).toMatch(/model\s+conv\s+revenue\s+CAC\s+ROAS\nfirst\s+1\s+¥200/);
  });

  it('/campaigns: headlines and the table in Chinese for zh-hans, English for en; campaign names as written', async () => {
    const say = await setUp();
    const zh = await say(`/campaigns ${MARCH}`, 'zh-hans');
    expect(zh).toMatch(/^活动 · 2026-03-01\.\.2026-03-31 .* · CAC 和 ROAS 按 linear 模型/);
    expect(zh).toContain('• 春季活动：曝光：0 人入群，未录入花费，留存暂时无法衡量 — 目标值 500 人入群 ✘');
    expect(zh).toContain('• spring：未设定目标：3 人入群，2 人转化，未录入花费');
    expect(zh).toMatch(/活动\s+目标\s+入群\s+d30\s+转化\s+花费\s+CAC\s+ROAS\nkol\s+转化\s+1\s+100%/);

    const en = await say(`/campaigns ${MARCH}`, 'en');
    expect(en).toMatch(/^Campaigns · 2026-03-01\.\.2026-03-31 .* · CAC and ROAS under linear/);
    expect(en).toContain('• 春季活动: awareness: 0 joins, no spend entered, retention not measurable yet — target 500 joins ✘');
    expect(en).toContain('• spring: goal not set: 3 joins, 2 converted, no spend entered');
    expect(en).toMatch(/campaign\s+goal\s+joins\s+d30\s+conv\s+spend\s+CAC\s+ROAS\nkol\s+conversion\s+1\s+100%/);
  });
});

describe('cohorts and paths in the asker’s language', () => {
  it('/cohorts: Chinese title, legend and headers for zh-hans, English for en; campaigns as written', async () => {
    const say = await setUp();
    const zh = await say(`/cohorts ${MARCH}`, 'zh-hans');
    expect(zh).toMatch(/^按入群周的留存队列 · 2026-03-01\.\.2026-03-31/);
    expect(zh).toContain('每格：仍在群的比例 / 在群里发过言的比例，按入群后的周数');
    expect(zh).toMatch(/入群周\s+人数\s+w0\s+w1/);
    expect(await say(`/cohorts ${MARCH} by=campaign`, 'zh-hans')).toMatch(/按入群活动的留存队列[\s\S]*活动\s+人数\s+w0[\s\S]*\nspring\s+3\s/);
    const en = await say(`/cohorts ${MARCH}`, 'en');
    expect(en).toMatch(/^Cohorts by join week · 2026-03-01\.\.2026-03-31/);
    expect(en).toContain('Each cell: % still in the group / % who wrote there, per week since joining');
    expect(en).toMatch(/joined in\s+people\s+w0\s+w1/);
  });

  it('/paths: Chinese for zh-hans, English for en; campaign names as written', async () => {
    const say = await setUp();
    const zh = await say(`/paths ${MARCH}`, 'zh-hans');
    expect(zh).toMatch(/^按活动的转化路径 · .* · 3 条转化旅程/);
    expect(zh).toContain('从首次触点到转化的天数 — 0: 0 · 1: 0 · 2-3: 1');
    expect(zh).toContain('转化最多的路径：\n1. spring  （2 个转化，400）\n2. kol → spring  （1 个转化，200）');
    expect(zh).toMatch(/活动\s+辅助\s+最后点击\s+比值\s+敏感度/);
    const en = await say(`/paths ${MARCH}`, 'en');
    expect(en).toMatch(/^Paths by campaign · .* · 3 converting journeys/);
    expect(en).toContain('Top converting paths:\n1. spring  (2 conv, 400)\n2. kol → spring  (1 conv, 200)');
    expect(en).toMatch(/campaign\s+assists\s+last\s+ratio\s+sens\./);
  });
});

describe('/goal and /spend in the asker’s language', () => {
  it('confirm in Chinese for zh-hans and in English for en; campaign names as written', async () => {
    const say = await setUp();
    expect(await say('/goal 春季活动 engagement target=20%@d28 from=2026-03-01 to=2026-03-31', 'zh-hans')).toBe('春季活动：目标 互动，目标值 第 28 天留存 20%，投放期 2026-03-01..2026-03-31。发送 /campaign 春季活动 查看它的卡片。');
    expect(await say('/goal spring awareness target=500joins', 'en')).toBe('spring: goal awareness, target 500 joins. /campaign spring shows its card.');
    expect(await say('/goal spring off', 'zh-hans')).toBe('已删除 spring 的目标：它的活动卡片会显示目标未设定（或以配置文件为准）。');
    expect(await say('/goal spring off', 'en')).toBe('spring had no goal set here.');
    expect(await say('/spend 春季活动 1000 2026-03-01..2026-03-10', 'zh-hans')).toBe('春季活动 的花费：¥1,000，分摊到 10 天（2026-03-01 – 2026-03-10），每天 ¥100。会替换这些天之前录入的花费。');
    expect(await say('/spend spring 300 2026-03-02..2026-03-02', 'en')).toBe('Spend of spring: ¥300 on 2026-03-02. It replaces what was entered for those days.');
  });
});
