/**
 * `/alerts on|off`: the daily alerts of the workspace (posted to the managers' chats when
 * something moved beyond chance; see `src/optimize/alerts.ts`). Without an argument: whether
 * they are on, and when they are checked.
 */
import { languageOf, t } from '../../i18n/index.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

export const alerts = defineCommand({
  spec: { name: 'alerts', access: 'manager', usage: '/alerts on|off', description: 'Daily alerts when something moved beyond chance', audited: true },
  async run(ctx) {
    const { req, store, access, positional } = ctx;
    const ws = req.workspace;
    const mode = positional[0]?.toLowerCase();
    const lang = languageOf(req.user.languageCode);
    const at = access.settings.alerts?.at ?? '09:00';
    const tz = access.settings.timezone;
    const where = t(lang, access.settings.managersChats.length > 0 ? 'alerts.where' : 'alerts.where-none');
    if (positional.length === 0) {
      const stored = await store.optimize.alertSettings.get(ws);
      const on = stored?.enabled ?? access.settings.alerts?.enabled ?? true;
      return { answers: [text(t(lang, 'alerts.status', { state: t(lang, on ? 'state.on' : 'state.off'), at, tz, where, toggle: on ? 'off' : 'on' }))], detail: 'status' };
    }
    if (positional.length !== 1 || (mode !== 'on' && mode !== 'off')) throw new UsageError(alerts.spec.usage);
    await store.optimize.alertSettings.put(ws, { workspace: ws, enabled: mode === 'on', changedBy: access.subject, changedAt: req.now.toISOString() });
    return {
      answers: [text(mode === 'on' ? t(lang, 'alerts.turned-on', { at, tz, where }) : t(lang, 'alerts.turned-off'))],
      detail: mode,
    };
  },
});
