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

/** The text a journey is ordered and hashed by: everything the fit reads of it. */
function journeyKey(j: FitJourney): string {
  return JSON.stringify([j.conversion?.at ?? null, j.conversion?.value ?? null, j.channels, j.times]);
}

/** Non-empty journeys in canonical order, with their keys. */
export function canonicalJourneys(journeys: Iterable<FitJourney>): Array<{ key: string; journey: FitJourney }> {
  const out: Array<{ key: string; journey: FitJourney }> = [];
  for (const journey of journeys) if (journey.channels.length > 0) out.push({ key: journeyKey(journey), journey });
  return out.sort((a, b) => byCodeUnits(a.key, b.key));
}

/** The id of a fit of `month` over `window`: a hash of the fitting method and the canonical journeys. */
export function fitIdOf(month: string, window: { from: string; to: string }, canonical: ReadonlyArray<{ key: string }>): string {
  const h = createHash('sha256').update(`${FIT_FORMAT}\n${month}\n${window.from}\n${window.to}\n`);
  for (const { key } of canonical) h.update(key).update('\n');
  return `fit-${month}-${h.digest('base64url').slice(0, 22)}`;
}

/** Distinct-channel-set counts of journeys (journeys with no touch are left out), sorted by channel list. */
export function coalitionsOf(journeys: Iterable<FitJourney>): Coalition[] {
  const byKey = new Map<string, Coalition>();
  for (const j of journeys) {
    if (j.channels.length === 0) continue;
    const channels = [...new Set(j.channels)].sort(byCodeUnits);
    const key = JSON.stringify(channels);
    let c = byKey.get(key);
    if (!c) {
      c = { channels, conversions: 0, nulls: 0 };
      byKey.set(key, c);
    }
    if (j.conversion) c.conversions++;
    else c.nulls++;
  }
  return [...byKey.entries()].sort((a, b) => byCodeUnits(a[0], b[0])).map(([, c]) => c);
}

/**
 * Fits Markov and Shapley over journeys (any order: they are put in canonical order first);
 * the result, ready to store, has the content-hash id ({@link fitIdOf}).
 */
export function buildFit(meta: Pick<StoredFit, 'workspace' | 'month' | 'createdAt' | 'from' | 'to'>, journeys: Iterable<FitJourney>): StoredFit {
  const canonical = canonicalJourneys(journeys);
  const builder = new JourneyTableBuilder('journeys');
  // Channel ids (and so Markov states) in code-unit order, whatever order journeys came in.
  const names = new Set<string>();
  for (const { journey } of canonical) for (const c of journey.channels) names.add(c);
  for (const c of [...names].sort(byCodeUnits)) builder.channelId(c);
  let conversions = 0;
  for (const { journey: j } of canonical) {
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
    journeys: canonical.length,
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
    coalitions: coalitionsOf(canonical.map((c) => c.journey)),
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
  for await (const t of allTouches(store, workspace, { ...window, kinds, limit: 20_000 })) {
    if (inJourney(t)) continue;
    const key = t.profileId ?? `anonymous:${t.id}`;
    const list = byProfile.get(key);
    if (list) list.push(t);
    else byProfile.set(key, [t]);
  }
  for (const touches of byProfile.values()) {
    const j = assembleJourney(touches);
    journeys.push({ channels: j.map((t) => t.channel), times: j.map((t) => Date.parse(t.at)), conversion: null });
  }
  return journeys;
}
