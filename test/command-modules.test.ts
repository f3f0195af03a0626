/**
 * The command registry and the commands added or fixed with it, through the platform-neutral
 * handler (memory store, a fake platform, fake reports and a fake models port): `/refit` and
 * the fit line of `/models`, reports taken off the update handler as jobs, and the wording
 * defects found in use (a period example that is itself valid, group titles with spaces,
 * export file names in the workspace's calendar, singular and plural, one label for rows
 * without a group or campaign, members named by name instead of `p_…`).
 */
import { describe, expect, it } from 'vitest';
import {
  COMMAND_SPECS,
  COMMANDS,
  commandMenu,
  createCommandHandler,
  parseCommand,
  type ChatPlatform,
  type CommandRequest,
  type CommandSettings,
  type FitStatusLine,
  type ModelsPort,
} from '../src/commands/index.js';
import { createLogger } from '../src/logger.js';
import { createMemoryLocker } from '../src/lock.js';
import { recordTouch } from '../src/profile/record-touch.js';
import { parsePeriod } from '../src/reports/period.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { fakeReports, type FakeReports } from './support/fake-reports.js';
import { touch } from './support/touches.js';

const SETTINGS: CommandSettings = {
  id: 'acme',
  keywords: ['price'],
  roles: { owners: ['telegram:1'], managers: ['telegram:2'], operators: ['telegram:3'] },
  managersChats: ['telegram:-500'],
  timezone: 'Asia/Shanghai',
};
const NOW = new Date('2026-12-10T04:00:00Z');

class RefitRequestError extends Error {
  override name = 'RefitRequestError';
}

function fakeModels(status: FitStatusLine[] = []): ModelsPort & { refits: Array<{ workspace: string; period?: { from: string; to: string } }> } {
  const refits: Array<{ workspace: string; period?: { from: string; to: string } }> = [];
  return {
    refits,
    status: async () => status,
    async requestRefit(workspace, period) {
      if (period && Date.parse(period.to) - Date.parse(period.from) > 400 * 86_400_000) throw new RefitRequestError('the period spans 14 months; refit at most 12 at once, or every month (no period)');
      refits.push({ workspace, ...(period ? { period } : {}) });
      return period ? 'months 2026-03, 2026-04 queued' : 'every month queued';
    },
  };
}

function platform(names: Record<string, string> = {}): ChatPlatform & { links: Array<{ chatId: string; name: string }> } {
  const links: Array<{ chatId: string; name: string }> = [];
  return {
    botUsername: 'mf_bot',
    links,
    isChatAdmin: async () => false,
    createInviteLink: async (chatId, o) => {
      links.push({ chatId, name: o.name });
      return { url: `https://t.me/+${o.name}${links.length}` };
    },
    revokeInviteLink: async () => undefined,
    memberName: async (_chatId, userId) => names[userId] ?? null,
  };
}

interface Setup {
  store: Store;
  reports: FakeReports;
  models: ReturnType<typeof fakeModels>;
  ask: (user: string, text: string, chat?: CommandRequest['chat']) => ReturnType<ReturnType<typeof createCommandHandler>['handle']>;
  say: (user: string, text: string, chat?: CommandRequest['chat']) => Promise<string>;
  handler: ReturnType<typeof createCommandHandler>;
  platform: ReturnType<typeof platform>;
}

function setup(options: { reports?: ReportsApi & Partial<FakeReports>; models?: ReturnType<typeof fakeModels> | null; names?: Record<string, string>; memberName?: boolean } = {}): Setup {
  const store = createMemoryStore();
  const reports = (options.reports ?? fakeReports()) as FakeReports;
  const models = options.models ?? fakeModels();
  const p = platform(options.names);
  if (options.memberName === false) delete (p as Partial<ChatPlatform>).memberName;
  const handler = createCommandHandler({
    store,
    reports,
    ...(options.models !== null ? { models } : {}),
    settings: (ws) => (ws === 'acme' ? SETTINGS : undefined),
    platform: p,
    log: createLogger('silent'),
    charts: false,
  });
  const ask: Setup['ask'] = (user, text, chat = { id: user, type: 'private' }) => {
    const parsed = parseCommand(text);
    if (!parsed) throw new Error('not a command');
    return handler.handle({ workspace: 'acme', platform: 'telegram', account: '99', user: { id: user }, chat, name: parsed.name, args: parsed.args, now: NOW });
  };
  const say: Setup['say'] = async (user, text, chat) =>
    (await ask(user, text, chat)).answers
      .map((a) => (a.type === 'text' ? a.text : a.type === 'document' ? `[document ${a.filename}]` : '[photo]'))
      .join('\n');
  return { store, reports, models, ask, say, handler, platform: p };
}

const group = (store: Store, chatId: string, title: string) =>
  store.community.groups.upsert('acme', { workspace: 'acme', platform: 'telegram', chatId, title, account: '99', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });

describe('the command registry', () => {
  it('holds one module per command, each with its spec; menus and /help come from it', async () => {
    const names = COMMANDS.map((c) => c.spec.name);
    expect(new Set(names).size).toBe(names.length);
    expect(COMMAND_SPECS.map((s) => s.name)).toEqual(names);
    expect(names).toContain('refit');
    expect(COMMAND_SPECS.filter((s) => s.report).map((s) => s.name).sort()).toEqual(['campaign', 'campaigns', 'cohorts', 'export', 'funnel', 'groupstats', 'hints', 'journey', 'lift', 'models', 'paths', 'readiness', 'referrals', 'report']);
    expect(commandMenu('manager').map((c) => c.command)).toContain('refit');
    expect(commandMenu('operator').map((c) => c.command)).not.toContain('refit');
    const { say } = setup();
    expect(await say('2', '/help')).toContain('/refit [period] — Fit the data-driven models again');
    expect(await say('3', '/help')).not.toContain('/refit');
  });

  it('prepare checks a report and hands it back as a JSON job; runReport answers it', async () => {
    const { handler, reports } = setup();
    const req = { workspace: 'acme', platform: 'telegram' as const, account: '99', user: { id: '2' }, chat: { id: '2', type: 'private' as const }, name: 'report', args: ['7d', 'by=campaign'], now: NOW };
    const prepared = await handler.prepare(req);
    expect(prepared.kind).toBe('report');
    if (prepared.kind !== 'report') return;
    expect(reports.calls).toEqual([]);
    const job = JSON.parse(JSON.stringify(prepared.job)) as typeof prepared.job;
    expect(job).toMatchObject({ command: 'report', deliver: 'here', args: { by: 'campaign', model: 'linear', period: { label: '7d' } }, request: { now: NOW.toISOString() } });
    const result = await handler.runReport(job);
    expect(reports.calls).toEqual([expect.objectContaining({ method: 'attribution', options: expect.objectContaining({ by: 'campaign' }) })]);
    expect(result.answers[0]).toMatchObject({ type: 'text', monospace: true });
    // Bad arguments never become a job.
    const bad = await handler.prepare({ ...req, args: ['13x'] });
    expect(bad.kind).toBe('answered');
  });
});

describe('/refit and the fit line of /models', () => {
  it('a manager asks for a refit of every month or of a period; the port is asked and the answer says what was queued', async () => {
    const { say, models, store } = setup();
    expect(await say('2', '/refit')).toBe('Refit queued for every month with conversions: every month queued. Markov and Shapley are fitted again and their credits rewritten; /models shows when they were last fitted.');
    expect(await say('2', '/refit 2026-03-01..2026-04-30')).toMatch(/^Refit queued for 2026-03-01\.\.2026-04-30: months 2026-03, 2026-04 queued\./);
    expect(models.refits).toEqual([{ workspace: 'acme' }, { workspace: 'acme', period: { from: '2026-02-28T16:00:00.000Z', to: '2026-04-30T16:00:00.000Z' } }]);
    // The port's refusal is a usage answer.
    expect(await say('2', '/refit 2025-01-01..2026-03-01')).toBe('The period spans 14 months; refit at most 12 at once, or every month (no period). Usage: /refit [period]'.replace(/^The/, 'the'));
    const audit = (await store.community.audit.list('acme')).filter((e) => e.command === 'refit').map((e) => e.outcome);
    expect(audit.sort()).toEqual(['answered', 'answered', 'usage']);
  });

  it('/refit is for owners and managers, in private or in the managers’ chat', async () => {
    const { say, models } = setup();
    expect(await say('3', '/refit')).toBe('This command is for managers.');
    expect(await say('42', '/refit')).toBe('This command is for managers.');
    expect(await say('2', '/refit', { id: '-100', type: 'supergroup' })).toBe('Reports are answered only in a private chat with me or in the managers’ group.');
    expect(await say('1', '/refit')).toMatch(/^Refit queued/);
    expect(await say('42', '/refit', { id: '-500', type: 'supergroup' })).toMatch(/^Refit queued/);
    expect(models.refits).toHaveLength(2);
  });

  it('without the models port /refit says refits are not available', async () => {
    const { say } = setup({ models: null });
    expect(await say('2', '/refit')).toBe('Refits are not available on this installation yet.');
  });

  it('/models says when the data-driven models were last fitted, which months are being refitted and which never were', async () => {
    const status: FitStatusLine[] = [
      { month: '2026-02', fitId: 'f0', fittedAt: '2026-12-09T01:00:00.000Z', journeys: 80, conversions: 12, dirty: false },
      { month: '2026-03', fitId: 'f1', fittedAt: '2026-12-01T02:00:00.000Z', journeys: 400, conversions: 60, dirty: false },
      { month: '2026-04', fitId: 'f2', fittedAt: '2026-11-30T02:00:00.000Z', journeys: 380, conversions: 70, dirty: true },
      { month: '2026-05', fitId: null, fittedAt: null, journeys: 0, conversions: 0, dirty: false },
    ];
    const { say } = setup({ models: fakeModels(status) });
    const answer = await say('2', '/models 2026-03-01..2026-05-31');
    expect(answer).toContain('Note: Data-driven models (markov, shapley) last fitted: 2026-12-09 09:00 (Asia/Shanghai); being refitted: 2026-04; not fitted yet: 2026-05 (/refit fits them)');
    const { say: sayNever } = setup({ models: fakeModels([]) });
    expect(await sayNever('2', '/models')).toContain('last fitted: never');
  });
});

describe('answers that read right (issue 9, defect 11)', () => {
  it('the period hint after a bad period shows a range that is itself valid', async () => {
    const { say } = setup();
    const answer = await say('2', '/report 13x');
    expect(answer).toBe("'13x' is not a period; periods: 7d, 30d, 90d, or 2026-01-01..2026-01-31. Usage: /report [period] [by=group|campaign|keyword|link|platform|referrer] [model=<model>]");
    const example = /(\d{4}-\d{2}-\d{2}\.+\d{4}-\d{2}-\d{2})/.exec(answer)?.[1] ?? '';
    expect(() => parsePeriod(example, NOW, 'Asia/Shanghai')).not.toThrow();
  });

  it('a group title with spaces after group= is found without quotes; a period may follow it', async () => {
    const { say, store, reports, platform: p } = setup();
    await group(store, '-300', '深圳 VIP群');
    await group(store, '-301', '深圳 普通群');
    await say('3', '/groupstats group=深圳 VIP群 7d');
    expect(reports.calls.at(-1)).toMatchObject({ method: 'groupStats', options: { chatId: '-300', period: { label: '7d' } } });
    expect(await say('3', '/invite spring group=深圳 VIP群')).toMatch(/^Invite link for campaign “spring” in 深圳 VIP群/);
    expect(p.links).toEqual([{ chatId: '-300', name: 'spring' }]);
    await say('2', '/funnel group=深圳 VIP群 7d');
    expect(reports.calls.at(-1)).toMatchObject({ method: 'funnel', options: { key: '-300', by: 'group', period: { label: '7d' } } });
    await say('2', '/funnel 深圳 普通群 30d');
    expect(reports.calls.at(-1)).toMatchObject({ method: 'funnel', options: { key: '-301', period: { label: '30d' } } });
    // No such group: the answer says how to write it; several: it lists them.
    expect(await say('3', '/groupstats group=深圳 Nope群 7d')).toBe(
      'No group matches “深圳 Nope群”. Use the group’s id or title (a title with spaces may follow group= as it is, or in quotes: group="深圳 Nope群"). Usage: /groupstats [period] [group=<id or title>]',
    );
    expect(await say('3', '/groupstats group=深圳 7d')).toMatch(/^Several groups match “深圳”: 深圳 VIP群 \(-300\), 深圳 普通群 \(-301\)\. Use the id\. Usage:/);
  });

  it('the export file is named after the period’s days in the workspace’s time zone', async () => {
    const { say } = setup();
    // Asia/Shanghai: January 1st starts at 2025-12-31T16:00Z; the file still says 2026-01-01.
    expect(await say('2', '/export 2026-01-01..2026-01-31')).toContain('[document credits-acme-2026-01-01-2026-01-31.csv]');
  });

  it('one of a thing is singular: 1 touch, 1 conversion, 1 activity record, 1 profile', async () => {
    const reports = fakeReports();
    reports.journey = async (workspace) => ({
      workspace,
      profileId: 'p_alice',
      usernames: ['alice_shop'],
      firstSeenAt: '2026-03-01T02:00:00.000Z',
      touches: [{ at: '2026-03-01T02:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-100', chatTitle: 'G' }],
      conversions: [{ id: 'o-1', at: '2026-03-05T02:00:00.000Z', value: 299, currency: 'CNY', rule: 'tg_id' }],
    });
    const { say, store } = setup({ reports });
    expect(await say('2', '/journey @alice_shop')).toMatch(/· 1 touch · 1 conversion\n/);
    await recordTouch({ store, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` }, touch({ kind: 'join', ref: 'j1', at: '2026-03-09T00:00:00Z', actor: { userId: '42' } }));
    const asked = await say('42', '/forgetme');
    const code = /\/forgetme ([A-Z0-9]{6})/.exec(asked)?.[1] ?? '';
    expect(await say('42', `/forgetme ${code}`)).toMatch(/^Done: your data is erased \(1 activity record, 1 profile\)\./);
  });

  it('rows without a campaign or group read “(no campaign)” / “(no group)” everywhere; the row key stays (none)', async () => {
    const reports = fakeReports();
    const attribution = reports.attribution.bind(reports);
    reports.attribution = async (ws, o) => {
      const r = await attribution(ws, o);
      return { ...r, rows: [...r.rows, { key: '(none)', label: '(none)', credited: { conversions: 3, value: 30 }, lastTouch: { conversions: 1, value: 10 }, difference: { conversions: 2, value: 20 } }] };
    };
    reports.funnel = async (workspace, o) => ({
      workspace,
      period: o.period,
      by: o.by,
      rows: [{ key: '(none)', label: '(none)', joined: 10, engaged: 5, clicked: 2, converted: 1, engagedRate: 0.5, clickedRate: 0.2, convertedRate: 0.1, medianDaysToConvert: 3, value: 40 }],
    });
    const { say } = setup({ reports });
    const byCampaign = await say('2', '/report by=campaign');
    expect(byCampaign).toMatch(/\(no campaign\)\s+3\s+30/);
    expect(byCampaign).not.toContain('(none)');
    expect(await say('2', '/report by=group')).toMatch(/\(no group\)\s+3/);
    const funnel = await say('2', '/funnel by=campaign');
    // The funnel's narrow label column cuts it: still the campaign's label, not (none).
    expect(funnel).toMatch(/\(no campaig…\s+10/);
    expect(funnel).not.toContain('(none)');
  });

  it('/journey names a member without a username by first name, else by a short masked id, never p_…', async () => {
    const reports = fakeReports();
    reports.journey = async (workspace, member) => ({
      workspace,
      profileId: 'p_3f9a2b7c0011223344',
      usernames: [],
      firstSeenAt: '2026-03-01T02:00:00.000Z',
      touches: [{ at: '2026-03-01T02:00:00.000Z', kind: 'message', platform: 'telegram', chatId: member === 'named' ? '-100' : '-200', chatTitle: 'G' }],
      conversions: [],
    });
    const withName = setup({ reports, names: { '123456789': 'Dan' } });
    await withName.store.identities.claim('acme', [{ type: 'tg_id', value: '123456789' }], 'p_3f9a2b7c0011223344');
    expect(await withName.say('2', '/journey named')).toMatch(/^Journey of Dan\n/);
    const noName = setup({ reports, memberName: false });
    await noName.store.identities.claim('acme', [{ type: 'tg_id', value: '123456789' }], 'p_3f9a2b7c0011223344');
    expect(await noName.say('2', '/journey named')).toMatch(/^Journey of member …6789\n/);
    const noId = setup({ reports });
    const answer = await noId.say('2', '/journey nobody_known');
    expect(answer).toMatch(/^Journey of member #3f9a2b\n/);
    expect(answer).not.toContain('p_3f9a');
  });
});
