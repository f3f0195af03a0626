/** `/paths [period] [by=campaign|group|keyword]`: time lag, path length, top converting paths, assists and model sensitivity. */
import { formatPaths } from '../../campaigns/index.js';
import { languageOf } from '../../i18n/index.js';
import type { Period } from '../../reports/period.js';
import { parseDimension } from '../../reports/report-params.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { campaignReportsOf } from './campaign-reports.js';

interface PathArgs {
  period: Period;
  by: 'campaign' | 'group' | 'keyword';
}

export const paths = defineCommand<PathArgs>({
  spec: { name: 'paths', access: 'manager', usage: '/paths [period] [by=campaign|group|keyword]', description: 'How converting journeys look', audited: true, report: true },
  parse(ctx) {
    onlyOptions(ctx.options, ['by']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(paths.spec.usage);
    return { period, by: checked(() => parseDimension(ctx.options.get('by') ?? 'campaign', ['campaign', 'group', 'keyword'] as const)) };
  },
  async run(ctx, { period, by }) {
    const r = await campaignReportsOf(ctx).paths(ctx.req.workspace, { period, by });
    return { answers: [{ ...text(formatPaths(r, ctx.access.settings.timezone, languageOf(ctx.req.user.languageCode))), monospace: true }], detail: `period ${period.label} by ${by}` };
  },
});
