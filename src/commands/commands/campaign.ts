/**
 * `/campaign <name> [period] [model=…]`: one campaign's card (joins by platform, day-7 and
 * day-30 retention, engaged, clicked, converted, revenue, CAC and ROAS under every model, the
 * goal's headline). `/campaigns [period] [model=…]`: every campaign's headline and a table.
 */
import type { ModelName } from '../../attribution/index.js';
import { languageOf } from '../../i18n/index.js';
import { formatCampaignCard, formatCampaigns } from '../../campaigns/index.js';
import type { Period } from '../../reports/period.js';
import { parseModel } from '../../reports/report-params.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { CAMPAIGN_WORD, campaignReportsOf } from './campaign-reports.js';

interface CardArgs {
  period: Period;
  model: ModelName;
  name?: string;
}

export const campaign = defineCommand<CardArgs>({
  spec: { name: 'campaign', access: 'manager', usage: '/campaign <name> [period] [model=linear]', description: 'A campaign’s card: goal, CAC and ROAS', audited: true, report: true },
  parse(ctx) {
    onlyOptions(ctx.options, ['model']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    const [name, ...extra] = rest;
    if (name === undefined || extra.length > 0 || !CAMPAIGN_WORD.test(name)) throw new UsageError(campaign.spec.usage);
    return { period, name, model: checked(() => parseModel(ctx.options.get('model'))) as ModelName };
  },
  async run(ctx, { period, name, model }) {
    const r = await campaignReportsOf(ctx).cards(ctx.req.workspace, { period, model, now: ctx.req.now, ...(name !== undefined ? { campaign: name } : {}) });
    const card = r.rows[0];
    const lang = languageOf(ctx.req.user.languageCode);
    const body = card ? formatCampaignCard(r, card, ctx.access.settings.timezone, lang) : lang === 'zh' ? `没有名为 ${name} 的活动。` : `No campaign ${name}.`;
    return { answers: [{ ...text(body), monospace: true }], detail: `${name} period ${period.label}` };
  },
});

export const campaigns = defineCommand<CardArgs>({
  spec: { name: 'campaigns', access: 'manager', usage: '/campaigns [period] [model=linear]', description: 'Every campaign against its goal', audited: true, report: true },
  parse(ctx) {
    onlyOptions(ctx.options, ['model']);
    const { period, rest } = periodOf(ctx.positional, ctx.req.now, ctx.access.settings.timezone);
    if (rest.length > 0) throw new UsageError(campaigns.spec.usage);
    return { period, model: checked(() => parseModel(ctx.options.get('model'))) as ModelName };
  },
  async run(ctx, { period, model }) {
    const r = await campaignReportsOf(ctx).cards(ctx.req.workspace, { period, model, now: ctx.req.now });
    return { answers: [{ ...text(formatCampaigns(r, ctx.access.settings.timezone, languageOf(ctx.req.user.languageCode))), monospace: true }], detail: `period ${period.label}` };
  },
});
