/**
 * The attribution repositories of the store: tracked links, link clicks, conversions and their credits (see issue: conversions, reconciler, reports).
 * Every method takes the workspace first, like the rest of the store.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AttributionRepos {}
