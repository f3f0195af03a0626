/**
 * `/spend <campaign> <amount> [period]`: what a campaign cost, in the workspace currency,
 * spread evenly over the period's days (default today). Each day's entry replaces what was
 * entered for that day before, so sending it twice never doubles it.
 */
import { languageOf } from '../../i18n/index.js';
import { CampaignInputError, money, parseAmount, periodDays, setSpend } from '../../campaigns/index.js';
import { localDay } from '../../reports/period.js';
import { onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { CAMPAIGN_WORD } from './campaign-reports.js';

export const spend = defineCommand({
  spec: { name: 'spend', access: 'manager', usage: '/spend <campaign> <amount> [period], e.g. /spend spring 1000 2026-03-01..2026-03-10', description: 'Enter what a campaign cost', audited: true },
  async run(ctx) {
    const { req, store, options, positional, access } = ctx;
    onlyOptions(options, []);
    const tz = access.settings.timezone;
    const currency = access.settings.currency ?? 'USD';
    const [name, amountText, ...rest] = positional;
    if (name === undefined || amountText === undefined || rest.length > 1 || !CAMPAIGN_WORD.test(name)) throw new UsageError(spend.spec.usage);
    const today = localDay(req.now.getTime(), tz);
    const { period, rest: left } = periodOf(rest, req.now, tz, `${today}..${today}`);
    if (left.length > 0) throw new UsageError(spend.spec.usage);
    try {
      const amount = parseAmount(amountText);
      const days = periodDays(period, tz);
      const rows = await setSpend(store, { workspace: req.workspace, campaign: name, amount, currency, days, source: 'command', at: req.now });
      const first = rows[0];
      const last = rows[rows.length - 1];
      const said =
        languageOf(req.user.languageCode) === 'zh'
          ? `${name} 的花费：${money(amount, currency)}，${rows.length === 1 ? `记在 ${first?.day}` : `分摊到 ${rows.length} 天（${first?.day} – ${last?.day}），每天 ${money(amount / rows.length, currency)}`}。会替换这些天之前录入的花费。`
          : `Spend of ${name}: ${money(amount, currency)} ${rows.length === 1 ? `on ${first?.day}` : `over ${rows.length} days (${first?.day} – ${last?.day}), ${money(amount / rows.length, currency)} a day`}. It replaces what was entered for those days.`;
      return { answers: [text(said)], detail: `${name} ${amount} ${currency} ${period.label}` };
    } catch (err) {
      if (err instanceof CampaignInputError) throw new UsageError(err.message);
      throw err;
    }
  },
});
