/** Whether a person is still in a group at a time, from the joins and leaves of their membership. Pure. */
import type { MemberJoin } from '../store/store.js';

/**
 * Whether the person of `j` is a member of `j`'s group at `atMs`: their latest join or leave
 * there at or before that instant is a join (a leave and a rejoin before it: still in).
 */
export function isMemberAt(j: Pick<MemberJoin, 'at' | 'groupJoins' | 'groupLeaves'>, atMs: number): boolean {
  let lastJoin = Date.parse(j.at);
  for (const t of j.groupJoins ?? []) {
    const ms = Date.parse(t);
    if (ms <= atMs && ms > lastJoin) lastJoin = ms;
  }
  for (const t of j.groupLeaves ?? []) {
    const ms = Date.parse(t);
    // A leave at the join's own instant comes after it (touch order): the person left.
    if (ms >= lastJoin && ms <= atMs) return false;
  }
  return true;
}
