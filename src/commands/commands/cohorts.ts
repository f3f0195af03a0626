/** `/cohorts [period] [by=week|campaign]`: share still in the group and share active, per week since joining, with a heat map. */
import { renderCohorts } from '../../campaigns/index.js';
import type { Period } from '../../reports/period.js';
import { parseDimension } from '../../reports/report-params.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { renderOptions } from '../report-commands.js';
import { campaignReportsOf } from './campaign-reports.js';

interface CohortArgs {
  period: Period;
  by: 'week' | 'campaign';
}

export const cohorts = defineCommand<CohortArgs>({
  spec: { name: 'cohorts', access: 'manager', usage: '/cohorts [period] [by=week|campaign]', description: 'Retention and activity by join week or campaign', audited: true, report: true },
  parse(ctx) {
    onlyOptions(ctx.options, ['by']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone, '90d');
    if (rest.length > 0) throw new UsageError(cohorts.spec.usage);
    return { period, by: checked(() => parseDimension(ctx.options.get('by') ?? 'week', ['week', 'campaign'] as const)) };
  },
  async run(ctx, { period, by }) {
    const r = await campaignReportsOf(ctx).cohorts(ctx.req.workspace, { period, by, now: ctx.req.now });
    return { answers: await renderCohorts(r, renderOptions(ctx)), detail: `period ${period.label} by ${by}` };
  },
});
