/** In-memory attribution repositories (see `attribution-repos.ts`); the memory store composes them. */
import type { AttributionRepos } from './attribution-repos.js';

export function createMemoryAttributionRepos(): AttributionRepos {
  return {};
}
