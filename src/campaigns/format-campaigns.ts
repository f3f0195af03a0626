/**
 * The campaign, cohort and paths reports as text (the CLI prints these; the bot sends them as
 * fixed-width tables, the cohort table with a heat map). Spend never entered shows `–`, never 0.
 */
import { MODEL_NAMES } from '../attribution/index.js';
import { renderHeatmap } from '../charts/index.js';
import type { Answer } from '../commands/command-types.js';
import { clip, MAX_TABLE_ROWS, MODEL_SHORT, num, table } from '../commands/render-reports.js';
import { localDay } from '../reports/period.js';
import type { Period } from '../reports/period.js';
import { dimensionName, modelShortName, t, type Lang } from '../i18n/index.js';
import { headline, type CampaignCard, type CampaignReport } from './campaign-card.js';
import { describeTarget, goalName, money, percent, ratio } from './campaign-target.js';
import type { CohortReport } from './cohort-report.js';
import type { PathsReport } from './paths-report.js';

function periodLine(p: Period, timeZone: string): string {
  return `${p.label} (${localDay(p.from, timeZone)} – ${localDay(Date.parse(p.to) - 1, timeZone)})`;
}

const notesLines = (notes: readonly string[], lang: Lang = 'en'): string[] => notes.slice(0, 5).map((n) => t(lang, 'report.note', { note: n }));

function retentionText(c: CampaignCard, lang: Lang): string {
  if (lang === 'zh') {
    const r = (d: number, x: CampaignCard['retainedD7']): string => `第 ${d} 天 ${x.share === null ? '–（尚未到期）' : `${x.people} 人中 ${percent(x.share)}`}`;
    return `仍在群：${r(7, c.retainedD7)}，${r(30, c.retainedD30)}`;
  }
  const r = (d: number, x: CampaignCard['retainedD7']): string => `day ${d} ${x.share === null ? '– (not reached yet)' : `${percent(x.share)} of ${x.people}`}`;
  return `still in: ${r(7, c.retainedD7)}, ${r(30, c.retainedD30)}`;
}

/** The card's headline in `lang` (worded again from the card's figures when not English). */
function headlineIn(r: CampaignReport, c: CampaignCard, lang: Lang): string {
  return lang === 'en' ? c.headline : headline(c, r.currency, r.model, lang).headline;
}

/** One campaign's card, in `lang` (default English); the campaign's name as written. */
export function formatCampaignCard(r: CampaignReport, c: CampaignCard, timeZone: string, lang: Lang = 'en'): string {
  const platforms = Object.entries(c.joinsByPlatform).map(([p, n]) => `${p} ${n}`).join(', ');
  const zh = lang === 'zh';
  const median = c.medianDaysToConvert === null ? '–' : num(c.medianDaysToConvert);
  const lines = zh
    ? [
        `活动 ${c.label} · 目标 ${c.goal ? goalName(c.goal, lang) : '未设定'}${c.target ? ` · 目标值 ${describeTarget(c.target, lang)}` : ''}${c.from || c.to ? ` · 投放期 ${c.from ?? '…'}..${c.to ?? '…'}` : ''}`,
        t(lang, 'report.period', { period: periodLine(r.period, timeZone) }),
        headlineIn(r, c, lang),
        '',
        `入群 ${c.joins}${platforms ? `（${platforms}）` : ''} · ${retentionText(c, lang)}`,
        `互动 ${c.engaged} · 点击 ${c.clicked} · 转化 ${c.converted} · 转化中位天数 ${median} 天`,
        `花费 ${money(c.spend, r.currency)}${c.costPerJoin !== null ? ` · 每人入群成本 ${money(c.costPerJoin, r.currency)}` : ''}`,
      ]
    : [
        `Campaign ${c.label} · goal ${c.goal ?? 'not set'}${c.target ? ` · target ${describeTarget(c.target)}` : ''}${c.from || c.to ? ` · runs ${c.from ?? '…'}..${c.to ?? '…'}` : ''}`,
        `Period: ${periodLine(r.period, timeZone)}`,
        c.headline,
        '',
        `joins ${c.joins}${platforms ? ` (${platforms})` : ''} · ${retentionText(c, lang)}`,
        `engaged ${c.engaged} · clicked ${c.clicked} · converted ${c.converted} · median ${median} days to convert`,
        `spend ${money(c.spend, r.currency)}${c.costPerJoin !== null ? ` · ${money(c.costPerJoin, r.currency)} per join` : ''}`,
      ];
  lines.push(
    '',
    table(
      zh ? ['模型', '转化', '收入', 'CAC', 'ROAS'] : ['model', 'conv', 'revenue', 'CAC', 'ROAS'],
      MODEL_NAMES.map((m) => [modelShortName(lang, m, MODEL_SHORT[m] ?? m), num(c.credited[m]), money(c.revenue[m], r.currency), money(c.cac[m], r.currency), ratio(c.roas[m])]),
    ),
    ...notesLines(r.notes, lang),
  );
  return lines.join('\n');
}

/** Every campaign: one headline each, then a table; in `lang` (default English), names as written. */
export function formatCampaigns(r: CampaignReport, timeZone: string, lang: Lang = 'en'): string {
  const zh = lang === 'zh';
  if (r.rows.length === 0) {
    return zh
      ? [`活动 · ${periodLine(r.period, timeZone)}`, '此时间段内没有活动产生入群、归因或花费，也还没有活动设定目标（/goal）。'].join('\n')
      : [`Campaigns · ${periodLine(r.period, timeZone)}`, 'No campaign had joins, credit or spend in this period, and none has a goal yet (/goal).'].join('\n');
  }
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  const m = r.model;
  const hidden = r.rows.length - shown.length;
  return [
    zh ? `活动 · ${periodLine(r.period, timeZone)} · CAC 和 ROAS 按 ${m} 模型` : `Campaigns · ${periodLine(r.period, timeZone)} · CAC and ROAS under ${m}`,
    '',
    ...shown.map((c) => `• ${c.label}${zh ? '：' : ': '}${headlineIn(r, c, lang)}`),
    '',
    table(
      zh ? ['活动', '目标', '入群', 'd30', '转化', '花费', 'CAC', 'ROAS'] : ['campaign', 'goal', 'joins', 'd30', 'conv', 'spend', 'CAC', 'ROAS'],
      shown.map((c) => [clip(c.label, 14), c.goal ? goalName(c.goal, lang) : '?', num(c.joins), percent(c.retainedD30.share), num(c.converted), money(c.spend, r.currency), money(c.cac[m], r.currency), ratio(c.roas[m])]),
    ),
    ...(hidden > 0 ? [zh ? `… 另有 ${hidden} 个（完整列表见 API 或 CLI）` : `… ${hidden} more (see the API or CLI for all)`] : []),
    ...notesLines(r.notes, lang),
  ].join('\n');
}

/** A cohort report's grouping in Chinese: by join week or by join campaign. */
const cohortByZh = (by: CohortReport['by']): string => (by === 'week' ? '入群周' : '入群活动');

/** The cohort table: per cohort, per week since joining, share still in / share active; in `lang` (default English). */
export function formatCohorts(r: CohortReport, timeZone: string, lang: Lang = 'en'): string {
  const zh = lang === 'zh';
  if (r.rows.length === 0) {
    return zh
      ? [`按${cohortByZh(r.by)}的留存队列 · ${periodLine(r.period, timeZone)}`, '此时间段内没有人入群。'].join('\n')
      : [`Cohorts by ${r.by} · ${periodLine(r.period, timeZone)}`, 'Nobody joined in this period.'].join('\n');
  }
  const weeks = Math.max(0, ...r.rows.map((c) => c.weeks.length));
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  const hidden = r.rows.length - shown.length;
  return [
    zh ? `按${cohortByZh(r.by)}的留存队列 · ${periodLine(r.period, timeZone)}` : `Cohorts by ${r.by === 'week' ? 'join week' : 'join campaign'} · ${periodLine(r.period, timeZone)}`,
    zh ? '每格：仍在群的比例 / 在群里发过言的比例，按入群后的周数' : 'Each cell: % still in the group / % who wrote there, per week since joining',
    '',
    table(
      [zh ? (r.by === 'week' ? '入群周' : '活动') : r.by === 'week' ? 'joined in' : 'campaign', zh ? '人数' : 'people', ...Array.from({ length: weeks }, (_, w) => `w${w}`)],
      shown.map((c) => [clip(r.by === 'week' ? c.key : c.label, 12), num(c.joined), ...Array.from({ length: weeks }, (_, w) => {
        const x = c.weeks[w];
        return x ? `${Math.round(x.member * 100)}/${Math.round(x.active * 100)}` : '';
      })]),
    ),
    ...(hidden > 0 ? [zh ? `… 另有 ${hidden} 个队列` : `… ${hidden} more cohorts`] : []),
    ...notesLines(r.notes, lang),
  ].join('\n');
}

/** The cohort table as chat answers: the heat map (when charts are on) and the text table; in `o.lang` (default English). */
export async function renderCohorts(r: CohortReport, o: { timeZone: string; charts: boolean; lang?: Lang }): Promise<Answer[]> {
  const lang = o.lang ?? 'en';
  const zh = lang === 'zh';
  const answers: Answer[] = [];
  const weeks = Math.max(0, ...r.rows.map((c) => c.weeks.length));
  if (o.charts && r.rows.length > 0 && weeks > 0) {
    const png = await renderHeatmap({
      title: zh ? `按${cohortByZh(r.by)}的留存` : `Retention by ${r.by === 'week' ? 'join week' : 'join campaign'}`,
      subtitle: periodLine(r.period, o.timeZone),
      columns: Array.from({ length: weeks }, (_, w) => (zh ? `第 ${w} 周` : `week ${w}`)),
      rows: r.rows.map((c) => ({ label: r.by === 'week' ? c.key : c.label, note: zh ? `${c.joined} 人` : `${c.joined} people`, cells: Array.from({ length: weeks }, (_, w) => (c.weeks[w] ? { value: c.weeks[w].member, second: c.weeks[w].active } : null)) })),
      legend: zh ? '颜色和大数字：仍在群的比例；小数字：当周在群里发过言的比例' : 'colour and large figure: share still in the group; small figure: share who wrote there that week',
    });
    answers.push({ type: 'photo', png, caption: zh ? `按${cohortByZh(r.by)}的留存队列 · ${r.period.label}` : `Cohorts by ${r.by} · ${r.period.label}` });
  }
  answers.push({ type: 'text', text: formatCohorts(r, o.timeZone, lang), monospace: true });
  return answers;
}

/** Time lag, path length, top paths and assists; in `lang` (default English), names as written. */
export function formatPaths(r: PathsReport, timeZone: string, lang: Lang = 'en'): string {
  const zh = lang === 'zh';
  const by = zh ? dimensionName(lang, r.by) : r.by;
  if (r.conversions === 0) {
    return zh
      ? [`按${by}的转化路径 · ${periodLine(r.period, timeZone)}`, '此时间段内没有产生转化的旅程。'].join('\n')
      : [`Paths by ${r.by} · ${periodLine(r.period, timeZone)}`, 'No converting journey in this period.'].join('\n');
  }
  const dist = (list: ReadonlyArray<{ bucket: string; conversions: number }>): string => list.map((b) => `${b.bucket}: ${num(b.conversions)}`).join(' · ');
  const rows = r.rows.slice(0, MAX_TABLE_ROWS);
  return [
    zh ? `按${by}的转化路径 · ${periodLine(r.period, timeZone)} · ${num(r.conversions)} 条转化旅程` : `Paths by ${r.by} · ${periodLine(r.period, timeZone)} · ${num(r.conversions)} converting journeys`,
    zh ? `从首次触点到转化的天数 — ${dist(r.timeLag)}` : `Days from first touch to conversion — ${dist(r.timeLag)}`,
    zh ? `转化前的触点数 — ${dist(r.pathLength)}` : `Touches before conversion — ${dist(r.pathLength)}`,
    '',
    zh ? '转化最多的路径：' : 'Top converting paths:',
    ...r.topPaths.map((p, i) => `${i + 1}. ${p.labels.map((l) => clip(l, 16)).join(' → ')}  ${zh ? `（${num(p.conversions)} 个转化，${num(p.value)}）` : `(${num(p.conversions)} conv, ${num(p.value)})`}`),
    '',
    table(
      zh ? [by, '辅助', '最后点击', '比值', '敏感度'] : [r.by, 'assists', 'last', 'ratio', 'sens.'],
      rows.map((x) => [clip(x.label, 16), num(x.assists), num(x.lastTouch), x.assistRatio === null ? '–' : ratio(x.assistRatio), `${Math.round(x.sensitivity * 100)} pt`]),
    ),
    zh ? '比值 = 辅助次数 ÷ 最后点击转化数；敏感度 = 七个模型中归因份额的最大值 − 最小值' : 'ratio = assists ÷ last-touch conversions; sens. = largest − smallest share of credit across the seven models',
    ...notesLines(r.notes, lang),
  ].join('\n');
}
