/** `/untrack <keyword…>`: stop watching keywords added with `/track` (configured ones stay: the answer says so). */
import { languageOf, t } from '../../i18n/index.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { keywordKey } from '../workspace-keywords.js';

export const untrack = defineCommand({
  spec: { name: 'untrack', access: 'operator', usage: '/untrack <keyword> [keyword…]', description: 'Stop watching keywords', audited: true },
  parse(ctx) {
    if (ctx.positional.length === 0) throw new UsageError(untrack.spec.usage);
  },
  async run(ctx) {
    const { req, store, deps, access } = ctx;
    const ws = req.workspace;
    const lang = languageOf(req.user.languageCode);
    const configured = new Set(access.settings.keywords.map(keywordKey));
    const removed: string[] = [];
    const fromConfig: string[] = [];
    const unknown: string[] = [];
    for (const word of ctx.positional) {
      const key = keywordKey(word);
      if (await store.community.keywords.remove(ws, key)) removed.push(word);
      else if (configured.has(key)) fromConfig.push(word);
      else unknown.push(word);
    }
    if (removed.length > 0) deps.onKeywordsChanged?.(ws);
    const parts = [
      removed.length > 0 ? t(lang, 'untrack.removed', { list: removed.join(', ') }) : '',
      fromConfig.length > 0 ? t(lang, 'untrack.configured', { list: fromConfig.join(', ') }) : '',
      unknown.length > 0 ? t(lang, 'untrack.unknown', { list: unknown.join(', ') }) : '',
    ].filter(Boolean);
    return { answers: [text(parts.join('\n'))], detail: `removed ${removed.length}` };
  },
});
