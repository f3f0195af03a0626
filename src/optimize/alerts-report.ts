/**
 * The alerts of a period, for the report API and the dashboard's Overview
 * (`GET /v1/reports/alerts?workspace=W&period=7d`): every local day of the period that has
 * ended (today is not over, so it is not checked yet) is checked as the daily alert run checks
 * it ({@link detectAlerts} on the day and the 28 before, from one read of the day counters),
 * newest day first, the strongest first within a day. Webhook errors are the one alert not
 * kept in counters (the daily run asks Telegram at the time), so they are not listed here.
 * Alerts are recomputed, not stored: a late order or a refit changes them as it changes the
 * reports. At most {@link MAX_ALERT_DAYS} days a request.
 */
import { localDay, type Period } from '../reports/period.js';
import { daysFrom, previousDay } from '../reports/local-days.js';
import { parseLang, parseReportPeriod, ReportParamError } from '../reports/report-params.js';
import type { ExtraReport } from '../reports/report-api.js';
import type { Store } from '../store/store.js';
import { ALPHA, BASELINE_DAYS, alertText, alertWindow, detectAlerts, readAlertSeries, type Alert } from './alerts.js';

/** Longest period the alerts report checks. */
export const MAX_ALERT_DAYS = 31;

export interface DayAlert extends Alert {
  /** The local day checked. */
  day: string;
}

export interface AlertsReport {
  period: Period;
  /** The local days checked, oldest first (the period's days that have ended). */
  days: string[];
  alerts: DayAlert[];
}

/** The alerts of the ended days of `period` (see the header). */
export async function alertsReport(store: Store, workspace: string, timeZone: string, period: Period, now: Date): Promise<AlertsReport> {
  const yesterday = previousDay(localDay(now.getTime(), timeZone));
  const first = localDay(Date.parse(period.from), timeZone);
  const lastOfPeriod = localDay(Date.parse(period.to) - 1, timeZone);
  const last = lastOfPeriod < yesterday ? lastOfPeriod : yesterday;
  const days = first <= last ? daysFrom(first, last) : [];
  if (days.length > MAX_ALERT_DAYS) throw new ReportParamError('period', `alerts cover at most ${MAX_ALERT_DAYS} days at a time`);
  if (days.length === 0) return { period, days, alerts: [] };
  const all = await readAlertSeries(store, workspace, timeZone, last, BASELINE_DAYS + days.length - 1);
  const alerts: DayAlert[] = [];
  for (let k = days.length - 1; k >= 0; k--) {
    const end = BASELINE_DAYS + k;
    const found = detectAlerts({ ...alertWindow(all, end), webhooks: [], now });
    alerts.push(...found.sort((a, b) => a.p - b.p || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((a) => ({ ...a, day: days[k] as string })));
  }
  return { period, days, alerts };
}

/** `GET /v1/reports/alerts` (see the header): rows `{key, day, kind, subject, label, expected, observed, p}`; `lang=zh` words the labels in Chinese. */
export function alertsApiReport(store: Store): ExtraReport {
  return {
    params: ['period', 'lang'],
    async run({ workspace, query, timeZone, now }) {
      const period = parseReportPeriod(query.get('period') ?? '7d', now, timeZone);
      const lang = parseLang(query.get('lang'));
      const r = await alertsReport(store, workspace, timeZone, period, now);
      const rows = r.alerts.map((a) => ({ key: `${a.day}:${a.key}`, day: a.day, kind: a.kind, subject: a.subject, label: alertText(a, lang), expected: a.expected, observed: a.observed, p: a.p }));
      return { body: { period: { from: r.period.from, to: r.period.to, label: r.period.label }, days: r.days, alpha: ALPHA }, rows };
    },
  };
}
