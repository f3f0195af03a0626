/** `/lift [period]`: keyword lift against matched controls (see `src/optimize/keyword-lift.ts`). */
import type { Period } from '../../reports/period.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { PlatformRefusedError } from '../command-types.js';
import { renderLift } from '../render-optimize.js';
import { renderOptions, reportsOf } from '../report-commands.js';

export const lift = defineCommand<{ period: Period }>({
  spec: { name: 'lift', access: 'manager', usage: '/lift [period]', description: 'Keyword lift vs matched controls', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, []);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(lift.spec.usage);
    return { period };
  },
  async run(ctx, { period }) {
    const reports = reportsOf(ctx);
    if (!reports.lift) throw new PlatformRefusedError('Keyword lift is not available on this installation.');
    const r = await reports.lift(ctx.req.workspace, { period });
    return { answers: renderLift(r, renderOptions(ctx)), detail: `period ${period.label}` };
  },
});
