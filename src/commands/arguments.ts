/**
 * Argument checks shared by the command modules: the one usage error, the period (which
 * may stand anywhere among the words), allowed `key=` options, and the one-line answer a
 * bad argument gets. Report parameters themselves (models, dimensions, periods, group
 * matching) are shared with the HTTP report API in `src/reports/report-params.ts`.
 */
import { t, type Lang } from '../i18n/index.js';
import { ReportParamError, parseReportPeriod } from '../reports/report-params.js';
import type { Period } from '../reports/period.js';
import { looksLikePeriod } from './parse-command.js';

/** Bad arguments: the message is the one-line answer (the command's usage follows it). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a report parameter check, turning its refusal into a usage error. */
export function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ReportParamError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Takes the period out of the words: the first word that is one, or is typed like one
 * (`13x`, `2026-02-30..`: those get the period's own usage answer). `fallback` when none.
 */
export function periodOf(words: readonly string[], now: Date, timeZone: string, fallback?: string): { period: Period; rest: string[] } {
  const rest: string[] = [];
  let chosen: string | undefined;
  for (const w of words) {
    if (chosen === undefined && (looksLikePeriod(w) || /^\d+[A-Za-z]?$|^\d{4}-\d{2}/.test(w))) chosen = w;
    else rest.push(w);
  }
  return { period: checked(() => parseReportPeriod(chosen ?? fallback, now, timeZone)), rest };
}

/** Refuses any `key=` option not in `allowed`. */
export function onlyOptions(options: ReadonlyMap<string, string>, allowed: readonly string[]): void {
  for (const k of options.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option ${k}=`);
}

/**
 * The one-line answer to bad arguments: the reason, then the usage. A reason's own final
 * full stop is dropped so the line never shows “..”; dots inside it (the period example
 * `2026-01-01..2026-01-31`) are kept as they are, so every example shown is valid. A bare
 * usage line is in `lang` (default English).
 */
export function usageLine(reason: string, usage: string, lang: Lang = 'en'): string {
  if (reason === usage) return t(lang, 'usage', { usage });
  const r = reason.replace(/\s*[.。]+$/u, '').replace(/\s+/g, ' ');
  return `${r}. Usage: ${usage}`;
}
