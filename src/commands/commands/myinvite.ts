/**
 * `/myinvite [group]`: a member's own invite link for a group (referral chains). The link is
 * made once per member and group (`createChatInviteLink`, named `ref:<member code>`) and
 * reused; `/myinvite revoke [group]` revokes it (the next `/myinvite` makes a new one). The
 * answer says how many people the member brought and how many are still there: their own
 * count only, never anyone's name. Asked in a group, the link for that group is sent privately.
 *
 * Groups: every registered group where the bot is an admin (it may invite users), unless an
 * operator turned personal links off there with `/myinvite off` (and on again with
 * `/myinvite on`), sent in that group.
 */
import { hasRole } from '../../access/roles.js';
import type { Identifier } from '../../identity/identifier.js';
import { edgeCounts, DEFAULT_REFERRAL_MIN_DAYS, personalLinkName } from '../../referrals/index.js';
import type { RegisteredGroup } from '../../store/store.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text, type CommandContext, type CommandOutput } from '../command-module.js';
import { findGroup, takeNameOption } from '../group-target.js';
import { clip } from '../render-reports.js';
import { plural } from '../wording.js';

const USAGE = '/myinvite [group], /myinvite revoke [group]; operators in a group: /myinvite off|on';

/** The groups where the bot may make the member a link: active, the bot an admin, personal links on. */
async function eligibleGroups(ctx: CommandContext): Promise<RegisteredGroup[]> {
  const { store, req } = ctx;
  const groups = (await store.community.groups.list(req.workspace, { platform: 'telegram', status: 'active' })).filter((g) => g.botIsAdmin);
  const out: RegisteredGroup[] = [];
  for (const g of groups) if (await store.referrals.groupEnabled(req.workspace, 'telegram', g.chatId)) out.push(g);
  return out;
}

/** The group the member means: named, the group asked in, their only eligible group, or the one of those they are in. */
async function chosenGroup(ctx: CommandContext, words: string[], member: Identifier): Promise<RegisteredGroup> {
  const { store, req, access } = ctx;
  const eligible = await eligibleGroups(ctx);
  const usable = (g: RegisteredGroup): RegisteredGroup => {
    if (!eligible.some((e) => e.chatId === g.chatId)) throw new UsageError(`Personal invite links are off in “${clip(g.title, 40)}” (or I am not an admin there with the “Invite users via link” right).`);
    return g;
  };
  if (words.length > 0) {
    const found = await findGroup(store, req, words);
    if ('error' in found) throw new UsageError(found.error);
    if (found.rest.length > 0) throw new UsageError(USAGE);
    return usable(found.group);
  }
  if (access.isGroup) {
    if (!access.group) throw new UsageError('I do not know this group yet; try again in a moment.');
    return usable(access.group);
  }
  if (eligible.length === 1) return eligible[0] as RegisteredGroup;
  // Several groups: the ones the member is in (their profile knows), so no other group is named to them.
  const owner = (await store.identities.find(req.workspace, [member])).values().next().value;
  const profile = owner ? await store.profiles.get(req.workspace, owner) : null;
  const mine = eligible.filter((g) => profile?.stats.groups.some((m) => m.platform === 'telegram' && m.chatId === g.chatId));
  if (mine.length === 1) return mine[0] as RegisteredGroup;
  if (mine.length === 0) throw new UsageError(eligible.length === 0 ? 'Personal invite links are not available in any group yet.' : 'Name the group: /myinvite <group title>');
  throw new UsageError(`Name the group: /myinvite <group title>. Yours: ${mine.slice(0, 8).map((g) => clip(g.title, 24)).join(', ')}`);
}

/** “You brought 7 people, 5 still here.”: counted invitees of the member, and those of them still in. */
async function countLine(ctx: CommandContext, member: Identifier): Promise<string> {
  const minDays = ctx.access.settings.referralMinDays ?? DEFAULT_REFERRAL_MIN_DAYS;
  const edges = (await ctx.store.referrals.ofInviters(ctx.req.workspace, [member])).filter((e) => edgeCounts(e, minDays));
  const still = edges.filter((e) => e.leftAt === null).length;
  return `You brought ${edges.length} ${plural(edges.length, 'person', 'people')}, ${still} still here.`;
}

async function switchGroup(ctx: CommandContext, enabled: boolean): Promise<CommandOutput> {
  const { access, req, store } = ctx;
  if (!access.isGroup || !access.group) throw new UsageError('Send /myinvite off or /myinvite on in the group it is about.');
  if (!hasRole(access.role, 'operator') && !(await access.adminOf(req.chat.id))) throw new UsageError('Only the group’s admins and the workspace’s operators turn personal invite links on or off.');
  await store.referrals.setGroupEnabled(req.workspace, 'telegram', access.group.chatId, enabled);
  return {
    answers: [text(enabled ? `Personal invite links are on in “${access.group.title}”: members get theirs with /myinvite.` : `Personal invite links are off in “${access.group.title}”. Links made already keep working; revoke them in the group settings if needed.`)],
    detail: `personal links ${enabled ? 'on' : 'off'} in ${access.group.chatId}`,
  };
}

export const myinvite = defineCommand({
  spec: { name: 'myinvite', access: 'member', usage: USAGE, description: 'Your own invite link, and how many people you brought', audited: true },
  async run(ctx) {
    const { req, store, deps } = ctx;
    if (req.platform !== 'telegram') return { answers: [text('Personal invite links are made in Telegram groups.')], detail: 'not telegram' };
    const { words: named, rest } = takeNameOption(ctx.args, 'group');
    const first = rest[0]?.toLowerCase();
    if ((first === 'off' || first === 'on') && rest.length === 1 && named === undefined) return switchGroup(ctx, first === 'on');
    const revoke = first === 'revoke';
    const words = [...(named ?? []), ...(revoke ? rest.slice(1) : rest)];
    const member: Identifier = { type: 'tg_id', value: req.user.id };
    const group = await chosenGroup(ctx, words, member);
    const existing = await store.referrals.linkOf(req.workspace, 'telegram', group.chatId, member);
    if (revoke) {
      if (!existing || existing.revokedAt !== null) return { answers: [text(`You have no personal invite link for “${group.title}”.`)], detail: `nothing to revoke in ${group.chatId}` };
      await deps.platform.revokeInviteLink(group.chatId, existing.url);
      await store.referrals.putLink(req.workspace, { ...existing, revokedAt: req.now.toISOString() });
      return { answers: [text(`Your invite link for “${group.title}” is revoked. /myinvite makes a new one.`)], detail: `revoked in ${group.chatId}` };
    }
    let url = existing && existing.revokedAt === null ? existing.url : null;
    if (url === null) {
      const name = personalLinkName(req.workspace, member);
      url = (await deps.platform.createInviteLink(group.chatId, { name, createsJoinRequest: false })).url;
      await store.referrals.putLink(req.workspace, { workspace: req.workspace, platform: 'telegram', chatId: group.chatId, member, url, name, createdAt: req.now.toISOString(), revokedAt: null });
    }
    return {
      answers: [text(`Your invite link for “${group.title}”:\n${url}\nPeople who join through it are counted as yours.\n${await countLine(ctx, member)}`)],
      detail: `${existing && existing.revokedAt === null ? 'reused' : 'created'} in ${group.chatId}`,
    };
  },
});
