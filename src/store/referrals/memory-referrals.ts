/**
 * In-memory referral edges, personal invite links and group switches (see `referral-repo.ts`):
 * the same unique keys and ordering as the MongoDB adapter; every returned object a copy.
 */
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { bucket } from '../memory-tables.js';
import { assertSameWorkspace, canonicalTime, compareCodePoints, instantOf, plainCopy, resolveLimit } from '../rules.js';
import { edgeKey, linkKey, DEFAULT_EDGE_LIMIT, earlierEdge } from './referral-rules.js';
import type { PersonalInviteLink, ReferralEdge, ReferralRepo } from './referral-repo.js';

const byTime = (a: ReferralEdge, b: ReferralEdge): number => instantOf(a.at, 'edge at') - instantOf(b.at, 'edge at') || compareCodePoints(a.id, b.id);

/** Creates the in-memory referral repository. */
export function createMemoryReferrals(): ReferralRepo {
  const edges = new Map<string, Map<string, ReferralEdge>>();
  const links = new Map<string, Map<string, PersonalInviteLink>>();
  const disabled = new Map<string, Map<string, true>>();

  const naming = (identifiers: readonly Identifier[]): Set<string> => new Set(identifiers.map(identifierKey));
  const sorted = (rows: Iterable<ReferralEdge>): ReferralEdge[] => [...rows].sort(byTime).map((e) => plainCopy(e));

  return {
    async add(workspace, edge) {
      assertSameWorkspace(`referral edge ${edge.id}`, workspace, edge.workspace);
      const row = plainCopy({ ...edge, at: canonicalTime(edge.at, 'edge at'), leftAt: edge.leftAt === null ? null : canonicalTime(edge.leftAt, 'edge leftAt') });
      const b = bucket(edges, workspace);
      const k = edgeKey(edge.platform, edge.chatId, edge.invitee);
      const existing = b.get(k);
      if (!existing) {
        b.set(k, row);
        return 'inserted';
      }
      if (!earlierEdge(row, existing)) return 'kept';
      // A leave recorded already still applies when it came after the earlier join.
      const leftAt = existing.leftAt !== null && instantOf(existing.leftAt, 'leftAt') >= instantOf(row.at, 'at') ? existing.leftAt : row.leftAt;
      b.set(k, { ...row, leftAt });
      return 'replaced';
    },
    async markLeft(workspace, platform, chatId, invitee, at) {
      const e = edges.get(workspace)?.get(edgeKey(platform, chatId, invitee));
      if (!e) return null;
      const t = canonicalTime(at, 'leave at');
      if (instantOf(t, 'leave at') >= instantOf(e.at, 'edge at') && (e.leftAt === null || instantOf(t, 'leave at') < instantOf(e.leftAt, 'leftAt'))) e.leftAt = t;
      return plainCopy(e);
    },
    async ofInvitees(workspace, invitees) {
      const keys = naming(invitees);
      return sorted([...(edges.get(workspace)?.values() ?? [])].filter((e) => keys.has(identifierKey(e.invitee))));
    },
    async ofInviters(workspace, inviters) {
      const keys = naming(inviters);
      return sorted([...(edges.get(workspace)?.values() ?? [])].filter((e) => keys.has(identifierKey(e.inviter))));
    },
    async list(workspace, query = {}) {
      const from = query.from === undefined ? -Infinity : instantOf(query.from, 'from');
      const to = query.to === undefined ? Infinity : instantOf(query.to, 'to');
      const limit = resolveLimit(query.limit, DEFAULT_EDGE_LIMIT);
      return sorted(
        [...(edges.get(workspace)?.values() ?? [])].filter((e) => {
          const t = instantOf(e.at, 'edge at');
          return t >= from && t < to && (query.chatId === undefined || e.chatId === query.chatId);
        }),
      ).slice(0, limit);
    },
    async deleteByPerson(workspace, identifiers) {
      const keys = naming(identifiers);
      const b = edges.get(workspace);
      if (!b) return 0;
      let n = 0;
      for (const [k, e] of [...b]) {
        if (keys.has(identifierKey(e.inviter)) || keys.has(identifierKey(e.invitee))) {
          b.delete(k);
          n++;
        }
      }
      return n;
    },
    async putLink(workspace, link) {
      assertSameWorkspace('personal invite link', workspace, link.workspace);
      bucket(links, workspace).set(linkKey(link.platform, link.chatId, link.member), plainCopy(link));
    },
    async linkOf(workspace, platform, chatId, member) {
      const l = links.get(workspace)?.get(linkKey(platform, chatId, member));
      return l ? plainCopy(l) : null;
    },
    async linkByUrl(workspace, platform, url) {
      for (const l of links.get(workspace)?.values() ?? []) if (l.platform === platform && l.url === url) return plainCopy(l);
      return null;
    },
    async linksOf(workspace, members) {
      const keys = naming(members);
      return [...(links.get(workspace)?.values() ?? [])].filter((l) => keys.has(identifierKey(l.member))).map((l) => plainCopy(l));
    },
    async deleteLinks(workspace, members) {
      const keys = naming(members);
      const b = links.get(workspace);
      if (!b) return 0;
      let n = 0;
      for (const [k, l] of [...b]) {
        if (keys.has(identifierKey(l.member))) {
          b.delete(k);
          n++;
        }
      }
      return n;
    },
    async setGroupEnabled(workspace, platform, chatId, enabled) {
      const b = bucket(disabled, workspace);
      if (enabled) b.delete(`${platform}\u0000${chatId}`);
      else b.set(`${platform}\u0000${chatId}`, true);
    },
    async groupEnabled(workspace, platform, chatId) {
      return !disabled.get(workspace)?.has(`${platform}\u0000${chatId}`);
    },
  };
}
