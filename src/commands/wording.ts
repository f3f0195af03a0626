/**
 * Words the answers share so they read the same everywhere: singular and plural, local
 * times, and (from `src/reports/report-labels.ts`, shared with the HTTP report API) what a
 * row without a group, campaign, keyword or link is called and how a member is named. Pure.
 */
/** `one` when `n` is exactly 1, else `many` (default `one` + `s`): “1 conversion”, “0.5 conversions”. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

export { memberLabel, NONE_LABELS, rowLabel } from '../reports/report-labels.js';

/** `2026-03-01 10:00`: an instant as the workspace's clock shows it. */
export function localDateTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  return parts.replace(',', '');
}
