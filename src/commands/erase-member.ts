/**
 * Erasure on request (`/forgetme`): everything the product recorded about one person in
 * one workspace, and a note that they opted out so nothing new is recorded.
 *
 * Erased: the profile(s) owning the person's platform id, their touches and identifiers
 * (phone hashes included), pending join requests and erasure confirmations, the digest of
 * their private chat; their name in the audit log becomes `erased`. Kept: the opt-out
 * marker itself (their platform id, so the connector can drop their future activity) and
 * role grants (access control, removed with /ungrant).
 */
import type { Identifier } from '../identity/identifier.js';
import { subjectOf } from '../access/roles.js';
import type { Store } from '../store/store.js';

export interface ErasureResult {
  profiles: number;
  touches: number;
  identifiers: number;
}

export async function eraseMember(store: Store, workspace: string, platform: 'telegram' | 'whatsapp', userId: string, now: Date): Promise<ErasureResult> {
  const subject = subjectOf(platform, userId);
  // Opt out first: activity arriving while we erase is then dropped by the connector.
  await store.community.optOuts.add(workspace, subject, now.toISOString());
  const id: Identifier = { type: platform === 'telegram' ? 'tg_id' : 'wa_id', value: userId };
  const owners = await store.identities.find(workspace, [id]);
  const result: ErasureResult = { profiles: 0, touches: 0, identifiers: 0 };
  for (const profileId of new Set(owners.values())) {
    result.touches += await store.touches.deleteByProfile(workspace, profileId);
    result.identifiers += await store.identities.deleteByProfile(workspace, profileId);
    if (await store.profiles.delete(workspace, profileId)) result.profiles++;
  }
  await store.community.joinRequests.removeUser(workspace, platform, userId);
  await store.community.erasures.clear(workspace, subject);
  await store.community.digests.remove(workspace, platform, userId);
  await store.community.audit.eraseActor(workspace, subject);
  return result;
}
