/**
 * `attribute`: every requested model over a whole set of journeys or paths, as per-channel
 * credits that add up to the totals.
 */
import {
  MODEL_NAMES,
  NONE_CHANNEL,
  TIME_MODELS,
  buildJourneyTable,
  summarizeTable,
  type AttributionTotals,
  type Journey,
  type JourneyTable,
  type ModelName,
  type RuleModelName,
} from './journey.js';
import { buildMarkovChain, checkMarkovOrder, solveRemovalEffects, splitByEffect, toMarkovFit, type MarkovFit, type MarkovOptions } from './markov.js';
import { creditRuleModel, resolveRuleOptions, type ChannelCreditArrays, type RuleModelOptions } from './rule-models.js';
import { MAX_EXACT_SHAPLEY_CHANNELS, ShapleyModel, creditShapley, type ShapleyFit } from './shapley.js';

/** What to compute. */
export interface AttributeOptions extends RuleModelOptions, MarkovOptions {
  /**
   * Models to run, in any order (results follow `MODEL_NAMES` order). Default: all of them;
   * time-based models are skipped (see `skipped`) when the input has no times.
   */
  readonly models?: readonly ModelName[];
}

/** Credit of one channel under one model. */
export interface ChannelCredit {
  /** Conversions credited (fractional). */
  readonly conversions: number;
  /** Conversion value credited. */
  readonly value: number;
}

/** Credits of every channel under one model (a null-prototype object keyed by channel name). */
export type ChannelCredits = Readonly<Record<string, ChannelCredit>>;

/** A requested model that could not run on this input, and why. */
export interface SkippedModel {
  readonly model: ModelName;
  readonly reason: string;
}

/** Result of `attribute`. */
export interface AttributionResult {
  /** Sums over the input; each model's credits add up to these (conversions and value). */
  readonly total: AttributionTotals;
  /** Every channel of the input (plus `(none)` if used), sorted by code point. */
  readonly channels: readonly string[];
  /** Credits per model per channel, every channel listed (0 when uncredited). */
  readonly models: Partial<Record<ModelName, ChannelCredits>>;
  /** Things a reader of the numbers should know (skipped models, equal splits, …). */
  readonly notes: readonly string[];
  readonly skipped: readonly SkippedModel[];
  /** Fits of the models that need one, for crediting single journeys with `creditJourney`. */
  readonly fits: { readonly markov?: MarkovFit; readonly shapley?: ShapleyFit };
}

/** Why a time-based model cannot run on aggregated paths. */
export const NO_TIMES_REASON = 'needs touch and conversion times, which aggregated paths (CSV) do not have';

function isTable(input: JourneyTable | Iterable<Journey>): input is JourneyTable {
  return typeof input === 'object' && input !== null && 'rowStart' in input && 'touchChannel' in input;
}

/**
 * Credits conversions and value to channels under each requested model.
 *
 * @param input a table from `buildJourneyTable` / `buildPathTable` / a parser, or journeys
 *   (turned into a table with no lookback window; call `buildJourneyTable` yourself to set one).
 * @param options models (default all), Markov `order` (default 1), `halfLifeDays` (default 7),
 *   `positionWeights` (default [0.4, 0.2, 0.4]).
 * @throws RangeError for an invalid option (bad order, half-life or weights).
 */
export function attribute(input: JourneyTable | Iterable<Journey>, options: AttributeOptions = {}): AttributionResult {
  const table = isTable(input) ? input : buildJourneyTable(input);
  const ruleOptions = resolveRuleOptions(options);
  const order = options.order ?? 1;
  checkMarkovOrder(order);
  const requested = new Set(options.models ?? MODEL_NAMES);
  const notes: string[] = [];
  const skipped: SkippedModel[] = [];
  const arrays = new Map<ModelName, ChannelCreditArrays>();
  const fits: { markov?: MarkovFit; shapley?: ShapleyFit } = {};
  const total = summarizeTable(table);
  const untouched = untouchedConversions(table);

  for (const model of MODEL_NAMES) {
    if (!requested.has(model)) continue;
    if (TIME_MODELS.has(model) && table.touchTime === null) {
      skipped.push({ model, reason: `${model} ${NO_TIMES_REASON}` });
      notes.push(`${model} left out: it ${NO_TIMES_REASON}`);
      continue;
    }
    if (model === 'markov') {
      const chain = buildMarkovChain(table, order);
      const solution = solveRemovalEffects(chain);
      fits.markov = toMarkovFit(chain, solution);
      // Untouched conversions are not in the chain: (none) gets exactly them, the rest is split.
      const conversions = splitByEffect(total.conversions - untouched.conversions, solution.removalEffect);
      const value = splitByEffect(total.value - untouched.value, solution.valueRemovalEffect);
      if (untouched.channel >= 0) {
        // += : an input channel literally named (none) may also have earned a removal-effect share.
        conversions[untouched.channel]! += untouched.conversions;
        value[untouched.channel]! += untouched.value;
      }
      arrays.set(model, { conversions, value });
    } else if (model === 'shapley') {
      const shapley = new ShapleyModel(table);
      fits.shapley = shapley;
      const credit = creditShapley(table, shapley);
      arrays.set(model, credit);
      if (credit.equalSplitRows > 0) {
        const unit = table.kind === 'paths' ? 'paths' : 'journeys';
        notes.push(
          `shapley: ${credit.equalSplitRows} converting ${unit} had more than ${MAX_EXACT_SHAPLEY_CHANNELS} distinct channels and were split equally among them`,
        );
      }
    } else {
      arrays.set(model, creditRuleModel(table, model as RuleModelName, ruleOptions));
    }
  }

  if (untouched.conversions > 0) {
    const why = table.kind === 'paths' ? 'empty paths' : 'no touch left inside the lookback window, or none at all';
    notes.push(`conversions with no touch (${why}): ${untouched.conversions}; every model credits them to ${NONE_CHANNEL}`);
  }

  const byName = table.channels.map((_, i) => i).sort((a, b) => compareCodePoints(table.channels[a] as string, table.channels[b] as string));
  const channels = byName.map((i) => table.channels[i] as string);
  const models: Partial<Record<ModelName, ChannelCredits>> = {};
  for (const [model, credit] of arrays) {
    const byChannel = Object.create(null) as Record<string, ChannelCredit>;
    for (const i of byName) {
      byChannel[table.channels[i] as string] = { conversions: credit.conversions[i] as number, value: credit.value[i] as number };
    }
    models[model] = byChannel;
  }
  return { total, channels, models, notes, skipped, fits };
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Conversions and value of rows whose only touch is the synthetic `(none)`, and its channel id (-1 if none). */
function untouchedConversions(table: JourneyTable): { channel: number; conversions: number; value: number } {
  const channel = table.channels.indexOf(NONE_CHANNEL);
  let conversions = 0;
  let value = 0;
  if (channel < 0) return { channel, conversions, value };
  for (let r = 0; r < table.rowCount; r++) {
    const start = table.rowStart[r] as number;
    if ((table.rowStart[r + 1] as number) - start === 1 && table.touchChannel[start] === channel) {
      conversions += table.conversions[r] as number;
      value += table.value[r] as number;
    }
  }
  return { channel, conversions, value };
}
