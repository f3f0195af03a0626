/** `/help`: what this person may run here, with each command's usage. */
import { PERIOD_USAGE } from '../../reports/period.js';
import { defineCommand, text } from '../command-module.js';

export const help = defineCommand({
  spec: { name: 'help', access: 'member', usage: '/help', description: 'What I can do for you here', audited: false },
  async run(ctx) {
    const allowed = await ctx.allowedCommands();
    const lines = allowed.map((s) => `${s.usage} — ${s.description}`);
    return { answers: [text(`What you can do here:\n${lines.join('\n')}\n\n${PERIOD_USAGE}`)] };
  },
});
