/**
 * The Telegram role in the asker's language, end to end (real telegraf bot, Bot API stub,
 * real Redis): a slow report's “working on it” line follows the asker's `language_code`; a
 * digest run and the daily alerts, which answer no one, follow the workspace's `language`
 * setting (English by default).
 */
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { makeAlertProcessor } from '../bots/telegram/alert-worker.js';
import { WORKING_ON_IT } from '../src/commands/index.js';
import { createLogger } from '../src/logger.js';
import type { AlertJobData } from '../src/optimize/alert-queue.js';
import { digestRunJobId } from '../src/queue/keys.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import type { Store, StoredTouch } from '../src/store/store.js';
import { touchEventSchema } from '../src/touch-event.js';
import type { StubCall } from './support/bot-api-stub.js';
import { fakeReports, REPORT_MARKER } from './support/fake-reports.js';
import { BOT, commandUpdate, fixture, MANAGERS_CHAT, OTHER_BOT, P, privateChat, startTelegramHarness, testConfig, WORKSPACES, type TelegramHarness } from './support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

/** The harness's workspaces with `acme` set to Chinese (`other` keeps the English default). */
const CHINESE_ACME = { workspaces: WORKSPACES.workspaces.map((w) => (w.id === 'acme' ? { ...w, language: 'zh' } : w)) };

const to = (h: TelegramHarness, chatId: number, method = 'sendMessage'): StubCall[] => h.stub.callsTo(method).filter((c) => String(c.payload.chat_id) === String(chatId));
const texts = (h: TelegramHarness, chatId: number): string[] => to(h, chatId).map((c) => String(c.payload.text));

describe('the Telegram role in the asker’s or the workspace’s language', () => {
  it('says “working on it” in the asker’s language while a slow report is made', async () => {
    const slow = fakeReports();
    const attribution = slow.attribution.bind(slow);
    slow.attribution = async (...args: Parameters<ReportsApi['attribution']>) => {
      await sleep(3_000);
      return attribution(...args);
    };
    const done: string[] = [];
    const h = await startTelegramHarness({ reports: slow, extra: { onReportDone: (job) => done.push(String(job.id)) } });
    open.push(h);
    const zh = commandUpdate('/report 7d', { id: P.manager }, privateChat(P.manager)) as ReturnType<typeof commandUpdate> & { message: { from: Record<string, unknown> } };
    zh.message.from.language_code = 'zh-hans';
    const en = commandUpdate('/report 7d', { id: P.owner }, privateChat(P.owner));
    await h.feed([zh, en]);
    expect(texts(h, P.manager)).toEqual(['正在生成报表…马上就好。']);
    expect(texts(h, P.owner)).toEqual([WORKING_ON_IT]);
    expect(WORKING_ON_IT).toBe('Working on it… the report follows in a moment.');
    await until(() => done.length === 2);
    await sleep(300);
    expect(texts(h, P.manager)[1]).toContain('按群组归因');
    expect(texts(h, P.owner)[1]).toContain('Attribution by group');
  });

  it('sends a digest run in the workspace’s language: Chinese for a zh workspace, English by default', async () => {
    const done: string[] = [];
    const h = await startTelegramHarness({ config: testConfig({}, CHINESE_ACME), reports: fakeReports(), extra: { onReportDone: (job) => done.push(String(job.id)) } });
    open.push(h);
    const at = new Date().toISOString();
    await h.reportQueue.add(digestRunJobId('acme', String(P.manager), '2026-W10'), { kind: 'digest', platform: 'telegram', account: BOT, workspace: 'acme', chatId: String(P.manager), frequency: 'weekly', at, runKey: '2026-W10' });
    await h.reportQueue.add(digestRunJobId('other', String(P.otherManager), '2026-W10'), { kind: 'digest', platform: 'telegram', account: OTHER_BOT, workspace: 'other', chatId: String(P.otherManager), frequency: 'weekly', at, runKey: '2026-W10' });
    await until(() => done.length === 2);
    const zh = texts(h, P.manager).join('\n');
    expect(zh).toContain('每周摘要 · 发送 /digest off 停止\n\n按群组归因 · linear 对比最后点击');
    expect(zh).toContain('时间段：最近 7 天');
    expect(zh).toContain(REPORT_MARKER);
    expect(String(to(h, P.manager, 'sendPhoto')[0]?.payload.caption)).toContain('按群组归因 · 最近 7 天');
    const en = texts(h, P.otherManager).join('\n');
    expect(en).toContain('Weekly digest · send /digest off to stop\n\nAttribution by group · linear vs last touch');
    expect(en).toContain('Period: last 7 days');
  });

  it('posts the daily alerts to the managers’ chat in the workspace’s language', async () => {
    const DAY_MS = 86_400_000;
    const now = new Date('2026-03-20T09:00:00Z');
    let n = 0;
    const join = (at: number): StoredTouch =>
      ({ ...touchEventSchema.parse({ id: `j${n}`, workspace: 'acme', account: BOT, platform: 'telegram', chat: { id: '-1003', type: 'group', title: '团购群 Deals' }, actor: { profileId: `p${n++}` }, kind: 'join', occurredAt: new Date(at).toISOString(), details: { via: 'invite_link', campaign: '春季活动' } }), profileId: `p${n}`, applied: true }) as StoredTouch;
    const seed = async (store: Store): Promise<void> => {
      const touches: StoredTouch[] = [];
      // Two joins a day for four weeks (Asia/Shanghai noon), then 25 on the day checked.
      for (let d = 1; d <= 28; d++) for (let k = 0; k < 2; k++) touches.push(join(Date.parse('2026-03-19T04:00:00Z') - d * DAY_MS));
      for (let k = 0; k < 25; k++) touches.push(join(Date.parse('2026-03-19T04:00:00Z') + k * 60_000));
      await store.touches.insertMany('acme', touches);
    };
    for (const [workspaces, expected] of [
      [CHINESE_ACME, '2026-03-19 的预警 · 变化超出随机波动（p < 0.01）· 发送 /alerts off 停止\n\n• 经由 春季活动 入群：2026-03-19（周四）25 人，预期约 2 人'],
      [WORKSPACES, 'Alerts for 2026-03-19 · moved beyond chance (p < 0.01) · /alerts off to stop\n\n• Joins via 春季活动: 25 on Thursday 2026-03-19, expected about 2'],
    ] as const) {
      const config = testConfig({}, workspaces);
      const h = await startTelegramHarness({ config, seed });
      open.push(h);
      const process = makeAlertProcessor({ bots: h.role.bots, store: h.store, workspaces: config.workspaces, log: createLogger('silent'), now: () => now, charts: false });
      const result = await process({ data: { workspace: 'acme' } } as Job<AlertJobData>);
      expect(result.status).toBe('checked');
      expect(texts(h, MANAGERS_CHAT)[0]).toContain(expected);
    }
  });

  it('thanks whoever added the bot to a group in their language', async () => {
    const h = await startTelegramHarness();
    open.push(h);
    const added = (adder: number, chatId: number, lang: string) =>
      fixture('my-chat-member-added', (u) => {
        u.my_chat_member.from.id = adder;
        u.my_chat_member.from.language_code = lang;
        u.my_chat_member.chat.id = chatId;
      });
    await h.feed([added(921, -1009990011, 'zh-hans'), added(922, -1009990012, 'en')]);
    const zh = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '921');
    const en = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '922');
    expect(String(zh.payload.text)).toMatch(/^感谢把我加入“.+”。我会记录谁入群/);
    expect(String(en.payload.text)).toMatch(/^Thanks for adding me to “.+”\. I record who joins/);
  });
});
