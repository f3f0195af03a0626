/**
 * Reconciling one conversion: link its identifiers into the identity records, match it to a
 * person (or a click, or a coupon), assemble its journey, credit every touch under every
 * model, and store the credits and the outcome. Idempotent and order-independent: it reads
 * the current state and replaces what it wrote before, so running it again after late
 * touches arrive gives what running it last would have given.
 *
 * Matching, first rule that finds something wins, and the rule is recorded:
 * 1. `click_id`: the click's member (a personal link), else the person the conversion's own
 *    identifiers name, else the click alone is the journey (an anonymous group click). When the
 *    click is a member's personal link but the conversion's identifiers name someone else, that
 *    someone bought: they are matched, with the click in their journey, and the member who
 *    shared the link becomes their inviter (a `tracked_link` referral edge, `src/referrals`);
 * 2. `phone`, `wa_id`, `tg_id`, `email`, `external_id`, in that order: the profile owning it,
 *    if that person has any touch (a profile only a conversion created is nobody we know);
 * 3. `coupon`: a touch without a person, for the campaign / group owning the code;
 * 4. `tg_username`: the most recently active profile that used the username (low confidence);
 * otherwise the conversion is unattributed: stored, counted in reports, no credits.
 * An erased conversion (`erasedAt`: its person asked to be forgotten) is never matched: it
 * stays unattributed without credits, even when a run that started before the erasure ends
 * after it (`setOutcome` then refuses, and the credits just written are deleted).
 *
 * The journey: the person's touches in the lookback window before the conversion, after the
 * person's previous conversion in `consume` mode (a journey is used up by the conversion it
 * led to), plus the conversion's own click when it is in the window (see assemble-journey.ts).
 * A journey longer than {@link MAX_JOURNEY_TOUCHES} touches keeps its first touch and its
 * latest ones (see {@link capJourney}), so one credit set stays far below MongoDB's 16 MB.
 *
 * Markov and Shapley credit with the fit of the conversion's month (`fit-window.ts`). The
 * result names the months whose fits this run changed the data of (`fitMonths`: the journey,
 * the value or the match changed), and the conversion's month when it has no fit yet; the
 * worker marks them dirty, and their refits re-credit their conversions.
 */
import { identifierSubject } from '../access/roles.js';
import { clickTouch } from '../links/record-click.js';
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { Locker } from '../lock.js';
import { linkIdentifiers } from '../profile/record-touch.js';
import type { ConversionMatch, ConversionRecord, CreditSet, MatchRule } from '../store/store.js';
import { allTouches } from '../store/paging.js';
import type { Profile, Store } from '../store/store.js';
import { makeTouchId, type TouchEvent } from '../touch-event.js';
import { assembleJourney, couponTouch } from './assemble-journey.js';
import { creditConversion, type LoadedFit } from './fit-models.js';
import { DEFAULT_FIT_DAYS, monthOf, monthsFedBy } from './fit-window.js';
import { conversionKey } from './reconcile-queue.js';
import { settingsOrDefaults, type AttributionSettings, type SettingsLookup } from './workspace-settings.js';
import { DEFAULT_REFERRAL_MIN_DAYS } from '../referrals/record-referral.js';
import { referralSteps, withReferralSteps } from '../referrals/referral-steps.js';
import { trackedLinkEdge } from '../referrals/tracked-link-edge.js';
import type { ReferralEdge } from '../store/store.js';

const DAY_MS = 86_400_000;

/**
 * Most touches a journey keeps: a longer one keeps its first touch and its latest
 * `MAX_JOURNEY_TOUCHES − 1`. Only a bot-like flood reaches it (touches of one kind in one
 * group within 30 minutes already collapse into one); it bounds a credit set to a few MB.
 */
export const MAX_JOURNEY_TOUCHES = 5_000;

/** A journey cut to at most `max` touches: its first one and its latest `max − 1` (see {@link MAX_JOURNEY_TOUCHES}). */
export function capJourney<T>(journey: T[], max = MAX_JOURNEY_TOUCHES): T[] {
  if (journey.length <= max) return journey;
  return [journey[0] as T, ...journey.slice(journey.length - (max - 1))];
}

/** What of a credit set the fits read: when a run changes it, the months holding it need a refit. */
function fitInput(set: Pick<CreditSet, 'conversionAt' | 'value' | 'touches'> | null): string | null {
  return set ? JSON.stringify([Date.parse(set.conversionAt), set.value, set.touches.map((t) => [t.touchId, Date.parse(t.at), t.channel])]) : null;
}

/** Strong identifier types in matching order. */
export const IDENTIFIER_RULES: ReadonlyArray<Exclude<MatchRule, 'click_id' | 'coupon' | 'tg_username'>> = ['phone', 'wa_id', 'tg_id', 'email', 'external_id'];

export interface ReconcileDeps {
  store: Store;
  locker: Locker;
  /** Lock key of a conversion (`conversionLockKey` with the queue prefix). */
  conversionLockKey: (workspace: string, conversionKey: string) => string;
  /** Lock key of a profile (`profileLockKey` with the queue prefix): identity linking takes them. */
  profileLockKey: (workspace: string, profileId: string) => string;
  settings: SettingsLookup;
  /** The current fit of a month's conversions (`createFitCache(store).forMonth`). */
  fit: (workspace: string, month: string) => Promise<LoadedFit | null>;
  /** Days of journeys before a month that its fit reads; default 90. */
  fitDays?: number;
  now?: () => Date;
}

export interface ReconcileResult {
  status: 'matched' | 'unattributed' | 'missing';
  match: ConversionMatch | null;
  /** Touches credited. */
  touches: number;
  /** The person matched before this run, if any (to re-reconcile their later conversions when it changed). */
  previousProfileId: string | null;
  /** True when the conversion's month had no fit yet: markov and shapley were not credited (its refit is due). */
  fitMissing: boolean;
  /** Months whose fits should be refitted after this run (see the header); empty when nothing they read changed. */
  fitMonths: string[];
  /**
   * Profiles this conversion's identifiers merged into its person: the conversions matched to
   * them carry a profile id that no longer exists, and are reconciled again.
   */
  mergedProfiles: string[];
  /** A referral edge this run made (a personal tracked link shared with the buyer), for `referral.joined`. */
  newEdge?: ReferralEdge;
}

/** A touch and the profile it is on (null: anonymous). */
type OwnedTouch = TouchEvent & { profileId: string | null };

/** The stored `link_click` touch of a click id, or a stand-in from the click record (same id and fields). */
async function clickTouchOf(store: Store, workspace: string, clickId: string): Promise<OwnedTouch | null> {
  const stored = await store.touches.get(workspace, makeTouchId('web', 'click', clickId));
  if (stored) return stored;
  const click = await store.clicks.get(workspace, clickId);
  if (!click) return null;
  const link = { workspace, code: click.code, chatId: click.chatId, ...(click.chatTitle !== undefined ? { chatTitle: click.chatTitle } : {}), ...(click.campaign !== undefined ? { campaign: click.campaign } : {}) };
  return { ...clickTouch(link, click), id: click.touchId, profileId: click.profileId };
}

/** What matching found: the rule, the person (if any), and touches the journey adds (the click, the coupon). */
export interface MatchOutcome {
  rule: MatchRule;
  profileId: string | null;
  lowConfidence: boolean;
  extra: TouchEvent[];
  coupon?: AttributionSettings['coupons'][number];
  /** The member whose personal link the buyer clicked, when the buyer is someone else. */
  referrer?: { profileId: string; click: TouchEvent };
}

/** The identifiers minus those of people who asked to be forgotten (`/forgetme` opts out every identifier they had). */
async function withoutOptedOut(store: Store, workspace: string, identifiers: readonly Identifier[]): Promise<Identifier[]> {
  const kept: Identifier[] = [];
  for (const i of identifiers) {
    if (await store.community.optOuts.has(workspace, identifierSubject(i))) continue;
    kept.push(i);
  }
  return kept;
}

/** Reconciles one conversion (serialized per conversion by its lock). */
export async function reconcileConversion(deps: ReconcileDeps, workspace: string, conversionId: string): Promise<ReconcileResult> {
  const key = conversionKey(conversionId);
  return deps.locker.withLocks([deps.conversionLockKey(workspace, key)], () => reconcileUnderLock(deps, workspace, conversionId));
}

async function reconcileUnderLock(deps: ReconcileDeps, workspace: string, conversionId: string): Promise<ReconcileResult> {
  const { store } = deps;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const conversion = await store.conversions.get(workspace, conversionId);
  if (!conversion) return { status: 'missing', match: null, touches: 0, previousProfileId: null, fitMissing: false, fitMonths: [], mergedProfiles: [] };
  const previous = fitInput(await store.credits.get(workspace, conversionId));
  const fed = (next: string | null): string[] => (next === previous ? [] : monthsFedBy(conversion.occurredAt, deps.fitDays ?? DEFAULT_FIT_DAYS));
  if (conversion.erasedAt !== undefined) {
    await store.credits.delete(workspace, conversionId);
    return { status: 'unattributed', match: null, touches: 0, previousProfileId: null, fitMissing: false, fitMonths: fed(null), mergedProfiles: [] };
  }
  const settings = settingsOrDefaults(deps.settings, workspace);
  const previousProfileId = conversion.match?.profileId ?? null;

  // The conversion's identifiers join the identity records, merging profiles as touches would;
  // the identifiers of people who asked to be forgotten neither link nor match anything.
  const usable = { ...conversion, identifiers: await withoutOptedOut(store, workspace, conversion.identifiers) };
  // Identifiers all owned by one person already: linking would change nothing (no claim, no
  // merge), so it is skipped, with its locks. Otherwise the owners before linking tell which
  // profiles the link merged away.
  const owners = usable.identifiers.length > 0 ? await store.identities.find(workspace, usable.identifiers) : new Map<string, string>();
  const ownersBefore = new Set(owners.values());
  const mergedProfiles: string[] = [];
  if (usable.identifiers.length > 0 && !(owners.size === new Set(usable.identifiers.map(identifierKey)).size && ownersBefore.size === 1)) {
    const survivor = await linkIdentifiers({ store, locker: deps.locker, lockKey: deps.profileLockKey }, workspace, usable.identifiers, `conversion ${conversionId}`);
    for (const p of [...ownersBefore].sort()) if (p !== survivor && !(await store.profiles.get(workspace, p))) mergedProfiles.push(p);
  } else {
    // Linking was skipped: the one owner is still someone with a conversion (their late touches re-trigger it).
    for (const p of ownersBefore) await store.profiles.noteConversion(workspace, p);
  }
  const match = await matchConversion(store, settings, usable);
  // Matched through a click or a username: that person has a conversion too.
  if (match?.profileId && !ownersBefore.has(match.profileId)) await store.profiles.noteConversion(workspace, match.profileId);

  if (!match) {
    await store.credits.delete(workspace, conversionId);
    await store.conversions.setOutcome(workspace, conversionId, { status: 'unattributed', match: null, reconciledAt: now });
    return { status: 'unattributed', match: null, touches: 0, previousProfileId, fitMissing: false, fitMonths: fed(null), mergedProfiles };
  }

  const convAt = Date.parse(conversion.occurredAt);
  const windowStart = convAt - settings.lookbackDays * DAY_MS;
  let from = windowStart;
  const to = new Date(convAt + 1).toISOString();
  if (match.profileId && settings.creditMode === 'consume') {
    const earlier = await store.conversions.list(workspace, { profileId: match.profileId, from: new Date(windowStart).toISOString(), to });
    for (const c of earlier) {
      const at = Date.parse(c.occurredAt);
      if (c.id !== conversionId && (at < convAt || (at === convAt && c.id < conversionId))) from = Math.max(from, at + 1);
    }
  }
  const touches: TouchEvent[] = [];
  const joins: TouchEvent[] = [];
  if (match.profileId) {
    for await (const t of allTouches(store, workspace, { profileId: match.profileId, from: new Date(from).toISOString(), to })) touches.push(t);
    for await (const t of allTouches(store, workspace, { profileId: match.profileId, kinds: ['join'], to })) joins.push(t);
  }
  // The conversion's own click counts whenever it is in the lookback window.
  for (const t of match.extra) {
    const at = Date.parse(t.occurredAt);
    if (at >= windowStart && at <= convAt) touches.push(t);
  }
  let newEdge: ReferralEdge | undefined;
  if (match.referrer && match.profileId) {
    const made = await trackedLinkEdge(store, workspace, { inviterProfileId: match.referrer.profileId, inviteeProfileId: match.profileId, click: match.referrer.click, conversionId });
    if (made) newEdge = made;
  }
  let assembled = assembleJourney(touches, joins);
  if (match.coupon) assembled.push(couponTouch(match.coupon, conversion.occurredAt));
  // Invitations of the person inside the window are steps of the journey (`src/referrals`).
  if (match.profileId) assembled = withReferralSteps(assembled, await referralSteps(store, workspace, match.profileId, { from, to: convAt + 1, minDays: settings.referralMinDays ?? DEFAULT_REFERRAL_MIN_DAYS }));
  const journey = capJourney(assembled);

  const month = monthOf(conversion.occurredAt);
  const fit = await deps.fit(workspace, month);
  const outcome: ConversionMatch = { rule: match.rule, profileId: match.profileId, lowConfidence: match.lowConfidence };
  const set: CreditSet = {
    workspace,
    conversionId,
    conversionAt: conversion.occurredAt,
    value: conversion.value,
    currency: conversion.currency,
    type: conversion.type,
    rule: match.rule,
    profileId: match.profileId,
    lowConfidence: match.lowConfidence,
    touches: journey,
    models: creditConversion(journey, { at: conversion.occurredAt, value: conversion.value }, fit),
    fitId: fit?.id ?? null,
    computedAt: now,
  };
  await store.credits.put(workspace, set);
  if (!(await store.conversions.setOutcome(workspace, conversionId, { status: 'matched', match: outcome, reconciledAt: now }))) {
    // Erased while this run worked: its credits must not outlive the unlinking.
    await store.credits.delete(workspace, conversionId);
    return { status: 'unattributed', match: null, touches: 0, previousProfileId, fitMissing: false, fitMonths: fed(null), mergedProfiles };
  }
  const fitMonths = fed(fitInput(set));
  if (fit === null && !fitMonths.includes(month)) fitMonths.unshift(month);
  return { status: 'matched', match: outcome, touches: journey.length, previousProfileId, fitMissing: fit === null, fitMonths, mergedProfiles, ...(newEdge ? { newEdge } : {}) };
}

/** Whether a profile is somebody the community knows: it exists and has touches. */
async function knownPerson(store: Store, workspace: string, profileId: string | null | undefined): Promise<Profile | null> {
  if (!profileId) return null;
  const p = await store.profiles.get(workspace, profileId);
  return p && p.stats.touchCount > 0 ? p : null;
}

/** The first identifier rule naming a known person, in rule order. */
async function personByIdentifiers(store: Store, workspace: string, identifiers: readonly Identifier[]): Promise<{ rule: MatchRule; profileId: string } | null> {
  if (identifiers.length === 0) return null;
  const owners = await store.identities.find(workspace, identifiers);
  for (const type of IDENTIFIER_RULES) {
    for (const i of identifiers) {
      if (i.type !== type) continue;
      const owner = owners.get(identifierKey(i));
      if (await knownPerson(store, workspace, owner)) return { rule: type, profileId: owner as string };
    }
  }
  return null;
}

/** The first profile other than `not` owning one of the conversion's strong identifiers, in rule order; null when none. */
async function otherOwner(store: Store, workspace: string, identifiers: readonly Identifier[], not: string): Promise<string | null> {
  if (identifiers.length === 0) return null;
  const owners = await store.identities.find(workspace, identifiers);
  for (const type of IDENTIFIER_RULES) {
    for (const i of identifiers) {
      if (i.type !== type) continue;
      const owner = owners.get(identifierKey(i));
      if (owner !== undefined && owner !== not && (await store.profiles.get(workspace, owner))) return owner;
    }
  }
  return null;
}

/** Applies the matching rules (see the header); null when nothing matches. */
export async function matchConversion(store: Store, settings: AttributionSettings, c: ConversionRecord): Promise<MatchOutcome | null> {
  const ws = c.workspace;
  if (c.clickId !== undefined) {
    const click = await clickTouchOf(store, ws, c.clickId);
    if (click) {
      if (await knownPerson(store, ws, click.profileId)) {
        // Someone else bought through the member's personal link: the buyer is matched, the member invited them.
        const buyer = await otherOwner(store, ws, c.identifiers, click.profileId as string);
        if (buyer !== null) return { rule: 'click_id', profileId: buyer, lowConfidence: false, extra: [click], referrer: { profileId: click.profileId as string, click } };
        return { rule: 'click_id', profileId: click.profileId, lowConfidence: false, extra: [click] };
      }
      const person = await personByIdentifiers(store, ws, c.identifiers);
      return { rule: 'click_id', profileId: person?.profileId ?? null, lowConfidence: false, extra: [click] };
    }
  }
  const person = await personByIdentifiers(store, ws, c.identifiers);
  if (person) return { rule: person.rule, profileId: person.profileId, lowConfidence: false, extra: [] };
  if (c.coupon !== undefined) {
    const code = c.coupon.toLowerCase();
    const coupon = settings.coupons.find((k) => k.code.toLowerCase() === code);
    if (coupon) return { rule: 'coupon', profileId: null, lowConfidence: false, extra: [], coupon };
  }
  if (c.telegramUsername !== undefined) {
    const candidates = (await store.profiles.findByUsername(ws, c.telegramUsername)).filter((p) => p.stats.touchCount > 0);
    candidates.sort((a, b) => ((b.stats.lastActiveAt ?? '') < (a.stats.lastActiveAt ?? '') ? -1 : (b.stats.lastActiveAt ?? '') > (a.stats.lastActiveAt ?? '') ? 1 : a.id < b.id ? -1 : 1));
    const best = candidates[0];
    if (best) return { rule: 'tg_username', profileId: best.id, lowConfidence: true, extra: [] };
  }
  return null;
}
