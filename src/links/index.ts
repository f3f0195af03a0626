/**
 * Tracked links: `createLink` (allow-listed destinations only), personal links for members
 * (`personalLinkUrl`), and the `/l/<code>` routes that record clicks and redirect.
 */
export { CLICK_ID_LENGTH, CODE_LENGTH, TOKEN_LENGTH, randomBase62 } from './random-code.js';
export { LinkError, checkDestination, createLink, type CreateLinkInput } from './create-link.js';
export { issueMemberToken, personalLinkUrl, profileOfToken, type Member } from './member-tokens.js';
export { isNotAClick, isRobotAgent } from './preview-bots.js';
export { CLICK_PARAM, redirectUrl } from './redirect-url.js';
export { CLICK_DEDUPE_SECONDS, clickTouch, recordLinkVisit, type LinkVisit, type RecordClickDeps, type VisitOutcome } from './record-click.js';
export { redisClickDedupe, registerLinkRoutes } from './link-routes.js';
export { startClickSweeper, sweepUnqueuedClicks, type ClickSweeper, type SweepClicksDeps } from './sweep-unqueued-clicks.js';
