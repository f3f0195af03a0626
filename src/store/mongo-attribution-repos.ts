/** MongoDB attribution repositories (see `attribution-repos.ts`) on the store's connection. */
import type { Connection } from 'mongoose';
import type { AttributionRepos } from './attribution-repos.js';

export function createMongoAttributionRepos(connection: Connection): { repos: AttributionRepos; init: () => Promise<void> } {
  void connection;
  return { repos: {}, init: async () => undefined };
}
