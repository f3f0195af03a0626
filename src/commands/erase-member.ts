/**
 * Erasure on request (`/forgetme`): everything the product recorded about one person in
 * one workspace, and a note that they opted out so nothing new is recorded.
 *
 * Erased: the profile(s) owning the person's platform id, their touches and identifiers
 * (phone hashes included), their member tokens (personal links stop naming them) and the
 * clicks through their personal links, pending join requests and erasure confirmations, the
 * digest of their private chat; their name in the audit log becomes `erased`.
 *
 * Unlinked, not deleted: conversions matched to them or carrying any of their identifiers.
 * An order is the shop's record (order id, value), so it stays and reports keep counting the
 * sale, as unattributed: it loses its identifiers, username, click id, match and credits and
 * is marked `erasedAt` (the reconciler never matches it again). See `ConversionRepo.unlinkRelated`.
 *
 * Kept: the opt-out marker itself (their platform id, so the connectors and the profile
 * worker drop their future and already queued activity) and role grants (access control,
 * removed with /ungrant).
 *
 * Order: the opt-out first (activity arriving meanwhile is dropped); the attribution side
 * while the profile ids are still known; identifiers last, because they are how a repeated
 * erasure finds the profiles again. Credits are deleted after their conversions are unlinked:
 * a reconcile run racing with the erasure cannot mark an unlinked conversion matched again
 * (`setOutcome` refuses), and its credits are deleted after it wrote them (or by the
 * reconciler itself when it sees the conversion is erased).
 */
import { uniqueIdentifiers, type Identifier } from '../identity/identifier.js';
import { identifierSubject, subjectOf } from '../access/roles.js';
import type { Store } from '../store/store.js';

/** How many records the erasure removed or unlinked. */
export interface ErasureResult {
  profiles: number;
  touches: number;
  identifiers: number;
  /** Conversions unlinked from the person (kept, now unattributed). */
  conversions: number;
  /** Credit sets of those conversions, deleted. */
  credits: number;
  /** Clicks through the person's personal links, deleted. */
  clicks: number;
  /** The person's member tokens, deleted. */
  tokens: number;
}

export async function eraseMember(store: Store, workspace: string, platform: 'telegram' | 'whatsapp', userId: string, now: Date): Promise<ErasureResult> {
  const subject = subjectOf(platform, userId);
  // Opt out first: activity arriving while we erase is then dropped by the connector.
  await store.community.optOuts.add(workspace, subject, now.toISOString());
  const id: Identifier = { type: platform === 'telegram' ? 'tg_id' : 'wa_id', value: userId };
  const owners = await store.identities.find(workspace, [id]);
  const profileIds = [...new Set(owners.values())];
  // Every identifier of their profiles (phone hashes too): a conversion carrying one is theirs.
  const owned = await Promise.all(profileIds.map((p) => store.identities.ofProfile(workspace, p)));
  const identifiers = uniqueIdentifiers([id, ...owned.flat()]);
  const result: ErasureResult = { profiles: 0, touches: 0, identifiers: 0, conversions: 0, credits: 0, clicks: 0, tokens: 0 };
  // Every identifier they had is opted out too (their WhatsApp account, their phone, their
  // email), so neither a connector nor a later order brings them back under another id.
  for (const i of identifiers) await store.community.optOuts.add(workspace, identifierSubject(i), now.toISOString());

  const unlinked = await store.conversions.unlinkRelated(workspace, { identifiers, profileIds, at: now.toISOString() });
  result.conversions = unlinked.length;
  result.credits = await store.credits.deleteMany(workspace, unlinked);
  result.tokens = await store.memberTokens.deleteByMember(workspace, { identifiers, profileIds });
  for (const profileId of profileIds) {
    result.clicks += await store.clicks.deleteByProfile(workspace, profileId);
    result.touches += await store.touches.deleteByProfile(workspace, profileId);
    if (await store.profiles.delete(workspace, profileId)) result.profiles++;
    result.identifiers += await store.identities.deleteByProfile(workspace, profileId);
  }
  await store.community.joinRequests.removeUser(workspace, platform, userId);
  await store.community.erasures.clear(workspace, subject);
  await store.community.digests.remove(workspace, platform, userId);
  await store.community.audit.eraseActor(workspace, subject);
  return result;
}
