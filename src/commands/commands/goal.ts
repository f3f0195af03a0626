/**
 * `/goal <campaign> awareness|engagement|conversion [target=500joins|20%@d28|roas3] [from=YYYY-MM-DD] [to=YYYY-MM-DD]`:
 * sets what a campaign is for and the target its card is judged against (a stored record,
 * which takes precedence over the configuration's). `/goal <campaign> off` removes the record.
 */
import { languageOf, type Lang } from '../../i18n/index.js';
import { CampaignInputError, describeTarget, goalName, parseGoal, parseTarget } from '../../campaigns/index.js';
import type { CampaignRecord } from '../../store/store.js';
import { onlyOptions, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { CAMPAIGN_WORD } from './campaign-reports.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const goal = defineCommand({
  spec: { name: 'goal', access: 'manager', usage: '/goal <campaign> awareness|engagement|conversion [target=500joins|20%@d28|roas3] [from=2026-03-01] [to=2026-03-31]', description: 'Set a campaign’s goal and target', audited: true },
  async run(ctx) {
    const { req, store, options, positional, access } = ctx;
    onlyOptions(options, ['target', 'from', 'to']);
    const [name, what, ...rest] = positional;
    const zh = languageOf(req.user.languageCode) === 'zh';
    const lang: Lang = zh ? 'zh' : 'en';
    if (name === undefined || what === undefined || rest.length > 0 || !CAMPAIGN_WORD.test(name)) throw new UsageError(goal.spec.usage);
    if (what.toLowerCase() === 'off') {
      const had = await store.campaigns.records.remove(req.workspace, name);
      const said = zh
        ? had ? `已删除 ${name} 的目标：它的活动卡片会显示目标未设定（或以配置文件为准）。` : `${name} 在这里没有设定目标。`
        : had ? `Goal of ${name} removed: its card shows the goal as unknown (or as the configuration says).` : `${name} had no goal set here.`;
      return { answers: [text(said)], detail: `${name} off` };
    }
    try {
      const g = parseGoal(what);
      const record: CampaignRecord = { workspace: req.workspace, name, goal: g, updatedBy: access.subject, updatedAt: req.now.toISOString() };
      const t = options.get('target');
      if (t !== undefined) record.target = parseTarget(t, g);
      for (const k of ['from', 'to'] as const) {
        const d = options.get(k);
        if (d === undefined) continue;
        if (!DAY.test(d)) throw new CampaignInputError(`${k}= is a day like 2026-03-01`);
        record[k] = d;
      }
      await store.campaigns.records.put(req.workspace, record);
      const span = `${record.from ?? '…'}..${record.to ?? '…'}`;
      const said = zh
        ? `${name}：目标 ${goalName(g, lang)}${record.target ? `，目标值 ${describeTarget(record.target, lang)}` : ''}${record.from || record.to ? `，投放期 ${span}` : ''}。发送 /campaign ${name} 查看它的卡片。`
        : `${name}: goal ${g}${record.target ? `, target ${describeTarget(record.target)}` : ''}${record.from || record.to ? `, running ${span}` : ''}. /campaign ${name} shows its card.`;
      return {
        answers: [text(said)],
        detail: `${name} ${g}${t !== undefined ? ` target ${t}` : ''}`,
      };
    } catch (err) {
      if (err instanceof CampaignInputError || err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
  },
});
