/**
 * Reports as chat answers: compact fixed-width text tables (CJK-aware widths) and chart
 * images. Pure apart from chart rendering. Where a manager asks about money (attribution, the
 * models side by side, digests) the chart shows credited value (revenue) by default; the
 * funnel's chart is the `all` row (distinct people) with the revenue they brought.
 */
import { displayWidth } from '../attribution/format-table.js';
import { formatAmount, renderBarChart, renderFunnelChart } from '../charts/index.js';
import { dimensionName, modelShortName, t, type Lang } from '../i18n/index.js';
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

function moreLine(hidden: number): string[] {
  return hidden > 0 ? [`… ${hidden} more ${plural(hidden, 'row')} (use /export for all)`] : [];
}

export interface RenderOptions {
  timeZone: string;
  /** Draw chart images (default true). */
  charts?: boolean;
  /**
   * What bar charts of credit show: `value` (revenue credited; the default when the period has
   * any value) or `conversions` (fractions of conversions credited).
   */
  view?: 'value' | 'conversions';
  /** The language of titles and headers (default English); names people gave are shown as written. */
  lang?: Lang;
}

/** The chart view: as asked, else value when there is any. */
function viewOf(o: RenderOptions, totalValue: number): 'value' | 'conversions' {
  return o.view ?? (totalValue > 0 ? 'value' : 'conversions');
}

/** `12,300 CNY` (several currencies: summed as they are, named together). */
function money(value: number, currencies: readonly string[] | undefined): string {
  return `${num(value)}${currencies && currencies.length > 0 ? ` ${currencies.join('/')}` : ''}`;
}

function notesLines(notes: readonly string[] | undefined, lang: Lang = 'en'): string[] {
  return (notes ?? []).slice(0, 5).map((n) => t(lang, 'report.note', { note: n }));
}

/** `… 3 more rows (use /export for all)` in `lang`. */
function moreText(hidden: number, lang: Lang): string {
  return lang === 'en' ? moreLine(hidden).join('') : t(lang, 'report.more', { n: hidden });
}

/** `/report`: totals, then a table (credited vs last touch), then a bar chart. */
export async function renderAttribution(r: AttributionReport, o: RenderOptions): Promise<Answer[]> {
  const lang = o.lang ?? 'en';
  const by = dimensionName(lang, r.by);
  const shown = r.rows.slice(0, MAX_TABLE_ROWS);
  const cur = r.currencies.length > 0 ? ` ${r.currencies.join('/')}` : '';
  const head = [
    t(lang, 'report.title', { by, model: r.model }),
    t(lang, 'report.period', { period: periodLine(r.period, o.timeZone) }),
    t(lang, 'report.conversions', { n: num(r.totals.conversions), value: `${num(r.totals.value)}${cur}`, rate: pct(r.totals.matchRate) }),
    t(lang, 'report.unattributed', { n: num(r.totals.unattributed.conversions), value: num(r.totals.unattributed.value) }) +
      (r.totals.lowConfidence > 0 ? t(lang, 'report.low-confidence', { n: r.totals.lowConfidence }) : ''),
    ...(r.totals.pending !== undefined && r.totals.pending > 0 ? [t(lang, 'report.pending', { n: num(r.totals.pending) })] : []),
    ...(r.notes ?? []).slice(0, 5).map((n) => t(lang, 'report.note', { note: n })),
  ].join('\n');
  const more = r.rows.length - shown.length;
  const body =
    shown.length === 0
      ? t(lang, 'report.empty')
      : table(
          [by, t(lang, 'report.col.conv'), t(lang, 'report.col.value'), t(lang, 'report.col.last'), t(lang, 'report.col.diff')],
          shown.map((row) => [clip(rowLabel(r.by, row), LABEL_CELLS), num(row.credited.conversions), num(row.credited.value), num(row.lastTouch.conversions), signed(row.difference.conversions)]),
        ) + (more > 0 ? '\n' + (lang === 'en' ? moreLine(more).join('') : t(lang, 'report.more', { n: more })) : '');
  const answers: Answer[] = [];
  if (o.charts !== false && r.rows.length > 0) {
    const view = viewOf(o, r.totals.value);
    const png = await renderBarChart({
      title: t(lang, view === 'value' ? 'report.chart.title.value' : 'report.chart.title.conversions', { by }),
      subtitle:
        lang === 'en'
          ? `${r.period.label} · ${r.model} vs last touch · ${num(r.totals.conversions)} ${plural(r.totals.conversions, 'conversion')} worth ${money(r.totals.value, r.currencies)}, ${pct(r.totals.matchRate)} matched`
          : t(lang, 'report.chart.subtitle', { period: r.period.label, model: r.model, n: num(r.totals.conversions), value: money(r.totals.value, r.currencies), rate: pct(r.totals.matchRate) }),
      series: [r.model, t(lang, 'report.chart.last')],
      rows: [...r.rows]
        .sort((a, b) => (view === 'value' ? b.credited.value - a.credited.value : b.credited.conversions - a.credited.conversions))
        .map((row) => ({ label: rowLabel(r.by, row), values: view === 'value' ? [row.credited.value, row.lastTouch.value] : [row.credited.conversions, row.lastTouch.conversions] })),
      ...(view === 'value' ? { format: formatAmount } : {}),
    });
    answers.push({ type: 'photo', png, caption: t(lang, 'report.caption', { by: lang === 'en' ? r.by : by, period: r.period.label, model: r.model }) });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}`, monospace: true });
  return answers;
}

/** `/models`: one column per model (credited conversions), rows by dimension; in `o.lang` (names as written). */
export async function renderComparison(c: ModelComparison, o: RenderOptions): Promise<Answer[]> {
  const lang = o.lang ?? 'en';
  const by = lang === 'en' ? c.by : dimensionName(lang, c.by);
  const short = (m: string): string => modelShortName(lang, m, MODEL_SHORT[m] ?? m);
  const shown = c.rows.slice(0, MAX_TABLE_ROWS);
  const head = [
    t(lang, 'models.title', { by }),
    t(lang, 'report.period', { period: periodLine(c.period, o.timeZone) }),
    t(lang, 'models.conversions', { n: num(c.totals.conversions), value: money(c.totals.value, c.currencies), rate: pct(c.totals.matchRate), unattributed: num(c.totals.unattributed.conversions) }),
    ...notesLines(c.notes, lang),
  ].join('\n');
  const body =
    shown.length === 0
      ? t(lang, 'report.empty')
      : table(
          [by, ...c.models.map(short)],
          shown.map((row) => [clip(rowLabel(c.by, row), 12), ...c.models.map((m) => num(row.byModel[m]?.conversions ?? 0))]),
        ) + (c.rows.length > shown.length ? '\n' + moreText(c.rows.length - shown.length, lang) : '');
  const answers: Answer[] = [];
  if (o.charts !== false && c.rows.length > 0) {
    const view = viewOf(o, c.totals.value);
    const png = await renderBarChart({
      title: t(lang, 'models.chart.title', { by }),
      subtitle: view === 'value' ? t(lang, 'models.chart.value', { period: c.period.label, currency: (c.currencies ?? []).join('/') || t(lang, 'models.chart.revenue') }) : t(lang, 'models.chart.conversions', { period: c.period.label }),
      series: c.models.map(short),
      rows: c.rows.map((row) => ({ label: rowLabel(c.by, row), values: c.models.map((m) => (view === 'value' ? (row.byModel[m]?.value ?? 0) : (row.byModel[m]?.conversions ?? 0))) })),
      maxRows: 6,
      ...(view === 'value' ? { format: formatAmount } : {}),
    });
    answers.push({ type: 'photo', png, caption: t(lang, 'models.caption', { by, period: c.period.label }) });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}`, monospace: true });
  return answers;
}

/**
 * `/funnel`: a table of the cohorts (distinct people each) and the `all` row, with the revenue
 * of their conversions; a funnel chart of the `all` row (every person once; a report without
 * one draws its single row, else the sum of its rows). In `o.lang`; names as written.
 */
export async function renderFunnel(f: FunnelReport, o: RenderOptions & { title?: string }): Promise<Answer[]> {
  const lang = o.lang ?? 'en';
  const by = lang === 'en' ? f.by : dimensionName(lang, f.by);
  const all = f.rows.find((r) => r.key === 'all');
  const cohorts = f.rows.filter((r) => r !== all);
  const shown = cohorts.slice(0, MAX_TABLE_ROWS);
  const head = [`${t(lang, 'funnel.title', { by })}${o.title ? ` · ${o.title}` : ''}`, t(lang, 'report.period', { period: periodLine(f.period, o.timeZone) }), ...notesLines(f.notes, lang)].join('\n');
  const line = (r: FunnelReport['rows'][number], label: string): string[] => [
    label,
    num(r.joined),
    `${num(r.engaged)} ${pct(r.engagedRate)}`,
    `${num(r.clicked)} ${pct(r.clickedRate)}`,
    `${num(r.converted)} ${pct(r.convertedRate)}`,
    r.medianDaysToConvert === null ? '–' : num(r.medianDaysToConvert),
    num(r.value ?? 0),
  ];
  const col = (k: 'joined' | 'engaged' | 'clicked' | 'conv' | 'days' | 'value'): string => t(lang, `funnel.col.${k}`);
  const body =
    cohorts.length === 0
      ? t(lang, 'funnel.empty')
      : table(
          [by, col('joined'), col('engaged'), col('clicked'), col('conv'), col('days'), col('value')],
          [...shown.map((r) => line(r, clip(rowLabel(f.by, r), 12))), ...(all && cohorts.length > 1 ? [line(all, t(lang, 'funnel.all-row'))] : [])],
        ) + (cohorts.length > shown.length ? '\n' + moreText(cohorts.length - shown.length, lang) : '');
  const answers: Answer[] = [];
  if (o.charts !== false && cohorts.length > 0) {
    const sum = (k: 'joined' | 'engaged' | 'clicked' | 'converted' | 'value'): number => cohorts.reduce((s, r) => s + (r[k] ?? 0), 0);
    const one = cohorts.length === 1 ? cohorts[0] : undefined;
    const whole = all ?? one;
    const step = (k: 'joined' | 'engaged' | 'clicked' | 'converted'): number => (whole ? whole[k] : sum(k));
    const value = whole ? (whole.value ?? 0) : sum('value');
    const median = whole?.medianDaysToConvert ?? null;
    const revenue = `${formatAmount(value)}${f.currencies && f.currencies.length > 0 ? ` ${f.currencies.join('/')}` : ''}`;
    const png = await renderFunnelChart({
      title: t(lang, 'funnel.chart.title', { what: one ? rowLabel(f.by, one) : t(lang, 'funnel.chart.all', { by }) }),
      subtitle: `${f.period.label}${!one && all ? t(lang, 'funnel.chart.once') : ''}`,
      steps: [
        { label: t(lang, 'funnel.step.joined'), value: step('joined') },
        { label: t(lang, 'funnel.step.engaged'), value: step('engaged') },
        { label: t(lang, 'funnel.step.clicked'), value: step('clicked') },
        { label: t(lang, 'funnel.step.converted'), value: step('converted') },
      ],
      ...(value > 0 ? { revenue: t(lang, 'funnel.chart.revenue', { value: revenue }) } : {}),
      ...(median !== null ? { footnote: lang === 'en' ? `median ${num(median)} ${plural(median, 'day')} from joining to converting` : `从入群到转化的中位数为 ${num(median)} 天` } : {}),
    });
    answers.push({ type: 'photo', png, caption: t(lang, 'funnel.caption', { period: f.period.label }) });
  }
  answers.push({ type: 'text', text: `${head}\n\n${body}\n\n${t(lang, 'funnel.legend')}${cohorts.length > 1 && all ? t(lang, 'funnel.legend.all') : ''}`, monospace: true });
  return answers;
}

/** `/groupstats`: joins and leaves by campaign, activity, top keywords; a chart of joins by campaign. In `o.lang`; names as written. */
export async function renderGroupStats(g: GroupStatsReport, o: RenderOptions & { groupTitle?: string }): Promise<Answer[]> {
  const lang = o.lang ?? 'en';
  const messages = g.days.reduce((s, d) => s + d.messages, 0);
  const hits = g.days.reduce((s, d) => s + d.keywordHits, 0);
  const joins = g.days.reduce((s, d) => s + d.joins, 0);
  const leaves = g.days.reduce((s, d) => s + d.leaves, 0);
  const group = o.groupTitle ?? t(lang, 'groupstats.all-groups');
  const noCampaign = t(lang, 'groupstats.no-campaign');
  const head = [
    t(lang, 'groupstats.title', { group }),
    t(lang, 'report.period', { period: periodLine(g.period, o.timeZone) }),
    t(lang, 'groupstats.joins', { joins: num(joins), leaves: num(leaves), net: signed(joins - leaves) }),
    t(lang, 'groupstats.activity', { members: num(g.activeMembers), messages: num(messages), hits: num(hits) }) + (g.clicks !== undefined ? t(lang, 'groupstats.clicks', { clicks: num(g.clicks) }) : ''),
    ...notesLines(g.notes, lang),
  ].join('\n');
  const campaigns =
    g.joinsByCampaign.length === 0
      ? t(lang, 'groupstats.no-joins')
      : table(
          [t(lang, 'groupstats.col.campaign'), t(lang, 'groupstats.col.joins'), t(lang, 'groupstats.col.leaves')],
          g.joinsByCampaign.slice(0, MAX_TABLE_ROWS).map((c) => [clip(c.campaign ?? noCampaign, LABEL_CELLS), num(c.joins), num(c.leaves)]),
        );
  const keywords =
    g.topKeywords.length === 0 ? '' : '\n\n' + table([t(lang, 'groupstats.col.keyword'), t(lang, 'groupstats.col.hits')], g.topKeywords.slice(0, 10).map((k) => [clip(k.keyword, LABEL_CELLS), num(k.count)]));
  const answers: Answer[] = [];
  if (o.charts !== false && g.joinsByCampaign.length > 0) {
    const png = await renderBarChart({
      title: t(lang, 'groupstats.chart.title', { group }),
      subtitle: g.period.label,
      series: [t(lang, 'groupstats.col.joins'), t(lang, 'groupstats.col.leaves')],
      rows: g.joinsByCampaign.map((c) => ({ label: c.campaign ?? noCampaign, values: [c.joins, c.leaves] })),
    });
    answers.push({ type: 'photo', png, caption: t(lang, 'groupstats.caption', { period: g.period.label }) });
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

const KIND_LABEL_ZH: Record<string, string> = {
  join: '入群',
  leave: '退群',
  keyword: '关键词',
  mention: '提及',
  link_posted: '发了链接',
  link_click: '点击链接',
  dm_start: '启动机器人',
  message: '消息',
};

/** Most timeline lines in a `/journey` answer (the latest ones). */
export const MAX_JOURNEY_LINES = 40;

function localTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
  return parts.replace(',', '');
}

/** `/journey`: one line per touch and conversion, in time order, in the workspace's time zone; in `o.lang` (names as written). */
export function renderJourney(j: JourneyReport, o: RenderOptions & { who?: string }): Answer[] {
  const zh = o.lang === 'zh';
  type Line = { at: string; text: string };
  const lines: Line[] = [
    ...j.touches.map((t) => ({
      at: t.at,
      text: [
        (zh ? KIND_LABEL_ZH[t.kind] : KIND_LABEL[t.kind]) ?? t.kind,
        t.chatTitle ? clip(t.chatTitle, 20) : t.platform === 'web' ? '' : t.chatId,
        t.campaign ? `${zh ? '活动' : 'campaign'} ${t.campaign}` : '',
        t.keywords && t.keywords.length > 0 ? `[${t.keywords.slice(0, 5).join(', ')}]` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    })),
    ...j.conversions.map((c) => ({ at: c.at, text: zh ? `★ 转化 ${num(c.value)} ${c.currency}（${c.rule}）` : `★ converted ${num(c.value)} ${c.currency} (${c.rule})` })),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const hidden = Math.max(0, lines.length - MAX_JOURNEY_LINES) + (j.touchesOmitted ?? 0);
  const shown = lines.slice(Math.max(0, lines.length - MAX_JOURNEY_LINES));
  const who = o.who ?? memberLabel(j);
  const first = j.firstSeenAt ? localTime(j.firstSeenAt, o.timeZone) : '–';
  const head = (
    zh
      ? [`${who} 的旅程`, `首次出现 ${first} · ${j.touches.length} 个触点 · ${j.conversions.length} 个转化`]
      : [`Journey of ${who}`, `First seen ${first} · ${j.touches.length} ${plural(j.touches.length, 'touch', 'touches')} · ${j.conversions.length} ${plural(j.conversions.length, 'conversion')}`]
  ).join('\n');
  const earlier = hidden > 0 ? (zh ? `… 更早的 ${hidden} 行\n` : `… ${hidden} earlier ${plural(hidden, 'line')}\n`) : '';
  const body = shown.length === 0 ? (zh ? '没有记录到触点。' : 'No touches recorded.') : earlier + shown.map((l) => `${localTime(l.at, o.timeZone)}  ${l.text}`).join('\n');
  const ids = j.identities ?? [];
  // Why these ids are one person: each identifier with the evidence that linked it (and the merges it caused).
  const identities =
    ids.length === 0
      ? ''
      : `\n\n${zh ? `身份（档案 ${j.profileId}）` : `Identities (profile ${j.profileId})`}\n` +
        ids
          .map((i) => {
            const why = i.evidence.map((e) => `${e.why} (${Math.round(e.confidence * 100)}%, ${e.source.kind} ${localTime(e.at, o.timeZone)}${e.merged ? `, ${zh ? '合并了' : 'merged'} ${e.merged.join(', ')}` : ''})`);
            return `${i.identifier}${why.length > 0 ? `  ← ${why.join('; ')}` : ''}`;
          })
          .join('\n');
  return [{ type: 'text', text: `${head}${referralLines(j, o.timeZone, zh)}\n\n${body}${identities}`, monospace: true }];
}

/** Referral chains on a journey: who brought the member, and whom they brought (at most 10 named). */
function referralLines(j: JourneyReport, timeZone: string, zh: boolean): string {
  const r = j.referrals;
  if (!r) return '';
  const where = (x: { chatTitle?: string; chatId: string }): string => clip(x.chatTitle ?? x.chatId, 20);
  const left = (x: { leftAt: string | null }): string => (x.leftAt ? (zh ? `，${localTime(x.leftAt, timeZone)} 退群` : `, left ${localTime(x.leftAt, timeZone)}`) : '');
  const out: string[] = [];
  for (const b of r.invitedBy) out.push(zh ? `由 ${b.label}（${b.kind.replace('_', ' ')}）带入 ${where(b)} ${localTime(b.at, timeZone)}${left(b)}` : `Brought by ${b.label} (${b.kind.replace('_', ' ')}) into ${where(b)} ${localTime(b.at, timeZone)}${left(b)}`);
  if (r.invited.length > 0) {
    const still = r.invited.filter((x) => x.leftAt === null).length;
    const names = `${r.invited.slice(0, 10).map((x) => `${x.label} → ${where(x)}`).join(', ')}${r.invited.length > 10 ? ', …' : ''}`;
    out.push(zh ? `带来 ${r.invited.length} 人（${still} 人仍在群）：${names}` : `Brought ${r.invited.length} ${plural(r.invited.length, 'person', 'people')} (${still} still in): ${names}`);
  }
  return `\n${out.join('\n')}`;
}
