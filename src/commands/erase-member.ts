/**
 * Erasure on request (`/forgetme`): everything the product recorded about one person in
 * one workspace, and a note that they opted out so nothing new is recorded.
 *
 * Erased: the profile(s) owning the person's platform id, their touches and identifiers,
 * the referral edges naming them as inviter or invitee and their personal invite links
 * (phone hashes included), their member tokens (personal links stop naming them) and the
 * clicks through their personal links, pending join requests and erasure confirmations, the
 * digest of their private chat; their name in the audit log becomes `erased`. Other
 * people's touches stop naming them: who added or removed someone (`addedBy`, `removedBy`)
 * and the mentions of a message (`mentioned`: their usernames, `id:<telegram id>`, their
 * hashed WhatsApp ids) lose them.
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
 * Crash safety: an erasure is a run recorded in the store before anything else
 * (`community.erasureRuns`), and every step is idempotent. What a step learns that a later
 * re-run could not find again (the person's identifiers, profiles and usernames before they
 * are deleted; the conversions before they are unlinked) is added to the run first. The run
 * is removed after the last step. A crash leaves the run behind, and {@link resumeErasures}
 * (the community worker runs it every few minutes) runs the steps again from the record, so
 * no credit, touch or identifier of the person outlives a crash.
 *
 * Order: the opt-out first (activity arriving meanwhile is dropped); the attribution side
 * while the profile ids are still known; identifiers last. Credits are deleted after their
 * conversions are unlinked: a reconcile run racing with the erasure cannot mark an unlinked
 * conversion matched again (`setOutcome` refuses), and its credits are deleted after it
 * wrote them (or by the reconciler itself when it sees the conversion is erased).
 */
import { uniqueIdentifiers, type Identifier } from '../identity/identifier.js';
import { identifierSubject, subjectOf } from '../access/roles.js';
import type { ErasureRun, Store } from '../store/store.js';

/** How many records the erasure removed or unlinked (in this run of its steps). */
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
  /** References to the person removed from other people's touches. */
  mentions: number;
  /** Referral edges naming the person (as inviter or invitee) and their personal invite links, deleted. */
  referrals: number;
}

/** How long a run may take before {@link resumeErasures} takes it for one a crash left behind. */
export const ERASURE_RESUME_AFTER_MS = 2 * 60_000;

/** Erases one person (see the module comment). Safe to call again for the same person. */
export async function eraseMember(store: Store, workspace: string, platform: 'telegram' | 'whatsapp', userId: string, now: Date): Promise<ErasureResult> {
  const subject = subjectOf(platform, userId);
  // Opt out first: activity arriving while we erase is then dropped by the workers.
  await store.community.optOuts.add(workspace, subject, now.toISOString());
  const run = await store.community.erasureRuns.start(workspace, {
    workspace,
    subject,
    platform,
    userId,
    identifiers: [],
    profileIds: [],
    usernames: [],
    conversionIds: [],
    startedAt: now.toISOString(),
  });
  return runErasure(store, run, now);
}

/**
 * Runs again every erasure of the workspace that started before `now - olderThanMs` and did
 * not finish (a crash between steps). Returns how many it completed.
 */
export async function resumeErasures(store: Store, workspace: string, now: Date, olderThanMs = ERASURE_RESUME_AFTER_MS): Promise<number> {
  const runs = await store.community.erasureRuns.list(workspace, { startedBefore: new Date(now.getTime() - olderThanMs).toISOString() });
  for (const run of runs) await runErasure(store, run, now);
  return runs.length;
}

/** The steps of one erasure, each idempotent; the run record is removed after the last. */
async function runErasure(store: Store, started: ErasureRun, now: Date): Promise<ErasureResult> {
  const { workspace, subject, platform, userId } = started;
  const at = now.toISOString();
  const own: Identifier = { type: platform === 'telegram' ? 'tg_id' : 'wa_id', value: userId };

  // 1. Who the person is: their profiles, every identifier and username of them, kept in the
  // run before anything is deleted (a re-run after the deletion finds them there).
  // A WhatsApp person known only by a linked id has it as their user id (`wa_lid`).
  const owners = await store.identities.find(workspace, platform === 'whatsapp' ? [own, { type: 'wa_lid', value: userId }] : [own]);
  const profileIds = [...new Set([...started.profileIds, ...owners.values()])];
  const owned = await Promise.all(profileIds.map((p) => store.identities.ofProfile(workspace, p)));
  const profiles = await Promise.all(profileIds.map((p) => store.profiles.get(workspace, p)));
  const identifiers = uniqueIdentifiers([own, ...started.identifiers, ...owned.flat()]);
  const usernames = [...new Set([...started.usernames, ...profiles.flatMap((p) => p?.usernames ?? [])])];
  let run = (await store.community.erasureRuns.extend(workspace, subject, { identifiers, profileIds, usernames })) ?? started;

  const result: ErasureResult = { profiles: 0, touches: 0, identifiers: 0, conversions: 0, credits: 0, clicks: 0, tokens: 0, mentions: 0, referrals: 0 };
  // 2. Every identifier they had is opted out too (their WhatsApp account, their phone, their
  // email), so neither a connector nor a later order brings them back under another id.
  for (const i of run.identifiers) await store.community.optOuts.add(workspace, identifierSubject(i), at);

  // 3. Their conversions: noted in the run, then unlinked, then their credits deleted.
  const person = { identifiers: run.identifiers, profileIds: run.profileIds };
  const related = await store.conversions.related(workspace, person);
  run = (await store.community.erasureRuns.extend(workspace, subject, { conversionIds: related.map((c) => c.id) })) ?? run;
  const unlinked = await store.conversions.unlinkRelated(workspace, { ...person, at });
  result.conversions = unlinked.length;
  // Unlinked between the read above and now (an order that just arrived): noted too.
  if (unlinked.some((id) => !run.conversionIds.includes(id))) run = (await store.community.erasureRuns.extend(workspace, subject, { conversionIds: unlinked })) ?? run;
  result.credits = await store.credits.deleteMany(workspace, run.conversionIds);

  // 4. What is theirs: tokens, clicks, touches, profiles, identifiers.
  result.tokens = await store.memberTokens.deleteByMember(workspace, person);
  // Why their ids were one person goes with them (hashed ids only, but theirs).
  await store.identityEvidence.deleteByIdentifiers(workspace, person.identifiers);
  for (const profileId of run.profileIds) {
    result.clicks += await store.clicks.deleteByProfile(workspace, profileId);
    result.touches += await store.touches.deleteByProfile(workspace, profileId);
    if (await store.profiles.delete(workspace, profileId)) result.profiles++;
    result.identifiers += await store.identities.deleteByProfile(workspace, profileId);
  }

  // 5. Other people's touches stop naming them, and so do referral edges (both directions) and personal invite links.
  result.mentions = await store.touches.scrubPerson(workspace, personRefs(run));
  result.referrals = (await store.referrals.deleteByPerson(workspace, run.identifiers)) + (await store.referrals.deleteLinks(workspace, run.identifiers));

  // 6. The report counters' facts of these people, and the days their rows were counted on, are recomputed (emptied) by the next rollup.
  if (profileIds.length > 0) await store.counters.markDirty(workspace, profileIds.map((key) => ({ kind: 'person' as const, key })));

  // 7. Community records, then the run itself.
  await store.community.joinRequests.removeUser(workspace, platform, userId);
  await store.community.erasures.clear(workspace, subject);
  await store.community.digests.remove(workspace, platform, userId);
  await store.community.audit.eraseActor(workspace, subject);
  await store.community.erasureRuns.finish(workspace, subject);
  return result;
}

/**
 * How other people's touches name the person, in the connectors' forms: Telegram user ids
 * (in clear) and WhatsApp ids (hashed) as `addedBy` / `removedBy` and as mentions (Telegram:
 * `id:<user id>` and their usernames; WhatsApp: the hashed id itself).
 */
export function personRefs(run: Pick<ErasureRun, 'identifiers' | 'usernames'>): { userIds: string[]; mentions: string[] } {
  const tg = run.identifiers.filter((i) => i.type === 'tg_id').map((i) => i.value);
  const wa = run.identifiers.filter((i) => i.type === 'wa_id' || i.type === 'wa_lid').map((i) => i.value);
  return {
    userIds: [...tg, ...wa],
    mentions: [...tg.map((id) => `id:${id}`), ...run.usernames.map((u) => u.toLowerCase()), ...wa],
  };
}
