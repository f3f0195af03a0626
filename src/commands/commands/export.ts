/**
 * `/export [period]`: a CSV file of every credited touch of the period under every model.
 * The file is named after the period's first and last days in the workspace's time zone.
 */
import { languageOf, t } from '../../i18n/index.js';
import type { Period } from '../../reports/period.js';
import { exportFileName } from '../../reports/report-labels.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { reportsOf } from '../report-commands.js';

interface ExportArgs {
  period: Period;
}

export const exportCommand = defineCommand<ExportArgs>({
  spec: { name: 'export', access: 'manager', usage: '/export [period]', description: 'CSV of credited touches', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, []);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(exportCommand.spec.usage);
    return { period };
  },
  async run(ctx, { period }) {
    const csv = await reportsOf(ctx).exportCredits(ctx.req.workspace, { period });
    const content = Buffer.from(csv, 'utf8');
    return {
      answers: [{ type: 'document', filename: exportFileName(ctx.req.workspace, period, ctx.access.settings.timezone), content, mimeType: 'text/csv', caption: t(languageOf(ctx.req.user.languageCode), 'export.caption', { period: period.label }) }],
      detail: `period ${period.label} bytes ${content.length}`,
    };
  },
});
