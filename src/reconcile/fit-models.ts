/**
 * The data-driven models (Markov, Shapley) fitted over every journey of a month's fit window,
 * converting or not (see `fit-window.ts`), and the per-conversion credits under every model.
 *
 * Converting journeys are the stored credit sets of the window's conversions (so the fit sees
 * exactly the journeys the reconciler credits). Non-converting journeys are each person's
 * touches of the window that no converting journey holds (a touch of the person between a
 * converting journey's first touch and its conversion belongs to that journey, collapsed into
 * it or not), and each anonymous click no conversion claimed. A fit is stored as Markov removal
 * effects and Shapley coalition counts; the Shapley fit is rebuilt from those counts (the
 * coalition worth v(T) is conversions ÷ journeys of the set T, which the counts keep exactly).
 *
 * Determinism: the same journeys give the same fit, bit for bit, whatever order they were read
 * in. Journeys are put in one canonical order before fitting (floating-point sums depend on
 * order), the channels are numbered in code-unit order (so Markov states are too), coalitions
 * are sorted, and the fit's id is a hash of that canonical input: the same data always gives
 * the same id, and an unchanged refit changes nothing.
 */
import { createHash } from 'node:crypto';
import {
  JourneyTableBuilder,
  MODEL_NAMES,
  RULE_MODELS,
  buildPathTable,
  creditJourney,
  fitMarkov,
  fitShapley,
  type MarkovFit,
  type ModelName,
  type ShapleyFit,
} from '../attribution/index.js';
import { allTouches } from '../store/paging.js';
import type { Coalition, CreditSet, CreditedTouch, StoredFit } from '../store/store.js';
import type { Store } from '../store/store.js';
import { TOUCH_KINDS, type TouchEvent } from '../touch-event.js';
import { assembleJourney } from './assemble-journey.js';
import { everyCreditSet } from './read-pages.js';

/** Touches of a fit window are read this many ms at a time (a week). */
const SLICE_MS = 7 * 86_400_000;

/** Changes whenever the fitting method changes, so a new method never reuses an old id. */
const FIT_FORMAT = 'midfunnel-fit-v1 markov-order-1 shapley-coalitions';

/** A fit ready to credit journeys with. */
export interface LoadedFit {
  id: string;
  month: string;
  markov: MarkovFit;
  shapley: ShapleyFit;
}

/** One journey for fitting: channels in time order, and its conversion (or null). */
export interface FitJourney {
  channels: string[];
  times: number[];
  conversion: { at: number; value: number } | null;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A journey in canonical form: its channels as ids into the fit's sorted channel list. */
interface CanonicalJourney {
  ids: number[];
  journey: FitJourney;
}

/** Orders numbers lexicographically as sequences (a prefix first). */
function compareSequences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** The canonical order of journeys: non-converting first, then by conversion time and value, channels, touch times. */
function compareCanonical(a: CanonicalJourney, b: CanonicalJourney): number {
  const ca = a.journey.conversion;
  const cb = b.journey.conversion;
  if (ca === null || cb === null) {
    if (ca !== cb) return ca === null ? -1 : 1;
  } else if (ca.at !== cb.at || ca.value !== cb.value) return ca.at - cb.at || ca.value - cb.value;
  return compareSequences(a.ids, b.ids) || compareSequences(a.journey.times, b.journey.times);
}

/**
 * The canonical input of a fit: the distinct channels in code-unit order, and the non-empty
 * journeys with their channels numbered in that order, sorted by everything the fit reads of
 * them (conversion time and value, channels, touch times).
 */
export function canonicalJourneys(journeys: Iterable<FitJourney>): { channels: string[]; journeys: CanonicalJourney[] } {
  const kept: FitJourney[] = [];
  const names = new Set<string>();
  for (const j of journeys) {
    if (j.channels.length === 0) continue;
    kept.push(j);
    for (const c of j.channels) names.add(c);
  }
  const channels = [...names].sort(byCodeUnits);
  const idOf = new Map(channels.map((c, i) => [c, i]));
  const out = kept.map((journey): CanonicalJourney => ({ ids: journey.channels.map((c) => idOf.get(c) as number), journey }));
  return { channels, journeys: out.sort(compareCanonical) };
}

/** The id of a fit of `month` over `window`: a hash of the fitting method and the canonical input. */
export function fitIdOf(month: string, window: { from: string; to: string }, canonical: { channels: readonly string[]; journeys: readonly CanonicalJourney[] }): string {
  const h = createHash('sha256').update(`${FIT_FORMAT}\n${month}\n${window.from}\n${window.to}\n${JSON.stringify(canonical.channels)}\n`);
  // Each journey as numbers (converted 0/1, conversion time, value, length, channel ids,
  // touch times), 8 bytes each, hashed a buffer at a time.
  const buf = new Float64Array(8_192);
  let n = 0;
  const put = (x: number): void => {
    if (n === buf.length) {
      h.update(new Uint8Array(buf.buffer, 0, n * 8));
      n = 0;
    }
    buf[n++] = x;
  };
  for (const { ids, journey: j } of canonical.journeys) {
    put(j.conversion ? 1 : 0);
    put(j.conversion?.at ?? 0);
    put(j.conversion?.value ?? 0);
    put(ids.length);
    for (const id of ids) put(id);
    for (const t of j.times) put(t);
  }
  h.update(new Uint8Array(buf.buffer, 0, n * 8));
  return `fit-${month}-${h.digest('base64url').slice(0, 22)}`;
}

/** The distinct numbers of a short list, ascending (insertion sort: journeys are short). */
function distinctSorted(ids: readonly number[]): number[] {
  if (ids.length > 32) return [...new Set(ids)].sort((a, b) => a - b);
  const out: number[] = [];
  for (const id of ids) {
    let i = out.length;
    while (i > 0 && (out[i - 1] as number) > id) i--;
    if (i > 0 && out[i - 1] === id) continue;
    out.splice(i, 0, id);
  }
  return out;
}

/** Distinct-channel-set counts of canonical journeys, in channel-list order. */
function coalitionsOfCanonical(channels: readonly string[], journeys: readonly CanonicalJourney[]): Coalition[] {
  const byKey = new Map<string, { ids: number[]; coalition: Coalition }>();
  for (const { ids, journey } of journeys) {
    const set = distinctSorted(ids);
    const key = set.length === 1 ? String(set[0]) : set.join('.');
    let c = byKey.get(key);
    if (!c) {
      c = { ids: set, coalition: { channels: set.map((i) => channels[i] as string), conversions: 0, nulls: 0 } };
      byKey.set(key, c);
    }
    if (journey.conversion) c.coalition.conversions++;
    else c.coalition.nulls++;
  }
  return [...byKey.values()].sort((a, b) => compareSequences(a.ids, b.ids)).map((c) => c.coalition);
}

/** Distinct-channel-set counts of journeys (journeys with no touch are left out), sorted by channel list. */
export function coalitionsOf(journeys: Iterable<FitJourney>): Coalition[] {
  const c = canonicalJourneys(journeys);
  return coalitionsOfCanonical(c.channels, c.journeys);
}

/**
 * Fits Markov and Shapley over journeys (any order: they are put in canonical order first);
 * the result, ready to store, has the content-hash id ({@link fitIdOf}).
 */
export function buildFit(meta: Pick<StoredFit, 'workspace' | 'month' | 'createdAt' | 'from' | 'to'>, journeys: Iterable<FitJourney>): StoredFit {
  const canonical = canonicalJourneys(journeys);
  const builder = new JourneyTableBuilder('journeys');
  // Channel ids (and so Markov states) in code-unit order, whatever order journeys came in.
  for (const c of canonical.channels) builder.channelId(c);
  let conversions = 0;
  for (const { journey: j } of canonical.journeys) {
    if (j.conversion) conversions++;
    builder.addJourneyArrays(j.channels, j.times, j.channels.length, j.conversion?.at ?? null, j.conversion?.value ?? 0);
  }
  const markov = fitMarkov(builder.build());
  return {
    workspace: meta.workspace,
    id: fitIdOf(meta.month, meta, canonical),
    month: meta.month,
    createdAt: meta.createdAt,
    from: meta.from,
    to: meta.to,
    journeys: canonical.journeys.length,
    conversions,
    markov: {
      order: markov.order,
      stateCount: markov.stateCount,
      transitionCount: markov.transitionCount,
      conversionProbability: markov.conversionProbability,
      expectedValue: markov.expectedValue,
      removalEffect: [...markov.removalEffect].sort((a, b) => byCodeUnits(a[0], b[0])),
      valueRemovalEffect: [...markov.valueRemovalEffect].sort((a, b) => byCodeUnits(a[0], b[0])),
    },
    coalitions: coalitionsOfCanonical(canonical.channels, canonical.journeys),
  };
}

/** A stored fit as models `creditJourney` can use. */
export function loadFit(stored: StoredFit): LoadedFit {
  const m = stored.markov;
  const markov: MarkovFit = {
    order: m.order,
    stateCount: m.stateCount,
    transitionCount: m.transitionCount,
    conversionProbability: m.conversionProbability,
    expectedValue: m.expectedValue,
    removalEffect: new Map(m.removalEffect),
    valueRemovalEffect: new Map(m.valueRemovalEffect),
  };
  const shapley = fitShapley(buildPathTable(stored.coalitions.map((c) => ({ path: c.channels, conversions: c.conversions, value: 0, nulls: c.nulls }))));
  return { id: stored.id, month: stored.month, markov, shapley };
}

/** Loaded fits kept in memory by id. */
export interface FitCache {
  /**
   * The current fit of a month's conversions, or null when the month has none yet. Reads the
   * month's current fit id (one small point read) every time, and the fit itself only when
   * that id is not loaded yet.
   */
  forMonth(workspace: string, month: string): Promise<LoadedFit | null>;
  /** A fit by id, loaded from the store unless it is in memory; null when it is not stored (any more). */
  byId(workspace: string, id: string): Promise<LoadedFit | null>;
  /** Keeps a fit just built, so the first reads of it need not load it back. */
  remember(workspace: string, fit: LoadedFit): void;
}

/** Creates a cache of loaded fits (at most `max`, default 24; the least recently used goes first). */
export function createFitCache(store: Store, options: { max?: number } = {}): FitCache {
  const max = options.max ?? 24;
  const loaded = new Map<string, LoadedFit>();
  const keyOf = (workspace: string, id: string): string => `${workspace}\u0000${id}`;
  const remember = (workspace: string, fit: LoadedFit): void => {
    const key = keyOf(workspace, fit.id);
    loaded.delete(key);
    loaded.set(key, fit);
    while (loaded.size > max) loaded.delete(loaded.keys().next().value as string);
  };
  const byId = async (workspace: string, id: string): Promise<LoadedFit | null> => {
    const hit = loaded.get(keyOf(workspace, id));
    if (hit) {
      remember(workspace, hit);
      return hit;
    }
    const stored = await store.fits.get(workspace, id);
    if (!stored) return null;
    const fit = loadFit(stored);
    remember(workspace, fit);
    return fit;
  };
  return {
    byId,
    remember,
    async forMonth(workspace, month) {
      // A fit pruned between the two reads was replaced: the month's new current one is read once more.
      for (let attempt = 0; attempt < 2; attempt++) {
        const current = await store.fits.month(workspace, month);
        if (!current?.fitId) return null;
        const fit = await byId(workspace, current.fitId);
        if (fit) return fit;
      }
      return null;
    },
  };
}

/**
 * Credits of one conversion's journey under every model (rule models only without a fit):
 * per touch, the fraction of the conversion and the value credited.
 */
export function creditConversion(touches: readonly CreditedTouch[], conversion: { at: string; value: number }, fit: LoadedFit | null): CreditSet['models'] {
  const models: readonly ModelName[] = fit ? MODEL_NAMES : RULE_MODELS;
  const out: CreditSet['models'] = {};
  if (touches.length === 0) {
    for (const m of models) out[m] = { conversions: [], value: [] };
    return out;
  }
  const journey = { touches: touches.map((t) => ({ channel: t.channel, at: Date.parse(t.at) })), conversion: { at: Date.parse(conversion.at), value: conversion.value } };
  const credit = creditJourney(journey, fit ? { models, markov: fit.markov, shapley: fit.shapley } : { models });
  for (const m of models) {
    const c = credit.models[m];
    if (!c) continue;
    out[m] = { conversions: [...c.conversion], value: c.value.map((f) => f * conversion.value) };
  }
  return out;
}

/** Every journey of a fit window (see the header), in no particular order. */
export async function journeysForFit(store: Store, workspace: string, window: { from: string; to: string }): Promise<FitJourney[]> {
  const journeys: FitJourney[] = [];
  const claimed = new Set<string>();
  // Per person, the spans [first touch, conversion] of their converting journeys.
  const spans = new Map<string, Array<[number, number]>>();
  for await (const set of everyCreditSet(store, workspace, { ...window, models: [] })) {
    journeys.push({ channels: set.touches.map((t) => t.channel), times: set.touches.map((t) => Date.parse(t.at)), conversion: { at: Date.parse(set.conversionAt), value: set.value } });
    for (const t of set.touches) claimed.add(t.touchId);
    const first = set.touches[0];
    if (set.profileId !== null && first) {
      const list = spans.get(set.profileId) ?? [];
      list.push([Date.parse(first.at), Date.parse(set.conversionAt)]);
      spans.set(set.profileId, list);
    }
  }
  const inJourney = (t: TouchEvent & { profileId: string | null }): boolean => {
    if (claimed.has(t.id)) return true;
    if (t.profileId === null) return false;
    const at = Date.parse(t.occurredAt);
    return (spans.get(t.profileId) ?? []).some(([from, to]) => at >= from && at <= to);
  };
  const byProfile = new Map<string, TouchEvent[]>();
  const kinds = TOUCH_KINDS.filter((k) => k !== 'leave');
  // A week at a time: each read is a small indexed range, and no page has to sort four months of touches.
  const end = Date.parse(window.to);
  for (let from = Date.parse(window.from); from < end; from += SLICE_MS) {
    const slice = { from: new Date(from).toISOString(), to: new Date(Math.min(from + SLICE_MS, end)).toISOString() };
    for await (const t of allTouches(store, workspace, { ...slice, kinds, limit: 20_000 })) {
      if (inJourney(t)) continue;
      const key = t.profileId ?? `anonymous:${t.id}`;
      const list = byProfile.get(key);
      if (list) list.push(t);
      else byProfile.set(key, [t]);
    }
  }
  for (const touches of byProfile.values()) {
    const j = assembleJourney(touches);
    journeys.push({ channels: j.map((t) => t.channel), times: j.map((t) => Date.parse(t.at)), conversion: null });
  }
  return journeys;
}
