/**
 * Plain-text renderings of reports for the CLI (and chat, in a monospace block): aligned by
 * display width so Chinese group names line up, figures with 2 decimals.
 */
import { displayWidth } from '../attribution/index.js';
import type { AttributionReport, FunnelReport, GroupStatsReport, ModelComparison } from './report-types.js';

/** Aligns rows of cells by display width; by default the first column left, the others (figures) right. */
export function alignTable(rows: readonly string[][], rightAligned: (column: number) => boolean = (i) => i > 0): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(c))));
  return rows
    .map((r) =>
      r
        .map((c, i) => {
          const gap = ' '.repeat((widths[i] ?? 0) - displayWidth(c));
          return rightAligned(i) ? gap + c : c + gap;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const num = (x: number): string => x.toFixed(2);
const signed = (x: number): string => (x > 0 ? `+${x.toFixed(2)}` : x.toFixed(2));
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function totalsLines(r: Pick<AttributionReport, 'totals' | 'currencies' | 'notes'>): string[] {
  const t = r.totals;
  const cur = r.currencies.join('/') || '';
  const lines = [
    `conversions ${t.conversions}  value ${num(t.value)} ${cur}  matched ${t.matched}  match rate ${pct(t.matchRate)}  low confidence ${t.lowConfidence}`,
    `unattributed ${t.unattributed.conversions} conversions, ${num(t.unattributed.value)} ${cur}${t.pending ? ` (${t.pending} not reconciled yet)` : ''}`,
  ];
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  return lines;
}

export function formatAttributionReport(r: AttributionReport): string {
  const header = ['', `${r.model} conv`, `${r.model} value`, 'last_touch conv', 'last_touch value', 'diff conv', 'diff value'];
  const rows = r.rows.map((x) => [
    x.label === x.key ? x.key : `${x.label} (${x.key})`,
    num(x.credited.conversions),
    num(x.credited.value),
    num(x.lastTouch.conversions),
    num(x.lastTouch.value),
    signed(x.difference.conversions),
    signed(x.difference.value),
  ]);
  const title = `${r.workspace}: credit by ${r.by} under ${r.model}, ${r.period.label} (${r.period.from} .. ${r.period.to})`;
  return [title, '', alignTable([header, ...rows]), '', ...totalsLines(r)].join('\n') + '\n';
}

export function formatModelComparison(r: ModelComparison): string {
  const header = ['', ...r.models.map((m) => `${m} conv`)];
  const rows = r.rows.map((x) => [x.label === x.key ? x.key : `${x.label} (${x.key})`, ...r.models.map((m) => num(x.byModel[m]?.conversions ?? 0))]);
  const title = `${r.workspace}: conversions by ${r.by} under every model, ${r.period.label}`;
  return [title, '', alignTable([header, ...rows]), '', ...totalsLines({ totals: r.totals, currencies: r.currencies ?? [], ...(r.notes ? { notes: r.notes } : {}) })].join('\n') + '\n';
}

export function formatFunnelReport(r: FunnelReport): string {
  const header = ['', 'joined', 'engaged', 'clicked', 'converted', 'engaged %', 'clicked %', 'converted %', 'median days', 'value'];
  const rows = r.rows.map((x) => [
    x.label === x.key ? x.key : `${x.label} (${x.key})`,
    String(x.joined),
    String(x.engaged),
    String(x.clicked),
    String(x.converted),
    pct(x.engagedRate),
    pct(x.clickedRate),
    pct(x.convertedRate),
    x.medianDaysToConvert === null ? '-' : num(x.medianDaysToConvert),
    num(x.value),
  ]);
  const notes = (r.notes ?? []).map((n) => `note: ${n}`);
  return [`${r.workspace}: funnel by ${r.by}, ${r.period.label} (people; all: each person once)`, '', alignTable([header, ...rows]), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n') + '\n';
}

export function formatGroupStats(r: GroupStatsReport): string {
  const joins = alignTable([['campaign', 'joins', 'leaves'], ...r.joinsByCampaign.map((c) => [c.campaign ?? '(none)', String(c.joins), String(c.leaves)])]);
  const days = alignTable([['day', 'messages', 'keyword hits', 'joins', 'leaves'], ...r.days.map((d) => [d.day, String(d.messages), String(d.keywordHits), String(d.joins), String(d.leaves)])]);
  const kws = r.topKeywords.map((k) => `${k.keyword} ${k.count}`).join(', ') || '-';
  const links = (r.topLinks ?? []).map((l) => `${l.link} ${l.clicks}`).join(', ') || '-';
  const notes = (r.notes ?? []).map((n) => `note: ${n}`);
  return (
    [
      `${r.workspace}: group stats${r.chatId ? ` of ${r.chatId}` : ''}, ${r.period.label}`,
      `active members ${r.activeMembers}${r.clicks !== undefined ? `  link clicks ${r.clicks}` : ''}`,
      '',
      joins,
      '',
      days,
      '',
      `top keywords: ${kws}`,
      ...(r.topLinks ? [`top links: ${links}`] : []),
      ...(notes.length > 0 ? ['', ...notes] : []),
    ].join('\n') + '\n'
  );
}
