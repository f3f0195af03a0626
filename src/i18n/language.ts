/**
 * The languages answers and the dashboard are written in: simplified Chinese and English.
 * A Telegram `language_code` (IETF tag: `zh`, `zh-hans`, `zh-CN`, …) or a browser's
 * language picks one; anything that is not Chinese is English. Pure; shared with the
 * dashboard's browser bundle.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** `zh`, `zh-hans`, `zh_CN`, `ZH-tw` … → `zh`; anything else (or nothing) → `en`. */
export function languageOf(code: string | null | undefined): Lang {
  return typeof code === 'string' && /^zh(?:[-_]|$)/i.test(code.trim()) ? 'zh' : 'en';
}

/** The BCP 47 locale numbers and dates are formatted with. */
export function localeOf(lang: Lang): string {
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

/** A number with at most `digits` decimals, grouped as the language groups them. */
export function formatNumber(lang: Lang, n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString(localeOf(lang), { maximumFractionDigits: digits });
}

/** An amount of money in `currency` (ISO 4217), or a plain number when there is none. */
export function formatMoney(lang: Lang, n: number, currency: string | null | undefined): string {
  if (!Number.isFinite(n)) return '–';
  if (!currency || !/^[A-Z]{3}$/.test(currency)) return formatNumber(lang, n, 2);
  return n.toLocaleString(localeOf(lang), { style: 'currency', currency, maximumFractionDigits: 2 });
}

/** A rate (0.25) as a percentage (`25%`). */
export function formatPercent(lang: Lang, rate: number): string {
  if (!Number.isFinite(rate)) return '–';
  return rate.toLocaleString(localeOf(lang), { style: 'percent', maximumFractionDigits: 1 });
}

/** A day (`2026-03-01`, or an instant) as the language writes dates, in `timeZone`. */
export function formatDay(lang: Lang, day: string | number, timeZone = 'UTC'): string {
  const d = typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T12:00:00Z`) : new Date(day);
  const tz = typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) ? 'UTC' : timeZone;
  return new Intl.DateTimeFormat(localeOf(lang), { timeZone: tz, year: 'numeric', month: lang === 'zh' ? 'long' : 'short', day: 'numeric' }).format(d);
}
