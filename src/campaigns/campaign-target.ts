/**
 * Goals and targets as people write them (commands, CLI, configuration), and money as the
 * reports print it. Pure; no I/O.
 *
 * Targets: `500joins` / `500 joins` / `joins:500` (people joined), `20%` / `20%@d28` /
 * `20% day 28` (share still a member at day 28, the default day), `roas3` / `roas:3` / `3x`
 * (revenue over spend). A bare number takes the goal's own metric: joins for awareness, ROAS
 * for conversion (an engagement target is a share: `20%`).
 */
import type { Lang } from '../i18n/index.js';
import { CAMPAIGN_GOALS, type CampaignGoal, type CampaignTarget } from '../store/campaigns/campaign-repo.js';

/** The day since joining a retention target is measured at when none is given. */
export const DEFAULT_RETENTION_DAY = 28;

export const TARGET_USAGE = 'a target is 500joins, 20%@d28 (share still in at day 28) or roas3';

export class CampaignInputError extends Error {
  override name = 'CampaignInputError';
}

/** A goal, or a clear refusal. */
export function parseGoal(text: string): CampaignGoal {
  const g = text.trim().toLowerCase();
  if ((CAMPAIGN_GOALS as readonly string[]).includes(g)) return g as CampaignGoal;
  throw new CampaignInputError(`goal must be one of ${CAMPAIGN_GOALS.join(', ')}, got ${JSON.stringify(text.slice(0, 40))}`);
}

/** A target as written (see the header), for a campaign of `goal`. */
export function parseTarget(input: string | number, goal: CampaignGoal | null): CampaignTarget {
  const t = String(input).trim().toLowerCase().replace(/\s+/g, ' ');
  const num = (s: string | undefined): number => {
    const n = Number(s);
    if (s === undefined || !Number.isFinite(n) || n < 0) throw new CampaignInputError(`${TARGET_USAGE}, got ${JSON.stringify(String(input).slice(0, 40))}`);
    return n;
  };
  let m = /^(\d+(?:\.\d+)?) ?joins?$/.exec(t) ?? /^joins?[:= ]?(\d+(?:\.\d+)?)$/.exec(t);
  if (m) return { metric: 'joins', value: Math.round(num(m[1])) };
  m = /^(\d+(?:\.\d+)?) ?%(?: ?(?:@|at)? ?(?:d|day) ?(\d+))?$/.exec(t);
  if (m) {
    const share = num(m[1]) / 100;
    if (share > 1) throw new CampaignInputError('a retention target is a share of at most 100%');
    const day = m[2] === undefined ? DEFAULT_RETENTION_DAY : num(m[2]);
    if (!Number.isSafeInteger(day) || day < 1 || day > 365) throw new CampaignInputError('a retention day is 1..365');
    return { metric: 'retention', value: share, day };
  }
  m = /^roas ?[:=]? ?(\d+(?:\.\d+)?)$/.exec(t) ?? /^(\d+(?:\.\d+)?) ?x$/.exec(t);
  if (m) return { metric: 'roas', value: num(m[1]) };
  if (/^\d+(?:\.\d+)?$/.test(t)) {
    if (goal === 'awareness') return { metric: 'joins', value: Math.round(num(t)) };
    if (goal === 'conversion') return { metric: 'roas', value: num(t) };
  }
  throw new CampaignInputError(`${TARGET_USAGE}, got ${JSON.stringify(String(input).slice(0, 40))}`);
}

/** A target as people read it: `500 joins`, `20% at day 28`, `ROAS 3` (Chinese: `500 人入群`, `第 28 天留存 20%`). */
export function describeTarget(t: CampaignTarget, lang: Lang = 'en'): string {
  const zh = lang === 'zh';
  if (t.metric === 'joins') return zh ? `${t.value} 人入群` : `${t.value} joins`;
  if (t.metric === 'retention') return zh ? `第 ${t.day ?? DEFAULT_RETENTION_DAY} 天留存 ${percent(t.value)}` : `${percent(t.value)} at day ${t.day ?? DEFAULT_RETENTION_DAY}`;
  return `ROAS ${round(t.value, 2)}`;
}

const GOALS_ZH: Record<CampaignGoal, string> = { awareness: '曝光', engagement: '互动', conversion: '转化' };

/** A goal's name in `lang` (English: as stored). */
export function goalName(goal: CampaignGoal, lang: Lang = 'en'): string {
  return lang === 'zh' ? GOALS_ZH[goal] : goal;
}

const SYMBOLS: Readonly<Record<string, string>> = { CNY: '¥', JPY: '¥', USD: '$', EUR: '€', GBP: '£', HKD: 'HK$', TWD: 'NT$', SGD: 'S$', KRW: '₩', INR: '₹', RUB: '₽', BRL: 'R$', AUD: 'A$', CAD: 'C$' };

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Money in the workspace currency: `¥26.6`, `¥1,234`, `12.5 CHF`; `–` for none. */
export function money(n: number | null | undefined, currency: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const body = Math.abs(n) < 100 ? round(n, 1).toLocaleString('en-US', { maximumFractionDigits: 1 }) : Math.round(n).toLocaleString('en-US');
  const sym = SYMBOLS[currency];
  return sym ? `${sym}${body}` : `${body} ${currency}`;
}

/** A share 0..1 as a percent: `71%`, `4.5%`; `–` for none. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  const p = share * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : round(p, 1)}%`;
}

/** A ratio (ROAS): `2.4`; `–` for none. */
export function ratio(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return round(n, n >= 10 ? 1 : 2).toLocaleString('en-US');
}
