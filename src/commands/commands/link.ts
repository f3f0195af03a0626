/** `/link <url> [campaign]`: a tracked short link (made in a group, it belongs to that group). */
import { languageOf } from '../../i18n/index.js';
import { canonicalizeUrl } from '../../keywords/index.js';
import { UsageError } from '../arguments.js';
import { CAMPAIGN, CAMPAIGN_RULE, defineCommand, text } from '../command-module.js';

export const link = defineCommand({
  spec: { name: 'link', access: 'operator', usage: '/link <url> [campaign]', description: 'Make a tracked short link', audited: true },
  async run(ctx) {
    const { req, deps, access, positional } = ctx;
    const zh = languageOf(req.user.languageCode) === 'zh';
    // A WhatsApp group has one invite link: `/link [campaign]` there makes a tracked group link (`/g/<code>`).
    const groupLink = req.platform === 'whatsapp' && access.group !== null && deps.groupLinks !== undefined && positional.length <= 1 && (positional[0] === undefined || !positional[0].includes('.'));
    if (groupLink && access.group && deps.groupLinks) {
      const campaign = positional[0];
      if (campaign !== undefined && !CAMPAIGN.test(campaign)) throw new UsageError(CAMPAIGN_RULE);
      const made = await deps.groupLinks.create(req.workspace, { chatId: access.group.chatId, createdBy: access.subject, ...(access.group.title ? { chatTitle: access.group.title } : {}), ...(campaign !== undefined ? { campaign } : {}) });
      return {
        answers: [
          text(
            zh
              ? `${campaign ? `活动 ${campaign} 的` : ''}可追踪群链接：${made.shortUrl}\n它会打开本群当前的邀请链接；点击后随即入群的成员归因到该活动。`
              : `Tracked group link${campaign ? ` for campaign ${campaign}` : ''}: ${made.shortUrl}\nIt opens this group’s current invite link; joins right after a click are credited to the campaign.`,
          ),
        ],
        detail: `group link ${made.code}`,
      };
    }
    if (!deps.links) return { answers: [text(zh ? '此安装还没有配置可追踪链接。' : 'Tracked links are not configured on this installation yet.')], detail: 'not configured' };
    const url = positional[0] === undefined ? null : canonicalizeUrl(positional[0]);
    if (url === null || positional.length > 2) throw new UsageError(link.spec.usage);
    const campaign = positional[1];
    if (campaign !== undefined && !CAMPAIGN.test(campaign)) throw new UsageError(CAMPAIGN_RULE);
    const made = await deps.links.create(req.workspace, {
      url,
      createdBy: access.subject,
      ...(campaign !== undefined ? { campaign } : {}),
      ...(access.group ? { chatId: access.group.chatId } : {}),
    });
    return { answers: [text(zh ? `${campaign ? `活动 ${campaign} 的` : ''}可追踪链接：${made.shortUrl}` : `Tracked link${campaign ? ` for campaign ${campaign}` : ''}: ${made.shortUrl}`)], detail: `code ${made.code}` };
  },
});
