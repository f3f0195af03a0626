/** `/keywords`: the configured keywords and those added with `/track`. */
import { languageOf, t } from '../../i18n/index.js';
import { defineCommand, text } from '../command-module.js';

export const keywords = defineCommand({
  spec: { name: 'keywords', access: 'operator', usage: '/keywords', description: 'List watched keywords', audited: true },
  async run(ctx) {
    const configured = ctx.access.settings.keywords;
    const tracked = await ctx.store.community.keywords.list(ctx.req.workspace);
    const lang = languageOf(ctx.req.user.languageCode);
    const lines = [
      t(lang, 'keywords.configured', { n: configured.length, list: `${configured.length > 0 ? configured.slice(0, 100).join(', ') : '–'}${configured.length > 100 ? ', …' : ''}` }),
      t(lang, 'keywords.tracked', { n: tracked.length, list: `${tracked.length > 0 ? tracked.slice(0, 100).map((k) => k.keyword).join(', ') : '–'}${tracked.length > 100 ? ', …' : ''}` }),
    ];
    return { answers: [text(lines.join('\n'))] };
  },
});
