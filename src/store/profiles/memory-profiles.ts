/**
 * In-memory profiles and identities (see `profile-repo.ts`): one owner per identifier
 * (first claim wins), profiles by id in code-point order, every returned object a copy.
 * Statistics are kept in the stored shape of `stats-doc.ts` and a touch applied with the
 * semantics of the operators the MongoDB adapter sends (`applyDelta`), so both read back the
 * same statistics.
 */
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { bucket as bucketOf } from '../memory-tables.js';
import type { ProfileStats } from '../../profile/profile-stats.js';
import { assertSameWorkspace, compareCodePoints, distinctIdentifiers, plainCopy, resolveLimit, sortIdentifiers } from '../rules.js';
import type { IdentityRepo, Profile, ProfileFacts, ProfileRepo } from './profile-repo.js';
import { applyDelta, flagOf, hasConversionsOf, isCurrentShape, statsOfStored, storedOfStats, type StoredStats } from './stats-doc.js';

interface IdentityRow {
  identifier: Identifier;
  profileId: string;
}

/** Creates the in-memory identities; `open()` throws once the store is closed. */
export function createMemoryIdentities(open: () => void): IdentityRepo {
  const identityRows = new Map<string, Map<string, IdentityRow>>();
  const identities: IdentityRepo = {
    async find(workspace, list) {
      open();
      const bucket = identityRows.get(workspace);
      const owners = new Map<string, string>();
      for (const i of list) {
        const key = identifierKey(i);
        const row = bucket?.get(key);
        if (row) owners.set(key, row.profileId);
      }
      return owners;
    },
    async claim(workspace, list, profileId) {
      open();
      const bucket = bucketOf(identityRows, workspace);
      const owners = new Map<string, string>();
      for (const i of distinctIdentifiers(list)) {
        const key = identifierKey(i);
        let row = bucket.get(key);
        if (!row) {
          row = { identifier: i, profileId };
          bucket.set(key, row);
        }
        owners.set(key, row.profileId);
      }
      return owners;
    },
    async move(workspace, identifiers, fromProfileId, toProfileId) {
      open();
      let moved = 0;
      for (const i of identifiers) {
        const row = identityRows.get(workspace)?.get(identifierKey(i));
        if (row && row.profileId === fromProfileId && fromProfileId !== toProfileId) {
          row.profileId = toProfileId;
          moved++;
        }
      }
      return moved;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId) return 0;
      let moved = 0;
      for (const row of identityRows.get(workspace)?.values() ?? []) {
        if (row.profileId === fromProfileId) {
          row.profileId = toProfileId;
          moved++;
        }
      }
      return moved;
    },
    async ofProfile(workspace, profileId) {
      open();
      const owned: Identifier[] = [];
      for (const row of identityRows.get(workspace)?.values() ?? []) {
        if (row.profileId === profileId) owned.push({ type: row.identifier.type, value: row.identifier.value });
      }
      return sortIdentifiers(owned);
    },
    async deleteByProfile(workspace, profileId) {
      open();
      const bucket = identityRows.get(workspace);
      let deleted = 0;
      for (const [key, row] of bucket ?? []) {
        if (row.profileId === profileId) {
          bucket?.delete(key);
          deleted++;
        }
      }
      return deleted;
    },
  };
  return identities;
}

/** A profile as the in-memory adapter keeps it: statistics in the stored shape, plus the rewrite state. */
interface ProfileRow {
  profile: Omit<Profile, 'stats'> & { stats: StoredStats | ProfileStats };
  fence?: string;
  adopted?: string[];
}

/** The profile a row stands for (a copy, statistics in `ProfileStats` form). */
function profileOf(row: ProfileRow): Profile {
  const { stats, ...rest } = row.profile;
  const out = { ...plainCopy(rest), stats: statsOfStored(stats) };
  sortIdentifiers(out.identifiers);
  out.usernames.sort(compareCodePoints);
  return out;
}

function rowOf(profile: Profile): ProfileRow {
  const { stats, ...rest } = plainCopy(profile);
  sortIdentifiers(rest.identifiers);
  return { profile: { ...rest, stats: storedOfStats(stats) } };
}

function factsOf(row: ProfileRow): ProfileFacts {
  // Kept sorted (see addIdentifiersTo): a copy is enough.
  const facts: ProfileFacts = { identifiers: row.profile.identifiers.map((i) => ({ type: i.type, value: i.value })) };
  if (row.profile.hasConversions !== undefined) facts.hasConversions = row.profile.hasConversions;
  return facts;
}

function addIdentifiersTo(row: ProfileRow, list: readonly Identifier[]): void {
  const mine = row.profile.identifiers;
  const missing = list.filter((i) => !mine.some((m) => m.type === i.type && m.value === i.value));
  if (missing.length === 0) return;
  for (const i of distinctIdentifiers(missing)) mine.push({ type: i.type, value: i.value });
  sortIdentifiers(mine);
}

/** Creates the in-memory profiles; `open()` throws once the store is closed. */
export function createMemoryProfiles(open: () => void): ProfileRepo {
  const profileRows = new Map<string, Map<string, ProfileRow>>();
  const sortedRows = (workspace: string): ProfileRow[] =>
    [...(profileRows.get(workspace)?.values() ?? [])].sort((a, b) => compareCodePoints(a.profile.id, b.profile.id));

  const profiles: ProfileRepo = {
    async get(workspace, id) {
      open();
      const row = profileRows.get(workspace)?.get(id);
      return row ? profileOf(row) : null;
    },
    async put(workspace, profile) {
      open();
      assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
      bucketOf(profileRows, workspace).set(profile.id, rowOf(profile));
    },
    async create(workspace, profile, options = {}) {
      open();
      assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
      const bucket = bucketOf(profileRows, workspace);
      if (bucket.has(profile.id)) return 'duplicate';
      const row = rowOf(profile);
      if (options.adopted && options.adopted.length > 0) row.adopted = [...options.adopted];
      bucket.set(profile.id, row);
      return 'inserted';
    },
    async applyTouch(workspace, id, delta, options) {
      open();
      const row = profileRows.get(workspace)?.get(id);
      if (!row || row.fence !== undefined || row.adopted?.includes(delta.touchId) || !isCurrentShape(row.profile.stats)) return null;
      applyDelta(row.profile.stats, delta);
      if (options.username !== undefined && !row.profile.usernames.includes(options.username)) row.profile.usernames.push(options.username);
      if (options.identifiers) addIdentifiersTo(row, options.identifiers);
      row.profile.updatedAt = options.at;
      return factsOf(row);
    },
    async fence(workspace, id, token) {
      open();
      const row = profileRows.get(workspace)?.get(id);
      if (!row) return null;
      row.fence = token;
      return profileOf(row);
    },
    async replace(workspace, profile, fence) {
      open();
      assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
      const row = profileRows.get(workspace)?.get(profile.id);
      if (!row || row.fence !== fence.token) return null;
      const next = rowOf(profile);
      // The flag only rises (see `stats-doc.ts`): a conversion noted meanwhile stays noted.
      const flag = hasConversionsOf(Math.max(flagOf(row.profile.hasConversions), flagOf(profile.hasConversions)));
      if (flag === undefined) delete next.profile.hasConversions;
      else next.profile.hasConversions = flag;
      if (fence.adopted.length > 0) next.adopted = [...fence.adopted];
      bucketOf(profileRows, workspace).set(profile.id, next);
      return factsOf(next);
    },
    async noteConversion(workspace, id) {
      open();
      const row = profileRows.get(workspace)?.get(id);
      if (!row) return false;
      row.profile.hasConversions = true;
      return true;
    },
    async addIdentifiers(workspace, id, list) {
      open();
      const row = profileRows.get(workspace)?.get(id);
      if (!row) return false;
      addIdentifiersTo(row, list);
      return true;
    },
    async delete(workspace, id) {
      open();
      return profileRows.get(workspace)?.delete(id) ?? false;
    },
    async findByUsername(workspace, username) {
      open();
      return sortedRows(workspace)
        .filter((r) => r.profile.usernames.includes(username))
        .map(profileOf);
    },
    async list(workspace, options = {}) {
      open();
      const limit = resolveLimit(options.limit, Number.MAX_SAFE_INTEGER);
      const { afterId } = options;
      if (limit === 0) return [];
      const page: Profile[] = [];
      for (const r of sortedRows(workspace)) {
        if (afterId !== undefined && compareCodePoints(r.profile.id, afterId) <= 0) continue;
        page.push(profileOf(r));
        if (page.length >= limit) break;
      }
      return page;
    },
    async count(workspace) {
      open();
      return profileRows.get(workspace)?.size ?? 0;
    },
  };
  return profiles;
}
