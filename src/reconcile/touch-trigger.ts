/**
 * "A touch arrives after its conversion": when the profile worker applies a touch to a
 * person, the conversions whose journey it may belong to are reconciled again, so results
 * do not depend on arrival order. Those are the conversions carrying any of the person's
 * identifiers or matched to the person (or to a profile merged into them by this touch),
 * at or after the touch and within the lookback window (a join: any later conversion, as
 * later touches in that group inherit its campaign).
 *
 * Every landed touch (but a leave, which no journey holds) also feeds the data-driven fits as
 * part of a non-converting journey: the months whose fit windows hold it are marked dirty
 * (`FitMarks.markFitsDirty`, batched), so their fits are refitted.
 */
import type { Logger } from '../logger.js';
import type { RecordTouchResult } from '../profile/record-touch.js';
import type { Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';
import type { FitMarks } from './fit-marks.js';
import { settingsOrDefaults, type SettingsLookup } from './workspace-settings.js';

const DAY_MS = 86_400_000;

/**
 * Conversion ids a newly applied touch can change the credits of. Reads nothing for a person
 * no conversion was ever linked to (`person.hasConversions === false`, kept by the reconciler,
 * which notes a person before it reads their touches, while the profile worker reads the flag
 * after it stored the touch: one of the two sees the other), unless the touch changed who they
 * are (a new person, a new identifier, a merge: conversions carrying those may be new to them).
 * Otherwise one read of the related conversions, with the identifiers the worker got back.
 */
export async function conversionsAffectedByTouch(store: Store, settings: SettingsLookup, touch: TouchEvent, result: RecordTouchResult): Promise<string[]> {
  const profileId = result.profileId;
  if (profileId === null || touch.kind === 'leave') return [];
  const person = result.person;
  if (person && person.hasConversions === false && !person.identitiesChanged && result.merged.length === 0) return [];
  const ws = touch.workspace;
  const at = Date.parse(touch.occurredAt);
  const lookback = settingsOrDefaults(settings, ws).lookbackDays * DAY_MS;
  // The profile's own copy of its identifiers (kept in step by the profile worker): from the
  // worker's write when it answered with them, else one point read.
  const identifiers = person?.identifiers ?? (await store.profiles.get(ws, profileId))?.identifiers ?? [];
  const range = touch.kind === 'join' ? { from: new Date(at).toISOString() } : { from: new Date(at).toISOString(), to: new Date(at + lookback + 1).toISOString() };
  const related = await store.conversions.related(ws, { identifiers, profileIds: [profileId, ...result.merged], ...range });
  return related.map((c) => c.id);
}

/**
 * The profile worker's `onProcessed` hook: marks the fits the touch feeds dirty (with
 * `marks`), and queues a reconcile run (cause: the touch id) of every conversion the touch may
 * change. Never throws: a lost trigger is caught by the sweep and the daily refit.
 */
export function makeTouchTrigger(options: {
  store: Store;
  settings: SettingsLookup;
  enqueue: (workspace: string, conversionIds: readonly string[], cause: string) => Promise<void>;
  /** Marks the months whose fits a touch feeds; none when absent. */
  marks?: Pick<FitMarks, 'markFitsDirty'>;
  log: Logger;
}): (result: RecordTouchResult, touch: TouchEvent) => Promise<void> {
  return async (result, touch) => {
    if (touch.kind !== 'leave') options.marks?.markFitsDirty(touch.workspace, [touch.occurredAt]);
    try {
      const ids = await conversionsAffectedByTouch(options.store, options.settings, touch, result);
      if (ids.length > 0) await options.enqueue(touch.workspace, ids, `t${touch.id}`);
    } catch (err) {
      options.log.warn({ workspace: touch.workspace, touch: touch.id, err: err instanceof Error ? err.message : String(err) }, 'reconcile trigger failed; the sweep will catch up');
    }
  };
}
