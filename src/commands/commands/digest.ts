/**
 * `/digest daily|weekly|off`: subscribes this chat to the scheduled attribution report (or
 * stops it). Each run is computed and sent on the report queue (see `report-queue.ts`).
 */
import { languageOf, t } from '../../i18n/index.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

export const digest = defineCommand({
  spec: { name: 'digest', access: 'manager', usage: '/digest daily|weekly|off', description: 'Scheduled report in this chat', audited: true },
  async run(ctx) {
    const { req, store, access, positional } = ctx;
    const ws = req.workspace;
    const mode = positional[0]?.toLowerCase();
    const lang = languageOf(req.user.languageCode);
    if (positional.length !== 1 || (mode !== 'daily' && mode !== 'weekly' && mode !== 'off')) throw new UsageError(digest.spec.usage);
    if (mode === 'off') {
      const had = await store.community.digests.remove(ws, req.platform, req.chat.id);
      return { answers: [text(t(lang, had ? 'digest.off' : 'digest.none'))], detail: 'off' };
    }
    await store.community.digests.put(ws, { workspace: ws, platform: req.platform, chatId: req.chat.id, account: req.account, frequency: mode, subscribedBy: access.subject, subscribedAt: req.now.toISOString() });
    return {
      answers: [text(t(lang, mode === 'daily' ? 'digest.on-daily' : 'digest.on-weekly', { tz: access.settings.timezone }))],
      detail: mode,
    };
  },
});
