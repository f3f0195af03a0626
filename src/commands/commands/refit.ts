/**
 * `/refit [period]`: asks for the data-driven models (Markov, Shapley) to be fitted again,
 * for every month with conversions or for the months of a period, and their credits
 * rewritten. The work runs on the reconcile queue; `/models` shows when it was done.
 */
import { languageOf, t } from '../../i18n/index.js';
import type { Period } from '../../reports/period.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

interface RefitArgs {
  period?: Period;
}

export const refit = defineCommand<RefitArgs>({
  spec: { name: 'refit', access: 'manager', usage: '/refit [period]', description: 'Fit the data-driven models again', audited: true },
  parse(ctx) {
    onlyOptions(ctx.options, []);
    if (ctx.positional.length === 0) return {};
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(refit.spec.usage);
    return { period };
  },
  async run(ctx, { period }) {
    const port = ctx.deps.models;
    const lang = languageOf(ctx.req.user.languageCode);
    if (!port) return { answers: [text(t(lang, 'refit.unavailable'))], detail: 'not configured' };
    let queued: string;
    try {
      queued = await port.requestRefit(ctx.req.workspace, period ? { from: period.from, to: period.to } : undefined);
    } catch (err) {
      if (err instanceof Error && err.name === 'RefitRequestError') throw new UsageError(err.message);
      throw err;
    }
    return {
      answers: [
        text(period ? t(lang, 'refit.queued', { period: period.label, queued }) : t(lang, 'refit.queued-all', { queued })),
      ],
      detail: `${period ? `period ${period.label} ` : ''}${queued}`,
    };
  },
});
