/** In-memory community repositories (see `community-repos.ts`); the memory store composes them. */
import type { CommunityRepos } from './community-repos.js';

export function createMemoryCommunityRepos(): CommunityRepos {
  return {};
}
