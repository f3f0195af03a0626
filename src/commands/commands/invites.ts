/** `/invites`: the active campaign invite links of a group, or of every group (operators in a private chat). */
import { languageOf } from '../../i18n/index.js';
import { defineCommand, text } from '../command-module.js';
import { clip, table } from '../render-reports.js';

export const invites = defineCommand({
  spec: { name: 'invites', access: 'group-operator', usage: '/invites [group=<id or title>]', description: 'List campaign invite links', audited: true },
  async run(ctx) {
    const { req, store } = ctx;
    const chatId = ctx.target?.kind === 'group' ? ctx.target.group.chatId : undefined;
    const links = await store.community.inviteLinks.list(req.workspace, { platform: req.platform, ...(chatId !== undefined ? { chatId } : {}) });
    const zh = languageOf(req.user.languageCode) === 'zh';
    if (links.length === 0) return { answers: [text(zh ? '没有有效的活动邀请链接。用 /invite <活动> 创建一个。' : 'No active campaign invite links. Make one with /invite <campaign>.')] };
    const titles = new Map((await store.community.groups.list(req.workspace)).map((g) => [g.chatId, g.title]));
    const rows = links.slice(0, 30).map((l) => [clip(l.campaign, 14), l.url, chatId === undefined ? clip(titles.get(l.chatId) ?? l.chatId, 14) : l.createdAt.slice(0, 10)]);
    return { answers: [{ type: 'text', text: table(zh ? ['活动', '链接', chatId === undefined ? '群组' : '创建于'] : ['campaign', 'link', chatId === undefined ? 'group' : 'created'], rows), monospace: true }] };
  },
});
