/** `/report [period] [by=…] [model=…]`: conversions and value credited per row under a model, beside last touch. */
import type { Period } from '../../reports/period.js';
import { parseDimension, parseModel } from '../../reports/report-params.js';
import type { ReportDimension } from '../../reports/report-types.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { renderAttribution } from '../render-reports.js';
import { renderOptions, reportsOf } from '../report-commands.js';

interface ReportArgs {
  period: Period;
  by: ReportDimension;
  model: string;
}

export const report = defineCommand<ReportArgs>({
  spec: { name: 'report', access: 'manager', usage: '/report [period] [by=group|campaign|keyword|link|platform|referrer] [model=<model>]', description: 'Attribution report against last click', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, ['by', 'model']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(report.spec.usage);
    return { period, by: checked(() => parseDimension(ctx.options.get('by'))), model: checked(() => parseModel(ctx.options.get('model'))) };
  },
  async run(ctx, { period, by, model }) {
    const r = await reportsOf(ctx).attribution(ctx.req.workspace, { period, by, model });
    return { answers: await renderAttribution(r, renderOptions(ctx)), detail: `period ${period.label} by ${by} model ${model}` };
  },
});
