/** MongoDB community repositories (see `community-repos.ts`) on the store's connection. */
import type { Connection } from 'mongoose';
import type { CommunityRepos } from './community-repos.js';

export function createMongoCommunityRepos(connection: Connection): { repos: CommunityRepos; init: () => Promise<void> } {
  void connection;
  return { repos: {}, init: async () => undefined };
}
