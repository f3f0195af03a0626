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
  const { store } = deps;
  const ws = touch.workspace;
  const ids = identifiersOfTouch(touch);
  const known = touch.actor.profileId;
  const primary = primaryIdentifier(touch, ids);

  if (ids.length === 0 && known === undefined) {
    const r = await store.touches.insert(ws, { ...touch, profileId: null, applied: true });
    return { status: r === 'inserted' ? 'anonymous' : 'duplicate', profileId: null, merged: [], conflicts: [] };
  }
  const existing = await store.touches.get(ws, touch.id);
  if (existing?.applied) return { status: 'duplicate', profileId: existing.profileId, merged: [], conflicts: [] };

  const claim: IdentityClaim = { workspace: ws, ids, label: `touch ${touch.id}` };
  if (primary !== undefined) claim.primary = primary;
  if (known !== undefined) claim.known = known;
  const outcome = await resolveIdentity(deps, claim, async ({ survivor, merged, conflicts, at }): Promise<RecordTouchResult> => {
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
  });
  if (outcome) return outcome;
  // Only a profile id that no longer exists (erased or merged away): keep the touch anonymous.
  const r = await store.touches.insert(ws, { ...touch, profileId: null, applied: true });
  return { status: r === 'inserted' ? 'anonymous' : 'duplicate', profileId: null, merged: [], conflicts: [] };
}

/**
 * Links a conversion's strong identifiers into the identity records, under the same rules
 * as touches: the profiles owning them merge when the rules allow, unowned ones are claimed,
 * and a new (touchless) profile claims them when nobody owns any. Returns the profile that
 * owns the claim now, or null when `ids` is empty.
 */
export async function linkIdentifiers(deps: RecordTouchDeps, workspace: string, ids: readonly Identifier[], label: string): Promise<string | null> {
  const { store } = deps;
  const unique = uniqueIdentifiers(ids);
  if (unique.length === 0) return null;
  return resolveIdentity(deps, { workspace, ids: unique, label }, async ({ survivor, merged, at }) => {
    const identifiers = await store.identities.ofProfile(workspace, survivor.id);
    const changed = merged.length > 0 || JSON.stringify(identifiers) !== JSON.stringify(survivor.identifiers);
    if (changed) {
      await store.profiles.put(workspace, {
        ...survivor,
        identifiers,
        usernames: [...new Set([...survivor.usernames, ...merged.flatMap((p) => p.usernames)])].sort(),
        stats: merged.length > 0 ? await foldStats(store, workspace, survivor.id) : survivor.stats,
        updatedAt: at,
      });
    }
    return survivor.id;
  });
}

/** Who a touch or a conversion says it is: what identity resolution works from. */
export interface IdentityClaim {
  workspace: string;
  /** Strong identifiers. */
  ids: Identifier[];
  /** The source's own platform identity (a touch's Telegram or WhatsApp id): when nobody owns it, a new profile does. */
  primary?: Identifier;
  /** A profile the source is already known to belong to (a personal link's member). */
  known?: string;
  /** Names the source in errors, e.g. `touch abc`. */
  label: string;
}

/** What identity resolution settled; handed to `apply` while every involved profile is locked. */
export interface ResolvedIdentity {
  survivor: Profile;
  /** Profiles merged into the survivor: deleted, their touches and identifiers moved already. */
  merged: Profile[];
  conflicts: RecordTouchResult['conflicts'];
  /** Time of this resolution (ISO). */
  at: string;
}

/**
 * Identity resolution shared by touches and conversions (steps 1 and 2 of the header): finds
 * the profiles owning the claim's identifiers, creates one when needed, merges those the
 * rules allow and claims unowned identifiers, then runs `apply` still holding the locks.
 * Returns null without calling `apply` when the claim has no identifier and its known
 * profile no longer exists. Throws IdentityRaceError when profiles keep changing under it.
 */
async function resolveIdentity<T>(deps: RecordTouchDeps, claim: IdentityClaim, apply: (resolved: ResolvedIdentity) => Promise<T>): Promise<T | null> {
  const { store, locker } = deps;
  const ws = claim.workspace;
  const { ids, known, primary } = claim;
  const now = (): string => (deps.now?.() ?? new Date()).toISOString();

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
      if (ids.length === 0) return null;
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
      async (): Promise<{ value: T } | null> => {
        const again = await candidatesNow();
        if (!sameSet(again.set, set)) return null;
        const resolved = await mergeUnderLocks(again.owners, locked);
        return resolved ? { value: await apply(resolved) } : null;
      },
    );
    if (outcome) return outcome.value;
  }
  throw new IdentityRaceError(`profiles of ${claim.label} kept changing over ${MAX_ATTEMPTS} attempts`);

  async function mergeUnderLocks(owners: Map<string, string>, profileIds: string[]): Promise<ResolvedIdentity | null> {
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
    // Claim the identifiers nobody owns yet, unless that would break the rules. A profile
    // being created right now (under its own lock) may win one of them: then this claim
    // links the two, so resolve again (the merges done so far stand).
    const unowned = ids.filter((i) => !owners.has(identifierKey(i)) && mergeConflict(identifiers, [i]) === null);
    if (unowned.length > 0) {
      const after = await store.identities.claim(ws, unowned, survivor.id);
      if (unowned.some((i) => after.get(identifierKey(i)) !== survivor.id)) return null;
    }
    return { survivor, merged, conflicts, at };
  }
}
