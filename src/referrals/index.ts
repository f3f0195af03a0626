/**
 * Referral chains (one public entry): who brought whom (edges from personal invite links,
 * "added by", WhatsApp adds and personal tracked links), the referral step of journeys, and
 * the referral webhook events. Stored in `store.referrals` (`src/store/referrals/`).
 */
export { actorIdentifier, DEFAULT_REFERRAL_MIN_DAYS, edgeCounts, noteReferralTouch, profileOf, storeEdge, type ReferralDeps, type ReferralNote, type ReferralSettings } from './record-referral.js';
export { referralSteps, referralTouchId, withReferralSteps } from './referral-steps.js';
export { referralConvertedEvents, referralJoinedEvent } from './referral-events.js';
export { publishReferralEvents } from './publish-referrals.js';
export { isPersonalLinkName, memberCode, personalLinkName } from './personal-link-name.js';
export { personIdentifier } from './tracked-link-edge.js';
