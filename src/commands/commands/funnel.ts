/**
 * `/funnel [group] [period] [by=group|campaign]`: joined → engaged → clicked → converted.
 * The group may be named as positional words or with `group=` (a title with spaces works
 * without quotes); with `by=campaign` (or `campaign=<name>`) the words name a campaign.
 */
import type { Period } from '../../reports/period.js';
import { parseDimension } from '../../reports/report-params.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand } from '../command-module.js';
import { findGroup, takeNameOption } from '../group-target.js';
import { splitOptions } from '../parse-command.js';
import { renderFunnel } from '../render-reports.js';
import { renderOptions, reportsOf } from '../report-commands.js';

interface FunnelArgs {
  period: Period;
  by: 'group' | 'campaign';
  key?: string;
  title?: string;
}

export const funnel = defineCommand<FunnelArgs>({
  spec: { name: 'funnel', access: 'manager', usage: '/funnel [group] [period] [by=group|campaign]', description: 'Joined → engaged → clicked → converted', audited: true, report: true },
  async parse(ctx) {
    reportsOf(ctx);
    const { words: groupWords, rest } = takeNameOption(ctx.args, 'group');
    const { options, positional } = splitOptions(rest);
    onlyOptions(options, ['by', 'campaign']);
    const campaign = options.get('campaign');
    const by = checked(() => parseDimension(options.get('by') ?? (campaign !== undefined ? 'campaign' : undefined), ['group', 'campaign'] as const));
    if (campaign !== undefined && (by !== 'campaign' || groupWords !== undefined)) throw new UsageError('campaign= goes with by=campaign, without group=');
    if (groupWords !== undefined && by !== 'group') throw new UsageError('group= goes with by=group');
    const tz = ctx.access.settings.timezone;
    const groupOf = async (words: string[]): Promise<{ chatId: string; title: string; rest: string[] }> => {
      const found = await findGroup(ctx.store, ctx.req, words);
      if ('error' in found) throw new UsageError(found.error);
      return { chatId: found.group.chatId, title: found.group.title, rest: found.rest };
    };
    if (groupWords !== undefined) {
      // Words after group= may end with the period: the group's name is matched first.
      const g = await groupOf(groupWords);
      const { period, rest: left } = periodOf([...positional, ...g.rest], ctx.req.now, tz);
      if (left.length > 0) throw new UsageError(funnel.spec.usage);
      return { period, by, key: g.chatId, title: g.title };
    }
    const { period, rest: named } = periodOf(positional, ctx.req.now, tz);
    if (campaign !== undefined) {
      if (named.length > 0) throw new UsageError(funnel.spec.usage);
      return { period, by, key: campaign, title: campaign };
    }
    if (named.length === 0) return { period, by };
    if (by === 'campaign') {
      const name = named.join(' ');
      return { period, by, key: name, title: name };
    }
    const g = await groupOf(named);
    if (g.rest.length > 0) throw new UsageError(funnel.spec.usage);
    return { period, by, key: g.chatId, title: g.title };
  },
  async run(ctx, { period, by, key, title }) {
    const r = await reportsOf(ctx).funnel(ctx.req.workspace, { period, by, ...(key !== undefined ? { key } : {}) });
    return {
      answers: await renderFunnel(r, { ...renderOptions(ctx), ...(title !== undefined ? { title } : {}) }),
      detail: `period ${period.label} by ${by}${key !== undefined ? ` key ${key}` : ''}`,
    };
  },
});
