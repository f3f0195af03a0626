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
import type { CampaignCard, CampaignReport } from './campaign-card.js';
import { describeTarget, money, percent, ratio } from './campaign-target.js';
import type { CohortReport } from './cohort-report.js';
import type { PathsReport } from './paths-report.js';

function periodLine(p: Period, timeZone: string): string {
  return `${p.label} (${localDay(p.from, timeZone)} – ${localDay(Date.parse(p.to) - 1, timeZone)})`;
}

const notesLines = (notes: readonly string[]): string[] => notes.slice(0, 5).map((n) => `Note: ${n}`);

function retentionText(c: CampaignCard): string {
  const r = (d: number, x: CampaignCard['retainedD7']): string => `day ${d} ${x.share === null ? '– (not reached yet)' : `${percent(x.share)} of ${x.people}`}`;
  return `still in: ${r(7, c.retainedD7)}, ${r(30, c.retainedD30)}`;
}

/** One campaign's card. */
export function formatCampaignCard(r: CampaignReport, c: CampaignCard, timeZone: string): string {
  const platforms = Object.entries(c.joinsByPlatform).map(([p, n]) => `${p} ${n}`).join(', ');
  const lines = [
    `Campaign ${c.label} · goal ${c.goal ?? 'not set'}${c.target ? ` · target ${describeTarget(c.target)}` : ''}${c.from || c.to ? ` · runs ${c.from ?? '…'}..${c.to ?? '…'}` : ''}`,
    `Period: ${periodLine(r.period, timeZone)}`,
    c.headline,
    '',
    `joins ${c.joins}${platforms ? ` (${platforms})` : ''} · ${retentionText(c)}`,
    `engaged ${c.engaged} · clicked ${c.clicked} · converted ${c.converted} · median ${c.medianDaysToConvert === null ? '–' : num(c.medianDaysToConvert)} days to convert`,
    `spend ${money(c.spend, r.currency)}${c.costPerJoin !== null ? ` · ${money(c.costPerJoin, r.currency)} per join` : ''}`,
    '',
    table(
      ['model', 'conv', 'revenue', 'CAC', 'ROAS'],
      MODEL_NAMES.map((m) => [MODEL_SHORT[m] ?? m, num(c.credited[m]), money(c.revenue[m], r.currency), money(c.cac[m], r.currency), ratio(c.roas[m])]),
    ),
    ...notesLines(r.notes),
  ];
  return lines.join('\n');
}

/** Every campaign: one headline each, then a table. */
export function formatCampaigns(r: CampaignReport, timeZone: string): string {
  if (r.rows.length === 0) return [`Campaigns · ${periodLine(r.period, timeZone)}`, 'No campaign had joins, credit or spend in this period, and none has a goal yet (/goal).'].join('\n');
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  const m = r.model;
  return [
    `Campaigns · ${periodLine(r.period, timeZone)} · CAC and ROAS under ${m}`,
    '',
    ...shown.map((c) => `• ${c.label}: ${c.headline}`),
    '',
    table(
      ['campaign', 'goal', 'joins', 'd30', 'conv', 'spend', 'CAC', 'ROAS'],
      shown.map((c) => [clip(c.label, 14), c.goal ?? '?', num(c.joins), percent(c.retainedD30.share), num(c.converted), money(c.spend, r.currency), money(c.cac[m], r.currency), ratio(c.roas[m])]),
    ),
    ...(r.rows.length > shown.length ? [`… ${r.rows.length - shown.length} more (see the API or CLI for all)`] : []),
    ...notesLines(r.notes),
  ].join('\n');
}

/** The cohort table: per cohort, per week since joining, share still in / share active. */
export function formatCohorts(r: CohortReport, timeZone: string): string {
  if (r.rows.length === 0) return [`Cohorts by ${r.by} · ${periodLine(r.period, timeZone)}`, 'Nobody joined in this period.'].join('\n');
  const weeks = Math.max(0, ...r.rows.map((c) => c.weeks.length));
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  return [
    `Cohorts by ${r.by === 'week' ? 'join week' : 'join campaign'} · ${periodLine(r.period, timeZone)}`,
    'Each cell: % still in the group / % who wrote there, per week since joining',
    '',
    table(
      [r.by === 'week' ? 'joined in' : 'campaign', 'people', ...Array.from({ length: weeks }, (_, w) => `w${w}`)],
      shown.map((c) => [clip(r.by === 'week' ? c.key : c.label, 12), num(c.joined), ...Array.from({ length: weeks }, (_, w) => {
        const x = c.weeks[w];
        return x ? `${Math.round(x.member * 100)}/${Math.round(x.active * 100)}` : '';
      })]),
    ),
    ...(r.rows.length > shown.length ? [`… ${r.rows.length - shown.length} more cohorts`] : []),
    ...notesLines(r.notes),
  ].join('\n');
}

/** The cohort table as chat answers: the heat map (when charts are on) and the text table. */
export async function renderCohorts(r: CohortReport, o: { timeZone: string; charts: boolean }): Promise<Answer[]> {
  const answers: Answer[] = [];
  const weeks = Math.max(0, ...r.rows.map((c) => c.weeks.length));
  if (o.charts && r.rows.length > 0 && weeks > 0) {
    const png = await renderHeatmap({
      title: `Retention by ${r.by === 'week' ? 'join week' : 'join campaign'}`,
      subtitle: periodLine(r.period, o.timeZone),
      columns: Array.from({ length: weeks }, (_, w) => `week ${w}`),
      rows: r.rows.map((c) => ({ label: r.by === 'week' ? c.key : c.label, note: `${c.joined} people`, cells: Array.from({ length: weeks }, (_, w) => (c.weeks[w] ? { value: c.weeks[w].member, second: c.weeks[w].active } : null)) })),
      legend: 'colour and large figure: share still in the group; small figure: share who wrote there that week',
    });
    answers.push({ type: 'photo', png, caption: `Cohorts by ${r.by} · ${r.period.label}` });
  }
  answers.push({ type: 'text', text: formatCohorts(r, o.timeZone), monospace: true });
  return answers;
}

/** Time lag, path length, top paths and assists. */
export function formatPaths(r: PathsReport, timeZone: string): string {
  if (r.conversions === 0) return [`Paths by ${r.by} · ${periodLine(r.period, timeZone)}`, 'No converting journey in this period.'].join('\n');
  const dist = (list: ReadonlyArray<{ bucket: string; conversions: number }>): string => list.map((b) => `${b.bucket}: ${num(b.conversions)}`).join(' · ');
  const rows = r.rows.slice(0, MAX_TABLE_ROWS);
  return [
    `Paths by ${r.by} · ${periodLine(r.period, timeZone)} · ${num(r.conversions)} converting journeys`,
    `Days from first touch to conversion — ${dist(r.timeLag)}`,
    `Touches before conversion — ${dist(r.pathLength)}`,
    '',
    'Top converting paths:',
    ...r.topPaths.map((p, i) => `${i + 1}. ${p.labels.map((l) => clip(l, 16)).join(' → ')}  (${num(p.conversions)} conv, ${num(p.value)})`),
    '',
    table(
      [r.by, 'assists', 'last', 'ratio', 'sens.'],
      rows.map((x) => [clip(x.label, 16), num(x.assists), num(x.lastTouch), x.assistRatio === null ? '–' : ratio(x.assistRatio), `${Math.round(x.sensitivity * 100)} pt`]),
    ),
    'ratio = assists ÷ last-touch conversions; sens. = largest − smallest share of credit across the seven models',
    ...notesLines(r.notes),
  ].join('\n');
}
