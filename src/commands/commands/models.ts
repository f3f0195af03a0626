/**
 * `/models [period] [by=…]`: every attribution model side by side, and when the data-driven
 * models (Markov, Shapley) were last fitted for the period's conversions.
 */
import { t, type Lang } from '../../i18n/index.js';
import type { Period } from '../../reports/period.js';
import { parseDimension } from '../../reports/report-params.js';
import type { ReportDimension } from '../../reports/report-types.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, type CommandContext } from '../command-module.js';
import type { FitStatusLine } from '../command-types.js';
import { renderComparison } from '../render-reports.js';
import { renderOptions, reportsOf } from '../report-commands.js';
import { localDateTime } from '../wording.js';

interface ModelsArgs {
  period: Period;
  by: ReportDimension;
}

/** `YYYY-MM` (UTC) months a period's conversions fall in. */
function monthsOf(period: Period): Set<string> {
  const months = new Set<string>();
  const end = Date.parse(period.to) - 1;
  const d = new Date(Date.parse(period.from));
  d.setUTCDate(1);
  d.setUTCHours(0, 0, 0, 0);
  while (d.getTime() <= end && months.size < 1_000) {
    months.add(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return months;
}

/**
 * The fit line of `/models`: when the data-driven models were last fitted, and which of
 * the period's months are being refitted or were never fitted.
 */
export function fitStatusLine(status: readonly FitStatusLine[], period: Period, timeZone: string, lang: Lang = 'en'): string {
  const last = status.reduce<string | null>((latest, s) => (s.fittedAt !== null && (latest === null || s.fittedAt > latest) ? s.fittedAt : latest), null);
  const months = monthsOf(period);
  const inPeriod = status.filter((s) => months.has(s.month));
  const refitting = inPeriod.filter((s) => s.dirty).map((s) => s.month);
  const never = inPeriod.filter((s) => s.fitId === null && !s.dirty).map((s) => s.month);
  const parts = [t(lang, 'models.fit', { when: last === null ? t(lang, 'models.fit.never') : `${localDateTime(last, timeZone)} (${timeZone})` })];
  if (refitting.length > 0) parts.push(t(lang, 'models.fit.refitting', { months: refitting.join(', ') }));
  if (never.length > 0) parts.push(t(lang, 'models.fit.unfitted', { months: never.join(', ') }));
  return parts.join(t(lang, 'models.fit.separator'));
}

async function fitLine(ctx: CommandContext, period: Period): Promise<string | null> {
  if (!ctx.deps.models) return null;
  return fitStatusLine(await ctx.deps.models.status(ctx.req.workspace), period, ctx.access.settings.timezone, renderOptions(ctx).lang);
}

export const models = defineCommand<ModelsArgs>({
  spec: { name: 'models', access: 'manager', usage: '/models [period] [by=group|campaign|keyword|link|platform|referrer]', description: 'Every attribution model side by side', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, ['by']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(models.spec.usage);
    return { period, by: checked(() => parseDimension(ctx.options.get('by'))) };
  },
  async run(ctx, { period, by }) {
    const [comparison, fits] = await Promise.all([reportsOf(ctx).compareModels(ctx.req.workspace, { period, by }), fitLine(ctx, period)]);
    // The fit line leads the notes: the chat shows the first few only.
    const shown = fits === null ? comparison : { ...comparison, notes: [fits, ...(comparison.notes ?? [])] };
    return { answers: await renderComparison(shown, renderOptions(ctx)), detail: `period ${period.label} by ${by}` };
  },
});
