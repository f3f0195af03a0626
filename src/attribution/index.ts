/**
 * Attribution: credits conversions (and their value) to the channels of the journeys that led
 * to them, under seven models. Pure: no I/O; parsers take text, not paths.
 *
 * Typical use:
 * - whole data set: `attribute(parseJourneysJsonl(text).table, { models, order })` → totals and
 *   per-channel credits per model (each model's credits sum to the totals);
 * - one journey at a time (the reconciler): fit once with `attribute(...).fits` (or
 *   `fitMarkov` / `fitShapley`), then `creditJourney(journey, { models, markov, shapley })` →
 *   per-touch fractions of the conversion for each model.
 */
export {
  MODEL_NAMES,
  NONE_CHANNEL,
  RULE_MODELS,
  TIME_MODELS,
  JourneyTableBuilder,
  buildJourneyTable,
  buildPathTable,
  isModelName,
  summarizeTable,
  type AttributionTotals,
  type Conversion,
  type Journey,
  type JourneyTable,
  type JourneyTableOptions,
  type ModelName,
  type PathRow,
  type RuleModelName,
  type Touch,
} from './journey.js';
export {
  attribute,
  NO_TIMES_REASON,
  type AttributeOptions,
  type AttributionResult,
  type ChannelCredit,
  type ChannelCredits,
  type SkippedModel,
} from './attribute.js';
export { creditJourney, type CreditJourneyOptions, type JourneyCredit, type TouchCredits } from './credit-journey.js';
export {
  DEFAULT_HALF_LIFE_DAYS,
  DEFAULT_POSITION_WEIGHTS,
  resolveRuleOptions,
  type ResolvedRuleOptions,
  type RuleModelOptions,
} from './rule-models.js';
export { fitMarkov, type MarkovFit, type MarkovOptions } from './markov.js';
export { MAX_EXACT_SHAPLEY_CHANNELS, fitShapley, type ShapleyFit, type ShapleyShares } from './shapley.js';
export { parsePathsCsv } from './parse-paths-csv.js';
export { parseJourneysJsonl, parseIsoTime } from './parse-journeys-jsonl.js';
export type { ParseFailure, ParseResult, ParseSuccess } from './parse-result.js';
export { displayWidth, formatAttributionTable, type FormatTableOptions } from './format-table.js';
