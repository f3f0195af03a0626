/** `/revoke <campaign or link>`: revokes a group's campaign invite links at the platform and in the store. */
import { languageOf } from '../../i18n/index.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { targetGroup } from '../group-target.js';
import { clip } from '../render-reports.js';
import { plural } from '../wording.js';

export const revoke = defineCommand({
  spec: { name: 'revoke', access: 'group-operator', usage: '/revoke <campaign or link> [group=<id or title>]', description: 'Revoke a campaign invite link', audited: true },
  async run(ctx) {
    const { req, store, deps, positional } = ctx;
    const group = targetGroup(ctx.target);
    const what = positional[0];
    if (what === undefined || positional.length > 1) throw new UsageError(revoke.spec.usage);
    const links = (await store.community.inviteLinks.list(req.workspace, { platform: req.platform, chatId: group.chatId })).filter((l) => l.campaign === what || l.url === what);
    const zh = languageOf(ctx.req.user.languageCode) === 'zh';
    if (links.length === 0) return { answers: [text(zh ? `${group.title} 里没有“${clip(what, 40)}”的有效邀请链接。` : `No active invite link for “${clip(what, 40)}” in ${group.title}.`)], detail: 'none' };
    for (const l of links) {
      await deps.platform.revokeInviteLink(group.chatId, l.url);
      await store.community.inviteLinks.markRevoked(req.workspace, req.platform, l.url, req.now.toISOString());
    }
    return {
      answers: [text(zh ? `已撤销 ${group.title} 里“${clip(what, 40)}”的 ${links.length} 个链接。已经发生的入群仍然计入归因。` : `Revoked ${links.length} ${plural(links.length, 'link')} for “${clip(what, 40)}” in ${group.title}. Joins already made stay credited.`)],
      detail: `revoked ${links.length}`,
    };
  },
});
