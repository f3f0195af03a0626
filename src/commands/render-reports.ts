/**
 * Reports as chat answers: compact fixed-width text tables (CJK-aware widths) and chart
 * images. Pure apart from chart rendering.
 */
import { displayWidth } from '../attribution/format-table.js';
import { renderBarChart, renderFunnelChart } from '../charts/index.js';
import { localDay } from '../reports/period.js';
import type {
  AttributionReport,
  FunnelReport,
  GroupStatsReport,
  JourneyReport,
  ModelComparison,
} from '../reports/report-types.js';
import type { Answer } from './command-types.js';
import { memberLabel, plural, rowLabel } from './wording.js';

/** Widest label column in tables, in display cells (a CJK character is two). */
export const LABEL_CELLS = 16;
/** Most rows in a chat table; the rest are summed up in one line. */
export const MAX_TABLE_ROWS = 15;

/** Short model names for narrow tables. */
export const MODEL_SHORT: Record<string, string> = {
  first_touch: 'first',
  last_touch: 'last',
  linear: 'linear',
  position_based: 'u-shape',
  time_decay: 'decay',
  markov: 'markov',
  shapley: 'shapley',
};

/** `n` with at most one decimal, thousands grouped. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const r = Math.round(n * 10) / 10;
  return r.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

export function signed(n: number): string {
  const s = num(n);
  return n > 0.05 ? `+${s}` : s;
}

export function pct(rate: number): string {
  return Number.isFinite(rate) ? `${Math.round(rate * 100)}%` : '–';
}

/** `text` cut with `…` to at most `cells` display cells. */
export function clip(text: string, cells: number): string {
  const clean = text.replace(/[\p{Cc}\p{Cf}]/gu, ' ').replace(/\s+/g, ' ').trim() || '(none)';
  if (displayWidth(clean) <= cells) return clean;
  let out = '';
  for (const ch of clean) {
    if (displayWidth(out + ch) > cells - 1) break;
    out += ch;
  }
  return out + '…';
}

function padCells(text: string, cells: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, cells - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** A fixed-width table: first column left-aligned, the others right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => padCells(c, widths[i] ?? 0, i > 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function periodLine(p: { label: string; from: string; to: string }, timeZone: string): string {
  const last = new Date(Date.parse(p.to) - 1);
  return `${p.label} (${localDay(p.from, timeZone)} – ${localDay(last.getTime(), timeZone)})`;
}

const DIMENSION_TITLE: Record<string, string> = { group: 'group', campaign: 'campaign', keyword: 'keyword', link: 'link', platform: 'platform' };

function moreLine(hidden: number): string[] {
  return hidden > 0 ? [`… ${hidden} more ${plural(hidden, 'row')} (use /export for all)`] : [];
}

export interface RenderOptions {
  timeZone: string;
  /** Draw chart images (default true). */
  charts?: boolean;
}

/** `/report`: totals, then a table (credited vs last touch), then a bar chart. */
export async function renderAttribution(r: AttributionReport, o: RenderOptions): Promise<Answer[]> {
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  const head = [
    `Attribution by ${DIMENSION_TITLE[r.by] ?? r.by} · ${r.model} vs last touch`,
    `Period: ${periodLine(r.period, o.timeZone)}`,
    `Conversions: ${num(r.totals.conversions)} (value ${num(r.totals.value)}${r.currencies.length > 0 ? ` ${r.currencies.join('/')}` : ''}) · matched ${pct(r.totals.matchRate)}`,
    `Not attributed: ${num(r.totals.unattributed.conversions)} (value ${num(r.totals.unattributed.value)})` +
      (r.totals.lowConfidence > 0 ? ` · ${r.totals.lowConfidence} matched by username only` : ''),
    ...(r.totals.pending !== undefined && r.totals.pending > 0 ? [`Not reconciled yet: ${num(r.totals.pending)}`] : []),
    ...(r.notes ?? []).slice(0, 5).map((n) => `Note: ${n}`),
  ].join('\n');
  const body =
    shown.length === 0
      ? 'No credited conversions in this period.'
      : table(
          [DIMENSION_TITLE[r.by] ?? r.by, 'conv', 'value', 'last', 'Δ'],
          shown.map((row) => [clip(rowLabel(r.by, row), LABEL_CELLS), num(row.credited.conversions), num(row.credited.value), num(row.lastTouch.conversions), signed(row.difference.conversions)]),
        ) + (r.rows.length > shown.length ? '\n' + moreLine(r.rows.length - shown.length).join('') : '');
  const answers: Answer[] = [];
  if (o.charts !== false && r.rows.length > 0) {
    const png = await renderBarChart({
      title: `Credited conversions by ${DIMENSION_TITLE[r.by] ?? r.by}`,
      subtitle: `${r.period.label} · ${r.model} vs last touch · ${num(r.totals.conversions)} ${plural(r.totals.conversions, 'conversion')}, ${pct(r.totals.matchRate)} matched`,
      series: [r.model, 'last touch'],
      rows: r.rows.map((row) => ({ label: rowLabel(r.by, row), values: [row.credited.conversions, row.lastTouch.conversions] })),
    });
    answers.push({ type: 'photo', png, caption: `Attribution by ${r.by} · ${r.period.label} · ${r.model} vs last touch` });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}`, monospace: true });
  return answers;
}

/** `/models`: one column per model (credited conversions), rows by dimension. */
export async function renderComparison(c: ModelComparison, o: RenderOptions): Promise<Answer[]> {
  const shown = c.rows.slice(0, MAX_TABLE_ROWS);
  const head = [
    `Models side by side by ${c.by} (credited conversions)`,
    `Period: ${periodLine(c.period, o.timeZone)}`,
    `Conversions: ${num(c.totals.conversions)} · matched ${pct(c.totals.matchRate)} · not attributed ${num(c.totals.unattributed.conversions)}`,
    ...(c.notes ?? []).slice(0, 5).map((n) => `Note: ${n}`),
  ].join('\n');
  const body =
    shown.length === 0
      ? 'No credited conversions in this period.'
      : table(
          [c.by, ...c.models.map((m) => MODEL_SHORT[m] ?? m)],
          shown.map((row) => [clip(rowLabel(c.by, row), 12), ...c.models.map((m) => num(row.byModel[m]?.conversions ?? 0))]),
        ) + (c.rows.length > shown.length ? '\n' + moreLine(c.rows.length - shown.length).join('') : '');
  const answers: Answer[] = [];
  if (o.charts !== false && c.rows.length > 0) {
    const png = await renderBarChart({
      title: `Every model by ${c.by}`,
      subtitle: `${c.period.label} · credited conversions per model`,
      series: c.models.map((m) => MODEL_SHORT[m] ?? m),
      rows: c.rows.map((row) => ({ label: rowLabel(c.by, row), values: c.models.map((m) => row.byModel[m]?.conversions ?? 0) })),
      maxRows: 6,
    });
    answers.push({ type: 'photo', png, caption: `Models compared by ${c.by} · ${c.period.label}` });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}`, monospace: true });
  return answers;
}

/** `/funnel`: table per row and a funnel chart of the total (or the one row asked for). */
export async function renderFunnel(f: FunnelReport, o: RenderOptions & { title?: string }): Promise<Answer[]> {
  const shown = f.rows.slice(0, MAX_TABLE_ROWS);
  const head = [`Funnel by ${f.by}${o.title ? ` · ${o.title}` : ''}`, `Period: ${periodLine(f.period, o.timeZone)}`].join('\n');
  const body =
    shown.length === 0
      ? 'Nobody joined in this period.'
      : table(
          [f.by, 'joined', 'engaged', 'clicked', 'conv', 'days'],
          shown.map((r) => [
            clip(rowLabel(f.by, r), 12),
            num(r.joined),
            `${num(r.engaged)} ${pct(r.engagedRate)}`,
            `${num(r.clicked)} ${pct(r.clickedRate)}`,
            `${num(r.converted)} ${pct(r.convertedRate)}`,
            r.medianDaysToConvert === null ? '–' : num(r.medianDaysToConvert),
          ]),
        ) + (f.rows.length > shown.length ? '\n' + moreLine(f.rows.length - shown.length).join('') : '');
  const answers: Answer[] = [];
  if (o.charts !== false && f.rows.length > 0) {
    const sum = (k: 'joined' | 'engaged' | 'clicked' | 'converted'): number => f.rows.reduce((s, r) => s + r[k], 0);
    const one = f.rows.length === 1 ? f.rows[0] : undefined;
    const png = await renderFunnelChart({
      title: `Funnel · ${one ? rowLabel(f.by, one) : `all ${f.by}s`}`,
      subtitle: f.period.label,
      steps: [
        { label: 'joined', value: sum('joined') },
        { label: 'engaged', value: sum('engaged') },
        { label: 'clicked', value: sum('clicked') },
        { label: 'converted', value: sum('converted') },
      ],
      ...(one && one.medianDaysToConvert !== null ? { footnote: `median ${num(one.medianDaysToConvert)} ${plural(one.medianDaysToConvert, 'day')} from joining to converting` } : {}),
    });
    answers.push({ type: 'photo', png, caption: `Funnel · ${f.period.label}` });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}\n\ndays: median days from joining to the first conversion`, monospace: true });
  return answers;
}

/** `/groupstats`: joins and leaves by campaign, activity, top keywords; a chart of joins by campaign. */
export async function renderGroupStats(g: GroupStatsReport, o: RenderOptions & { groupTitle?: string }): Promise<Answer[]> {
  const messages = g.days.reduce((s, d) => s + d.messages, 0);
  const hits = g.days.reduce((s, d) => s + d.keywordHits, 0);
  const joins = g.days.reduce((s, d) => s + d.joins, 0);
  const leaves = g.days.reduce((s, d) => s + d.leaves, 0);
  const head = [
    `Group stats · ${o.groupTitle ?? 'all groups'}`,
    `Period: ${periodLine(g.period, o.timeZone)}`,
    `Joins ${num(joins)} · leaves ${num(leaves)} · net ${signed(joins - leaves)}`,
    `Active members ${num(g.activeMembers)} · messages ${num(messages)} · keyword hits ${num(hits)}`,
  ].join('\n');
  const campaigns =
    g.joinsByCampaign.length === 0
      ? 'No joins in this period.'
      : table(
          ['campaign', 'joins', 'leaves'],
          g.joinsByCampaign.slice(0, MAX_TABLE_ROWS).map((c) => [clip(c.campaign ?? '(no campaign)', LABEL_CELLS), num(c.joins), num(c.leaves)]),
        );
  const keywords =
    g.topKeywords.length === 0 ? '' : '\n\n' + table(['keyword', 'hits'], g.topKeywords.slice(0, 10).map((k) => [clip(k.keyword, LABEL_CELLS), num(k.count)]));
  const answers: Answer[] = [];
  if (o.charts !== false && g.joinsByCampaign.length > 0) {
    const png = await renderBarChart({
      title: `Joins by campaign · ${o.groupTitle ?? 'all groups'}`,
      subtitle: g.period.label,
      series: ['joins', 'leaves'],
      rows: g.joinsByCampaign.map((c) => ({ label: c.campaign ?? '(no campaign)', values: [c.joins, c.leaves] })),
    });
    answers.push({ type: 'photo', png, caption: `Joins by campaign · ${g.period.label}` });
  }
  answers.push({ type: 'text', text: `${head}\n\n${campaigns}${keywords}`, monospace: true });
  return answers;
}

const KIND_LABEL: Record<string, string> = {
  join: 'joined',
  leave: 'left',
  keyword: 'keywords',
  mention: 'mentioned',
  link_posted: 'posted a link',
  link_click: 'clicked a link',
  dm_start: 'started the bot',
  message: 'message',
};

/** Most timeline lines in a `/journey` answer (the latest ones). */
export const MAX_JOURNEY_LINES = 40;

function localTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return parts.replace(',', '');
}

/** `/journey`: one line per touch and conversion, in time order, in the workspace's time zone. */
export function renderJourney(j: JourneyReport, o: RenderOptions & { who?: string }): Answer[] {
  type Line = { at: string; text: string };
  const lines: Line[] = [
    ...j.touches.map((t) => ({
      at: t.at,
      text: [
        KIND_LABEL[t.kind] ?? t.kind,
        t.chatTitle ? clip(t.chatTitle, 20) : t.platform === 'web' ? '' : t.chatId,
        t.campaign ? `campaign ${t.campaign}` : '',
        t.keywords && t.keywords.length > 0 ? `[${t.keywords.slice(0, 5).join(', ')}]` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    })),
    ...j.conversions.map((c) => ({ at: c.at, text: `★ converted ${num(c.value)} ${c.currency} (${c.rule})` })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const hidden = Math.max(0, lines.length - MAX_JOURNEY_LINES) + (j.touchesOmitted ?? 0);
  const shown = lines.slice(Math.max(0, lines.length - MAX_JOURNEY_LINES));
  const head = [
    `Journey of ${o.who ?? memberLabel(j)}`,
    `First seen ${j.firstSeenAt ? localTime(j.firstSeenAt, o.timeZone) : '–'} · ${j.touches.length} ${plural(j.touches.length, 'touch', 'touches')} · ${j.conversions.length} ${plural(j.conversions.length, 'conversion')}`,
  ].join('\n');
  const body = shown.length === 0 ? 'No touches recorded.' : (hidden > 0 ? `… ${hidden} earlier ${plural(hidden, 'line')}\n` : '') + shown.map((l) => `${localTime(l.at, o.timeZone)}  ${l.text}`).join('\n');
  return [{ type: 'text', text: `${head}\n\n${body}`, monospace: true }];
}
