/**
 * Entering spend: an amount for a campaign over a period (spread evenly over its local days)
 * and a CSV of `date,campaign,amount[,currency]`. Either way each (day, campaign) entry
 * REPLACES what was stored for it, so entering or importing the same thing twice never doubles
 * it. Amounts are in the workspace currency; a row in another currency is refused, never
 * converted.
 *
 * CSV rules: an optional header row (`date,campaign,amount[,currency]`); days `YYYY-MM-DD`;
 * amounts plain decimal numbers ≥ 0 (`1234.5`; thousands separators are refused, not guessed);
 * rows of the same day and campaign within one file are added up (an ad platform's export may
 * list one row per ad set). A bad row is reported with its line and the others are kept.
 */
import { readCsvRecords } from '../csv/csv-records.js';
import { assertDay } from '../store/counters/counter-rules.js';
import type { SpendRow, Store } from '../store/store.js';
import { dayFinder, daysFrom } from '../reports/local-days.js';
import type { Period } from '../reports/period.js';
import { CampaignInputError } from './campaign-target.js';

/** Most days one spend entry is spread over. */
export const MAX_SPREAD_DAYS = 400;

/** Cents (hundredths) of an amount spread evenly over `n` days: sums to the amount exactly. */
export function spreadEvenly(amount: number, n: number): number[] {
  const cents = Math.round(amount * 100);
  const base = Math.floor(cents / n);
  const extra = cents - base * n;
  return Array.from({ length: n }, (_, i) => (base + (i < extra ? 1 : 0)) / 100);
}

/** A spend amount as typed: a plain decimal number ≥ 0 with at most 2 decimals. */
export function parseAmount(text: string): number {
  const t = text.trim();
  if (!/^\d+(?:\.\d{1,2})?$/.test(t)) throw new CampaignInputError(`amount ${JSON.stringify(t.slice(0, 30))}: a number ≥ 0 like 1200 or 99.50 (no thousands separators or currency signs)`);
  const n = Number(t);
  if (!Number.isFinite(n) || n > 1e12) throw new CampaignInputError(`amount ${t}: too large`);
  return n;
}

/** The local days a period touches (first to last, both included). */
export function periodDays(period: Period, timeZone: string): string[] {
  const dayOf = dayFinder(timeZone);
  const from = Date.parse(period.from);
  return daysFrom(dayOf(from), dayOf(Math.max(from, Date.parse(period.to) - 1)));
}

export interface SpendEntry {
  workspace: string;
  campaign: string;
  amount: number;
  currency: string;
  days: readonly string[];
  source: string;
  at: Date;
}

/** Stores `amount` spread evenly over `days` (each day's entry replaced). Returns the rows written. */
export async function setSpend(store: Store, e: SpendEntry): Promise<SpendRow[]> {
  if (e.days.length === 0) throw new CampaignInputError('the period has no days');
  if (e.days.length > MAX_SPREAD_DAYS) throw new CampaignInputError(`spend is spread over at most ${MAX_SPREAD_DAYS} days`);
  const parts = spreadEvenly(e.amount, e.days.length);
  const updatedAt = e.at.toISOString();
  const rows = e.days.map((day, i) => ({ workspace: e.workspace, day, campaign: e.campaign, amount: parts[i] as number, currency: e.currency, source: e.source, updatedAt }));
  await store.campaigns.spend.put(e.workspace, rows);
  return rows;
}

export interface SpendImport {
  /** Rows written (one per day and campaign). */
  rows: SpendRow[];
  /** Lines read as data (header and blank lines not counted). */
  lines: number;
  errors: Array<{ line: number; message: string }>;
}

/** Reads and checks a spend CSV (see the header); nothing is written. */
export function parseSpendCsv(text: string, options: { workspace: string; currency: string; source: string; at: Date }): SpendImport {
  const errors: Array<{ line: number; message: string }> = [];
  const sums = new Map<string, SpendRow>();
  let lines = 0;
  let first = true;
  for (const rec of readCsvRecords(text)) {
    if ('error' in rec) {
      errors.push({ line: rec.line, message: rec.error });
      first = false;
      continue;
    }
    const f = rec.fields.map((x) => x.trim());
    if (first && /^date$/i.test(f[0] ?? '')) {
      first = false;
      const want = ['date', 'campaign', 'amount', 'currency'];
      if (f.length < 3 || f.length > 4 || f.some((h, i) => h.toLowerCase() !== want[i])) return { rows: [], lines: 0, errors: [{ line: rec.line, message: `the header must be date,campaign,amount[,currency]; got ${f.join(',').slice(0, 80)}` }] };
      continue;
    }
    first = false;
    lines++;
    const fail = (message: string): void => {
      errors.push({ line: rec.line, message });
    };
    if (f.length < 3 || f.length > 4) {
      fail(`expected date,campaign,amount[,currency]; got ${f.length} fields`);
      continue;
    }
    const [date = '', campaign = '', amountText = '', currency = ''] = f;
    try {
      assertDay(date, 'date');
    } catch {
      fail(`date ${JSON.stringify(date.slice(0, 30))}: a day written YYYY-MM-DD`);
      continue;
    }
    if (campaign.length === 0 || campaign.length > 128) {
      fail('campaign: 1–128 characters');
      continue;
    }
    if (currency !== '' && currency.toUpperCase() !== options.currency) {
      fail(`currency ${currency.slice(0, 10)} is not the workspace currency ${options.currency}: enter spend in ${options.currency}`);
      continue;
    }
    let amount: number;
    try {
      amount = parseAmount(amountText);
    } catch (err) {
      fail((err as Error).message);
      continue;
    }
    const k = `${date}\u0000${campaign}`;
    const row = sums.get(k);
    if (row) row.amount = Math.round((row.amount + amount) * 100) / 100;
    else sums.set(k, { workspace: options.workspace, day: date, campaign, amount, currency: options.currency, source: options.source, updatedAt: options.at.toISOString() });
  }
  return { rows: [...sums.values()], lines, errors };
}

/** Reads a spend CSV and stores its valid rows (each day and campaign replaced). */
export async function importSpendCsv(store: Store, text: string, options: { workspace: string; currency: string; source: string; at: Date }): Promise<SpendImport> {
  const r = parseSpendCsv(text, options);
  if (r.rows.length > 0) await store.campaigns.spend.put(options.workspace, r.rows);
  return r;
}
