/**
 * `/digest daily|weekly|off`: subscribes this chat to the scheduled attribution report (or
 * stops it). Each run is computed and sent on the report queue (see `report-queue.ts`).
 */
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

export const digest = defineCommand({
  spec: { name: 'digest', access: 'manager', usage: '/digest daily|weekly|off', description: 'Scheduled report in this chat', audited: true },
  async run(ctx) {
    const { req, store, access, positional } = ctx;
    const ws = req.workspace;
    const mode = positional[0]?.toLowerCase();
    if (positional.length !== 1 || (mode !== 'daily' && mode !== 'weekly' && mode !== 'off')) throw new UsageError(digest.spec.usage);
    if (mode === 'off') {
      const had = await store.community.digests.remove(ws, req.platform, req.chat.id);
      return { answers: [text(had ? 'Digest off for this chat.' : 'This chat had no digest.')], detail: 'off' };
    }
    await store.community.digests.put(ws, { workspace: ws, platform: req.platform, chatId: req.chat.id, account: req.account, frequency: mode, subscribedBy: access.subject, subscribedAt: req.now.toISOString() });
    return {
      answers: [text(`${mode === 'daily' ? 'Daily' : 'Weekly'} digest on: the attribution report comes here ${mode === 'daily' ? 'every day' : 'every Monday'} at 09:00 (${access.settings.timezone}). /digest off stops it.`)],
      detail: mode,
    };
  },
});
