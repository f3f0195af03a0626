/**
 * Attribution reports from stored credits (never rebuilt journeys): conversions and value
 * credited per group, campaign, keyword, link or platform under a model, beside last touch,
 * and every model side by side. Totals count every conversion of the period, matched or not.
 *
 * Row keys: the step's chat id (group), campaign (its own or the one its group join came
 * through), keyword and link (a step's credit split equally over its keyword or link facets),
 * platform; `(none)` for credit without one (and for a matched person with no touch in the
 * window: the whole conversion).
 */
import { MODEL_NAMES, isModelName, type ModelName } from '../attribution/index.js';
import { everyConversion, everyCreditSet } from '../reconcile/read-pages.js';
import type { CreditedTouch } from '../store/store.js';
import type { Store } from '../store/store.js';
import type { Period } from './period.js';
import type { Amount, AttributionReport, ModelComparison, ReportDimension } from './report-types.js';
import { REPORT_DIMENSIONS } from './report-types.js';

/** A report cannot be made as asked (unknown model or dimension); the message lists the valid ones. */
export class ReportError extends Error {
  override name = 'ReportError';
}

export const NONE_KEY = '(none)';

/** The rows a credited touch counts toward, with the share of its credit each gets. */
export function rowsOfTouch(t: CreditedTouch, by: ReportDimension): Array<{ key: string; label: string; share: number }> {
  switch (by) {
    case 'group':
      return [{ key: t.chatId ?? NONE_KEY, label: t.chatTitle ?? t.chatId ?? NONE_KEY, share: 1 }];
    case 'campaign':
      return [{ key: t.campaign ?? NONE_KEY, label: t.campaign ?? NONE_KEY, share: 1 }];
    case 'keyword': {
      const kws = t.keywords ?? [];
      if (kws.length === 0) return [{ key: NONE_KEY, label: NONE_KEY, share: 1 }];
      return kws.map((k) => ({ key: k, label: k, share: 1 / kws.length }));
    }
    case 'link': {
      const links = t.links ?? [];
      if (links.length === 0) return [{ key: NONE_KEY, label: NONE_KEY, share: 1 }];
      return links.map((l) => ({ key: l, label: l, share: 1 / links.length }));
    }
    case 'platform':
      return [{ key: t.platform, label: t.platform, share: 1 }];
  }
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
class Tally {
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

/** Totals over every conversion of the period. */
async function periodTotals(store: Store, workspace: string, period: Period): Promise<Totals> {
  let conversions = 0;
  let value = 0;
  let matched = 0;
  let lowConfidence = 0;
  let pending = 0;
  const unattributed = new Tally();
  const currencies = new Set<string>();
  for await (const c of everyConversion(store, workspace, { from: period.from, to: period.to })) {
    conversions++;
    value += c.value;
    currencies.add(c.currency);
    if (c.status === 'matched') {
      matched++;
      if (c.match?.lowConfidence) lowConfidence++;
    } else {
      if (c.status === 'pending') pending++;
      unattributed.add(1, c.value, c.currency);
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

/** Sums credits per row for the given models over the period's credit sets (the hot loop of every report). */
async function creditRows(store: Store, workspace: string, period: Period, by: ReportDimension, models: readonly ModelName[]): Promise<{ rows: Map<string, Row>; missing: Map<ModelName, number> }> {
  const rows = new Map<string, Row>();
  const missingCounts = models.map(() => 0);
  const rowOf = (key: string, label: string): Row => {
    let r = rows.get(key);
    if (!r) {
      r = { key, label, tallies: models.map(() => new Tally()) };
      rows.set(key, r);
    }
    return r;
  };
  for await (const set of everyCreditSet(store, workspace, { from: period.from, to: period.to, models })) {
    const credits = models.map((m) => set.models[m]);
    credits.forEach((c, mi) => {
      if (!c) missingCounts[mi] = (missingCounts[mi] ?? 0) + 1;
    });
    if (set.touches.length === 0) {
      const r = rowOf(NONE_KEY, NONE_KEY);
      models.forEach((_, mi) => r.tallies[mi]?.add(1, set.value, set.currency));
      continue;
    }
    const addTo = (r: Row, i: number, share: number): void => {
      for (let mi = 0; mi < credits.length; mi++) {
        const c = credits[mi];
        if (c) r.tallies[mi]?.add((c.conversions[i] ?? 0) * share, (c.value[i] ?? 0) * share, set.currency);
      }
    };
    set.touches.forEach((t, i) => {
      for (const x of rowsOfTouch(t, by)) addTo(rowOf(x.key, x.label), i, x.share);
    });
  }
  const missing = new Map<ModelName, number>();
  models.forEach((m, mi) => {
    if ((missingCounts[mi] ?? 0) > 0) missing.set(m, missingCounts[mi] as number);
  });
  return { rows, missing };
}

function missingNotes(missing: Map<ModelName, number>): string[] {
  return [...missing].map(([m, n]) => `${m}: ${n} conversion${n === 1 ? '' : 's'} not credited yet (the data-driven models are fitted after the first conversions; run a refit)`);
}

function currencyNotes(currencies: string[]): string[] {
  return currencies.length > 1 ? [`conversions in ${currencies.length} currencies (${currencies.join(', ')}): value sums them as they are; see byCurrency`] : [];
}

function byValue(a: { key: string; value: number; conversions: number }, b: { key: string; value: number; conversions: number }): number {
  return b.value - a.value || b.conversions - a.conversions || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export async function attributionReport(store: Store, workspace: string, options: { period: Period; by: ReportDimension; model: string }): Promise<AttributionReport> {
  const model = checkModel(options.model);
  const by = checkDimension(options.by);
  const models: ModelName[] = model === 'last_touch' ? ['last_touch'] : [model, 'last_touch'];
  const [{ totals, currencies }, { rows, missing }] = await Promise.all([periodTotals(store, workspace, options.period), creditRows(store, workspace, options.period, by, models)]);
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
  const notes = [...missingNotes(missing), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}

export async function compareModels(store: Store, workspace: string, options: { period: Period; by: ReportDimension }): Promise<ModelComparison> {
  const by = checkDimension(options.by);
  const [{ totals, currencies }, { rows, missing }] = await Promise.all([periodTotals(store, workspace, options.period), creditRows(store, workspace, options.period, by, MODEL_NAMES)]);
  const multi = currencies.length > 1;
  const out = [...rows.values()].map((r) => ({
    key: r.key,
    label: r.label,
    byModel: Object.fromEntries(MODEL_NAMES.map((m, mi) => [m, (r.tallies[mi] as Tally).amount(multi)])),
  }));
  out.sort((a, b) => byValue({ key: a.key, ...(a.byModel.last_touch as Amount) }, { key: b.key, ...(b.byModel.last_touch as Amount) }));
  const report: ModelComparison = { workspace, period: options.period, by, models: [...MODEL_NAMES], rows: out, totals, currencies };
  const notes = [...missingNotes(missing), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}
