/**
 * `/dashboard`: opens the dashboard for a manager. In a private chat on Telegram (with an
 * https `PUBLIC_BASE_URL`) the answer carries a Mini App button (`web_app`) and a one-time
 * browser link, and the chat's menu button is set to open the Mini App; elsewhere the answer
 * is the one-time link (10 minutes, single use). In a group it says to ask in private, so no
 * link is ever posted where others can use it.
 */
import { languageOf, t } from '../../i18n/index.js';
import { subjectOf } from '../../access/roles.js';
import { defineCommand } from '../command-module.js';
import type { Answer } from '../command-types.js';

export const dashboard = defineCommand({
  spec: { name: 'dashboard', access: 'manager', usage: '/dashboard', description: 'Open the dashboard: charts, a date range and every model', audited: true },
  async run(ctx) {
    const lang = languageOf(ctx.req.user.languageCode);
    const say = (text: string, buttons?: Answer extends infer A ? (A extends { buttons?: infer B } ? B : never) : never): { answers: Answer[]; detail: string } => ({
      answers: [{ type: 'text', text, ...(buttons ? { buttons } : {}) }],
      detail: buttons ? 'buttons' : 'text',
    });
    if (ctx.req.chat.type !== 'private') return say(t(lang, 'dashboard.private-only'));
    const port = ctx.deps.dashboard;
    if (!port) return say(t(lang, 'dashboard.no-url'));
    const link = await port.loginLink(ctx.req.workspace, subjectOf(ctx.req.platform, ctx.req.user.id), lang);
    if ('limited' in link) return say(t(lang, 'dashboard.rate-limited'));
    if (ctx.req.platform === 'telegram' && port.miniAppUrl) {
      await ctx.deps.platform.setMenuButton?.(ctx.req.chat.id, t(lang, 'dashboard.menu'), port.miniAppUrl).catch(() => undefined);
      return say(t(lang, 'dashboard.open'), [
        { text: t(lang, 'dashboard.button'), webApp: port.miniAppUrl },
        { text: t(lang, 'dashboard.browser-button'), url: link.url },
      ]);
    }
    return say(t(lang, 'dashboard.link', { url: link.url }));
  },
});
