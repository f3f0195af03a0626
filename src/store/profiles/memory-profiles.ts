/**
 * In-memory profiles and identities (see `profile-repo.ts`): one owner per identifier
 * (first claim wins), profiles by id in code-point order, every returned object a copy.
 */
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { bucket as bucketOf } from '../memory-tables.js';
import { assertSameWorkspace, compareCodePoints, distinctIdentifiers, plainCopy, resolveLimit, sortIdentifiers } from '../rules.js';
import type { IdentityRepo, Profile, ProfileRepo } from './profile-repo.js';

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

/** Creates the in-memory profiles; `open()` throws once the store is closed. */
export function createMemoryProfiles(open: () => void): ProfileRepo {
  const profileRows = new Map<string, Map<string, Profile>>();
  const sortedProfiles = (workspace: string): Profile[] =>
    [...(profileRows.get(workspace)?.values() ?? [])].sort((a, b) => compareCodePoints(a.id, b.id));

  const profiles: ProfileRepo = {
    async get(workspace, id) {
      open();
      const p = profileRows.get(workspace)?.get(id);
      return p ? plainCopy(p) : null;
    },
    async put(workspace, profile) {
      open();
      assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
      bucketOf(profileRows, workspace).set(profile.id, plainCopy(profile));
    },
    async delete(workspace, id) {
      open();
      return profileRows.get(workspace)?.delete(id) ?? false;
    },
    async findByUsername(workspace, username) {
      open();
      return sortedProfiles(workspace)
        .filter((p) => p.usernames.includes(username))
        .map((p) => plainCopy(p));
    },
    async list(workspace, options = {}) {
      open();
      const limit = resolveLimit(options.limit, Number.MAX_SAFE_INTEGER);
      const { afterId } = options;
      if (limit === 0) return [];
      const page: Profile[] = [];
      for (const p of sortedProfiles(workspace)) {
        if (afterId !== undefined && compareCodePoints(p.id, afterId) <= 0) continue;
        page.push(plainCopy(p));
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
