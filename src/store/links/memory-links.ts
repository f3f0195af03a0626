/**
 * In-memory tracked links, member tokens and clicks (see `link-repo.ts`): unique keys with
 * first-write-wins, canonical UTC times, every returned object a copy.
 */
import { identifierKey } from '../../identity/identifier.js';
import { bucket } from '../memory-tables.js';
import { DEFAULT_LINK_LIMIT, assertSameWorkspace, canonicalTime, compareCodePoints, instantOf, memberKeyOf, plainCopy, resolveLimit } from '../rules.js';
import type { ClickRecord, ClickRepo, LinkRepo, MemberToken, MemberTokenRepo, TrackedLink } from './link-repo.js';

/** Creates the in-memory link repositories. */
export function createMemoryLinks(): { links: LinkRepo; memberTokens: MemberTokenRepo; clicks: ClickRepo } {
  const linkRows = new Map<string, TrackedLink>();
  const tokenRows = new Map<string, Map<string, MemberToken>>();
  const tokenByMember = new Map<string, Map<string, string>>();
  const clickRows = new Map<string, Map<string, ClickRecord>>();
  /** Deletes a workspace's clicks that match; returns how many. */
  const deleteClicks = (workspace: string, match: (c: ClickRecord) => boolean): number => {
    const rows = clickRows.get(workspace);
    let deleted = 0;
    for (const [id, c] of [...(rows ?? [])]) {
      if (!match(c)) continue;
      rows?.delete(id);
      deleted++;
    }
    return deleted;
  };

  const links: LinkRepo = {
    async insert(workspace, link) {
      assertSameWorkspace(`link ${link.code}`, workspace, link.workspace);
      if (linkRows.has(link.code)) return 'duplicate';
      linkRows.set(link.code, plainCopy(link));
      return 'inserted';
    },
    async get(workspace, code) {
      const l = linkRows.get(code);
      return l && l.workspace === workspace ? plainCopy(l) : null;
    },
    async list(workspace, options = {}) {
      const limit = resolveLimit(options.limit, DEFAULT_LINK_LIMIT);
      return [...linkRows.values()]
        .filter((l) => l.workspace === workspace && (options.afterCode === undefined || compareCodePoints(l.code, options.afterCode) > 0))
        .sort((a, b) => compareCodePoints(a.code, b.code))
        .slice(0, limit)
        .map((l) => plainCopy(l));
    },
    async workspaceOfCode(code) {
      return linkRows.get(code)?.workspace ?? null;
    },
  };

  const memberTokens: MemberTokenRepo = {
    async issue(workspace, token) {
      assertSameWorkspace('member token', workspace, token.workspace);
      const key = memberKeyOf(token);
      const existing = bucket(tokenByMember, workspace).get(key);
      if (existing !== undefined) return plainCopy(bucket(tokenRows, workspace).get(existing) as MemberToken);
      if (bucket(tokenRows, workspace).has(token.token)) throw new Error('member token collision; issue a new random token');
      bucket(tokenRows, workspace).set(token.token, plainCopy(token));
      bucket(tokenByMember, workspace).set(key, token.token);
      return plainCopy(token);
    },
    async get(workspace, token) {
      const t = tokenRows.get(workspace)?.get(token);
      return t ? plainCopy(t) : null;
    },
    async deleteByMember(workspace, person) {
      const rows = tokenRows.get(workspace);
      if (!rows) return 0;
      const keys = new Set(person.identifiers.map(identifierKey));
      const profiles = new Set(person.profileIds);
      let deleted = 0;
      for (const [value, t] of [...rows]) {
        if (!((t.member && keys.has(identifierKey(t.member))) || (t.profileId !== null && profiles.has(t.profileId)))) continue;
        rows.delete(value);
        tokenByMember.get(workspace)?.delete(memberKeyOf(t));
        deleted++;
      }
      return deleted;
    },
  };

  const clicks: ClickRepo = {
    async insert(workspace, click) {
      assertSameWorkspace(`click ${click.clickId}`, workspace, click.workspace);
      const b = bucket(clickRows, workspace);
      if (b.has(click.clickId)) return 'duplicate';
      b.set(click.clickId, plainCopy({ ...click, at: canonicalTime(click.at, `click ${click.clickId} at`) }));
      return 'inserted';
    },
    async get(workspace, clickId) {
      const c = clickRows.get(workspace)?.get(clickId);
      return c ? plainCopy(c) : null;
    },
    async count(workspace) {
      return clickRows.get(workspace)?.size ?? 0;
    },
    async deleteByProfile(workspace, profileId) {
      return deleteClicks(workspace, (c) => c.profileId === profileId);
    },
    async deleteBefore(workspace, before) {
      const end = instantOf(before, 'retention cutoff');
      return deleteClicks(workspace, (c) => Date.parse(c.at) < end);
    },
    async listUnqueued(workspace, options = {}) {
      const limit = resolveLimit(options.limit, DEFAULT_LINK_LIMIT);
      return [...(clickRows.get(workspace)?.values() ?? [])]
        .filter((c) => c.queued === false)
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || compareCodePoints(a.clickId, b.clickId))
        .slice(0, limit)
        .map((c) => plainCopy(c));
    },
    async markQueued(workspace, clickIds) {
      const rows = clickRows.get(workspace);
      let marked = 0;
      for (const id of clickIds) {
        const c = rows?.get(id);
        if (c?.queued !== false) continue;
        delete c.queued;
        marked++;
      }
      return marked;
    },
  };
  return { links, memberTokens, clicks };
}
