/** `/hints [period]`: evidence-based optimization hints (see `src/optimize/hints.ts`). */
import type { Period } from '../../reports/period.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { PlatformRefusedError } from '../command-types.js';
import { renderHints } from '../render-optimize.js';
import { renderOptions, reportsOf } from '../report-commands.js';

export const hints = defineCommand<{ period: Period }>({
  spec: { name: 'hints', access: 'manager', usage: '/hints [period]', description: 'What last click undervalues, and what to do', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, []);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(hints.spec.usage);
    return { period };
  },
  async run(ctx, { period }) {
    const reports = reportsOf(ctx);
    if (!reports.hints) throw new PlatformRefusedError('Hints are not available on this installation.');
    const r = await reports.hints(ctx.req.workspace, { period });
    return { answers: renderHints(r, renderOptions(ctx)), detail: `period ${period.label}` };
  },
});
