/**
 * The reconciler: matches conversions to journeys and credits every touch under every model.
 * The worker (`workers/reconcile.worker.ts`) runs these; producers use `ReconcileQueue`.
 */
export { ReconcileQueue, RECONCILE_JOB_OPTIONS, causeOf, conversionKey, type ReconcileJobData, type ReconcileSchedule } from './reconcile-queue.js';
export { reconcileConversion, matchConversion, IDENTIFIER_RULES, type ReconcileDeps, type ReconcileResult } from './reconcile-conversion.js';
export { assembleJourney, channelOf, couponTouch, COLLAPSE_MS } from './assemble-journey.js';
export { buildFit, coalitionsOf, createFitCache, creditConversion, journeysForFit, loadFit, refitWorkspace, DEFAULT_FIT_DAYS, type FitJourney, type LoadedFit } from './fit-models.js';
export { conversionsAffectedByTouch, makeTouchTrigger } from './touch-trigger.js';
export { conversionsToSweep } from './sweep.js';
export { everyConversion, everyCreditSet } from './read-pages.js';
export { settingsLookup, settingsOrDefaults, DEFAULT_SETTINGS, type AttributionSettings, type SettingsLookup } from './workspace-settings.js';
