/**
 * `/alerts on|off`: the daily alerts of the workspace (posted to the managers' chats when
 * something moved beyond chance; see `src/optimize/alerts.ts`). Without an argument: whether
 * they are on, and when they are checked.
 */
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

export const alerts = defineCommand({
  spec: { name: 'alerts', access: 'manager', usage: '/alerts on|off', description: 'Daily alerts when something moved beyond chance', audited: true },
  async run(ctx) {
    const { req, store, access, positional } = ctx;
    const ws = req.workspace;
    const mode = positional[0]?.toLowerCase();
    const at = access.settings.alerts?.at ?? '09:00';
    const where = access.settings.managersChats.length > 0 ? 'the managers’ chat' : 'the managers’ chat (none is configured yet: add managersChats to the workspace configuration)';
    if (positional.length === 0) {
      const stored = await store.optimize.alertSettings.get(ws);
      const on = stored?.enabled ?? access.settings.alerts?.enabled ?? true;
      return { answers: [text(`Alerts are ${on ? 'on' : 'off'}: checked daily at ${at} (${access.settings.timezone}) and posted to ${where}. /alerts ${on ? 'off' : 'on'} to change.`)], detail: 'status' };
    }
    if (positional.length !== 1 || (mode !== 'on' && mode !== 'off')) throw new UsageError(alerts.spec.usage);
    await store.optimize.alertSettings.put(ws, { workspace: ws, enabled: mode === 'on', changedBy: access.subject, changedAt: req.now.toISOString() });
    return {
      answers: [text(mode === 'on' ? `Alerts on: checked daily at ${at} (${access.settings.timezone}); each says what was expected and what came, posted to ${where}.` : 'Alerts off. /alerts on starts them again.')],
      detail: mode,
    };
  },
});
