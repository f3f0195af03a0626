/**
 * Access rules from the outside, through the real bot: a member, an operator of another
 * group and a manager of another workspace each try every manager command (in a private
 * chat and in a member group) and are refused with a short answer, no report is
 * computed, nothing of a report is sent, and every refusal is in the audit log. Managers
 * themselves are refused in member groups; operators' commands are refused to people who
 * administer another group only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { COMMAND_SPECS } from '../src/commands/index.js';
import { fakeReports, REPORT_MARKER, type FakeReports } from './support/fake-reports.js';
import { commandUpdate, GROUP, GROUP2, group, OTHER_BOT, P, privateChat, startTelegramHarness, textUpdate, type TelegramHarness } from './support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function harness(): Promise<TelegramHarness & { reports: FakeReports }> {
  const reports = fakeReports();
  const h = await startTelegramHarness({ reports });
  open.push(h);
  // Both groups are registered; 909 administers the first, 707 only the second.
  h.stub.setMember(GROUP, P.groupAdmin, 'administrator');
  h.stub.setMember(GROUP2, P.otherGroupAdmin, 'administrator');
  await h.feed([textUpdate('hello', { id: P.member }), textUpdate('hi', { id: P.member }, GROUP2, '品牌粉丝群 v2.0')]);
  return Object.assign(h, { reports });
}

const MANAGER_COMMANDS = COMMAND_SPECS.filter((s) => s.access === 'manager').map((s) => s.name);
const ARGS: Record<string, string> = { report: '30d by=group', models: '90d', funnel: '团购群', journey: '@alice_shop', referrals: '30d', export: '7d', dashboard: '', digest: 'daily', lift: '30d', hints: '30d', readiness: '', alerts: 'on', refit: '30d', stitch: '', campaigns: '30d', campaign: 'spring', goal: 'spring awareness', spend: 'spring 100', cohorts: '90d', paths: '30d' };
const REFUSALS = ['This command is for managers.', 'Reports are answered only in a private chat with me or in the managers’ group.'];

describe('access rules', () => {
  it('lists the manager commands under test', () => {
    expect(MANAGER_COMMANDS).toEqual(['report', 'models', 'funnel', 'journey', 'referrals', 'export', 'dashboard', 'campaigns', 'campaign', 'goal', 'spend', 'cohorts', 'paths', 'digest', 'lift', 'hints', 'readiness', 'alerts', 'refit', 'stitch']);
  });

  for (const [who, person] of [
    ['a member', { id: P.member, username: 'bob_deals' }],
    ['an operator of another group', { id: P.otherGroupAdmin, username: 'other_admin' }],
    ['a manager of another workspace', { id: P.otherManager, username: 'other_mgr' }],
  ] as const) {
    it(`${who} is refused every manager command, in private and in a member group, with nothing leaked`, async () => {
      const h = await harness();
      const before = h.stub.calls.length;
      const updates = MANAGER_COMMANDS.flatMap((name) => [
        commandUpdate(`/${name} ${ARGS[name]}`, person, privateChat(person.id)),
        commandUpdate(`/${name}@mf7000000001_bot ${ARGS[name]}`, person, group()),
      ]);
      await h.feed(updates);
      const calls = h.stub.calls.slice(before);
      // No report was computed, no chart, no file, no digest subscription.
      expect(h.reports.calls).toEqual([]);
      expect(calls.filter((c) => c.method === 'sendPhoto' || c.method === 'sendDocument')).toEqual([]);
      expect(await h.store.community.digests.list('acme')).toEqual([]);
      const sent = calls.filter((c) => c.method === 'sendMessage');
      expect(sent).toHaveLength(updates.length);
      for (const c of sent) {
        expect(REFUSALS).toContain(c.payload.text);
        expect(String(c.payload.text)).not.toContain(REPORT_MARKER);
      }
      // Every refusal is audited, with the rule that refused it (updates are handled concurrently: any order).
      const audit = await h.store.community.audit.list('acme', { actor: `telegram:${person.id}` });
      expect(audit.map((e) => `${e.command}:${e.outcome}`).sort()).toEqual(updates.map((_, i) => `${MANAGER_COMMANDS[Math.floor(i / 2)]}:refused`).sort());
      expect(new Set(audit.map((e) => e.detail))).toEqual(new Set(['manager-only']));
    });
  }

  it('a manager of this workspace is refused reports in a member group, and answered privately', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report', { id: P.manager }, group())]);
    expect(h.reports.calls).toEqual([]);
    expect(h.stub.callsTo('sendMessage').at(-1)?.payload).toMatchObject({ chat_id: String(GROUP), text: REFUSALS[1] });
    expect((await h.store.community.audit.list('acme')).at(-1)).toMatchObject({ command: 'report', outcome: 'refused', detail: 'member-group' });
    await h.feed([commandUpdate('/report', { id: P.manager }, privateChat(P.manager))]);
    expect(h.reports.calls).toHaveLength(1);
  });

  it('the other workspace’s manager gets reports from the other workspace’s bot only', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/report', { id: P.otherManager }, privateChat(P.otherManager))], OTHER_BOT);
    expect(h.reports.calls).toEqual([expect.objectContaining({ method: 'attribution', workspace: 'other' })]);
  });

  it('operator commands: refused to members and to another group’s admin; allowed to this group’s admin', async () => {
    const h = await harness();
    const tries = ['/track secret', '/invite spring', '/invites', '/groupstats', '/revoke spring', '/keywords'];
    await h.feed(tries.map((t) => commandUpdate(t, { id: P.member }, group())));
    await h.feed(tries.map((t) => commandUpdate(t, { id: P.otherGroupAdmin }, group())));
    // From a private chat, naming a group they do not administer.
    await h.feed([commandUpdate(`/groupstats group=${GROUP}`, { id: P.otherGroupAdmin }, privateChat(P.otherGroupAdmin)), commandUpdate(`/invite x group=${GROUP}`, { id: P.otherGroupAdmin }, privateChat(P.otherGroupAdmin))]);
    expect(h.stub.callsTo('createChatInviteLink')).toEqual([]);
    expect(h.reports.calls).toEqual([]);
    expect(await h.store.community.keywords.list('acme')).toEqual([]);
    const refusals = h.stub.callsTo('sendMessage').map((c) => c.payload.text);
    expect(refusals).toHaveLength(tries.length * 2 + 2);
    expect(new Set(refusals)).toEqual(new Set(['This command is for the group’s admins and the workspace’s operators.']));
    // The group's own admin may, in the group (answers go privately) and from a private chat naming it.
    await h.feed([commandUpdate('/groupstats', { id: P.groupAdmin }, group()), commandUpdate(`/groupstats group=${GROUP}`, { id: P.groupAdmin }, privateChat(P.groupAdmin))]);
    expect(h.reports.calls.map((c) => (c.options as { chatId?: string }).chatId)).toEqual([String(GROUP), String(GROUP)]);
    // The other group's admin may for their own group.
    await h.feed([commandUpdate(`/groupstats group=${GROUP2}`, { id: P.otherGroupAdmin }, privateChat(P.otherGroupAdmin))]);
    expect(h.reports.calls.at(-1)?.options).toMatchObject({ chatId: String(GROUP2) });
  });

  it('owner commands are refused to managers', async () => {
    const h = await harness();
    await h.feed([commandUpdate('/grant owner 4040', { id: P.manager }, privateChat(P.manager))]);
    expect(h.stub.callsTo('sendMessage').at(-1)?.payload.text).toBe('This command is for owners, in a private chat with me.');
    expect(await h.store.community.grants.list('acme')).toEqual([]);
  });

  it('commands addressed to another bot in a group are left alone', async () => {
    const h = await harness();
    const before = h.stub.calls.length;
    await h.feed([commandUpdate('/report@some_other_bot', { id: P.member }, group()), commandUpdate('/unknowncmd', { id: P.member }, group())]);
    expect(h.stub.calls.slice(before).filter((c) => c.method.startsWith('send'))).toEqual([]);
  });
});
