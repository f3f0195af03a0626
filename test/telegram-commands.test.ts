/**
 * The command surface through the real telegraf bot: literal command updates in, Bot API
 * calls out (sendMessage, sendPhoto with a PNG chart, sendDocument with the CSV,
 * createChatInviteLink, revokeChatInviteLink), store effects and audit entries checked.
 * Reports come from a small ReportsApi double (`support/fake-reports.ts`) so the
 * arguments commands pass are visible; one test runs the real `createReports`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createReports } from '../src/reports/index.js';
import { fakeReports, REPORT_MARKER, type FakeReports } from './support/fake-reports.js';
import { commandUpdate, fixture, GROUP, group, MANAGERS_CHAT, P, privateChat, startTelegramHarness, testConfig, textUpdate, WORKSPACES, type HarnessOptions, type TelegramHarness } from './support/telegram-harness.js';
import type { StubCall } from './support/bot-api-stub.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(options: HarnessOptions = {}): Promise<TelegramHarness & { reports: FakeReports }> {
  const reports = fakeReports();
  const h = await startTelegramHarness({ reports, ...options });
  open.push(h);
  return Object.assign(h, { reports });
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const manager = { id: P.manager, username: 'mia_mgr' };
const to = (h: TelegramHarness, chatId: number, method = 'sendMessage'): StubCall[] => h.stub.callsTo(method).filter((c) => String(c.payload.chat_id) === String(chatId));
const texts = (h: TelegramHarness, chatId: number): string[] => to(h, chatId).map((c) => String(c.payload.text));

describe('telegram commands', () => {
  it('/report in a private chat with a manager: a chart (PNG) and a compact table, the request audited', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report', manager, privateChat(P.manager))]);
    expect(h.reports.calls).toHaveLength(1);
    const call = h.reports.calls[0];
    expect(call).toMatchObject({ method: 'attribution', workspace: 'acme', options: { by: 'group', model: 'linear', period: { label: '30d' } } });
    const [photo] = to(h, P.manager, 'sendPhoto');
    expect(photo?.files.photo?.bytes.subarray(0, 8).equals(PNG)).toBe(true);
    expect(photo?.files.photo?.bytes.length).toBeGreaterThan(5_000);
    expect(String(photo?.payload.caption)).toMatch(/Attribution by group · 30d · linear vs last touch/);
    const [table] = to(h, P.manager);
    expect(table?.payload.parse_mode).toBe('HTML');
    const t = String(table?.payload.text);
    expect(t).toMatch(/^<pre>/);
    expect(t).toContain(REPORT_MARKER);
    expect(t).toMatch(/团购群 Deals\s+20\.5\s+6,000\s+12\s+\+8\.5/);
    expect(t).toContain('matched 88%');
    const audit = await h.store.community.audit.list('acme');
    expect(audit).toEqual([expect.objectContaining({ actor: `telegram:${P.manager}`, command: 'report', outcome: 'answered', detail: 'period 30d by group model linear', chat: { platform: 'telegram', id: String(P.manager), type: 'private' } })]);
  });

  it('/report takes a date range in the workspace time zone, by= and model= (with aliases)', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report 2026-01-01..2026-01-31 by=campaign model=u-shaped', manager, privateChat(P.manager))]);
    expect(h.reports.calls[0]?.options).toEqual({
      period: { from: '2025-12-31T16:00:00.000Z', to: '2026-01-31T16:00:00.000Z', label: '2026-01-01..2026-01-31' },
      by: 'campaign',
      model: 'position_based',
    });
  });

  it('bad arguments get a one-line usage answer, never a stack trace', async () => {
    const h = await harness();
    const bad = ['/report by=colour', '/report 13x', '/report model=magic', '/report 2026-02-30..2026-03-01', '/journey', '/digest hourly', '/funnel 30d by=keyword', '/export junk', '/invite', '/track'];
    await h.feed(bad.map((b) => commandUpdate(b, { id: P.owner }, privateChat(P.owner))));
    const answers = texts(h, P.owner);
    expect(answers).toHaveLength(bad.length);
    for (const a of answers) {
      expect(a.split('\n')).toHaveLength(1);
      expect(a).toMatch(/Usage: \//);
      expect(a).not.toMatch(/\bat \w+ \(|Error:|node_modules/);
    }
    expect(answers.some((a) => /^by= must be one of group, campaign, keyword, link, platform, referrer\. Usage: \/report/.test(a))).toBe(true);
    expect(answers.some((a) => /^'13x' is not a period; periods: 7d, 30d, 90d/.test(a))).toBe(true);
    expect(h.reports.calls).toEqual([]);
    expect(h.stub.callsTo('sendPhoto')).toEqual([]);
    expect((await h.store.community.audit.list('acme')).filter((e) => e.outcome === 'usage')).toHaveLength(bad.length);
  });

  it('/models, /funnel <group>, /journey and /export answer with tables, charts and a CSV file', async () => {
    const h = await harness();
    await h.feed([textUpdate('hi', { id: P.member })]);
    await h.feed([
      commandUpdate('/models 90d', manager, privateChat(P.manager)),
      commandUpdate('/funnel 团购群 7d', manager, privateChat(P.manager)),
      commandUpdate('/journey @alice_shop', manager, privateChat(P.manager)),
      commandUpdate('/journey @nobody_here', manager, privateChat(P.manager)),
      commandUpdate('/export 7d', manager, privateChat(P.manager)),
    ]);
    // Updates are handled concurrently: any order.
    expect(h.reports.calls.map((c) => c.method).sort()).toEqual(['compareModels', 'exportCredits', 'funnel', 'journey', 'journey']);
    expect(h.reports.calls.find((c) => c.method === 'funnel')?.options).toMatchObject({ by: 'group', key: String(GROUP), period: { label: '7d' } });
    const answers = texts(h, P.manager);
    expect(answers.find((a) => a.includes('Models side by side'))).toMatch(/first\s+last\s+linear\s+u-shape\s+decay\s+markov\s+shapley/);
    expect(answers.find((a) => a.includes('Funnel by group'))).toMatch(/120\s+64 53%\s+20 17%\s+6 5%\s+4\.5/);
    const journey = answers.find((a) => a.includes('Journey of @alice_shop')) ?? '';
    expect(journey).toContain('2026-03-01 10:00  joined · 团购群 Deals · campaign spring');
    expect(journey).toContain('★ converted 299 CNY');
    expect(answers.some((a) => a.includes('I know nobody as “@nobody_here”'))).toBe(true);
    expect(to(h, P.manager, 'sendPhoto')).toHaveLength(2);
    const [doc] = to(h, P.manager, 'sendDocument');
    expect(doc?.files.document?.filename).toMatch(/^credits-acme-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(doc?.files.document?.bytes.toString('utf8')).toBe('\ufeffconversion_id,touch_id,model,credit\no-1,t1,linear,0.5\n');
  });

  it('answers reports in the managers’ group, to whoever asks there', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report 7d', { id: P.member }, { id: MANAGERS_CHAT, type: 'supergroup', title: 'Managers' })]);
    expect(to(h, MANAGERS_CHAT, 'sendPhoto')).toHaveLength(1);
    expect(texts(h, MANAGERS_CHAT).join()).toContain(REPORT_MARKER);
  });

  it('/digest daily subscribes the chat; the digest goes out once per local day from 09:00', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/digest daily', manager, privateChat(P.manager))]);
    expect(texts(h, P.manager)[0]).toMatch(/Daily digest on.*09:00 \(Asia\/Shanghai\)/);
    // 08:30 in Shanghai: not yet. 09:30: sent. Again at 10:00: not twice.
    expect(await h.role.runDigests(new Date('2026-03-02T00:30:00Z'))).toBe(0);
    expect(await h.role.runDigests(new Date('2026-03-02T01:30:00Z'))).toBe(1);
    expect(await h.role.runDigests(new Date('2026-03-02T02:00:00Z'))).toBe(0);
    expect(to(h, P.manager, 'sendPhoto')).toHaveLength(1);
    expect(texts(h, P.manager).some((t) => t.includes('Daily digest · send /digest off to stop') && t.includes(REPORT_MARKER))).toBe(true);
    expect(h.reports.calls[0]?.options).toMatchObject({ by: 'group', period: { from: '2026-03-01T01:30:00.000Z', to: '2026-03-02T01:30:00.000Z' } });
    await h.feed([commandUpdate('/digest off', manager, privateChat(P.manager))]);
    expect(await h.role.runDigests(new Date('2026-03-03T01:30:00Z'))).toBe(0);
  });

  it('/track adds keywords that the next messages match; /untrack removes them; /keywords lists both lists', async () => {
    const h = await harness();
    const op = { id: P.operator, username: 'oscar_op' };
    await h.feed([commandUpdate('/track 优惠券 "free shipping" price', op, privateChat(P.operator))]);
    expect(texts(h, P.operator)[0]).toBe('Now watching: 优惠券, free shipping\nAlready watched: price');
    await h.feed([textUpdate('有优惠券吗? Free  Shipping please', { id: P.member })]);
    const kw = (await h.touches()).find((t) => t.kind === 'message' && t.details.keywords !== undefined);
    expect(kw?.details).toEqual({ keywords: ['优惠券', 'free shipping'] });
    await h.feed([commandUpdate('/untrack 优惠券 发货', op, privateChat(P.operator)), commandUpdate('/keywords', op, privateChat(P.operator))]);
    const [, untrack, list] = texts(h, P.operator);
    expect(untrack).toBe('Stopped watching: 优惠券\nSet in the configuration file (remove them there): 发货');
    expect(list).toContain('Configured (4): price, 价格, 发货, discount');
    expect(list).toContain('Added with /track (1): free shipping');
    await h.feed([textUpdate('优惠券?', { id: P.member })]);
    expect((await h.touches()).filter((t) => t.kind === 'message' && t.details.keywords !== undefined)).toHaveLength(1);
  });

  it('/invites lists a group’s campaign links and /revoke revokes them at Telegram and in the store', async () => {
    const h = await harness();
    h.stub.setMember(GROUP, P.groupAdmin, 'administrator');
    const admin = { id: P.groupAdmin, username: 'grace_admin' };
    await h.feed([textUpdate('hello', { id: P.member })]);
    await h.feed([commandUpdate('/invite vip request', admin, group())]);
    await h.feed([commandUpdate('/invites', admin, group())]);
    expect(h.stub.callsTo('createChatInviteLink')[0]?.payload).toMatchObject({ name: 'vip', creates_join_request: true });
    const [link] = await h.store.community.inviteLinks.list('acme');
    expect(texts(h, P.groupAdmin)[1]).toContain(link?.url);
    await h.feed([commandUpdate('/revoke vip', admin, group())]);
    expect(h.stub.callsTo('revokeChatInviteLink')[0]?.payload).toMatchObject({ chat_id: String(GROUP), invite_link: link?.url });
    expect(await h.store.community.inviteLinks.list('acme')).toEqual([]);
    expect(texts(h, P.groupAdmin)[2]).toMatch(/Revoked 1 link for “vip” in 团购群 Deals/);
  });

  it('/invite says what to do when Telegram refuses (the bot lacks the right)', async () => {
    const h = await harness();
    await h.feed([textUpdate('hello', { id: P.member })]);
    h.stub.failNext('createChatInviteLink', { error_code: 400, description: 'Bad Request: not enough rights to manage chat invite links' });
    await h.feed([commandUpdate(`/invite spring group=${GROUP}`, { id: P.operator }, privateChat(P.operator))]);
    expect(texts(h, P.operator)[0]).toMatch(/^Telegram refused to create the invite link .*Make me an admin/);
    expect(await h.store.community.inviteLinks.list('acme')).toEqual([]);
    expect(h.failed).toEqual([]);
  });

  it('/link answers that tracked links are not configured without a public URL, and makes one with it', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/link https://shop.example.com/p/1 spring', { id: P.operator }, privateChat(P.operator))]);
    expect(texts(h, P.operator)[0]).toBe('Tracked links are not configured on this installation yet.');

    const h2 = await harness({ config: testConfig({ PUBLIC_BASE_URL: 'https://go.example.test' }) });
    await h2.feed([commandUpdate('/link https://shop.example.com/p/1 spring', { id: P.operator }, privateChat(P.operator)), commandUpdate('/link https://evil.example.net/x', { id: P.operator }, privateChat(P.operator))]);
    const [made, refused] = texts(h2, P.operator);
    const code = /https:\/\/go\.example\.test\/l\/([A-Za-z0-9]+)$/.exec(made ?? '')?.[1];
    expect(made).toMatch(/^Tracked link for campaign spring: /);
    expect(await h2.store.links.get('acme', code ?? '')).toMatchObject({ destination: 'https://shop.example.com/p/1', campaign: 'spring', platform: 'telegram', createdBy: `telegram:${P.operator}` });
    expect(refused).toMatch(/evil\.example\.net is not on this workspace's allowed domains/);
  });

  it('/forgetme erases a member’s profile, touches and identifiers after confirmation, and stops recording them', async () => {
    const h = await harness();
    const alice = { id: 101, username: 'alice_shop' };
    await h.feed([textUpdate('price?', alice), textUpdate('and shipping?', alice), textUpdate('发货', { id: P.member })]);
    expect((await h.touches()).filter((t) => t.actor.userId === '101')).toHaveLength(2);
    await h.feed([commandUpdate('/forgetme', alice, privateChat(101))]);
    const code = /\/forgetme ([A-Z0-9]{6})/.exec(texts(h, 101)[0] ?? '')?.[1] ?? '';
    expect(code).toMatch(/^[A-Z0-9]{6}$/);
    // Nothing is erased before the confirmation; a wrong code erases nothing.
    await h.feed([commandUpdate('/forgetme WRONG1', alice, privateChat(101))]);
    expect(texts(h, 101)[1]).toMatch(/not valid or has expired/);
    expect((await h.touches()).filter((t) => t.actor.userId === '101')).toHaveLength(2);
    await h.feed([commandUpdate(`/forgetme ${code.toLowerCase()}`, alice, privateChat(101))]);
    expect(texts(h, 101)[2]).toMatch(/^Done: your data is erased \(2 activity records, 1 profile\)/);
    expect((await h.touches()).filter((t) => t.actor.userId === '101')).toEqual([]);
    expect(await h.store.identities.find('acme', [{ type: 'tg_id', value: '101' }])).toEqual(new Map());
    expect((await h.store.profiles.list('acme')).flatMap((p) => p.usernames)).not.toContain('alice_shop');
    // Others are untouched; Alice's later activity is not recorded.
    await h.feed([textUpdate('price again', alice)]);
    expect(new Set((await h.touches()).map((t) => t.actor.userId))).toEqual(new Set(['202']));
    expect((await h.store.community.audit.list('acme')).filter((e) => e.command === 'forgetme').map((e) => e.actor)).toEqual(['erased', 'erased', 'erased']);
  });

  it('/help lists only what this person may run here', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/help', { id: P.member }, privateChat(P.member)), commandUpdate('/help', manager, privateChat(P.manager)), commandUpdate('/help', { id: P.owner }, privateChat(P.owner))]);
    const [member] = texts(h, P.member);
    const [mgr] = texts(h, P.manager);
    const [owner] = texts(h, P.owner);
    expect(member).toContain('/forgetme');
    expect(member).not.toMatch(/\/report|\/track|\/invite|\/grant/);
    for (const c of ['/report', '/models', '/funnel', '/journey', '/export', '/digest', '/track', '/invite']) expect(mgr).toContain(c);
    expect(mgr).not.toContain('/grant');
    expect(owner).toContain('/grant');
  });

  it('owners grant roles with /grant; the grantee may then ask for reports', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report', { id: 777 }, privateChat(777))]);
    expect(texts(h, 777)[0]).toBe('This command is for managers.');
    await h.feed([commandUpdate('/grant manager 777', { id: P.owner }, privateChat(P.owner))]);
    expect(texts(h, P.owner)[0]).toBe('telegram:777 is now manager.');
    await h.feed([commandUpdate('/report', { id: 777 }, privateChat(777))]);
    expect(to(h, 777, 'sendPhoto')).toHaveLength(1);
    await h.feed([commandUpdate('/ungrant manager 777', { id: P.owner }, privateChat(P.owner))]);
    await h.feed([commandUpdate('/report', { id: 777 }, privateChat(777))]);
    expect(texts(h, 777).at(-1)).toBe('This command is for managers.');
  });

  it('/groupstats asked in a group by its admin goes to the admin privately, scoped to that group', async () => {
    const h = await harness();
    h.stub.setMember(GROUP, P.groupAdmin, 'administrator');
    await h.feed([textUpdate('hello', { id: P.member })]);
    await h.feed([commandUpdate('/groupstats 7d', { id: P.groupAdmin, username: 'grace_admin' }, group())]);
    expect(h.reports.calls[0]).toMatchObject({ method: 'groupStats', options: { chatId: String(GROUP), period: { label: '7d' } } });
    expect(texts(h, P.groupAdmin).join()).toMatch(/Group stats · 团购群 Deals[\s\S]*Active members 77/);
    expect(to(h, P.groupAdmin, 'sendPhoto')).toHaveLength(1);
    expect(to(h, GROUP, 'sendPhoto')).toEqual([]);
    expect(texts(h, GROUP)).toEqual(['@grace_admin, I sent you the answer in a private chat.']);
  });

  it('honours 429 retry_after from Telegram instead of failing', async () => {
    const h = await harness();
    h.stub.failNext('sendPhoto', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    await h.feed([commandUpdate('/report', manager, privateChat(P.manager))]);
    const photos = to(h, P.manager, 'sendPhoto');
    expect(photos).toHaveLength(2);
    expect((photos[1]?.at ?? 0) - (photos[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(h.failed).toEqual([]);
    expect(to(h, P.manager)).toHaveLength(1);
  });

  it('works with the real reports: /groupstats and /journey from recorded touches', async () => {
    const h = await startTelegramHarness({ reports: (store) => createReports(store, WORKSPACES.workspaces) });
    open.push(h);
    const now = Math.floor(Date.now() / 1000);
    await h.feed([
      fixture('chat-member-added-by-admin', (u) => {
        u.chat_member.date = now - 60;
        u.chat_member.new_chat_member.user.username = 'dan_buyer';
        u.chat_member.old_chat_member.user.username = 'dan_buyer';
      }),
      textUpdate('price? 发货吗', { id: 404, username: 'dan_buyer' }),
    ]);
    await h.feed([commandUpdate('/groupstats 7d', { id: P.operator }, privateChat(P.operator)), commandUpdate('/journey @dan_buyer', manager, privateChat(P.manager))]);
    const stats = texts(h, P.operator).join('\n');
    expect(stats).toMatch(/Group stats · all groups/);
    expect(stats).toMatch(/Joins 1 · leaves 0 · net \+1/);
    expect(stats).toMatch(/Active members 1 · messages 1 · keyword hits 2/);
    expect(stats).toMatch(/price\s+1/);
    const journey = texts(h, P.manager).join('\n');
    expect(journey).toMatch(/Journey of @dan_buyer/);
    expect(journey).toMatch(/joined · 团购群 Deals/);
    expect(journey).toMatch(/message · 团购群 Deals · \[price, 发货\]/);
  });
});
