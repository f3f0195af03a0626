/**
 * Records one touch against the right profile: identity resolution, profile creation,
 * merges, and the profile's statistics. Safe under concurrency and under crashes at any step
 * (a retry converges to the same result), so a queue with at-least-once delivery gives an
 * exactly-once effect.
 *
 * Three paths, cheapest first:
 * 1. **Known person** (the usual touch): every strong identifier of the touch (see
 *    `identity/identifier.ts`) already belongs to one profile. The touch is stored (unique by
 *    id) with that profile, added to the statistics by one atomic partial update
 *    (`profiles.applyTouch`: counters, min/max times, sets, the source step), and marked
 *    applied. No lock: the update is atomic, and it is refused (the touch then takes path 3)
 *    when the profile is gone, is being rewritten, or already folded this touch in.
 * 2. **New person**: nobody owns any identifier. A new profile id claims them all (unique per
 *    identifier: a concurrent claim loses and takes path 3), the touch is stored, and the
 *    profile is created with this touch's statistics. No lock: the id is new.
 * 3. **Locked path**, for everything else (a merge, an identifier new to a known person, a
 *    touch stored but not applied by a crash, a refused update), under the Redis locks of
 *    every profile involved, taken in sorted order:
 *    - the touch's identifiers find their profiles; several merge into one unless the merge
 *      rules refuse (a conflict: the touch stays on its platform identity's profile). A merge
 *      deletes the other profile first, then moves its touches, then its identifiers, so a
 *      partial update racing with it either lands before the delete (and its touch is moved
 *      and folded) or is refused;
 *    - a merge, a recovery, or a refused update rewrites the survivor: `profiles.fence`
 *      stops partial updates, the statistics are folded again from the stored touches, and
 *      `profiles.replace` writes them only if the fence is still ours, so a worker paused past
 *      its lock cannot write over what another wrote after it. Touches the fold included that
 *      are not marked applied yet are recorded as adopted: a late partial update of one of them
 *      is refused instead of counting it twice.
 * A touch found stored but not applied (a crash between steps) always takes the rewrite, which
 * converges on the same statistics whatever step the crash cut.
 */
import { randomUUID } from 'node:crypto';
import {
  identifierKey,
  mergeConflict,
  platformIdentifier,
  uniqueIdentifiers,
  type Identifier,
} from '../identity/identifier.js';
import type { Lease, Locker } from '../lock.js';
import { allTouches } from '../store/paging.js';
import type { ApplyTouchOptions, Profile, ProfileFacts, Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';
import { combineStats, deltaOfTouch, emptyStats, statsOfTouch, type ProfileStats } from './profile-stats.js';

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

/** What the touch trigger needs to know about the person after their touch was applied. */
export interface PersonAfterTouch {
  /** Their strong identifiers, sorted by key. */
  identifiers: Identifier[];
  /** `Profile.hasConversions` after the write: false means no conversion was ever linked to them. */
  hasConversions: boolean | undefined;
  /** This touch changed who they are (a new person, a claimed identifier, a merge). */
  identitiesChanged: boolean;
}

export interface RecordTouchResult {
  status: RecordTouchStatus;
  profileId: string | null;
  /** Profiles merged into `profileId` by this touch. */
  merged: string[];
  /** Profiles this touch's identifiers point to that the rules refused to merge, with why. */
  conflicts: Array<{ profileId: string; reason: string }>;
  /** The person after an applied or recovered touch (absent for duplicates and anonymous touches). */
  person?: PersonAfterTouch;
}

/** Identity resolution could not settle (profiles kept changing under it); the job is retried. */
export class IdentityRaceError extends Error {
  override name = 'IdentityRaceError';
}

const MAX_ATTEMPTS = 8;

/** The strong identifiers a touch's actor carries. */
export function identifiersOfTouch(t: TouchEvent): Identifier[] {
  const ids: Identifier[] = [];
  const { phoneHash, lidHash } = t.actor;
  const own = platformIdentifier(t.platform, t.actor);
  if (own !== undefined) ids.push(own);
  // A WhatsApp person seen with both ids: the linked id joins the profile (the pair is one person).
  if (t.platform === 'whatsapp' && lidHash !== undefined) ids.push({ type: 'wa_lid', value: lidHash });
  if (phoneHash !== undefined) ids.push({ type: 'phone', value: phoneHash });
  return uniqueIdentifiers(ids);
}

function primaryIdentifier(t: TouchEvent, ids: readonly Identifier[]): Identifier | undefined {
  const own = platformIdentifier(t.platform, t.actor);
  return own === undefined ? undefined : ids.find((i) => i.type === own.type && i.value === own.value);
}

function defaultProfileId(): string {
  return `p_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

const usernameOf = (t: TouchEvent): string | undefined => t.actor.username?.toLowerCase();

/** The profile's statistics folded from its stored touches, and those of them not marked applied. */
async function foldTouches(store: Store, workspace: string, profileId: string): Promise<{ stats: ProfileStats; adopted: string[] }> {
  let stats = emptyStats();
  const adopted: string[] = [];
  for await (const t of allTouches(store, workspace, { profileId })) {
    stats = combineStats(stats, statsOfTouch(t));
    if (!t.applied) adopted.push(t.id);
  }
  return { stats, adopted };
}

/** `hasConversions` of profiles merged into one: true if any is; unknown if any is unknown. */
function mergedFlag(profiles: ReadonlyArray<Pick<Profile, 'hasConversions'>>): boolean | undefined {
  if (profiles.some((p) => p.hasConversions === true)) return true;
  return profiles.some((p) => p.hasConversions === undefined) ? undefined : false;
}

export async function recordTouch(deps: RecordTouchDeps, touch: TouchEvent): Promise<RecordTouchResult> {
  const { store } = deps;
  const ws = touch.workspace;
  const ids = identifiersOfTouch(touch);
  const known = touch.actor.profileId;

  if (ids.length === 0 && known === undefined) return recordAnonymous(store, touch);

  const owners = ids.length > 0 ? await store.identities.find(ws, ids) : new Map<string, string>();
  const owner = soleOwner(ids, owners, known);
  if (owner !== null) {
    const done = await recordOnKnown(deps, touch, owner, ids);
    if (done) return done;
  } else if (owners.size === 0 && ids.length > 0) {
    const done = await recordOnNew(deps, touch, ids);
    if (done) return done;
  }
  return recordLocked(deps, touch, ids, known);
}

async function recordAnonymous(store: Store, touch: TouchEvent): Promise<RecordTouchResult> {
  const r = await store.touches.insert(touch.workspace, { ...touch, profileId: null, applied: true });
  return { status: r === 'inserted' ? 'anonymous' : 'duplicate', profileId: null, merged: [], conflicts: [] };
}

/** The one profile owning every identifier (and matching `known`), if there is one. */
function soleOwner(ids: readonly Identifier[], owners: ReadonlyMap<string, string>, known: string | undefined): string | null {
  if (ids.length === 0) return known ?? null;
  if (owners.size !== ids.length) return null;
  const set = new Set(owners.values());
  const [only] = set;
  if (set.size !== 1 || only === undefined) return null;
  return known === undefined || known === only ? only : null;
}

/**
 * Path 1: a touch of a known person, without a lock. Null when it must take the locked path
 * (the touch was stored before but not applied, or the profile refused the partial update).
 */
async function recordOnKnown(deps: RecordTouchDeps, touch: TouchEvent, profileId: string, ids: readonly Identifier[]): Promise<RecordTouchResult | null> {
  const { store } = deps;
  const ws = touch.workspace;
  const inserted = await store.touches.insert(ws, { ...touch, profileId, applied: false });
  if (inserted === 'duplicate') {
    const stored = await store.touches.get(ws, touch.id);
    if (stored?.applied) return { status: 'duplicate', profileId: stored.profileId, merged: [], conflicts: [] };
    return null;
  }
  const options: ApplyTouchOptions = { at: (deps.now?.() ?? new Date()).toISOString() };
  const username = usernameOf(touch);
  if (username !== undefined) options.username = username;
  // The touch's identifiers are this profile's: added again (a no-op when there), the profile's
  // copy heals from a crash between a claim and the write that records it.
  if (ids.length > 0) options.identifiers = ids;
  const facts = await store.profiles.applyTouch(ws, profileId, deltaOfTouch(touch), options);
  if (!facts) return null;
  await store.touches.markApplied(ws, touch.id);
  return { status: 'applied', profileId, merged: [], conflicts: [], person: { identifiers: facts.identifiers, hasConversions: facts.hasConversions, identitiesChanged: false } };
}

/** Path 2: a touch of somebody new, without a lock. Null when a concurrent claim or write means it must take the locked path. */
async function recordOnNew(deps: RecordTouchDeps, touch: TouchEvent, ids: readonly Identifier[]): Promise<RecordTouchResult | null> {
  const { store } = deps;
  const ws = touch.workspace;
  const pid = (deps.newProfileId ?? defaultProfileId)();
  const after = await store.identities.claim(ws, ids, pid);
  if (!ids.every((i) => after.get(identifierKey(i)) === pid)) return null;
  if ((await store.touches.insert(ws, { ...touch, profileId: pid, applied: false })) === 'duplicate') return null;
  const at = (deps.now?.() ?? new Date()).toISOString();
  const username = usernameOf(touch);
  const profile: Profile = {
    id: pid,
    workspace: ws,
    identifiers: uniqueIdentifiers(ids),
    usernames: username === undefined ? [] : [username],
    stats: statsOfTouch(touch),
    createdAt: at,
    updatedAt: at,
    hasConversions: false,
  };
  if ((await store.profiles.create(ws, profile)) === 'duplicate') return null;
  await store.touches.markApplied(ws, touch.id);
  return { status: 'applied', profileId: pid, merged: [], conflicts: [], person: { identifiers: profile.identifiers, hasConversions: false, identitiesChanged: true } };
}

/** Path 3: under the locks of every profile involved (see the header). */
async function recordLocked(deps: RecordTouchDeps, touch: TouchEvent, ids: Identifier[], known: string | undefined): Promise<RecordTouchResult> {
  const { store } = deps;
  const ws = touch.workspace;
  const primary = primaryIdentifier(touch, ids);
  const claim: IdentityClaim = { workspace: ws, ids, label: `touch ${touch.id}` };
  if (primary !== undefined) claim.primary = primary;
  if (known !== undefined) claim.known = known;
  const outcome = await resolveIdentity(deps, claim, async (resolved): Promise<RecordTouchResult | null> => {
    const { survivor, merged, conflicts, claimed, owned, lease } = resolved;
    let recovering = false;
    let rewrite = resolved.placeholder || merged.length > 0;
    const inserted = await store.touches.insert(ws, { ...touch, profileId: survivor.id, applied: false });
    if (inserted === 'duplicate') {
      const stored = await store.touches.get(ws, touch.id);
      if (stored?.applied && !rewrite) return { status: 'duplicate', profileId: stored.profileId, merged: [], conflicts: [] };
      // Stored with a profile merged away or erased since: it belongs to the survivor now.
      if (stored && stored.profileId !== survivor.id) await store.touches.assign(ws, touch.id, survivor.id);
      recovering = !stored?.applied;
      rewrite = true;
    }
    const identitiesChanged = merged.length > 0 || claimed.length > 0 || resolved.placeholder;
    let facts: ProfileFacts | null = null;
    if (!rewrite) {
      const username = usernameOf(touch);
      facts = await store.profiles.applyTouch(ws, survivor.id, deltaOfTouch(touch), {
        at: resolved.at,
        ...(username !== undefined ? { username } : {}),
        ...(owned.length > 0 ? { identifiers: owned } : {}),
      });
    }
    // A refused partial update (fenced by a rewrite that died, adopted, an older stored shape) rewrites too.
    facts ??= await rewriteProfile(store, resolved, { lease, username: usernameOf(touch) });
    if (!facts) return null;
    await store.touches.markApplied(ws, touch.id);
    return {
      status: recovering ? 'recovered' : 'applied',
      profileId: survivor.id,
      merged: merged.map((p) => p.id),
      conflicts,
      person: { identifiers: facts.identifiers, hasConversions: facts.hasConversions, identitiesChanged },
    };
  });
  if (outcome) return outcome;
  // Only a profile id that no longer exists (erased or merged away): keep the touch anonymous.
  if ((await store.touches.insert(ws, { ...touch, profileId: null, applied: true })) === 'duplicate') {
    const stored = await store.touches.get(ws, touch.id);
    if (stored?.applied && stored.profileId === null) return { status: 'duplicate', profileId: null, merged: [], conflicts: [] };
    // Stored by path 1 with that profile id before it turned out to be gone.
    await store.touches.assign(ws, touch.id, null);
    await store.touches.markApplied(ws, touch.id);
  }
  return { status: 'anonymous', profileId: null, merged: [], conflicts: [] };
}

/**
 * Rewrites the survivor from its stored touches, fenced (see the header); creates it when its
 * document is missing. Null when another rewrite took over meanwhile: resolve again.
 */
async function rewriteProfile(
  store: Store,
  resolved: ResolvedIdentity,
  options: { lease: Lease; username?: string | undefined; hasConversions?: true },
): Promise<ProfileFacts | null> {
  const { survivor, merged, at } = resolved;
  const ws = survivor.workspace;
  await options.lease.check();
  // A merge fenced the survivor before it moved anything; otherwise fence it now.
  const token = resolved.fence?.token ?? randomUUID();
  const current = resolved.fence ? resolved.fence.current : await store.profiles.fence(ws, survivor.id, token);
  const base = current ?? survivor;
  const { stats, adopted } = await foldTouches(store, ws, survivor.id);
  const usernames = new Set([...base.usernames, ...merged.flatMap((p) => p.usernames)]);
  if (options.username !== undefined) usernames.add(options.username);
  const flag = options.hasConversions ?? mergedFlag([base, ...merged]);
  const profile: Profile = {
    id: survivor.id,
    workspace: ws,
    identifiers: await store.identities.ofProfile(ws, survivor.id),
    usernames: [...usernames].sort(),
    stats,
    createdAt: base.createdAt,
    updatedAt: at,
    ...(flag !== undefined ? { hasConversions: flag } : {}),
  };
  await options.lease.check();
  if (current) return store.profiles.replace(ws, profile, { token, adopted });
  // Gone since it was read (merged away by a worker whose lock ran out, or erased): resolve again.
  if (!resolved.placeholder) return null;
  if ((await store.profiles.create(ws, profile, { adopted })) === 'duplicate') return null;
  const facts: ProfileFacts = { identifiers: profile.identifiers };
  if (flag !== undefined) facts.hasConversions = flag;
  return facts;
}

/**
 * Links a conversion's strong identifiers into the identity records, under the same rules
 * as touches: the profiles owning them merge when the rules allow, unowned ones are claimed,
 * and a new (touchless) profile claims them when nobody owns any. Every profile owning one of
 * them is noted as having a conversion (`profiles.noteConversion`), before the reconciler
 * reads their touches, so a touch applied after that triggers a re-reconcile of it. Returns the
 * profile that owns the claim now, or null when `ids` is empty.
 */
export async function linkIdentifiers(deps: RecordTouchDeps, workspace: string, ids: readonly Identifier[], label: string): Promise<string | null> {
  const { store } = deps;
  const unique = uniqueIdentifiers(ids);
  if (unique.length === 0) return null;
  return resolveIdentity(deps, { workspace, ids: unique, label, forConversion: true }, async (resolved) => {
    const { survivor, merged, conflicts, owned, lease } = resolved;
    if (merged.length > 0 || resolved.placeholder) {
      if (!(await rewriteProfile(store, resolved, { lease, hasConversions: true }))) return null;
    } else {
      const have = new Set(survivor.identifiers.map(identifierKey));
      const missing = owned.filter((i) => !have.has(identifierKey(i)));
      if (missing.length > 0) await store.profiles.addIdentifiers(workspace, survivor.id, missing);
      if (survivor.hasConversions !== true) await store.profiles.noteConversion(workspace, survivor.id);
    }
    for (const c of conflicts) await store.profiles.noteConversion(workspace, c.profileId);
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
  /** A conversion's claim: a profile it creates starts with `hasConversions: true`. */
  forConversion?: boolean;
}

/** What identity resolution settled; handed to `apply` while every involved profile is locked. */
export interface ResolvedIdentity {
  /** The profile the claim belongs to (as read under the locks). */
  survivor: Profile;
  /** The survivor's document is missing (a creation or merge cut short): it must be rewritten from its touches. */
  placeholder: boolean;
  /** Profiles merged into the survivor: deleted, their touches and identifiers moved already. */
  merged: Profile[];
  conflicts: RecordTouchResult['conflicts'];
  /** Identifiers claimed for the survivor by this resolution. */
  claimed: Identifier[];
  /** The claim's identifiers the survivor owns now (claimed, its own, or its merged profiles'). */
  owned: Identifier[];
  /** Set when a merge fenced the survivor before moving anything: the rewrite goes on under it. */
  fence?: { token: string; current: Profile | null };
  /** Time of this resolution (ISO). */
  at: string;
  /** The locks' lease: checked before writes that must not land after the locks ran out. */
  lease: Lease;
}

/**
 * Identity resolution shared by touches and conversions (the locked path of the header):
 * finds the profiles owning the claim's identifiers, creates one when needed, merges those the
 * rules allow and claims unowned identifiers, then runs `apply` still holding the locks; an
 * `apply` answering null (a fenced write lost to another worker) makes it resolve again.
 * Returns null without calling `apply` when the claim has no identifier and its known profile
 * no longer exists. Throws IdentityRaceError when profiles keep changing under it.
 */
async function resolveIdentity<T>(deps: RecordTouchDeps, claim: IdentityClaim, apply: (resolved: ResolvedIdentity) => Promise<T | null>): Promise<T | null> {
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
      const after = await store.identities.claim(ws, unowned, pid);
      const mine = unowned.filter((i) => after.get(identifierKey(i)) === pid);
      if (mine.length > 0) {
        // A new id nobody else can know before this claim: no lock needed to create it.
        const at = now();
        await store.profiles.create(ws, {
          id: pid,
          workspace: ws,
          identifiers: mine,
          usernames: [],
          stats: emptyStats(),
          createdAt: at,
          updatedAt: at,
          hasConversions: claim.forConversion === true,
        });
      }
      continue;
    }
    const locked = [...set].sort();
    const outcome = await locker.withLocks(
      locked.map((p) => deps.lockKey(ws, p)),
      async (lease): Promise<{ value: T } | null> => {
        const again = await candidatesNow();
        if (!sameSet(again.set, set)) return null;
        const resolved = await mergeUnderLocks(again.owners, locked, lease);
        if (!resolved) return null;
        const value = await apply(resolved);
        return value === null ? null : { value };
      },
    );
    if (outcome) return outcome.value;
  }
  throw new IdentityRaceError(`profiles of ${claim.label} kept changing over ${MAX_ATTEMPTS} attempts`);

  async function mergeUnderLocks(owners: Map<string, string>, profileIds: string[], lease: Lease): Promise<ResolvedIdentity | null> {
    const at = now();
    const loaded = await Promise.all(profileIds.map((id) => store.profiles.get(ws, id)));
    const profiles: Profile[] = [];
    const missing = new Set<string>();
    for (const [i, id] of profileIds.entries()) {
      const p = loaded[i];
      if (p) {
        profiles.push(p);
        continue;
      }
      // An identifier can point to a profile whose creation (or merge) was cut short: its
      // document is rebuilt from its touches.
      missing.add(id);
      profiles.push({ id, workspace: ws, identifiers: await store.identities.ofProfile(ws, id), usernames: [], stats: emptyStats(), createdAt: at, updatedAt: at });
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
    let fence: ResolvedIdentity['fence'];
    if (merged.length > 0) {
      // Fence the survivor first: until its rewrite, partial updates of it are refused, so a
      // crash anywhere below leaves it to be folded again by the next touch, never updated stale.
      await lease.check();
      const token = randomUUID();
      fence = { token, current: await store.profiles.fence(ws, survivor.id, token) };
    }
    for (const p of merged) {
      await lease.check();
      // The document first: a partial update of the merged profile then either landed before
      // (and its touch, stored before it, moves below) or is refused and takes the locked path.
      await store.profiles.delete(ws, p.id);
      await store.touches.reassign(ws, p.id, survivor.id);
      await store.identities.reassign(ws, p.id, survivor.id);
    }
    // Claim the identifiers nobody owns yet, unless that would break the rules. A profile
    // being created right now may win one of them: then this claim links the two, so resolve
    // again (the merges done so far stand).
    const unowned = ids.filter((i) => !owners.has(identifierKey(i)) && mergeConflict(identifiers, [i]) === null);
    if (unowned.length > 0) {
      await lease.check();
      const after = await store.identities.claim(ws, unowned, survivor.id);
      if (unowned.some((i) => after.get(identifierKey(i)) !== survivor.id)) return null;
    }
    const mine = new Set([survivor.id, ...merged.map((p) => p.id)]);
    const owned = ids.filter((i) => mine.has(owners.get(identifierKey(i)) ?? '') || unowned.includes(i));
    const resolved: ResolvedIdentity = { survivor, placeholder: missing.has(survivor.id), merged, conflicts, claimed: unowned, owned, at, lease };
    if (fence) resolved.fence = fence;
    return resolved;
  }
}
