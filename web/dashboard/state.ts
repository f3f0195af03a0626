/** What every view shares: the signed-in person, the language, the period and the model. */
import { formatMoney, formatNumber, formatPercent, formatDay, type Lang } from '../../src/i18n/language.js';
import type { Me } from './api.js';

export type RangePreset = '7d' | '30d' | '90d' | 'month' | 'last-month' | 'custom';
export const PRESETS: readonly RangePreset[] = ['7d', '30d', '90d', 'month', 'last-month', 'custom'];

export interface State {
  me: Me;
  lang: Lang;
  preset: RangePreset;
  from: string;
  to: string;
  model: string;
  view: string;
  /** Attribution's dimension. */
  by: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The last day of `YYYY-MM`. */
function monthEnd(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(last)}`;
}

/** The report API's `period` for the chosen range (days in the workspace's time zone; `today` is there). */
export function periodParam(s: Pick<State, 'preset' | 'from' | 'to'>, today: string): string {
  const [y, m] = today.split('-').map(Number) as [number, number];
  switch (s.preset) {
    case '7d':
    case '30d':
    case '90d':
      return s.preset;
    case 'month':
      return `${today.slice(0, 8)}01..${today}`;
    case 'last-month': {
      const py = m === 1 ? y - 1 : y;
      const pm = m === 1 ? 12 : m - 1;
      return `${py}-${pad(pm)}-01..${monthEnd(py, pm)}`;
    }
    case 'custom':
      return `${s.from}..${s.to}`;
  }
}

export const fmt = {
  n: (s: State, v: number, digits = 1): string => formatNumber(s.lang, v, digits),
  money: (s: State, v: number, currency?: string | null): string => formatMoney(s.lang, v, currency ?? s.me.currency),
  pct: (s: State, v: number): string => formatPercent(s.lang, v),
  day: (s: State, day: string): string => formatDay(s.lang, day),
};

/** The currency amounts are shown in: the workspace's, else the report's only one. */
export function currencyOf(s: State, reportCurrencies: unknown): string | null {
  if (s.me.currency) return s.me.currency;
  return Array.isArray(reportCurrencies) && reportCurrencies.length === 1 && typeof reportCurrencies[0] === 'string' ? reportCurrencies[0] : null;
}
