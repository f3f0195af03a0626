/** `/invite <campaign> [request]`: a named invite link for a group; joins through it are credited to the campaign. */
import { languageOf } from '../../i18n/index.js';
import { UsageError } from '../arguments.js';
import { CAMPAIGN, CAMPAIGN_RULE, defineCommand, text } from '../command-module.js';
import { targetGroup } from '../group-target.js';

export const invite = defineCommand({
  spec: { name: 'invite', access: 'group-operator', usage: '/invite <campaign> [request] [group=<id or title>]', description: 'Make a campaign invite link for a group', audited: true },
  async run(ctx) {
    const { req, store, deps, access, positional } = ctx;
    const group = targetGroup(ctx.target);
    const campaign = positional[0];
    const flag = positional[1]?.toLowerCase();
    if (campaign === undefined || positional.length > 2 || (flag !== undefined && flag !== 'request')) throw new UsageError(invite.spec.usage);
    if (!CAMPAIGN.test(campaign)) throw new UsageError(CAMPAIGN_RULE);
    const createsJoinRequest = flag === 'request';
    const made = await deps.platform.createInviteLink(group.chatId, { name: campaign, createsJoinRequest });
    await store.community.inviteLinks.insert(req.workspace, {
      workspace: req.workspace,
      platform: req.platform,
      chatId: group.chatId,
      url: made.url,
      campaign,
      createsJoinRequest,
      createdBy: access.subject,
      createdAt: req.now.toISOString(),
      revokedAt: null,
    });
    return {
      answers: [
        text(
          languageOf(req.user.languageCode) === 'zh'
            ? `${group.title} 的活动“${campaign}”邀请链接：\n${made.url}\n通过它入群的成员都归因到 ${campaign}${createsJoinRequest ? '（成员需申请入群，由管理员批准）' : ''}。`
            : `Invite link for campaign “${campaign}” in ${group.title}:\n${made.url}\n` + `Joins through it are credited to ${campaign}${createsJoinRequest ? ' (people ask to join; an admin approves)' : ''}.`,
        ),
      ],
      detail: `campaign ${campaign} in ${group.chatId}`,
    };
  },
});
