/**
 * The platform-neutral command layer on its own (memory store, a fake platform, a fake
 * ReportsApi): parsing, access decisions, argument checks, answers as data.
 */
import { describe, expect, it } from 'vitest';
import { createCommandHandler, dueRunKey, isoWeek, parseCommand, splitArgs, splitOptions, type ChatPlatform, type CommandRequest, type CommandSettings } from '../src/commands/index.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { fakeReports } from './support/fake-reports.js';

const SETTINGS: CommandSettings = {
  id: 'acme',
  keywords: ['price'],
  roles: { owners: ['telegram:1'], managers: ['telegram:2'], operators: ['telegram:3'] },
  managersChats: ['telegram:-500'],
  timezone: 'Asia/Shanghai',
};

function platform(admins: Record<string, string[]> = {}): ChatPlatform & { links: Array<{ chatId: string; name: string }> } {
  const links: Array<{ chatId: string; name: string }> = [];
  return {
    botUsername: 'mf_bot',
    links,
    isChatAdmin: async (chatId, userId) => (admins[chatId] ?? []).includes(userId),
    createInviteLink: async (chatId, o) => {
      links.push({ chatId, name: o.name });
      return { url: `https://t.me/+${o.name}${links.length}` };
    },
    revokeInviteLink: async () => undefined,
  };
}

async function setup(admins: Record<string, string[]> = {}) {
  const store: Store = createMemoryStore();
  const p = platform(admins);
  const reports = fakeReports();
  let code = 0;
  const handler = createCommandHandler({ store, reports, settings: (ws) => (ws === 'acme' ? SETTINGS : undefined), platform: p, log: createLogger('silent'), newCode: () => `CODE${++code}`, charts: false });
  const ask = (user: string, text: string, chat: CommandRequest['chat'] = { id: user, type: 'private' }) => {
    const parsed = parseCommand(text);
    if (!parsed) throw new Error('not a command');
    return handler.handle({ workspace: 'acme', platform: 'telegram', account: '99', user: { id: user }, chat, name: parsed.name, args: parsed.args, now: new Date('2026-03-10T04:00:00Z') });
  };
  const firstText = async (p: ReturnType<typeof ask>): Promise<string> => {
    const r = await p;
    const a = r.answers[0];
    return a && a.type === 'text' ? a.text : '';
  };
  return { store, handler, reports, ask, firstText, platform: p };
}

describe('parsing', () => {
  it('parses commands with @bot suffixes and quoted arguments', () => {
    expect(parseCommand('/Report@MF_Bot 30d  by=campaign')).toEqual({ name: 'report', botUsername: 'mf_bot', args: ['30d', 'by=campaign'] });
    expect(parseCommand('/track "free shipping" “包 邮” 价格 group="团购群 B"')?.args).toEqual(['free shipping', '包 邮', '价格', 'group=团购群 B']);
    expect(parseCommand('hello /report')).toBeNull();
    expect(parseCommand('/report-x')).toBeNull();
    expect(splitArgs('a  b\tc')).toEqual(['a', 'b', 'c']);
    expect(splitOptions(['30d', 'BY=group', 'model=u'])).toEqual({ options: new Map([['by', 'group'], ['model', 'u']]), positional: ['30d'] });
  });
});

describe('command layer', () => {
  it('reports go through ReportsApi with parsed arguments; the answer is data (monospace table)', async () => {
    const { ask, reports } = await setup();
    const r = await ask('2', '/report 7d by=keyword model=shapley');
    expect(r.deliver).toBe('here');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'text', monospace: true })]);
    expect(reports.calls[0]?.options).toMatchObject({ by: 'keyword', model: 'shapley', period: { label: '7d', to: '2026-03-10T04:00:00.000Z', from: '2026-03-03T04:00:00.000Z' } });
  });

  it('without ReportsApi, manager commands say reports are not available (and it is audited)', async () => {
    const store = createMemoryStore();
    const handler = createCommandHandler({ store, settings: () => SETTINGS, platform: platform(), log: createLogger('silent') });
    const r = await handler.handle({ workspace: 'acme', platform: 'telegram', account: '99', user: { id: '2' }, chat: { id: '2', type: 'private' }, name: 'report', args: [], now: new Date() });
    expect(r.answers).toEqual([{ type: 'text', text: 'Reports are not available on this installation yet.' }]);
    expect((await store.community.audit.list('acme'))[0]).toMatchObject({ outcome: 'failed' });
  });

  it('a group admin’s operator command in the group is answered privately with a note', async () => {
    const { ask, store } = await setup({ '-100': ['7'] });
    await store.community.groups.upsert('acme', { workspace: 'acme', platform: 'telegram', chatId: '-100', title: '团购群', account: '99', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
    const r = await ask('7', '/invite spring', { id: '-100', type: 'supergroup', title: '团购群' });
    expect(r.deliver).toBe('private');
    expect(r.groupNote).toMatch(/private chat/);
    expect(await store.community.inviteLinks.list('acme')).toEqual([expect.objectContaining({ chatId: '-100', campaign: 'spring', url: 'https://t.me/+spring1', createdBy: 'telegram:7' })]);
  });

  it('an operator in private must name the group when there are several; ambiguous names list choices', async () => {
    const { ask, firstText, store } = await setup();
    const g = (chatId: string, title: string) => store.community.groups.upsert('acme', { workspace: 'acme', platform: 'telegram', chatId, title, account: '99', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
    await g('-100', '团购群 A');
    expect(await firstText(ask('3', '/invite spring'))).toMatch(/^Invite link for campaign “spring” in 团购群 A/);
    await g('-200', '团购群 B');
    expect(await firstText(ask('3', '/invite spring'))).toMatch(/^Name the group: group=<id or title>; groups: 团购群 A, 团购群 B\. Usage:/);
    expect(await firstText(ask('3', '/invite spring group=团购群'))).toMatch(/^Several groups match “团购群”/);
    expect(await firstText(ask('3', '/invite spring group="团购群 b"'))).toMatch(/in 团购群 B/);
    expect(await firstText(ask('3', '/invite "a b" group=-200'))).toMatch(/campaign name is 1–32 letters/);
  });

  it('a refused person never learns group names from error messages', async () => {
    const { ask, firstText, store } = await setup();
    await store.community.groups.upsert('acme', { workspace: 'acme', platform: 'telegram', chatId: '-100', title: 'Secret VIP', account: '99', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
    const t = await firstText(ask('42', '/groupstats group=Secret'));
    expect(t).toBe('This command is for the group’s admins and the workspace’s operators.');
  });

  it('/forgetme codes expire after 10 minutes and are tied to the person', async () => {
    const { handler, firstText, ask } = await setup();
    expect(await firstText(ask('42', '/forgetme'))).toContain('/forgetme CODE1');
    // Someone else cannot use the code.
    expect(await firstText(ask('43', '/forgetme CODE1'))).toMatch(/not valid/);
    const later = await handler.handle({ workspace: 'acme', platform: 'telegram', account: '99', user: { id: '42' }, chat: { id: '42', type: 'private' }, name: 'forgetme', args: ['CODE1'], now: new Date('2026-03-10T04:10:00Z') });
    expect(later.answers[0]).toMatchObject({ text: expect.stringMatching(/not valid or has expired/) });
  });

  it('unknown commands: a hint in private chats, silence in groups', async () => {
    const { ask } = await setup();
    expect((await ask('42', '/nope')).answers).toEqual([{ type: 'text', text: 'I do not know that command. /help lists what you can do.' }]);
    expect((await ask('42', '/nope', { id: '-100', type: 'supergroup' })).answers).toEqual([]);
  });
});

describe('digest schedule', () => {
  it('daily runs once per local day from 09:00; weekly once per ISO week from Monday 09:00', () => {
    expect(dueRunKey('daily', new Date('2026-03-02T00:59:00Z'), 'Asia/Shanghai')).toBeNull();
    expect(dueRunKey('daily', new Date('2026-03-02T01:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dueRunKey('daily', new Date('2026-03-02T20:00:00Z'), 'Asia/Shanghai')).toBeNull();
    expect(dueRunKey('daily', new Date('2026-03-03T02:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-03');
    expect(dueRunKey('weekly', new Date('2026-03-02T00:59:00Z'), 'Asia/Shanghai')).toBeNull();
    expect(dueRunKey('weekly', new Date('2026-03-02T01:00:00Z'), 'Asia/Shanghai')).toBe('2026-W10');
    expect(dueRunKey('weekly', new Date('2026-03-06T01:00:00Z'), 'Asia/Shanghai')).toBe('2026-W10');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
    expect(isoWeek('2026-01-01')).toBe('2026-W01');
  });
});

describe('personal links from /start', () => {
  it('answers a deep link to a tracked link with the member’s personal version, whose clicks resolve to them', async () => {
    const { createTrackedLinks } = await import('../src/commands/tracked-links.js');
    const { createLink, profileOfToken } = await import('../src/links/index.js');
    const { recordTouch } = await import('../src/profile/record-touch.js');
    const { createMemoryLocker } = await import('../src/lock.js');
    const { touch } = await import('./support/touches.js');
    const store = createMemoryStore();
    const links = createTrackedLinks({ store, allowedDomains: ['shop.example.com'], baseUrl: 'https://go.example.com/' });
    const handler = createCommandHandler({ store, links, settings: () => SETTINGS, platform: platform(), log: createLogger('silent'), charts: false });
    const link = await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: 'acme', destination: 'https://shop.example.com/spring', platform: 'telegram', campaign: 'spring', code: 'spring1' });
    const start = (payload: string) => handler.handle({ workspace: 'acme', platform: 'telegram', account: '99', user: { id: '101' }, chat: { id: '101', type: 'private' }, name: 'start', args: [payload], now: new Date('2026-03-10T04:00:00Z') });

    const r = await start(link.code);
    const answer = r.answers[0];
    const url = answer?.type === 'text' ? answer.text.split('\n')[1] ?? '' : '';
    expect(url).toMatch(/^https:\/\/go\.example\.com\/l\/spring1\/[A-Za-z0-9]{10,64}$/);
    // The token names Telegram user 101; once they have a profile, the token resolves to it.
    const token = url.split('/').pop() ?? '';
    const recorded = await recordTouch({ store, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` }, touch({ kind: 'join', ref: 'j', at: '2026-03-09T00:00:00Z', actor: { userId: '101' } }));
    expect(await profileOfToken(store, 'acme', token)).toBe(recorded.profileId);

    // A payload that is not a tracked link gets the usual greeting.
    const plain = (await start('campaign_x')).answers[0];
    expect(plain?.type === 'text' ? plain.text : '').toMatch(/^Hi!/);
  });
});
