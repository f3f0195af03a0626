/**
 * The data-driven models (Markov, Shapley) fitted over every journey of a period, converting
 * or not, and the per-conversion credits under every model (pure parts; `refitWorkspace`
 * reads the store).
 *
 * Converting journeys are the stored credit sets of the period's conversions (so the fit sees
 * exactly the journeys the reconciler credits); non-converting journeys are each person's
 * touches of the period that no conversion consumed (collapsed the same way), and each
 * anonymous click no conversion claimed. A fit is stored as Markov removal effects and
 * Shapley coalition counts; the Shapley fit is rebuilt from those counts (the coalition
 * worth v(T) is conversions ÷ journeys of the set T, which the counts keep exactly).
 */
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

/** Days of journeys a refit reads, back from now; default 90. */
export const DEFAULT_FIT_DAYS = 90;
const DAY_MS = 86_400_000;

/** A fit ready to credit journeys with. */
export interface LoadedFit {
  id: string;
  markov: MarkovFit;
  shapley: ShapleyFit;
}

/** One journey for fitting: channels in time order, and its conversion (or null). */
export interface FitJourney {
  channels: string[];
  times: number[];
  conversion: { at: number; value: number } | null;
}

/** Distinct-channel-set counts of journeys (journeys with no touch are left out). */
export function coalitionsOf(journeys: Iterable<FitJourney>): Coalition[] {
  const byKey = new Map<string, Coalition>();
  for (const j of journeys) {
    if (j.channels.length === 0) continue;
    const channels = [...new Set(j.channels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify(channels);
    let c = byKey.get(key);
    if (!c) {
      c = { channels, conversions: 0, nulls: 0 };
      byKey.set(key, c);
    }
    if (j.conversion) c.conversions++;
    else c.nulls++;
  }
  return [...byKey.values()];
}

/** Fits Markov and Shapley over journeys; the result is ready to store. */
export function buildFit(meta: Pick<StoredFit, 'workspace' | 'id' | 'createdAt' | 'from' | 'to'>, journeys: readonly FitJourney[]): StoredFit {
  const builder = new JourneyTableBuilder('journeys');
  let conversions = 0;
  for (const j of journeys) {
    if (j.channels.length === 0) continue;
    if (j.conversion) conversions++;
    builder.addJourneyArrays(j.channels, j.times, j.channels.length, j.conversion?.at ?? null, j.conversion?.value ?? 0);
  }
  const markov = fitMarkov(builder.build());
  return {
    ...meta,
    journeys: journeys.filter((j) => j.channels.length > 0).length,
    conversions,
    markov: {
      order: markov.order,
      stateCount: markov.stateCount,
      transitionCount: markov.transitionCount,
      conversionProbability: markov.conversionProbability,
      expectedValue: markov.expectedValue,
      removalEffect: [...markov.removalEffect],
      valueRemovalEffect: [...markov.valueRemovalEffect],
    },
    coalitions: coalitionsOf(journeys),
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
  return { id: stored.id, markov, shapley };
}

/** Loads the latest fit of a workspace, rebuilding models only when the fit changed. */
export function createFitCache(store: Store): { current: (workspace: string) => Promise<LoadedFit | null> } {
  const cache = new Map<string, LoadedFit>();
  return {
    async current(workspace) {
      const latest = await store.fits.latest(workspace);
      if (!latest) return null;
      const hit = cache.get(workspace);
      if (hit?.id === latest.id) return hit;
      const loaded = loadFit(latest);
      cache.set(workspace, loaded);
      return loaded;
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

/** Every journey of a period for fitting (see the header). */
export async function journeysForFit(store: Store, workspace: string, period: { from: string; to: string }): Promise<FitJourney[]> {
  const journeys: FitJourney[] = [];
  const consumed = new Set<string>();
  for await (const set of everyCreditSet(store, workspace, { ...period, models: [] })) {
    for (const t of set.touches) consumed.add(t.touchId);
    journeys.push({ channels: set.touches.map((t) => t.channel), times: set.touches.map((t) => Date.parse(t.at)), conversion: { at: Date.parse(set.conversionAt), value: set.value } });
  }
  const byProfile = new Map<string, TouchEvent[]>();
  const kinds = TOUCH_KINDS.filter((k) => k !== 'leave');
  for await (const t of allTouches(store, workspace, { ...period, kinds, limit: 20_000 })) {
    if (consumed.has(t.id)) continue;
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

/**
 * Fits the data-driven models over the last `days` of a workspace's journeys and stores the
 * fit; null (nothing stored) when no journey of the period converted.
 */
export async function refitWorkspace(store: Store, workspace: string, options: { now?: Date; days?: number; id?: string } = {}): Promise<StoredFit | null> {
  const now = options.now ?? new Date();
  const from = new Date(now.getTime() - (options.days ?? DEFAULT_FIT_DAYS) * DAY_MS).toISOString();
  // Up to a day ahead: conversions may carry times slightly in the future (the shop's clock).
  const to = new Date(now.getTime() + DAY_MS).toISOString();
  const journeys = await journeysForFit(store, workspace, { from, to });
  if (!journeys.some((j) => j.conversion !== null && j.channels.length > 0)) return null;
  const fit = buildFit({ workspace, id: options.id ?? `fit-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, createdAt: new Date().toISOString(), from, to }, journeys);
  await store.fits.put(workspace, fit);
  return fit;
}
