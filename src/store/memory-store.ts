/**
 * The in-memory store: a test and demo double for the MongoDB store. It composes the
 * in-memory adapter of every aggregate, each keeping the same unique keys, first-write-wins
 * and upsert semantics, ordering (instant, then id in MongoDB's binary string order) and
 * time ranges as MongoDB, following the shared rules of `rules.ts`. The contract suites in
 * `test/` hold both stores to that. Nothing is persisted.
 */
import { createMemoryCampaigns } from './campaigns/memory-campaigns.js';
import { createMemoryCommunityRepos } from './community/memory-community.js';
import { createMemoryConversions, type MemoryConversions } from './conversions/memory-conversions.js';
import { createMemoryCounters } from './counters/memory-counters.js';
import { createMemoryIdentityEvidence } from './identity-evidence/memory-evidence.js';
import { createMemoryLinks } from './links/memory-links.js';
import { createMemoryOptimize } from './optimize/memory-optimize.js';
import { createMemoryIdentities, createMemoryProfiles } from './profiles/memory-profiles.js';
import { StoreClosedError } from './rules.js';
import { createMemoryReferrals } from './referrals/memory-referrals.js';
import type { Store } from './store.js';
import { createMemoryTouches } from './touches/memory-touches.js';

/** The in-memory store, with the unindexed credit scan the benchmark compares against. */
export interface MemoryStore extends Store {
  readonly kind: 'memory';
  scanCredits: MemoryConversions['scanCredits'];
}

/**
 * Creates an empty in-memory store. `init()` and `ping()` resolve at once; after `close()`
 * the core methods reject with {@link StoreClosedError}.
 */
export function createMemoryStore(): MemoryStore {
  let closed = false;
  const open = (): void => {
    if (closed) throw new StoreClosedError('memory');
  };
  const conversions = createMemoryConversions();
  return {
    kind: 'memory',
    touches: createMemoryTouches(open),
    identities: createMemoryIdentities(open),
    profiles: createMemoryProfiles(open),
    ...createMemoryLinks(),
    conversions: conversions.conversions,
    credits: conversions.credits,
    fits: conversions.fits,
    scanCredits: conversions.scanCredits,
    community: createMemoryCommunityRepos(),
    counters: createMemoryCounters(open),
    optimize: createMemoryOptimize(open),
    referrals: createMemoryReferrals(),
    identityEvidence: createMemoryIdentityEvidence(open),
    campaigns: createMemoryCampaigns(open),
    async init() {
      open();
    },
    async ping() {
      open();
    },
    async close() {
      closed = true;
    },
  };
}
