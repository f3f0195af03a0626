/**
 * Counting raw rows into day counters (pure; no I/O). The rollup feeds one local day's
 * touches, conversions and credit sets into a {@link DayCountersBuilder} and stores what it
 * gives; a report feeds the rows of a partial day at a period's edge (or of a day still
 * waiting for the rollup) into one, so both count the same way.
 *
 * What is counted:
 * - `totals`: every conversion (matched or not) per currency: value, matched, low confidence,
 *   unattributed (and its value), pending; the credit sets and, per model, those without it;
 * - `credits.<model>.<dimension>`: each credit set's credit per row of each step
 *   ({@link rowsOfTouch}: a step's credit split equally over its keyword or link facets;
 *   `(none)` for credit without one, and the whole conversion for a set without steps);
 * - `groups`: per group (chat types `group`, `channel`) messages, keyword hits, joins, leaves
 *   (and leaves of nobody known); `joins` per group and campaign; `keywords` per group and
 *   keyword; `clicks` (every `link_click` touch) per link, group and campaign;
 * - converting journeys (credit sets with at least one step): `journeys` by whole days from the
 *   first step to the conversion and by number of steps; `paths` by group, campaign and keyword
 *   ({@link pathOf}); `assists` per row of each of those: journeys the row was in but not in
 *   their last step ({@link assistsOf}).
 */
import type { ModelName } from '../attribution/index.js';
import { MODEL_NAMES } from '../attribution/index.js';
import type { AssistRow, ClickRow, ConversionRecord, CreditDimension, CreditRow, CreditSet, CreditedTouch, DayParts, GroupRow, JoinRow, JourneyRow, KeywordRow, PathDimension, PathRow, StoredTouch, TotalsRow } from '../store/store.js';
import { CREDIT_DIMENSIONS, PATH_DIMENSIONS, creditPart } from '../store/counters/counter-repo.js';
import { compareCodePoints } from '../store/rules.js';

/** The key of credit without a group, campaign, keyword or link. */
export const NONE_KEY = '(none)';
/** The `by=group` row of steps in a private chat with a bot or account (deep-link and click-to-chat starts): one row, not one per person. */
export const DIRECT_KEY = '(direct)';

/** The rows a credited touch counts toward, with the share of its credit each gets. */
export function rowsOfTouch(t: CreditedTouch, by: CreditDimension): Array<{ key: string; label: string; share: number }> {
  switch (by) {
    case 'group':
      if (t.kind === 'dm_start') return [{ key: DIRECT_KEY, label: 'direct chats', share: 1 }];
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
    case 'referrer':
      // A referral step's inviter (profile id); every other step is (none).
      return [{ key: t.referrer ?? NONE_KEY, label: t.referrer ?? NONE_KEY, share: 1 }];
  }
}

/** What a builder counts; everything by default. */
export interface CountOptions {
  /** Models whose credit parts are counted (default all seven). */
  models?: readonly ModelName[];
  /** Dimensions of those parts (default all five). */
  dimensions?: readonly CreditDimension[];
}

/**
 * The step key and label of a credited touch on a path by `by`: its group, its campaign, or its
 * keywords (sorted, joined by `+`); null for a step without keywords on a keyword path.
 */
function stepOf(t: CreditedTouch, by: PathDimension): { key: string; label: string } | null {
  if (by === 'group') return { key: t.chatId ?? NONE_KEY, label: t.chatTitle ?? t.chatId ?? NONE_KEY };
  if (by === 'campaign') return { key: t.campaign ?? NONE_KEY, label: t.campaign ?? NONE_KEY };
  const kws = t.keywords ?? [];
  if (kws.length === 0) return null;
  const k = [...kws].sort(compareCodePoints).join('+');
  return { key: k, label: k };
}

/**
 * A journey's path by `by`: its steps' keys in time order, consecutive repeats collapsed (a
 * keyword path leaves out steps without keywords; none left: one `(none)` step).
 */
export function pathOf(touches: readonly CreditedTouch[], by: PathDimension): { steps: string[]; labels: string[] } {
  const steps: string[] = [];
  const labels: string[] = [];
  for (const t of touches) {
    const s = stepOf(t, by);
    if (s === null) continue;
    if (steps[steps.length - 1] === s.key) {
      labels[labels.length - 1] = s.label;
      continue;
    }
    steps.push(s.key);
    labels.push(s.label);
  }
  if (steps.length === 0) return { steps: [NONE_KEY], labels: [NONE_KEY] };
  return { steps, labels };
}

/**
 * The rows a journey assisted by `by`: every row (as {@link rowsOfTouch} gives them) of any of
 * its steps that is not a row of its last step. Each counts once per journey.
 */
export function assistsOf(touches: readonly CreditedTouch[], by: PathDimension): Map<string, string> {
  const last = touches[touches.length - 1];
  const out = new Map<string, string>();
  if (!last) return out;
  const lastKeys = new Set(rowsOfTouch(last, by).map((r) => r.key));
  for (const t of touches) for (const r of rowsOfTouch(t, by)) if (!lastKeys.has(r.key)) out.set(r.key, r.label);
  return out;
}

const DAY_MS = 86_400_000;

type Tally = { label: string; conversions: number; value: number };
const SEP = '\u0000';

/** Counts rows of one stretch of time (a day, or part of one) into day parts. */
export class DayCountersBuilder {
  readonly #models: readonly ModelName[];
  readonly #dims: readonly CreditDimension[];
  readonly #totals = new Map<string, TotalsRow>();
  #creditSets = 0;
  readonly #missing = new Map<ModelName, number>();
  /** Per model, per dimension: key → currency → tally. */
  readonly #credits: Array<Array<Map<string, Map<string, Tally>>>>;
  readonly #groups = new Map<string, GroupRow>();
  readonly #joins = new Map<string, JoinRow>();
  readonly #keywords = new Map<string, KeywordRow>();
  readonly #clicks = new Map<string, ClickRow>();
  readonly #journeys = new Map<string, JourneyRow>();
  readonly #paths = new Map<string, PathRow>();
  readonly #assists = new Map<string, AssistRow>();

  constructor(options: CountOptions = {}) {
    this.#models = options.models ?? MODEL_NAMES;
    this.#dims = options.dimensions ?? CREDIT_DIMENSIONS;
    this.#credits = this.#models.map(() => this.#dims.map(() => new Map()));
  }

  addTouch(t: StoredTouch): void {
    if (t.kind === 'link_click') {
      const campaign = t.details.campaign ?? null;
      const k = `${t.details.code}${SEP}${t.chat.id}${SEP}${campaign ?? ''}${SEP}${campaign === null ? 0 : 1}`;
      const row = this.#clicks.get(k);
      if (row) row.clicks++;
      else this.#clicks.set(k, { link: t.details.code, chatId: t.chat.id, campaign, clicks: 1 });
    }
    if (t.chat.type !== 'group' && t.chat.type !== 'channel') return;
    let g = this.#groups.get(t.chat.id);
    if (!g) {
      g = { chatId: t.chat.id, messages: 0, keywordHits: 0, joins: 0, leaves: 0, anonymousLeaves: 0 };
      this.#groups.set(t.chat.id, g);
    }
    if (t.chat.title !== undefined) g.chatTitle = t.chat.title;
    switch (t.kind) {
      case 'message': {
        g.messages++;
        for (const keyword of t.details.keywords ?? []) {
          g.keywordHits++;
          const k = `${t.chat.id}${SEP}${keyword}`;
          const row = this.#keywords.get(k);
          if (row) row.hits++;
          else this.#keywords.set(k, { chatId: t.chat.id, keyword, hits: 1 });
        }
        break;
      }
      case 'join': {
        g.joins++;
        const campaign = t.details.campaign ?? null;
        const k = `${t.chat.id}${SEP}${campaign ?? ''}${SEP}${campaign === null ? 0 : 1}`;
        const row = this.#joins.get(k);
        if (row) row.joins++;
        else this.#joins.set(k, { chatId: t.chat.id, campaign, joins: 1 });
        break;
      }
      case 'leave':
        g.leaves++;
        if (t.profileId === null) g.anonymousLeaves++;
        break;
      default:
        break;
    }
  }

  addConversion(c: ConversionRecord): void {
    let row = this.#totals.get(c.currency);
    if (!row) {
      row = { currency: c.currency, conversions: 0, value: 0, matched: 0, lowConfidence: 0, unattributed: 0, unattributedValue: 0, pending: 0 };
      this.#totals.set(c.currency, row);
    }
    row.conversions++;
    row.value += c.value;
    if (c.status === 'matched') {
      row.matched++;
      if (c.match?.lowConfidence) row.lowConfidence++;
    } else {
      row.unattributed++;
      row.unattributedValue += c.value;
      if (c.status === 'pending') row.pending++;
    }
  }

  addCreditSet(set: CreditSet): void {
    this.#creditSets++;
    this.#addJourney(set);
    for (let mi = 0; mi < this.#models.length; mi++) {
      const model = this.#models[mi] as ModelName;
      const credit = set.models[model];
      if (!credit) this.#missing.set(model, (this.#missing.get(model) ?? 0) + 1);
      const parts = this.#credits[mi] as Array<Map<string, Map<string, Tally>>>;
      for (let di = 0; di < this.#dims.length; di++) {
        const part = parts[di] as Map<string, Map<string, Tally>>;
        // A matched person with no step in the window: the whole conversion is (none)'s, under every model.
        if (set.touches.length === 0) {
          add(part, NONE_KEY, NONE_KEY, set.currency, 1, set.value);
          continue;
        }
        if (!credit) continue;
        const dim = this.#dims[di] as CreditDimension;
        set.touches.forEach((t, i) => {
          const conv = credit.conversions[i] ?? 0;
          const value = credit.value[i] ?? 0;
          for (const r of rowsOfTouch(t, dim)) add(part, r.key, r.label, set.currency, conv * r.share, value * r.share);
        });
      }
    }
  }

  /** Counts a converting journey's lag, length, paths and assists (nothing for a set without steps). */
  #addJourney(set: CreditSet): void {
    const first = set.touches[0];
    if (!first) return;
    const lagDays = Math.max(0, Math.floor((Date.parse(set.conversionAt) - Date.parse(first.at)) / DAY_MS));
    const jk = `${lagDays}${SEP}${set.touches.length}`;
    const j = this.#journeys.get(jk);
    if (j) j.conversions++;
    else this.#journeys.set(jk, { lagDays, steps: set.touches.length, conversions: 1 });
    for (const by of PATH_DIMENSIONS) {
      const p = pathOf(set.touches, by);
      const pk = `${by}${SEP}${set.currency}${SEP}${p.steps.join(SEP)}`;
      const row = this.#paths.get(pk);
      if (row) {
        row.conversions++;
        row.value += set.value;
        row.labels = p.labels;
      } else this.#paths.set(pk, { by, steps: p.steps, labels: p.labels, currency: set.currency, conversions: 1, value: set.value });
      for (const [key, label] of assistsOf(set.touches, by)) {
        const ak = `${by}${SEP}${key}`;
        const a = this.#assists.get(ak);
        if (a) {
          a.assists++;
          a.label = label;
        } else this.#assists.set(ak, { by, key, label, assists: 1 });
      }
    }
  }

  /** The parts counted so far, rows sorted by their keys (code points). */
  parts(): Partial<DayParts> {
    const byCode = (a: string, b: string): number => compareCodePoints(a, b);
    const out: Partial<DayParts> = {
      totals: {
        byCurrency: [...this.#totals.values()].sort((a, b) => byCode(a.currency, b.currency)),
        creditSets: this.#creditSets,
        missing: Object.fromEntries([...this.#missing].sort(([a], [b]) => byCode(a, b))),
      },
      groups: [...this.#groups.values()].sort((a, b) => byCode(a.chatId, b.chatId)),
      joins: [...this.#joins.values()].sort((a, b) => byCode(a.chatId, b.chatId) || byCode(a.campaign ?? '', b.campaign ?? '') || (a.campaign === null ? -1 : 1)),
      keywords: [...this.#keywords.values()].sort((a, b) => byCode(a.chatId, b.chatId) || byCode(a.keyword, b.keyword)),
      clicks: [...this.#clicks.values()].sort((a, b) => byCode(a.link, b.link) || byCode(a.chatId, b.chatId) || byCode(a.campaign ?? '', b.campaign ?? '')),
      journeys: [...this.#journeys.values()].sort((a, b) => a.lagDays - b.lagDays || a.steps - b.steps),
      paths: [...this.#paths.entries()].sort(([a], [b]) => byCode(a, b)).map(([, r]) => r),
      assists: [...this.#assists.entries()].sort(([a], [b]) => byCode(a, b)).map(([, r]) => r),
    };
    this.#models.forEach((model, mi) => {
      this.#dims.forEach((dim, di) => {
        const rows: CreditRow[] = [];
        for (const [key, byCurrency] of this.#credits[mi]?.[di] ?? []) {
          for (const [currency, t] of byCurrency) rows.push({ key, label: t.label, currency, conversions: t.conversions, value: t.value });
        }
        rows.sort((a, b) => byCode(a.key, b.key) || byCode(a.currency, b.currency));
        out[creditPart(model, dim)] = rows;
      });
    });
    return out;
  }
}

function add(part: Map<string, Map<string, Tally>>, key: string, label: string, currency: string, conversions: number, value: number): void {
  let byCurrency = part.get(key);
  if (!byCurrency) {
    byCurrency = new Map();
    part.set(key, byCurrency);
  }
  const t = byCurrency.get(currency);
  if (t) {
    t.label = label;
    t.conversions += conversions;
    t.value += value;
  } else byCurrency.set(currency, { label, conversions, value });
}
