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
}

const WEEKDAY = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const weekday = (day: string): string => WEEKDAY[new Date(`${day}T00:00:00Z`).getUTCDay()] as string;
const pText = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
const one = (x: number): string => (Math.round(x * 10) / 10).toLocaleString('en-US');
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

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
      out.push({ key: `campaign-joins:${s.key}`, kind: 'campaign-joins', subject: s.key, expected, observed: obs, p: up, series: { days: i.days, values: s.values, unit: 'joins' }, label: `Joins via ${s.label}: ${obs} on ${weekday(day)} ${day}, expected about ${one(expected)} (the last ${same.length} ${weekday(day)}s averaged ${one(expected)}); ${pText(up)}` });
    } else if (down < alpha) {
      out.push({ key: `campaign-joins:${s.key}`, kind: 'campaign-joins', subject: s.key, expected, observed: obs, p: down, series: { days: i.days, values: s.values, unit: 'joins' }, label: `Joins via ${s.label} fell: ${obs} on ${weekday(day)} ${day}, expected about ${one(expected)} (the last ${same.length} ${weekday(day)}s); ${pText(down)} — is its invite link still working?` });
    }
  }
  const spike = (s: Series, kind: 'leave-spike' | 'keyword-spike', words: (obs: number, expected: number, p: number) => string, unit: string): void => {
    const obs = s.values[n - 1] ?? 0;
    const expected = mean(s.values.slice(0, n - 1));
    const p = poissonUpper(obs, Math.max(expected, FLOOR));
    if (obs >= MIN_SPIKE && p < alpha) out.push({ key: `${kind}:${s.key}`, kind, subject: s.key, expected, observed: obs, p, series: { days: i.days, values: s.values, unit }, label: words(obs, expected, p) });
  };
  for (const s of i.groupLeaves) {
    spike(s, 'leave-spike', (obs, e, p) => `Leaves from ${s.label}: ${obs} on ${day}, expected about ${one(e)} a day (the ${n - 1} days before); ${s.messages} messages were posted there that day; ${pText(p)}`, 'leaves');
  }
  for (const s of i.keywordHits) {
    spike(s, 'keyword-spike', (obs, e, p) => `Keyword “${s.label}”: ${obs} mentions on ${day}, expected about ${one(e)} a day (the ${n - 1} days before); ${pText(p)}`, 'mentions');
  }
  const convs = i.conversions[n - 1] ?? 0;
  const matched = i.matched[n - 1] ?? 0;
  const baseConv = i.conversions.slice(0, n - 1).reduce((a, b) => a + b, 0);
  const baseMatched = i.matched.slice(0, n - 1).reduce((a, b) => a + b, 0);
  if (convs >= MIN_CONVERSIONS_DAY && baseConv > 0) {
    const p0 = baseMatched / baseConv;
    const p = binomialLower(matched, convs, p0);
    if (p < alpha) {
      out.push({ key: 'match-rate-drop:workspace', kind: 'match-rate-drop', subject: 'workspace', expected: p0, observed: matched / convs, p, label: `Match rate: ${Math.round((100 * matched) / convs)}% of ${convs} conversions matched on ${day}, expected about ${Math.round(100 * p0)}% (the ${n - 1} days before); ${pText(p)} — check that orders still carry phone, email or the click id` });
    }
  }
  for (const w of i.webhooks) {
    if (w.lastErrorAt === null || i.now.getTime() - Date.parse(w.lastErrorAt) > 86_400_000) continue;
    out.push({ key: `webhook-errors:${w.botId}`, kind: 'webhook-errors', subject: w.botId, expected: 0, observed: 1, p: 0, label: `Webhook errors for bot ${w.botId}: the last at ${w.lastErrorAt} (“${w.lastError ?? 'unknown'}”), ${w.pending} updates waiting; expected none in 24 hours — check that PUBLIC_BASE_URL is reachable` });
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

/** The alerts as chat answers: one text, then a small chart per alert with a series (at most {@link MAX_CHARTS}). Empty when none. */
export async function alertAnswers(alerts: readonly Alert[], options: { day: string; charts?: boolean }): Promise<Answer[]> {
  if (alerts.length === 0) return [];
  const text = [`Alerts for ${options.day} · moved beyond chance (p < ${ALPHA}) · /alerts off to stop`, '', ...alerts.map((a) => `• ${a.label}`)].join('\n');
  const answers: Answer[] = [{ type: 'text', text }];
  if (options.charts === false) return answers;
  for (const a of alerts.filter((x) => x.series).slice(0, MAX_CHARTS)) {
    const s = a.series as NonNullable<Alert['series']>;
    const last = s.days.slice(-14);
    const values = s.values.slice(-14);
    const png = await renderBarChart({
      title: a.label.split(':')[0] ?? a.kind,
      subtitle: `${s.unit} per day, last ${last.length} days · expected about ${one(a.expected)}, came ${a.observed}`,
      series: [s.unit],
      rows: last.map((d, i) => ({ label: d, values: [values[i] ?? 0] })),
      maxRows: 14,
    });
    answers.push({ type: 'photo', png, caption: a.label.slice(0, 1_000) });
  }
  return answers;
}
