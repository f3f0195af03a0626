/**
 * Daily alerts: what moved beyond chance on the day just ended (a local day of the workspace).
 * {@link detectAlerts} is pure over daily series (tested on planted anomalies and on seeded
 * noise); {@link readAlertSeries} reads the series from the day counters (29 days: the day
 * checked and the 28 before); {@link alertAnswers} words them with a small chart each.
 *
 * - `campaign-joins`: a campaign's joins vs the mean of the same weekday over the 4 weeks
 *   before (Poisson, either way: a spike, or a drop such as a broken invite link);
 * - `leave-spike`: a group's leaves vs its daily mean over the 28 days before (Poisson, up);
 * - `keyword-spike`: a keyword's hits vs its daily mean over the 28 days before (Poisson, up);
 * - `match-rate-drop`: the day's matched share of conversions vs the 28 days before (binomial, down);
 * - `webhook-errors`: a bot's webhook reported an error in the last 24 hours (`getWebhookInfo`).
 * Each fires at p < {@link ALPHA} (and with a few events at least, so a quiet day's single join
 * is not news), and says what was expected and what came.
 */
import { renderBarChart } from '../charts/index.js';
import type { Answer } from '../commands/command-types.js';
import type { Lang } from '../i18n/index.js';
import type { DayParts, Store } from '../store/store.js';
import { dayBounds, previousDay } from '../reports/local-days.js';
import { readPeriod } from '../reports/read-counters.js';
import { binomialLower, poissonLower, poissonUpper } from './stats.js';

/** Significance level of every test. */
export const ALPHA = 0.01;
/** Days of baseline before the day checked. */
export const BASELINE_DAYS = 28;
/** Fewest events for a spike to be reported. */
export const MIN_SPIKE = 5;
/** Fewest conversions on the day for a match-rate drop. */
export const MIN_CONVERSIONS_DAY = 10;
/** The smallest expected count a Poisson test uses (a series that was all zeros). */
const FLOOR = 0.25;

/** Daily counts, oldest first; the last is the day checked. */
export interface Series {
  key: string;
  label: string;
  values: readonly number[];
}

export interface AlertInputs {
  /** Local days of the series, oldest first (BASELINE_DAYS + 1 of them). */
  days: readonly string[];
  campaignJoins: readonly Series[];
  groupLeaves: ReadonlyArray<Series & { messages: number }>;
  keywordHits: readonly Series[];
  conversions: readonly number[];
  matched: readonly number[];
  webhooks: ReadonlyArray<{ botId: string; lastErrorAt: string | null; lastError: string | null; pending: number }>;
  /** When the check runs (webhook errors of the 24 hours before count). */
  now: Date;
}

export type AlertKind = 'campaign-joins' | 'leave-spike' | 'keyword-spike' | 'match-rate-drop' | 'webhook-errors';

export interface Alert {
  key: string;
  kind: AlertKind;
  subject: string;
  /** The sentence: what came, what was expected. */
  label: string;
  expected: number;
  observed: number;
  /** The test's p-value (0 for webhook errors). */
  p: number;
  /** The series charted (oldest first), when there is one. */
  series?: { days: readonly string[]; values: readonly number[]; unit: string };
  /** What the sentence names besides the figures above; `alertText` words it again in another language. */
  facts?: AlertFacts;
}

/** The day checked and what an alert's sentence names (`name`: campaign, group title, keyword or bot id, as written). */
export interface AlertFacts {
  day: string;
  name: string;
  /** `down`: a campaign's joins fell. */
  direction: 'up' | 'down';
  /** Days of baseline (leaves, keywords, match rate), or same weekdays averaged (campaign joins). */
  baseline: number;
  /** Messages posted in the group that day (leave-spike). */
  messages?: number;
  /** The day's conversions and matched ones (match-rate-drop). */
  conversions?: number;
  matched?: number;
  /** The last webhook error and the updates waiting (webhook-errors). */
  lastErrorAt?: string;
  lastError?: string | null;
  pending?: number;
}

const WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const WEEKDAY_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const weekdayIndex = (day: string): number => new Date(`${day}T00:00:00Z`).getUTCDay();
const weekday = (day: string): string => WEEKDAY[weekdayIndex(day)] as string;
const weekdayZh = (day: string): string => WEEKDAY_ZH[weekdayIndex(day)] as string;
const pText = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const one = (x: number): string => (Math.round(x * 10) / 10).toLocaleString('en-US');
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
const UNIT_ZH: Record<string, string> = { joins: '入群人数', leaves: '退群人数', mentions: '提及次数' };

/**
 * An alert's sentence in `lang` (default English): what came and what was expected, worded
 * from its kind, figures and facts (names as written). An alert without facts keeps its label.
 */
export function alertText(a: Pick<Alert, 'kind' | 'label' | 'expected' | 'observed' | 'p' | 'facts'>, lang: Lang = 'en'): string {
  const f = a.facts;
  if (!f) return a.label;
  const { day, name, baseline } = f;
  const obs = a.observed;
  const e = one(a.expected);
  const zh = lang === 'zh';
  switch (a.kind) {
    case 'campaign-joins':
      if (f.direction === 'up') {
        return zh
          ? `经由 ${name} 入群：${day}（${weekdayZh(day)}）${obs} 人，预期约 ${e} 人（前 ${baseline} 个${weekdayZh(day)}平均 ${e} 人）；${pText(a.p)}`
          : `Joins via ${name}: ${obs} on ${weekday(day)} ${day}, expected about ${e} (the last ${baseline} ${weekday(day)}s averaged ${e}); ${pText(a.p)}`;
      }
      return zh
        ? `经由 ${name} 入群的人数下降：${day}（${weekdayZh(day)}）${obs} 人，预期约 ${e} 人（前 ${baseline} 个${weekdayZh(day)}）；${pText(a.p)}——它的邀请链接还有效吗？`
        : `Joins via ${name} fell: ${obs} on ${weekday(day)} ${day}, expected about ${e} (the last ${baseline} ${weekday(day)}s); ${pText(a.p)} — is its invite link still working?`;
    case 'leave-spike':
      return zh
        ? `${name} 退群：${day} ${obs} 人，预期约每天 ${e} 人（此前 ${baseline} 天）；当天群里发了 ${f.messages ?? 0} 条消息；${pText(a.p)}`
        : `Leaves from ${name}: ${obs} on ${day}, expected about ${e} a day (the ${baseline} days before); ${f.messages ?? 0} messages were posted there that day; ${pText(a.p)}`;
    case 'keyword-spike':
      return zh
        ? `关键词「${name}」：${day} 被提及 ${obs} 次，预期约每天 ${e} 次（此前 ${baseline} 天）；${pText(a.p)}`
        : `Keyword “${name}”: ${obs} mentions on ${day}, expected about ${e} a day (the ${baseline} days before); ${pText(a.p)}`;
    case 'match-rate-drop': {
      const convs = f.conversions ?? 0;
      const rate = convs > 0 ? Math.round((100 * (f.matched ?? 0)) / convs) : 0;
      const expected = Math.round(100 * a.expected);
      return zh
        ? `匹配率：${day} 的 ${convs} 个转化中匹配了 ${rate}%，预期约 ${expected}%（此前 ${baseline} 天）；${pText(a.p)}——检查订单是否仍带有手机号、邮箱或点击 ID`
        : `Match rate: ${rate}% of ${convs} conversions matched on ${day}, expected about ${expected}% (the ${baseline} days before); ${pText(a.p)} — check that orders still carry phone, email or the click id`;
    }
    case 'webhook-errors':
      return zh
        ? `机器人 ${name} 的 webhook 出错：最近一次在 ${f.lastErrorAt ?? ''}（“${f.lastError ?? '未知错误'}”），${f.pending ?? 0} 条更新在等待；24 小时内本应没有错误——检查 PUBLIC_BASE_URL 是否能访问`
        : `Webhook errors for bot ${name}: the last at ${f.lastErrorAt ?? ''} (“${f.lastError ?? 'unknown'}”), ${f.pending ?? 0} updates waiting; expected none in 24 hours — check that PUBLIC_BASE_URL is reachable`;
  }
}

/** A short title for an alert's chart in `lang`: what moved and where. */
export function alertTitle(a: Pick<Alert, 'kind' | 'label' | 'expected' | 'observed' | 'p' | 'facts'>, lang: Lang = 'en'): string {
  const f = a.facts;
  if (lang === 'en' || !f) return a.label.split(':')[0] ?? a.kind;
  switch (a.kind) {
    case 'campaign-joins':
      return f.direction === 'up' ? `经由 ${f.name} 入群` : `经由 ${f.name} 入群的人数下降`;
    case 'leave-spike':
      return `${f.name} 退群`;
    case 'keyword-spike':
      return `关键词「${f.name}」`;
    case 'match-rate-drop':
      return '匹配率';
    case 'webhook-errors':
      return `机器人 ${f.name} 的 webhook 出错`;
  }
}

/** An alert worded in English from its facts. */
function alert(a: Omit<Alert, 'label'> & { facts: AlertFacts }): Alert {
  return { ...a, label: alertText({ ...a, label: '' }) };
}

/** Every alert of the last day of the series (see the header). */
export function detectAlerts(i: AlertInputs, alpha = ALPHA): Alert[] {
  const n = i.days.length;
  const day = i.days[n - 1] as string;
  const out: Alert[] = [];
  for (const s of i.campaignJoins) {
    const obs = s.values[n - 1] ?? 0;
    const same = [7, 14, 21, 28].map((k) => s.values[n - 1 - k]).filter((x): x is number => x !== undefined);
    const expected = mean(same);
    const lambda = Math.max(expected, FLOOR);
    const up = poissonUpper(obs, lambda);
    const down = poissonLower(obs, lambda);
    if (obs >= MIN_SPIKE && up < alpha) {
      out.push(alert({ key: `campaign-joins:${s.key}`, kind: 'campaign-joins', subject: s.key, expected, observed: obs, p: up, series: { days: i.days, values: s.values, unit: 'joins' }, facts: { day, name: s.label, direction: 'up', baseline: same.length } }));
    } else if (down < alpha) {
      out.push(alert({ key: `campaign-joins:${s.key}`, kind: 'campaign-joins', subject: s.key, expected, observed: obs, p: down, series: { days: i.days, values: s.values, unit: 'joins' }, facts: { day, name: s.label, direction: 'down', baseline: same.length } }));
    }
  }
  const spike = (s: Series, kind: 'leave-spike' | 'keyword-spike', unit: string, more: Partial<AlertFacts> = {}): void => {
    const obs = s.values[n - 1] ?? 0;
    const expected = mean(s.values.slice(0, n - 1));
    const p = poissonUpper(obs, Math.max(expected, FLOOR));
    if (obs >= MIN_SPIKE && p < alpha) out.push(alert({ key: `${kind}:${s.key}`, kind, subject: s.key, expected, observed: obs, p, series: { days: i.days, values: s.values, unit }, facts: { day, name: s.label, direction: 'up', baseline: n - 1, ...more } }));
  };
  for (const s of i.groupLeaves) spike(s, 'leave-spike', 'leaves', { messages: s.messages });
  for (const s of i.keywordHits) spike(s, 'keyword-spike', 'mentions');
  const convs = i.conversions[n - 1] ?? 0;
  const matched = i.matched[n - 1] ?? 0;
  const baseConv = i.conversions.slice(0, n - 1).reduce((a, b) => a + b, 0);
  const baseMatched = i.matched.slice(0, n - 1).reduce((a, b) => a + b, 0);
  if (convs >= MIN_CONVERSIONS_DAY && baseConv > 0) {
    const p0 = baseMatched / baseConv;
    const p = binomialLower(matched, convs, p0);
    if (p < alpha) {
      out.push(alert({ key: 'match-rate-drop:workspace', kind: 'match-rate-drop', subject: 'workspace', expected: p0, observed: matched / convs, p, facts: { day, name: 'workspace', direction: 'down', baseline: n - 1, conversions: convs, matched } }));
    }
  }
  for (const w of i.webhooks) {
    if (w.lastErrorAt === null || i.now.getTime() - Date.parse(w.lastErrorAt) > 86_400_000) continue;
    out.push(alert({ key: `webhook-errors:${w.botId}`, kind: 'webhook-errors', subject: w.botId, expected: 0, observed: 1, p: 0, facts: { day, name: w.botId, direction: 'up', baseline: 1, lastErrorAt: w.lastErrorAt, lastError: w.lastError, pending: w.pending } }));
  }
  return out;
}

/** The series of {@link readAlertSeries}, with each group's messages per day. */
export type AlertSeries = Omit<AlertInputs, 'webhooks' | 'now' | 'groupLeaves'> & { groupLeaves: ReadonlyArray<Series & { messages: number; messagesByDay: readonly number[] }> };

/**
 * Reads the series of the local days ending with `day` from the counters (raw rows where they
 * lag): the day and the {@link BASELINE_DAYS} before it, or more (`before`) to check several
 * days from one read (see {@link alertWindow}).
 */
export async function readAlertSeries(store: Store, workspace: string, timeZone: string, day: string, before = BASELINE_DAYS): Promise<AlertSeries> {
  const days: string[] = [day];
  for (let k = 0; k < before; k++) days.unshift(previousDay(days[0] as string));
  const period = { from: new Date(dayBounds(days[0] as string, timeZone).from).toISOString(), to: new Date(dayBounds(day, timeZone).to).toISOString(), label: `${before + 1}d` };
  const read = await readPeriod(store, workspace, timeZone, period, { parts: ['totals', 'groups', 'joins', 'keywords'], touches: true, conversions: true });
  const index = new Map(days.map((d, i) => [d, i]));
  type Acc = { label: string; values: number[]; messagesByDay: number[] };
  const series = (): Map<string, Acc> => new Map();
  const campaigns = series();
  const leaves = series();
  const keywords = series();
  const conversions = days.map(() => 0);
  const matched = days.map(() => 0);
  const bump = (m: Map<string, Acc>, key: string, label: string, i: number, by: number): Acc => {
    let s = m.get(key);
    if (!s) m.set(key, (s = { label, values: days.map(() => 0), messagesByDay: days.map(() => 0) }));
    s.label = label;
    s.values[i] = (s.values[i] ?? 0) + by;
    return s;
  };
  for (const d of read.days) {
    const i = index.get(d.day);
    if (i === undefined) continue;
    const p: Partial<DayParts> = d.parts;
    for (const j of p.joins ?? []) if (j.campaign !== null) bump(campaigns, j.campaign, j.campaign, i, j.joins);
    for (const g of p.groups ?? []) {
      const s = bump(leaves, g.chatId, g.chatTitle ?? g.chatId, i, g.leaves);
      s.messagesByDay[i] = (s.messagesByDay[i] ?? 0) + g.messages;
    }
    for (const k of p.keywords ?? []) bump(keywords, k.keyword, k.keyword, i, k.hits);
    for (const t of p.totals?.byCurrency ?? []) {
      conversions[i] = (conversions[i] ?? 0) + t.conversions;
      matched[i] = (matched[i] ?? 0) + t.matched;
    }
  }
  const list = (m: Map<string, Acc>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, s]) => ({ key, label: s.label, values: s.values, messagesByDay: s.messagesByDay, messages: s.messagesByDay[days.length - 1] ?? 0 }));
  return { days, campaignJoins: list(campaigns), groupLeaves: list(leaves), keywordHits: list(keywords), conversions, matched };
}

/** The inputs for checking `days[end]` (its {@link BASELINE_DAYS} before it) out of a longer read; series quiet over the window are left out. */
export function alertWindow(all: AlertSeries, end: number): Omit<AlertInputs, 'webhooks' | 'now'> {
  const from = Math.max(0, end - BASELINE_DAYS);
  const cut = <S extends Series>(list: readonly S[]): S[] => list.map((x) => ({ ...x, values: x.values.slice(from, end + 1) })).filter((x) => x.values.some((v) => v > 0));
  return {
    days: all.days.slice(from, end + 1),
    campaignJoins: cut(all.campaignJoins),
    groupLeaves: cut(all.groupLeaves).map((g) => ({ ...g, messages: g.messagesByDay[end] ?? 0 })),
    keywordHits: cut(all.keywordHits),
    conversions: all.conversions.slice(from, end + 1),
    matched: all.matched.slice(from, end + 1),
  };
}

/** Most charts posted with one day's alerts. */
export const MAX_CHARTS = 3;

/**
 * The alerts as chat answers in `options.lang` (default English): one text, then a small chart
 * per alert with a series (at most {@link MAX_CHARTS}). Empty when none.
 */
export async function alertAnswers(alerts: readonly Alert[], options: { day: string; charts?: boolean; lang?: Lang }): Promise<Answer[]> {
  if (alerts.length === 0) return [];
  const lang = options.lang ?? 'en';
  const zh = lang === 'zh';
  const head = zh ? `${options.day} 的预警 · 变化超出随机波动（p < ${ALPHA}）· 发送 /alerts off 停止` : `Alerts for ${options.day} · moved beyond chance (p < ${ALPHA}) · /alerts off to stop`;
  const text = [head, '', ...alerts.map((a) => `• ${alertText(a, lang)}`)].join('\n');
  const answers: Answer[] = [{ type: 'text', text }];
  if (options.charts === false) return answers;
  for (const a of alerts.filter((x) => x.series).slice(0, MAX_CHARTS)) {
    const s = a.series as NonNullable<Alert['series']>;
    const last = s.days.slice(-14);
    const values = s.values.slice(-14);
    const unit = zh ? (UNIT_ZH[s.unit] ?? s.unit) : s.unit;
    const png = await renderBarChart({
      title: alertTitle(a, lang),
      subtitle: zh ? `每天${unit}，最近 ${last.length} 天 · 预期约 ${one(a.expected)}，实际 ${a.observed}` : `${s.unit} per day, last ${last.length} days · expected about ${one(a.expected)}, came ${a.observed}`,
      series: [unit],
      rows: last.map((d, i) => ({ label: d, values: [values[i] ?? 0] })),
      maxRows: 14,
    });
    answers.push({ type: 'photo', png, caption: alertText(a, lang).slice(0, 1_000) });
  }
  return answers;
}
