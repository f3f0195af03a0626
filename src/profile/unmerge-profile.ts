/**
 * Splits a wrong merge (`/unmerge <profile> <identifier>`): the identifier, the touches that
 * carried it and the identifiers only those touches carried move to a new profile; both
 * profiles are folded again from their touches under the fenced rewrite (`profiles.fence` then
 * `replace`, so a worker racing with the split writes nothing stale), under the locks of the
 * profile; the conversions matched to the old profile or naming a moved identifier are
 * returned so the caller re-reconciles them (re-credits: the reconciler rebuilds their
 * journeys from the touches as they now lie). A `manual_split` evidence records it.
 *
 * Refused (UnmergeError, with what to do instead): an unknown profile, an identifier it does
 * not own, and a split that would leave the profile without touches or without identifiers.
 */
import { randomUUID } from 'node:crypto';
import { evidenceId, RULE_CONFIDENCE } from '../identity/link-evidence.js';
import { identifierKey, uniqueIdentifiers, type Identifier } from '../identity/identifier.js';
import type { Locker } from '../lock.js';
import { allTouches } from '../store/paging.js';
import type { Profile, StoredTouch, Store } from '../store/store.js';
import { combineStats, emptyStats, statsOfTouch } from './profile-stats.js';
import { identifiersOfTouch } from './record-touch.js';

export class UnmergeError extends Error {
  override name = 'UnmergeError';
}

export interface UnmergeDeps {
  store: Store;
  locker: Locker;
  lockKey: (workspace: string, profileId: string) => string;
  newProfileId?: () => string;
  now?: () => Date;
}

export interface UnmergeResult {
  /** The profile that keeps the rest. */
  profileId: string;
  /** The new profile of the split-off identifier. */
  newProfileId: string;
  movedIdentifiers: Identifier[];
  movedTouches: number;
  /** Conversions to reconcile again (matched to the profile, or naming a moved identifier). */
  conversions: string[];
}

/**
 * The identifier of `profile` an owner names as `<type>:<start of its value>` (at least 4
 * characters of the hashed value, as `/journey` shows them masked), or its full value.
 */
export function findIdentifier(profile: Pick<Profile, 'identifiers'>, spec: string): Identifier | UnmergeError {
  const m = /^([a-z_]+):(.+)$/.exec(spec.trim());
  if (!m) return new UnmergeError('name the identifier as <type>:<start of its value>, as /journey shows it (e.g. wa_lid:3fa2c1)');
  const [, type, raw] = m as unknown as [string, string, string];
  const prefix = raw.replace(/….*$/, '');
  if (prefix.length < 4) return new UnmergeError('give at least 4 characters of the identifier’s value');
  const hits = profile.identifiers.filter((i) => i.type === type && i.value.startsWith(prefix));
  if (hits.length === 0) return new UnmergeError(`this profile has no ${type} starting with ${prefix}`);
  if (hits.length > 1) return new UnmergeError(`more than one ${type} starts with ${prefix}: give more characters`);
  return hits[0] as Identifier;
}

async function fold(touches: readonly StoredTouch[]): Promise<{ stats: ReturnType<typeof emptyStats>; adopted: string[] }> {
  let stats = emptyStats();
  const adopted: string[] = [];
  for (const t of touches) {
    stats = combineStats(stats, statsOfTouch(t));
    if (!t.applied) adopted.push(t.id);
  }
  return { stats, adopted };
}

export async function unmergeProfile(deps: UnmergeDeps, workspace: string, profileId: string, identifier: Identifier, by: string): Promise<UnmergeResult> {
  const { store } = deps;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const qid = (deps.newProfileId ?? (() => `p_${randomUUID().replace(/-/g, '').slice(0, 20)}`))();
  const outcome = await deps.locker.withLocks([deps.lockKey(workspace, profileId), deps.lockKey(workspace, qid)], async (lease) => {
    const profile = await store.profiles.get(workspace, profileId);
    if (!profile) throw new UnmergeError(`no profile ${profileId} in this workspace`);
    const owner = (await store.identities.find(workspace, [identifier])).get(identifierKey(identifier));
    if (owner !== profileId) throw new UnmergeError(`${identifier.type} is not on profile ${profileId}`);
    const touches: StoredTouch[] = [];
    for await (const t of allTouches(store, workspace, { profileId })) touches.push(t);
    const key = identifierKey(identifier);
    const moving = touches.filter((t) => identifiersOfTouch(t).some((i) => identifierKey(i) === key));
    const staying = touches.filter((t) => !moving.includes(t));
    const stayKeys = new Set(staying.flatMap((t) => identifiersOfTouch(t).map(identifierKey)));
    const owned = await store.identities.ofProfile(workspace, profileId);
    const carried = new Set(moving.flatMap((t) => identifiersOfTouch(t).map(identifierKey)));
    const move = uniqueIdentifiers([identifier, ...owned.filter((i) => carried.has(identifierKey(i)) && !stayKeys.has(identifierKey(i)))]);
    const keep = owned.filter((i) => !move.some((x) => identifierKey(x) === identifierKey(i)));
    if (keep.length === 0) throw new UnmergeError('that would leave the profile without any identifier: nothing to split');
    if (staying.length === 0 && touches.length > 0) throw new UnmergeError('every touch of this profile carried that identifier: nothing would stay; split another identifier off instead');

    // Fence the profile first: partial updates of it are refused until its rewrite.
    await lease.check();
    const token = randomUUID();
    const current = (await store.profiles.fence(workspace, profileId, token)) ?? profile;
    const movedFold = await fold(moving);
    await store.profiles.create(workspace, { id: qid, workspace, identifiers: move, usernames: [], stats: movedFold.stats, createdAt: now, updatedAt: now, hasConversions: current.hasConversions === true }, { adopted: movedFold.adopted });
    await store.identities.move(workspace, move, profileId, qid);
    for (const t of moving) await store.touches.assign(workspace, t.id, qid);
    const kept = await fold(staying);
    await lease.check();
    const written = await store.profiles.replace(
      workspace,
      { ...current, identifiers: await store.identities.ofProfile(workspace, profileId), stats: kept.stats, updatedAt: now },
      { token, adopted: kept.adopted },
    );
    if (!written) throw new UnmergeError('the profile changed while it was being split: try again');
    const own = keep.find((i) => i.type === 'wa_id' || i.type === 'tg_id' || i.type === 'wa_lid') ?? (keep[0] as Identifier);
    await store.identityEvidence.add(
      workspace,
      move.map((i) => ({
        workspace,
        id: evidenceId('manual_split', `${by}:${now}`, own, i),
        identifier: i,
        linkedTo: own,
        rule: 'manual_split' as const,
        source: { kind: 'command' as const, id: by },
        at: now,
        confidence: RULE_CONFIDENCE.manual_split,
        profileId: qid,
      })),
    );
    const related = await store.conversions.related(workspace, { identifiers: move, profileIds: [profileId] });
    return { movedIdentifiers: move, movedTouches: moving.length, conversions: related.map((c) => c.id) };
  });
  return { profileId, newProfileId: qid, ...outcome };
}

/**
 * The command layer's `/unmerge` port: splits, then queues the affected conversions for the
 * reconciler (`enqueue`, e.g. `ReconcileQueue.enqueue`), which re-credits them.
 */
export function createUnmergePort(deps: UnmergeDeps & { enqueue: (workspace: string, conversionIds: readonly string[], cause: string) => Promise<void> }) {
  return async (workspace: string, profileId: string, identifier: Identifier, by: string): Promise<UnmergeResult> => {
    const r = await unmergeProfile(deps, workspace, profileId, identifier, by);
    if (r.conversions.length > 0) await deps.enqueue(workspace, r.conversions, `unmerge-${r.newProfileId}`);
    return r;
  };
}
