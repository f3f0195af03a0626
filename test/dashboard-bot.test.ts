/**
 * The bot in the asker's language (Telegram `language_code`): Chinese for `zh-hans` (and
 * `zh`, `zh-CN`…), English otherwise — /help, a refusal, /report's titles and table headers
 * (group names as written); and `/dashboard`: a Mini App button (`web_app`, https
 * PUBLIC_BASE_URL) with a one-time browser link and the chat's menu button set, for managers
 * in a private chat only. Real telegraf bot, Bot API stub, real Redis.
 */
import type { Update } from 'telegraf/types';
import { afterEach, describe, expect, it } from 'vitest';
import { languageOf } from '../src/i18n/index.js';
import { createReports } from '../src/reports/index.js';
import type { StubCall } from './support/bot-api-stub.js';
import { seedDashboard } from './support/dashboard-data.js';
import { commandUpdate, group, P, privateChat, startTelegramHarness, testConfig, type TelegramHarness } from './support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(env: Record<string, string> = {}): Promise<TelegramHarness> {
  const config = testConfig(env);
  const h = await startTelegramHarness({ config, seed: (s) => seedDashboard(s, 'acme'), reports: (store) => createReports(store, config.workspaces) });
  open.push(h);
  return h;
}

/** A command update from someone whose Telegram app is set to `lang`. */
function said(text: string, from: { id: number; username?: string }, chat: Parameters<typeof commandUpdate>[2], lang?: string): Update {
  const u = commandUpdate(text, from, chat) as Update & { message: { from: Record<string, unknown> } };
  if (lang !== undefined) u.message.from.language_code = lang;
  return u;
}

const to = (h: TelegramHarness, chatId: number, method = 'sendMessage'): StubCall[] => h.stub.callsTo(method).filter((c) => String(c.payload.chat_id) === String(chatId));
const texts = (h: TelegramHarness, chatId: number): string[] => to(h, chatId).map((c) => String(c.payload.text));

describe('language of the bot’s answers', () => {
  it('reads Telegram language codes: zh, zh-hans, zh-CN … are Chinese; the rest English', () => {
    for (const code of ['zh', 'zh-hans', 'zh-CN', 'ZH_tw', 'zh-Hans-CN']) expect(languageOf(code)).toBe('zh');
    for (const code of ['en', 'en-US', 'ru', 'zhx', '', undefined, null]) expect(languageOf(code)).toBe('en');
  });

  it('/help, a refusal and /report answer in Chinese for zh-hans and in English otherwise', async () => {
    const h = await harness();
    // One at a time: updates are handled concurrently, and the order of answers matters here.
    await h.feed([said('/help', { id: P.member }, privateChat(P.member), 'zh-hans'), said('/help', { id: P.operator }, privateChat(P.operator), 'en')]);
    await h.feed([said('/report', { id: P.member }, privateChat(P.member), 'zh-hans'), said('/report', { id: P.operator }, privateChat(P.operator))]);
    const [helpZh, refusalZh] = texts(h, P.member);
    expect(helpZh).toMatch(/^你在这里可以使用：/);
    expect(helpZh).toContain('/help — 我能为你做什么');
    expect(helpZh).toContain('时间段：7d');
    expect(refusalZh).toBe('没有权限：此命令仅限经理使用。');
    const [helpEn, refusalEn] = texts(h, P.operator);
    expect(helpEn).toMatch(/^What you can do here:/);
    expect(helpEn).toContain('/help — What I can do for you here');
    expect(refusalEn).toBe('This command is for managers.');

    await h.feed([said('/report 90d', { id: P.manager }, privateChat(P.manager), 'zh-hans')]);
    await h.feed([said('/report 90d', { id: P.manager }, privateChat(P.manager), 'en-US')]);
    const [zh, en] = texts(h, P.manager);
    expect(zh).toContain('按群组归因 · linear 对比最后点击');
    expect(zh).toMatch(/群组\s+转化\s+金额\s+最后点击\s+差值/);
    expect(zh).toContain('团购群 Deals');
    expect(zh).toContain('匹配率');
    expect(en).toContain('Attribution by group · linear vs last touch');
    expect(en).toMatch(/group\s+conv\s+value\s+last\s+Δ/);
    expect(en).toContain('团购群 Deals');
    const captions = to(h, P.manager, 'sendPhoto').map((c) => String(c.payload.caption));
    expect(captions[0]).toContain('按群组归因');
    expect(captions[1]).toContain('Attribution by group');
  });
});

describe('/dashboard', () => {
  it('gives a manager in a private chat a Mini App button and a one-time link, and sets the menu button', async () => {
    const h = await harness({ PUBLIC_BASE_URL: 'https://mf.example.com' });
    await h.feed([said('/dashboard', { id: P.manager }, privateChat(P.manager), 'zh-hans')]);
    const [answer] = to(h, P.manager);
    expect(answer?.payload.text).toContain('数据看板');
    const keyboard = (answer?.payload.reply_markup as { inline_keyboard: Array<Array<{ text: string; web_app?: { url: string }; url?: string }>> }).inline_keyboard;
    expect(keyboard[0]?.[0]).toEqual({ text: '打开数据看板', web_app: { url: 'https://mf.example.com/app' } });
    expect(keyboard[1]?.[0]?.url).toMatch(/^https:\/\/mf\.example\.com\/app#login=link\.[\w-]+\.[\w-]+$/);
    // At start-up every configured manager's and owner's private chat gets the Mini App menu button; /dashboard sets it again in their language.
    const menus = h.stub.callsTo('setChatMenuButton').map((c) => ({ chat: String(c.payload.chat_id), button: c.payload.menu_button }));
    expect(menus.filter((m) => m.chat === String(P.owner))).toEqual([{ chat: String(P.owner), button: { type: 'web_app', text: 'Dashboard', web_app: { url: 'https://mf.example.com/app' } } }]);
    expect(menus.filter((m) => m.chat === String(P.manager)).at(-1)?.button).toEqual({ type: 'web_app', text: '数据看板', web_app: { url: 'https://mf.example.com/app' } });
    expect(menus.some((m) => m.chat === String(P.member) || m.chat === String(P.operator))).toBe(false);
  });

  it('refuses members, answers in groups without a link, and gives only a link when the base URL is not https', async () => {
    const h = await harness({ PUBLIC_BASE_URL: 'http://localhost:8080' });
    await h.feed([said('/dashboard', { id: P.member }, privateChat(P.member)), said('/dashboard', { id: P.manager }, privateChat(P.manager))]);
    expect(texts(h, P.member)).toEqual(['This command is for managers.']);
    const [link] = to(h, P.manager);
    expect(link?.payload.reply_markup).toBeUndefined();
    expect(String(link?.payload.text)).toMatch(/works once, for 10 minutes\): http:\/\/localhost:8080\/app#login=link\./);
    const g = group();
    await h.feed([said('/dashboard', { id: P.owner }, g)]);
    const inGroup = texts(h, g.id).concat(texts(h, P.owner));
    expect(inGroup.join('\n')).not.toContain('login=');
  });
});
