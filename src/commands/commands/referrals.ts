/**
 * `/referrals [period] [group=…] [model=…]`: the referral leaderboard (managers only, since it
 * names people): inviters by the revenue of the people they brought, credited under the model
 * (default linear), with invitees joined and counted, still in at day 7, engaged, converted and
 * second-degree invitees; k-factor per campaign; the share of joins and of revenue that came
 * through referrals. Members see only their own count, with `/myinvite`.
 */
import { languageOf, type Lang } from '../../i18n/index.js';
import type { Period } from '../../reports/period.js';
import { parseModel } from '../../reports/report-params.js';
import type { ReferralReport } from '../../reports/report-types.js';
import { checked, onlyOptions, periodOf, UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { PlatformRefusedError, type Answer } from '../command-types.js';
import { findGroup, takeNameOption } from '../group-target.js';
import { splitOptions } from '../parse-command.js';
import { clip, table } from '../render-reports.js';
import { reportsOf } from '../report-commands.js';

interface ReferralsArgs {
  period: Period;
  model: string;
  chatId?: string;
  title?: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const money = (x: number): string => (Math.round(x * 100) / 100).toFixed(2);

/** The leaderboard as a fixed-width table, then k-factors and shares; in `lang` (default English), names as written. */
export function renderReferrals(r: ReferralReport, title?: string, lang: Lang = 'en'): Answer[] {
  if (lang === 'zh') return renderReferralsZh(r, title);
  const head = `Referrals ${r.period.label}${title ? ` · ${title}` : ''} · ${r.model} · counted: stayed ${r.minDays}+ days`;
  if (r.rows.length === 0) return [text(`${head}\nNobody was brought in through an invitation in this period.`)];
  const lines = ['inviter              revenue   inv  joined  d7  eng  conv  2nd'];
  for (const row of r.rows.slice(0, 20)) {
    lines.push(
      `${clip(row.label, 20).padEnd(20)} ${money(row.revenue).padStart(8)} ${String(row.invitees).padStart(5)} ${String(row.joined).padStart(7)} ${String(row.stillInDay7).padStart(3)} ${String(row.engaged).padStart(4)} ${String(row.converted).padStart(5)} ${String(row.secondDegree).padStart(4)}`,
    );
  }
  if (r.rows.length > 20) lines.push(`… and ${r.rows.length - 20} more inviters`);
  const k = r.kFactor.filter((x) => x.kFactor !== null && x.invitees > 0).slice(0, 8).map((x) => `${clip(x.campaign ?? '(no campaign)', 20)} ${x.kFactor} (${x.invitees}/${x.members})`);
  const tail = [
    `Through referrals: ${pct(r.shares.joinShare)} of joins (${r.shares.referredJoined}/${r.shares.joined}), ${pct(r.shares.revenueShare)} of revenue (${money(r.shares.referralValue)} of ${money(r.shares.value)} credited to referral steps).`,
    k.length > 0 ? `k-factor per campaign (invitees per member who joined through it): ${k.join('; ')}` : 'k-factor per campaign: no counted invitation carries a campaign yet.',
    'revenue: what the invitees bought after joining, credited under the model; inv: counted invitees (joined: all); d7: still in at day 7; 2nd: people their invitees brought.',
    ...r.notes,
  ];
  return [{ type: 'text', text: `${head}\n${lines.join('\n')}`, monospace: true }, text(tail.join('\n'))];
}

function renderReferralsZh(r: ReferralReport, title?: string): Answer[] {
  const head = `推荐 ${r.period.label}${title ? ` · ${title}` : ''} · ${r.model} · 计入：留存满 ${r.minDays} 天`;
  if (r.rows.length === 0) return [text(`${head}\n此时间段内没有人通过邀请入群。`)];
  const rows = r.rows.slice(0, 20).map((row) => [clip(row.label, 20), money(row.revenue), String(row.invitees), String(row.joined), String(row.stillInDay7), String(row.engaged), String(row.converted), String(row.secondDegree)]);
  const more = r.rows.length > 20 ? [`… 另有 ${r.rows.length - 20} 位邀请人`] : [];
  const k = r.kFactor.filter((x) => x.kFactor !== null && x.invitees > 0).slice(0, 8).map((x) => `${clip(x.campaign ?? '（无活动）', 20)} ${x.kFactor}（${x.invitees}/${x.members}）`);
  const tail = [
    `经由推荐：入群的 ${pct(r.shares.joinShare)}（${r.shares.referredJoined}/${r.shares.joined}），收入的 ${pct(r.shares.revenueShare)}（${money(r.shares.value)} 中有 ${money(r.shares.referralValue)} 归因到推荐环节）。`,
    k.length > 0 ? `各活动的 k 因子（经由该活动入群的每位成员带来的受邀人数）：${k.join('；')}` : '各活动的 k 因子：计入的邀请还没有带活动的。',
    '收入：受邀人入群后购买的金额，按所选模型归因；邀请：计入的受邀人数（入群：全部）；d7：第 7 天仍在群；二度：其受邀人又带来的人数。',
    ...r.notes,
  ];
  return [{ type: 'text', text: `${head}\n${table(['邀请人', '收入', '邀请', '入群', 'd7', '互动', '转化', '二度'], rows)}${more.length > 0 ? `\n${more.join('')}` : ''}`, monospace: true }, text(tail.join('\n'))];
}

export const referrals = defineCommand<ReferralsArgs>({
  spec: { name: 'referrals', access: 'manager', usage: '/referrals [period] [group=<id or title>] [model=<model>]', description: 'Who brought whom, and what their invitees bought', audited: true, report: true },
  async parse(ctx) {
    if (!reportsOf(ctx).referrals) throw new PlatformRefusedError('Referral reports are not available on this installation yet.');
    const { words: groupWords, rest } = takeNameOption(ctx.args, 'group');
    const { options, positional } = splitOptions(rest);
    onlyOptions(options, ['model']);
    const model = checked(() => parseModel(options.get('model')));
    const tz = ctx.access.settings.timezone;
    if (groupWords === undefined) {
      const { period, rest: left } = periodOf(positional, ctx.req.now, tz);
      if (left.length > 0) throw new UsageError(referrals.spec.usage);
      return { period, model };
    }
    const found = await findGroup(ctx.store, ctx.req, groupWords);
    if ('error' in found) throw new UsageError(found.error);
    const { period, rest: left } = periodOf([...positional, ...found.rest], ctx.req.now, tz);
    if (left.length > 0) throw new UsageError(referrals.spec.usage);
    return { period, model, chatId: found.group.chatId, title: found.group.title };
  },
  async run(ctx, { period, model, chatId, title }) {
    const run = reportsOf(ctx).referrals;
    if (!run) throw new PlatformRefusedError('Referral reports are not available on this installation yet.');
    const r = await run.call(reportsOf(ctx), ctx.req.workspace, { period, model, ...(chatId !== undefined ? { chatId } : {}) });
    return { answers: renderReferrals(r, title, languageOf(ctx.req.user.languageCode)), detail: `period ${period.label} model ${model}${chatId !== undefined ? ` group ${chatId}` : ''}` };
  },
});
