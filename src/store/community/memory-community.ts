/**
 * In-memory community repositories (see `community-repo.ts`); the memory store composes
 * them. Same unique keys, first-write-wins inserts, upserts, orders and canonical UTC
 * times as the MongoDB adapter; every returned object is a copy.
 */
import type {
  AuditEntry,
  AuditRepo,
  CampaignInviteLink,
  CommunityPlatform,
  CommunityRepos,
  DigestRepo,
  DigestSubscription,
  ErasureRepo,
  ErasureRun,
  ErasureRunLists,
  ErasureRunRepo,
  GrantRepo,
  GroupRepo,
  InviteLinkRepo,
  JoinRequestRepo,
  KeywordRepo,
  OptOutRepo,
  PendingErasure,
  PendingJoinRequest,
  RegisteredGroup,
  RoleGrant,
  TrackedKeyword,
} from './community-repo.js';
import { key, table } from '../memory-tables.js';
import { DEFAULT_AUDIT_LIMIT, assertSameWorkspace, canonicalTime, compareBy, instantOf, plainCopy, resolveLimit } from '../rules.js';

export function createMemoryCommunityRepos(): CommunityRepos {
  const groupRows = table<RegisteredGroup>();
  const linkRows = table<CampaignInviteLink>();
  const grantRows = table<RoleGrant>();
  const auditRows = table<AuditEntry>();
  const keywordRows = table<TrackedKeyword>();
  const digestRows = table<DigestSubscription>();
  const erasureRows = table<PendingErasure>();
  const optOutRows = table<{ subject: string; at: string }>();
  const joinRequestRows = table<PendingJoinRequest>();
  const erasureRunRows = table<ErasureRun>();

  const groups: GroupRepo = {
    async upsert(workspace, g) {
      assertSameWorkspace(`group ${g.chatId}`, workspace, g.workspace);
      const at = canonicalTime(g.at, 'group at');
      const rows = groupRows.of(workspace);
      const k = key(g.platform, g.chatId);
      const before = rows.get(k);
      // Fields left undefined are "not given": the stored value stays (as a MongoDB $set without them).
      const fields = Object.fromEntries(Object.entries(g).filter(([k, v]) => k !== 'at' && v !== undefined));
      const row = plainCopy({ ...(before ?? {}), ...fields, registeredAt: before?.registeredAt ?? at, updatedAt: at }) as RegisteredGroup;
      rows.set(k, row);
      return plainCopy(row);
    },
    async get(workspace, platform, chatId) {
      const row = groupRows.of(workspace).get(key(platform, chatId));
      return row ? plainCopy(row) : null;
    },
    async list(workspace, options = {}) {
      return [...groupRows.of(workspace).values()]
        .filter((g) => (options.platform === undefined || g.platform === options.platform) && (options.status === undefined || g.status === options.status))
        .sort(compareBy((g) => Date.parse(g.registeredAt), (g) => g.chatId))
        .map((g) => plainCopy(g));
    },
  };

  const inviteLinks: InviteLinkRepo = {
    async insert(workspace, link) {
      assertSameWorkspace(`invite link ${link.url}`, workspace, link.workspace);
      const rows = linkRows.of(workspace);
      const k = key(link.platform, link.url);
      if (rows.has(k)) return 'duplicate';
      rows.set(
        k,
        plainCopy({
          ...link,
          createdAt: canonicalTime(link.createdAt, 'invite link createdAt'),
          revokedAt: link.revokedAt === null ? null : canonicalTime(link.revokedAt, 'invite link revokedAt'),
        }),
      );
      return 'inserted';
    },
    async findByUrl(workspace, platform, url) {
      const row = linkRows.of(workspace).get(key(platform, url));
      return row ? plainCopy(row) : null;
    },
    async list(workspace, options = {}) {
      return [...linkRows.of(workspace).values()]
        .filter(
          (l) =>
            (options.platform === undefined || l.platform === options.platform) &&
            (options.chatId === undefined || l.chatId === options.chatId) &&
            (options.campaign === undefined || l.campaign === options.campaign) &&
            (options.includeRevoked === true || l.revokedAt === null),
        )
        .sort(compareBy((l) => Date.parse(l.createdAt), (l) => l.url))
        .map((l) => plainCopy(l));
    },
    async markRevoked(workspace, platform, url, at) {
      const row = linkRows.of(workspace).get(key(platform, url));
      if (!row) return false;
      if (row.revokedAt === null) row.revokedAt = canonicalTime(at, 'revokedAt');
      return true;
    },
  };

  const grants: GrantRepo = {
    async grant(workspace, g) {
      assertSameWorkspace(`grant of ${g.subject}`, workspace, g.workspace);
      const rows = grantRows.of(workspace);
      const k = key(g.subject, g.role);
      if (rows.has(k)) return 'duplicate';
      rows.set(k, plainCopy({ ...g, grantedAt: canonicalTime(g.grantedAt, 'grantedAt') }));
      return 'inserted';
    },
    async revoke(workspace, subject, role) {
      return grantRows.of(workspace).delete(key(subject, role));
    },
    async ofSubject(workspace, subject) {
      return [...grantRows.of(workspace).values()]
        .filter((g) => g.subject === subject)
        .sort(compareBy((g) => g.role))
        .map((g) => plainCopy(g));
    },
    async list(workspace) {
      return [...grantRows.of(workspace).values()].sort(compareBy((g) => g.subject, (g) => g.role)).map((g) => plainCopy(g));
    },
  };

  const audit: AuditRepo = {
    async append(workspace, entry) {
      assertSameWorkspace(`audit entry ${entry.id}`, workspace, entry.workspace);
      const rows = auditRows.of(workspace);
      if (rows.has(entry.id)) return;
      rows.set(entry.id, plainCopy({ ...entry, at: canonicalTime(entry.at, 'audit at') }));
    },
    async list(workspace, options = {}) {
      const limit = resolveLimit(options.limit, DEFAULT_AUDIT_LIMIT);
      const from = options.from === undefined ? undefined : instantOf(options.from, 'from');
      const to = options.to === undefined ? undefined : instantOf(options.to, 'to');
      return [...auditRows.of(workspace).values()]
        .filter((e) => {
          const t = Date.parse(e.at);
          return (options.actor === undefined || e.actor === options.actor) && (from === undefined || t >= from) && (to === undefined || t < to);
        })
        .sort(compareBy((e) => Date.parse(e.at), (e) => e.id))
        .slice(0, limit)
        .map((e) => plainCopy(e));
    },
    async eraseActor(workspace, actor) {
      let n = 0;
      for (const e of auditRows.of(workspace).values()) {
        if (e.actor === actor) {
          e.actor = 'erased';
          n++;
        }
      }
      return n;
    },
  };

  const keywords: KeywordRepo = {
    async add(workspace, kw) {
      assertSameWorkspace(`keyword ${kw.key}`, workspace, kw.workspace);
      const rows = keywordRows.of(workspace);
      if (rows.has(kw.key)) return 'duplicate';
      rows.set(kw.key, plainCopy({ ...kw, addedAt: canonicalTime(kw.addedAt, 'addedAt') }));
      return 'inserted';
    },
    async remove(workspace, k) {
      return keywordRows.of(workspace).delete(k);
    },
    async list(workspace) {
      return [...keywordRows.of(workspace).values()].sort(compareBy((k) => Date.parse(k.addedAt), (k) => k.key)).map((k) => plainCopy(k));
    },
  };

  const digests: DigestRepo = {
    async put(workspace, sub) {
      assertSameWorkspace(`digest of ${sub.chatId}`, workspace, sub.workspace);
      const rows = digestRows.of(workspace);
      const k = key(sub.platform, sub.chatId);
      const before = rows.get(k);
      rows.set(k, plainCopy({ ...sub, subscribedAt: canonicalTime(sub.subscribedAt, 'subscribedAt'), lastRunKey: before?.lastRunKey ?? null }));
    },
    async remove(workspace, platform, chatId) {
      return digestRows.of(workspace).delete(key(platform, chatId));
    },
    async get(workspace, platform, chatId) {
      const row = digestRows.of(workspace).get(key(platform, chatId));
      return row ? plainCopy(row) : null;
    },
    async list(workspace) {
      return [...digestRows.of(workspace).values()].sort(compareBy((d) => d.platform, (d) => d.chatId)).map((d) => plainCopy(d));
    },
    async claimRun(workspace, platform, chatId, runKey) {
      const row = digestRows.of(workspace).get(key(platform, chatId));
      if (!row || row.lastRunKey === runKey) return false;
      row.lastRunKey = runKey;
      return true;
    },
  };

  const erasures: ErasureRepo = {
    async put(workspace, p) {
      assertSameWorkspace(`erasure of ${p.subject}`, workspace, p.workspace);
      erasureRows.of(workspace).set(p.subject, plainCopy({ ...p, expiresAt: canonicalTime(p.expiresAt, 'expiresAt') }));
    },
    async take(workspace, subject, code, now) {
      const rows = erasureRows.of(workspace);
      const row = rows.get(subject);
      if (!row || row.code !== code || Date.parse(row.expiresAt) <= instantOf(now, 'now')) return false;
      rows.delete(subject);
      return true;
    },
    async clear(workspace, subject) {
      erasureRows.of(workspace).delete(subject);
    },
  };

  const optOuts: OptOutRepo = {
    async add(workspace, subject, at) {
      const rows = optOutRows.of(workspace);
      if (!rows.has(subject)) rows.set(subject, { subject, at: canonicalTime(at, 'at') });
    },
    async has(workspace, subject) {
      return optOutRows.of(workspace).has(subject);
    },
    async remove(workspace, subject) {
      return optOutRows.of(workspace).delete(subject);
    },
  };

  const joinRequests: JoinRequestRepo = {
    async put(workspace, r) {
      assertSameWorkspace(`join request of ${r.userId}`, workspace, r.workspace);
      joinRequestRows
        .of(workspace)
        .set(key(r.platform, r.chatId, r.userId), plainCopy({ ...r, requestedAt: canonicalTime(r.requestedAt, 'requestedAt'), expiresAt: canonicalTime(r.expiresAt, 'expiresAt') }));
    },
    async take(workspace, platform: CommunityPlatform, chatId, userId, now) {
      const rows = joinRequestRows.of(workspace);
      const k = key(platform, chatId, userId);
      const row = rows.get(k);
      if (!row) return null;
      rows.delete(k);
      return Date.parse(row.expiresAt) > instantOf(now, 'now') ? plainCopy(row) : null;
    },
    async removeUser(workspace, platform, userId) {
      const rows = joinRequestRows.of(workspace);
      let n = 0;
      for (const [k, r] of rows) {
        if (r.platform === platform && r.userId === userId) {
          rows.delete(k);
          n++;
        }
      }
      return n;
    },
  };

  const erasureRuns: ErasureRunRepo = {
    async start(workspace, run) {
      assertSameWorkspace(`erasure run of ${run.subject}`, workspace, run.workspace);
      const rows = erasureRunRows.of(workspace);
      const stored = rows.get(run.subject);
      if (stored) return plainCopy(stored);
      const row = plainCopy({ ...run, startedAt: canonicalTime(run.startedAt, 'startedAt') });
      rows.set(run.subject, row);
      return plainCopy(row);
    },
    async extend(workspace, subject, lists: ErasureRunLists) {
      const row = erasureRunRows.of(workspace).get(subject);
      if (!row) return null;
      row.identifiers = unionBy(row.identifiers, lists.identifiers ?? [], (i) => `${i.type}\u0000${i.value}`);
      row.profileIds = unionBy(row.profileIds, lists.profileIds ?? [], (x) => x);
      row.usernames = unionBy(row.usernames, lists.usernames ?? [], (x) => x);
      row.conversionIds = unionBy(row.conversionIds, lists.conversionIds ?? [], (x) => x);
      return plainCopy(row);
    },
    async finish(workspace, subject) {
      return erasureRunRows.of(workspace).delete(subject);
    },
    async list(workspace, options = {}) {
      const before = options.startedBefore === undefined ? undefined : instantOf(options.startedBefore, 'startedBefore');
      return [...erasureRunRows.of(workspace).values()]
        .filter((r) => before === undefined || Date.parse(r.startedAt) < before)
        .sort(compareBy((r) => Date.parse(r.startedAt), (r) => r.subject))
        .map((r) => plainCopy(r));
    },
  };

  return { groups, inviteLinks, grants, audit, keywords, digests, erasures, optOuts, joinRequests, erasureRuns };
}

/** `a` with the values of `b` it lacks appended (by `keyOf`), in order of first appearance. */
function unionBy<T>(a: readonly T[], b: readonly T[], keyOf: (x: T) => string): T[] {
  const seen = new Set(a.map(keyOf));
  const out = [...a];
  for (const x of b) {
    const k = keyOf(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}
