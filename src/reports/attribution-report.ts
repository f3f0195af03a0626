/**
 * Attribution reports from the day counters (never raw credits at scale, never rebuilt
 * journeys): conversions and value credited per group, campaign, keyword, link or platform
 * under a model, beside last touch, and every model side by side. Totals count every
 * conversion of the period, matched or not. A period is read as stored days plus the raw credit
 * sets and conversions of its partial edge days and of days the rollup has not caught up with
 * (`read-counters.ts`), so figures are exact for any period.
 *
 * Row keys: the step's chat id (group), campaign (its own or the one its group join came
 * through), keyword and link (a step's credit split equally over its keyword or link facets),
 * platform; `(none)` for credit without one (and for a matched person with no touch in the
 * window: the whole conversion). A row's label is the one of the latest day it appears on.
 */
import { MODEL_NAMES, isModelName, type ModelName } from '../attribution/index.js';
import { fitStatus, missingFitNote } from '../reconcile/fit-status.js';
import type { DayParts, Store, TotalsPart } from '../store/store.js';
import { creditPart, type DayPartName } from '../store/counters/counter-repo.js';
import { NONE_KEY, rowsOfTouch } from './day-counters.js';
import type { Period } from './period.js';
import { readPeriod } from './read-counters.js';
import type { Amount, AttributionReport, ModelComparison, ReportDimension } from './report-types.js';
import { REPORT_DIMENSIONS } from './report-types.js';

export { NONE_KEY, rowsOfTouch };

/** A report cannot be made as asked (unknown model or dimension); the message lists the valid ones. */
export class ReportError extends Error {
  override name = 'ReportError';
}

export function checkDimension(by: string): ReportDimension {
  if (!(REPORT_DIMENSIONS as readonly string[]).includes(by)) throw new ReportError(`unknown dimension '${by}'; use one of ${REPORT_DIMENSIONS.join(', ')}`);
  return by as ReportDimension;
}

export function checkModel(model: string): ModelName {
  if (!isModelName(model)) throw new ReportError(`unknown model '${model}'; models: ${MODEL_NAMES.join(', ')}`);
  return model;
}

/** An amount that also sums value per currency (a map only once a second currency shows up). */
export class Tally {
  conversions = 0;
  value = 0;
  #base: string | undefined;
  #baseValue = 0;
  #others: Map<string, number> | undefined;
  add(conversions: number, value: number, currency: string): void {
    this.conversions += conversions;
    this.value += value;
    if (this.#base === undefined || currency === this.#base) {
      this.#base = currency;
      this.#baseValue += value;
    } else {
      this.#others ??= new Map();
      this.#others.set(currency, (this.#others.get(currency) ?? 0) + value);
    }
  }
  amount(multiCurrency: boolean): Amount {
    const a: Amount = { conversions: round(this.conversions), value: round(this.value) };
    if (multiCurrency) {
      const all = new Map(this.#others ?? []);
      if (this.#base !== undefined) all.set(this.#base, this.#baseValue);
      a.byCurrency = Object.fromEntries([...all].sort(([x], [y]) => (x < y ? -1 : 1)).map(([c, v]) => [c, round(v)]));
    }
    return a;
  }
}

/** Rounds to 9 decimals, so floating-point noise (0.1 + 0.2) does not show in reports. */
export function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

interface Totals {
  totals: AttributionReport['totals'];
  currencies: string[];
}

/** Totals over every conversion of the period, from the days' `totals` parts. */
export function periodTotals(days: ReadonlyArray<{ parts: Partial<DayParts> }>): Totals {
  let conversions = 0;
  let value = 0;
  let matched = 0;
  let lowConfidence = 0;
  let pending = 0;
  const unattributed = new Tally();
  const currencies = new Set<string>();
  for (const d of days) {
    for (const r of d.parts.totals?.byCurrency ?? []) {
      conversions += r.conversions;
      value += r.value;
      matched += r.matched;
      lowConfidence += r.lowConfidence;
      pending += r.pending;
      currencies.add(r.currency);
      if (r.unattributed > 0) unattributed.add(r.unattributed, r.unattributedValue, r.currency);
    }
  }
  const list = [...currencies].sort();
  return {
    totals: {
      conversions,
      value: round(value),
      matched,
      unattributed: unattributed.amount(list.length > 1),
      matchRate: conversions === 0 ? 0 : round(matched / conversions),
      lowConfidence,
      pending,
    },
    currencies: list,
  };
}

interface Row {
  key: string;
  label: string;
  /** One tally per model, in the order of the `models` asked for. */
  tallies: Tally[];
}

/** Reads the period's totals and its credit rows for the given models by one dimension. */
async function creditRows(store: Store, workspace: string, timeZone: string, period: Period, by: ReportDimension, models: readonly ModelName[]): Promise<Totals & { rows: Map<string, Row>; missing: Map<ModelName, number> }> {
  const parts: DayPartName[] = ['totals', ...models.map((m) => creditPart(m, by))];
  const { days } = await readPeriod(store, workspace, timeZone, period, { parts, conversions: true, credits: { models, dimensions: [by] } });
  const rows = new Map<string, Row>();
  const missing = new Map<ModelName, number>();
  for (const d of days) {
    const totals = d.parts.totals as TotalsPart | undefined;
    for (const m of models) {
      const n = totals?.missing[m] ?? 0;
      if (n > 0) missing.set(m, (missing.get(m) ?? 0) + n);
    }
    models.forEach((m, mi) => {
      for (const r of d.parts[creditPart(m, by)] ?? []) {
        let row = rows.get(r.key);
        if (!row) {
          row = { key: r.key, label: r.label, tallies: models.map(() => new Tally()) };
          rows.set(r.key, row);
        }
        // Days come in order: the latest day's label wins.
        row.label = r.label;
        row.tallies[mi]?.add(r.conversions, r.value, r.currency);
      }
    });
  }
  return { ...periodTotals(days), rows, missing };
}

/** Why conversions of the period have no credits under a model yet, from the fits' status: being refitted, or no fit covers them (then `/refit` helps). */
async function missingNotes(store: Store, workspace: string, period: Period, missing: Map<ModelName, number>): Promise<string[]> {
  if (missing.size === 0) return [];
  const status = await fitStatus(store, workspace);
  return [...missing].flatMap(([m, n]) => missingFitNote(m, n, status, period));
}

function currencyNotes(currencies: string[]): string[] {
  return currencies.length > 1 ? [`conversions in ${currencies.length} currencies (${currencies.join(', ')}): value sums them as they are; see byCurrency`] : [];
}

function byValue(a: { key: string; value: number; conversions: number }, b: { key: string; value: number; conversions: number }): number {
  return b.value - a.value || b.conversions - a.conversions || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export async function attributionReport(store: Store, workspace: string, timeZone: string, options: { period: Period; by: ReportDimension; model: string }): Promise<AttributionReport> {
  const model = checkModel(options.model);
  const by = checkDimension(options.by);
  const models: ModelName[] = model === 'last_touch' ? ['last_touch'] : [model, 'last_touch'];
  const { totals, currencies, rows, missing } = await creditRows(store, workspace, timeZone, options.period, by, models);
  const multi = currencies.length > 1;
  const out = [...rows.values()].map((r) => {
    const credited = (r.tallies[0] as Tally).amount(multi);
    const lastTouch = (r.tallies[models.length - 1] as Tally).amount(multi);
    const difference: Amount = { conversions: round(credited.conversions - lastTouch.conversions), value: round(credited.value - lastTouch.value) };
    if (multi) {
      const keys = new Set([...Object.keys(credited.byCurrency ?? {}), ...Object.keys(lastTouch.byCurrency ?? {})]);
      difference.byCurrency = Object.fromEntries([...keys].sort().map((c) => [c, round((credited.byCurrency?.[c] ?? 0) - (lastTouch.byCurrency?.[c] ?? 0))]));
    }
    return { key: r.key, label: r.label, credited, lastTouch, difference };
  });
  out.sort((a, b) => byValue({ key: a.key, ...a.credited }, { key: b.key, ...b.credited }));
  const report: AttributionReport = { workspace, period: options.period, by, model, rows: out, totals, currencies };
  const notes = [...(await missingNotes(store, workspace, options.period, missing)), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}

export async function compareModels(store: Store, workspace: string, timeZone: string, options: { period: Period; by: ReportDimension }): Promise<ModelComparison> {
  const by = checkDimension(options.by);
  const { totals, currencies, rows, missing } = await creditRows(store, workspace, timeZone, options.period, by, MODEL_NAMES);
  const multi = currencies.length > 1;
  const out = [...rows.values()].map((r) => ({
    key: r.key,
    label: r.label,
    byModel: Object.fromEntries(MODEL_NAMES.map((m, mi) => [m, (r.tallies[mi] as Tally).amount(multi)])),
  }));
  out.sort((a, b) => byValue({ key: a.key, ...(a.byModel.last_touch as Amount) }, { key: b.key, ...(b.byModel.last_touch as Amount) }));
  const report: ModelComparison = { workspace, period: options.period, by, models: [...MODEL_NAMES], rows: out, totals, currencies };
  const notes = [...(await missingNotes(store, workspace, options.period, missing)), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}
