/**
 * Rules both referral adapters share: the unique keys and which of two edges of one invitee
 * and group is the first.
 */
import { createHash } from 'node:crypto';
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { compareCodePoints, instantOf } from '../rules.js';
import type { ReferralEdge } from './referral-repo.js';

/** Most edges a list returns by default. */
export const DEFAULT_EDGE_LIMIT = 100_000;

/** The unique key of an edge: one per platform, group and invitee. */
export function edgeKey(platform: string, chatId: string, invitee: Identifier): string {
  return `${platform}\u0000${chatId}\u0000${identifierKey(invitee)}`;
}

/** The unique key of a personal invite link: one per platform, group and member. */
export function linkKey(platform: string, chatId: string, member: Identifier): string {
  return `${platform}\u0000${chatId}\u0000${identifierKey(member)}`;
}

/** The deterministic id of the edge of an invitee in a group (22 characters, no `:`). */
export function referralEdgeId(platform: string, chatId: string, invitee: Identifier): string {
  return createHash('sha256').update(edgeKey(platform, chatId, invitee)).digest('base64url').slice(0, 22);
}

/** Whether `a` is an earlier invitation than `b` (by time, then by source, so the choice never depends on arrival order). */
export function earlierEdge(a: Pick<ReferralEdge, 'at' | 'source'>, b: Pick<ReferralEdge, 'at' | 'source'>): boolean {
  const d = instantOf(a.at, 'edge at') - instantOf(b.at, 'edge at');
  return d < 0 || (d === 0 && compareCodePoints(a.source, b.source) < 0);
}
