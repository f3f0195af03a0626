/**
 * Records one touch against the right profile: identity resolution, profile creation,
 * merges, and the profile's statistics. Safe under concurrency (profile locks) and
 * under crashes at any step (a retry converges to the same result), so a queue with
 * at-least-once delivery gives an exactly-once effect.
 *
 * Steps, all under the locks of every profile involved:
 * 1. The touch's strong identifiers (see `identity/identifier.ts`) find their profiles.
 *    None, or none for the touch's own platform identity (its Telegram or WhatsApp id):
 *    a new profile claims the unowned ones. Several: they merge into one, unless the
 *    merge rules refuse (a conflict: the touch stays on its platform identity's profile).
 * 2. A merge moves the other profile's touches, then deletes it, then moves its
 *    identifiers, and the survivor's statistics are folded again from its touches.
 * 3. The touch is stored (unique by id) with its profile, the statistics updated, and
 *    the touch marked applied. A touch found stored but not applied (a crash between
 *    steps) makes the statistics fold again from the stored touches instead.
 */
import { randomUUID } from 'node:crypto';
import {
  identifierKey,
  mergeConflict,
  uniqueIdentifiers,
  type Identifier,
} from '../identity/identifier.js';
import type { Locker } from '../lock.js';
import { allTouches } from '../store/paging.js';
import type { Profile, Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';
import { combineStats, emptyStats, statsOfTouch, type ProfileStats } from './profile-stats.js';

export interface RecordTouchDeps {
  store: Store;
  locker: Locker;
  /** Lock key of a profile (see `queue/keys.ts`). */
  lockKey: (workspace: string, profileId: string) => string;
  /** New profile ids; default random `p_…`. */
  newProfileId?: () => string;
  now?: () => Date;
}

export type RecordTouchStatus = 'applied' | 'duplicate' | 'anonymous' | 'recovered';

export interface RecordTouchResult {
  status: RecordTouchStatus;
  profileId: string | null;
  /** Profiles merged into `profileId` by this touch. */
  merged: string[];
  /** Profiles this touch's identifiers point to that the rules refused to merge, with why. */
  conflicts: Array<{ profileId: string; reason: string }>;
}

/** Identity resolution could not settle (profiles kept changing under it); the job is retried. */
export class IdentityRaceError extends Error {
  override name = 'IdentityRaceError';
}

const MAX_ATTEMPTS = 8;

/** The strong identifiers a touch's actor carries. */
export function identifiersOfTouch(t: TouchEvent): Identifier[] {
  const ids: Identifier[] = [];
  const { userId, phoneHash } = t.actor;
  if (userId !== undefined) {
    if (t.platform === 'telegram') ids.push({ type: 'tg_id', value: userId });
    if (t.platform === 'whatsapp') ids.push({ type: 'wa_id', value: userId });
  }
  if (phoneHash !== undefined) ids.push({ type: 'phone', value: phoneHash });
  return uniqueIdentifiers(ids);
}

function primaryIdentifier(t: TouchEvent, ids: readonly Identifier[]): Identifier | undefined {
  return ids.find((i) => i.type === (t.platform === 'telegram' ? 'tg_id' : 'wa_id'));
}

function defaultProfileId(): string {
  return `p_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

async function foldStats(store: Store, workspace: string, profileId: string): Promise<ProfileStats> {
  let s = emptyStats();
  for await (const t of allTouches(store, workspace, { profileId })) s = combineStats(s, statsOfTouch(t));
  return s;
}

export async function recordTouch(deps: RecordTouchDeps, touch: TouchEvent): Promise<RecordTouchResult> {
  const { store, locker } = deps;
  const ws = touch.workspace;
  const now = (): string => (deps.now?.() ?? new Date()).toISOString();
  const ids = identifiersOfTouch(touch);
  const known = touch.actor.profileId;
  const primary = primaryIdentifier(touch, ids);

  if (ids.length === 0 && known === undefined) {
    const r = await store.touches.insert(ws, { ...touch, profileId: null, applied: true });
    return { status: r === 'inserted' ? 'anonymous' : 'duplicate', profileId: null, merged: [], conflicts: [] };
  }
  const existing = await store.touches.get(ws, touch.id);
  if (existing?.applied) return { status: 'duplicate', profileId: existing.profileId, merged: [], conflicts: [] };

  async function candidatesNow(): Promise<{ owners: Map<string, string>; set: Set<string> }> {
    const owners = ids.length > 0 ? await store.identities.find(ws, ids) : new Map<string, string>();
    const set = new Set(owners.values());
    if (known !== undefined && !set.has(known) && (await store.profiles.get(ws, known))) set.add(known);
    return { owners, set };
  }

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { owners, set } = await candidatesNow();
    // A new profile is needed when nobody owns any identifier, or when the touch's own
    // platform identity is new (a different account that shares, say, a phone, must not
    // land on the phone owner's profile; the merge rules then decide whether they join).
    const primaryKey = primary ? identifierKey(primary) : undefined;
    if (set.size === 0 || (primaryKey !== undefined && !owners.has(primaryKey))) {
      if (ids.length === 0) {
        // Only a profile id that no longer exists (erased or merged away): keep the touch anonymous.
        const r = await store.touches.insert(ws, { ...touch, profileId: null, applied: true });
        return { status: r === 'inserted' ? 'anonymous' : 'duplicate', profileId: null, merged: [], conflicts: [] };
      }
      const pid = (deps.newProfileId ?? defaultProfileId)();
      const unowned = ids.filter((i) => !owners.has(identifierKey(i)));
      await locker.withLocks([deps.lockKey(ws, pid)], async () => {
        const after = await store.identities.claim(ws, unowned, pid);
        if (![...after.values()].includes(pid)) return;
        const at = now();
        await store.profiles.put(ws, {
          id: pid,
          workspace: ws,
          identifiers: await store.identities.ofProfile(ws, pid),
          usernames: [],
          stats: emptyStats(),
          createdAt: at,
          updatedAt: at,
        });
      });
      continue;
    }
    const locked = [...set].sort();
    const outcome = await locker.withLocks(
      locked.map((p) => deps.lockKey(ws, p)),
      async (): Promise<RecordTouchResult | null> => {
        const again = await candidatesNow();
        if (!sameSet(again.set, set)) return null;
        return applyUnderLocks(again.owners, locked);
      },
    );
    if (outcome) return outcome;
  }
  throw new IdentityRaceError(`profiles of touch ${touch.id} kept changing over ${MAX_ATTEMPTS} attempts`);

  async function applyUnderLocks(owners: Map<string, string>, profileIds: string[]): Promise<RecordTouchResult> {
    const at = now();
    const loaded = await Promise.all(profileIds.map((id) => store.profiles.get(ws, id)));
    const profiles: Profile[] = [];
    for (const [i, id] of profileIds.entries()) {
      // An identifier can point to a profile whose creation was cut short: treat it as empty.
      profiles.push(
        loaded[i] ?? {
          id,
          workspace: ws,
          identifiers: await store.identities.ofProfile(ws, id),
          usernames: [],
          stats: emptyStats(),
          createdAt: at,
          updatedAt: at,
        },
      );
    }
    const primaryOwner = primary ? owners.get(identifierKey(primary)) : undefined;
    const byAge = [...profiles].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
    const survivor =
      profiles.find((p) => p.id === primaryOwner) ?? profiles.find((p) => p.id === known) ?? byAge[0];
    if (!survivor) throw new Error('no profile to record the touch on');

    let identifiers = survivor.identifiers;
    const merged: Profile[] = [];
    const conflicts: RecordTouchResult['conflicts'] = [];
    for (const p of byAge) {
      if (p.id === survivor.id) continue;
      const reason = mergeConflict(identifiers, p.identifiers);
      if (reason) conflicts.push({ profileId: p.id, reason });
      else {
        merged.push(p);
        identifiers = uniqueIdentifiers([...identifiers, ...p.identifiers]);
      }
    }
    for (const p of merged) {
      await store.touches.reassign(ws, p.id, survivor.id);
      await store.profiles.delete(ws, p.id);
      await store.identities.reassign(ws, p.id, survivor.id);
    }
    // Claim this touch's identifiers nobody owns yet, unless that would break the rules.
    const unowned = ids.filter((i) => !owners.has(identifierKey(i)) && mergeConflict(identifiers, [i]) === null);
    if (unowned.length > 0) await store.identities.claim(ws, unowned, survivor.id);

    const inserted = await store.touches.insert(ws, { ...touch, profileId: survivor.id, applied: false });
    const recovering = inserted === 'duplicate';
    const stats =
      merged.length > 0 || recovering
        ? await foldStats(store, ws, survivor.id)
        : combineStats(survivor.stats, statsOfTouch(touch));
    const usernames = new Set([...survivor.usernames, ...merged.flatMap((p) => p.usernames)]);
    if (touch.actor.username) usernames.add(touch.actor.username.toLowerCase());
    await store.profiles.put(ws, {
      ...survivor,
      identifiers: await store.identities.ofProfile(ws, survivor.id),
      usernames: [...usernames].sort(),
      stats,
      updatedAt: at,
    });
    await store.touches.markApplied(ws, touch.id);
    return {
      status: recovering ? 'recovered' : 'applied',
      profileId: survivor.id,
      merged: merged.map((p) => p.id),
      conflicts,
    };
  }
}
