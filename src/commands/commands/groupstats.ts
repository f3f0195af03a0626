/** `/groupstats [period] [group=…]`: joins and leaves by campaign, activity and keyword hits of a group, or of every group. */
import type { Period } from '../../reports/period.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { renderGroupStats } from '../render-reports.js';
import { renderOptions, reportsOf } from '../report-commands.js';

interface GroupStatsArgs {
  period: Period;
  chatId?: string;
  title?: string;
}

export const groupstats = defineCommand<GroupStatsArgs>({
  spec: { name: 'groupstats', access: 'group-operator', usage: '/groupstats [period] [group=<id or title>]', description: 'Joins, leaves, activity and keyword hits', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    onlyOptions(ctx.options, []);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(groupstats.spec.usage);
    const t = ctx.target;
    if (t?.kind === 'error') throw new UsageError(t.message);
    return t?.kind === 'group' ? { period, chatId: t.group.chatId, title: t.group.title } : { period };
  },
  async run(ctx, { period, chatId, title }) {
    const r = await reportsOf(ctx).groupStats(ctx.req.workspace, { period, ...(chatId !== undefined ? { chatId } : {}) });
    return {
      answers: await renderGroupStats(r, { ...renderOptions(ctx), ...(title !== undefined ? { groupTitle: title } : {}) }),
      detail: `period ${period.label}${chatId !== undefined ? ` group ${chatId}` : ''}`,
    };
  },
});
