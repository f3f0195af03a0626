/**
 * The reconciler: matches conversions to journeys and credits every touch under every model.
 * The worker (`workers/reconcile.worker.ts`) runs these; producers use `ReconcileQueue`.
 */
export { ReconcileQueue, RECONCILE_JOB_OPTIONS, causeOf, conversionKey, type ReconcileJobData, type ReconcileSchedule } from './reconcile-queue.js';
export { reconcileConversion, matchConversion, capJourney, IDENTIFIER_RULES, MAX_JOURNEY_TOUCHES, type ReconcileDeps, type ReconcileResult } from './reconcile-conversion.js';
export { assembleJourney, channelOf, couponTouch, COLLAPSE_MS } from './assemble-journey.js';
export { buildFit, canonicalJourneys, coalitionsOf, createFitCache, creditConversion, fitIdOf, journeysForFit, loadFit, type FitCache, type FitJourney, type LoadedFit } from './fit-models.js';
export { DEFAULT_FIT_DAYS, fitWindow, monthBounds, monthOf, monthsFedBy, monthsOfPeriod } from './fit-window.js';
export { createFitMarks, DEFAULT_REFIT_DELAY_MS, type FitMarks, type FitMarksOptions } from './fit-marks.js';
export { fitMonthDirty, fitStatus, formatRefitMonths, missingFitNote, monthsToRefit, requestRefit, RefitRequestError, type FitMonthStatus, type RefitRequest } from './fit-status.js';
export { recreditMonth, refitMonth, type RefitDeps, type RefitMonthResult } from './refit-month.js';
export { conversionsAffectedByTouch, makeTouchTrigger } from './touch-trigger.js';
export { conversionsToSweep } from './sweep.js';
export { everyConversion, everyCreditSet } from './read-pages.js';
export { settingsLookup, settingsOrDefaults, DEFAULT_SETTINGS, type AttributionSettings, type SettingsLookup } from './workspace-settings.js';
