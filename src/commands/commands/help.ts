/** `/help`: what this person may run here, with each command's usage. */
import { commandDescription, languageOf, t } from '../../i18n/index.js';
import { defineCommand, text } from '../command-module.js';

export const help = defineCommand({
  spec: { name: 'help', access: 'member', usage: '/help', description: 'What I can do for you here', audited: false },
  async run(ctx) {
    const allowed = await ctx.allowedCommands();
    const lang = languageOf(ctx.req.user.languageCode);
    const lines = allowed.map((s) => `${s.usage} — ${commandDescription(lang, s.name, s.description)}`);
    return { answers: [text(`${t(lang, 'help.title')}\n${lines.join('\n')}\n\n${t(lang, 'help.periods')}`)] };
  },
});
