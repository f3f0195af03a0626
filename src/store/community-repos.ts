/**
 * The community repositories of the store: registered groups, campaign invite links, people's roles, the audit log, tracked keywords and digest subscriptions.
 * Every method takes the workspace first, like the rest of the store.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CommunityRepos {}
