/**
 * The parameters every way of asking for a report shares (bot commands, the HTTP report
 * API): the default period and model, model names with their aliases, the dimensions a
 * report may be cut by, and how a group is found by id or title. Pure; a bad value throws
 * {@link ReportParamError} naming the field, which each caller turns into its own answer
 * (a usage line in chat, a 400 with field-level reasons over HTTP).
 */
import { isModelName, MODEL_NAMES } from '../attribution/index.js';
import { languageOf, type Lang } from '../i18n/language.js';
import { parsePeriod, PeriodError, type Period } from './period.js';
import { REPORT_DIMENSIONS, type ReportDimension } from './report-types.js';

/** Period of a report when none is given. */
export const DEFAULT_PERIOD = '30d';
/** Model of an attribution report when none is given. */
export const DEFAULT_MODEL = 'linear';

/** Short names people type for the models (`model=u`, `model=last_click`). */
export const MODEL_ALIASES: Readonly<Record<string, string>> = {
  first: 'first_touch',
  last: 'last_touch',
  last_click: 'last_touch',
  u: 'position_based',
  u_shaped: 'position_based',
  'u-shaped': 'position_based',
  position: 'position_based',
  decay: 'time_decay',
  data: 'markov',
  data_driven: 'markov',
};

/** A report parameter with a bad value; `message` is one line without a final full stop. */
export class ReportParamError extends Error {
  override name = 'ReportParamError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The model a value names (aliases allowed, case-insensitive); {@link DEFAULT_MODEL} when absent. */
export function parseModel(value: string | undefined, field = 'model'): string {
  if (value === undefined) return DEFAULT_MODEL;
  const v = value.toLowerCase();
  const name = MODEL_ALIASES[v] ?? v;
  if (!isModelName(name)) throw new ReportParamError(field, `${field}= must be one of ${MODEL_NAMES.join(', ')}`);
  return name;
}

/**
 * `lang=`: the language sentences are worded in (`en`, `zh`, or a language tag such as `zh-CN`:
 * any Chinese tag is Chinese, anything else English); English when absent.
 */
export function parseLang(value: string | undefined, field = 'lang'): Lang {
  if (value === undefined) return 'en';
  if (!/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/.test(value)) throw new ReportParamError(field, `${field}= is en or zh`);
  return languageOf(value);
}

/** The dimension a value names, among `allowed`; `group` when absent. */
export function parseDimension<D extends string = ReportDimension>(value: string | undefined, allowed: readonly D[] = REPORT_DIMENSIONS as readonly string[] as readonly D[], field = 'by'): D {
  if (value === undefined) return 'group' as D;
  const v = value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new ReportParamError(field, `${field}= must be one of ${allowed.join(', ')}`);
  return v as D;
}

/** A period as people write it (`7d`, `2026-03-01..2026-03-31`, in `timeZone`); {@link DEFAULT_PERIOD} when absent. */
export function parseReportPeriod(value: string | undefined, now: Date, timeZone: string, field = 'period'): Period {
  try {
    return parsePeriod(value ?? DEFAULT_PERIOD, now, timeZone);
  } catch (err) {
    if (err instanceof PeriodError) throw new ReportParamError(field, err.message);
    throw err;
  }
}

/** What group matching needs of a registered group. */
export interface NamedGroup {
  chatId: string;
  title: string;
}

/**
 * Groups a name means: an exact id or title; else titles equal ignoring case; else titles
 * containing it (ignoring case). Several results mean the name is ambiguous.
 */
export function matchGroups<G extends NamedGroup>(groups: readonly G[], name: string): G[] {
  const wanted = name.trim();
  if (wanted === '') return [];
  const exact = groups.filter((g) => g.chatId === wanted || g.title === wanted);
  if (exact.length > 0) return exact;
  const lower = wanted.toLowerCase();
  const folded = groups.filter((g) => g.title.toLowerCase() === lower);
  if (folded.length > 0) return folded;
  return groups.filter((g) => g.title.toLowerCase().includes(lower));
}
