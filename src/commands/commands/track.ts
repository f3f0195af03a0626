/** `/track <keyword…>`: watch more keywords in the workspace's groups (at most {@link MAX_TRACKED_KEYWORDS}). */
import { languageOf, t } from '../../i18n/index.js';
import { compileKeywords } from '../../keywords/index.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { clip } from '../render-reports.js';
import { keywordKey } from '../workspace-keywords.js';

/** Most keywords `/track` keeps per workspace. */
export const MAX_TRACKED_KEYWORDS = 1_000;

export const track = defineCommand({
  spec: { name: 'track', access: 'operator', usage: '/track <keyword> [keyword…] (use "quotes" for phrases)', description: 'Watch keywords in the groups', audited: true },
  parse(ctx) {
    if (ctx.positional.length === 0) throw new UsageError(track.spec.usage);
  },
  async run(ctx) {
    const { req, store, deps, access } = ctx;
    const ws = req.workspace;
    const lang = languageOf(req.user.languageCode);
    const existing = await store.community.keywords.list(ws);
    const configured = new Set(access.settings.keywords.map(keywordKey));
    const known = new Set(existing.map((k) => k.key));
    const added: string[] = [];
    const already: string[] = [];
    const ignored: string[] = [];
    for (const word of ctx.positional) {
      const key = keywordKey(word);
      const check = compileKeywords([word]);
      if (check.size === 0) {
        ignored.push(`${clip(word, 30)} (${check.rejected[0]?.reason ?? 'invalid'})`);
      } else if (known.has(key) || configured.has(key)) {
        already.push(word);
      } else if (known.size >= MAX_TRACKED_KEYWORDS) {
        ignored.push(`${clip(word, 30)} (${t(lang, 'track.limit', { n: MAX_TRACKED_KEYWORDS })})`);
      } else {
        await store.community.keywords.add(ws, { workspace: ws, keyword: word.trim(), key, addedBy: access.subject, addedAt: req.now.toISOString() });
        known.add(key);
        added.push(word.trim());
      }
    }
    if (added.length > 0) deps.onKeywordsChanged?.(ws);
    const parts = [
      added.length > 0 ? t(lang, 'track.added', { list: added.join(', ') }) : '',
      already.length > 0 ? t(lang, 'track.already', { list: already.join(', ') }) : '',
      ignored.length > 0 ? t(lang, 'track.ignored', { list: ignored.join(', ') }) : '',
    ].filter(Boolean);
    return { answers: [text(parts.join('\n'))], detail: `added ${added.length}` };
  },
});
