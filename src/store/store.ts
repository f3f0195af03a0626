/**
 * The storage interface, and the one entry every other part imports the store's types from.
 * Every read and write takes the workspace as its first, required argument: no method can
 * reach another workspace's data.
 *
 * The store is laid out as the product is: one folder per aggregate (touches, profiles and
 * their identities, links and clicks, conversions with their credits and fits, community,
 * counters),
 * each holding its interface, its MongoDB adapter and its in-memory adapter side by side.
 * `createMongoStore` (mongoose, what users run) and `createMemoryStore` (tests and demos)
 * compose them; the rules both share are in `rules.ts`. `test/store-contract.ts` and the
 * other contract suites hold both adapters to the same behaviour.
 */
import type { CampaignRepos } from './campaigns/campaign-repo.js';
import type { CommunityRepos } from './community/community-repo.js';
import type { ConversionRepo, CreditRepo, FitRepo } from './conversions/conversion-repo.js';
import type { CounterRepo } from './counters/counter-repo.js';
import type { IdentityEvidenceRepo } from './identity-evidence/evidence-repo.js';
import type { ClickRepo, LinkRepo, MemberTokenRepo } from './links/link-repo.js';
import type { IdentityRepo, ProfileRepo } from './profiles/profile-repo.js';
import type { TouchRepo } from './touches/touch-repo.js';
import type { OptimizeRepos } from './optimize/optimize-repo.js';
import type { ReferralRepo } from './referrals/referral-repo.js';

export type { InsertResult } from './rules.js';
export type * from './touches/touch-repo.js';
export type * from './profiles/profile-repo.js';
export type * from './links/link-repo.js';
export type * from './conversions/conversion-repo.js';
export type * from './community/community-repo.js';
export type * from './counters/counter-repo.js';
export type * from './optimize/optimize-repo.js';
export type * from './referrals/referral-repo.js';
export type * from './identity-evidence/evidence-repo.js';
export type * from './campaigns/campaign-repo.js';
export { MATCH_RULES } from './conversions/conversion-repo.js';

export interface Store {
  readonly kind: 'memory' | 'mongo';
  readonly touches: TouchRepo;
  readonly identities: IdentityRepo;
  readonly profiles: ProfileRepo;
  /** Tracked links (`/l/<code>`). */
  readonly links: LinkRepo;
  /** Member tokens of personal links. */
  readonly memberTokens: MemberTokenRepo;
  /** Counted clicks on tracked links. */
  readonly clicks: ClickRepo;
  readonly conversions: ConversionRepo;
  /** Credits of each conversion per touch and model. */
  readonly credits: CreditRepo;
  /** Fitted data-driven models. */
  readonly fits: FitRepo;
  /** Groups, invite links, roles, audit log, keywords, digests, erasures, opt-outs, join requests. */
  readonly community: CommunityRepos;
  /** What reports read: per-day counters and per-person facts, kept by the rollup (see `counters/counter-repo.ts`). */
  readonly counters: CounterRepo;
  /** Alert settings and daily runs, profile tags derived by reports (see `optimize/optimize-repo.ts`). */
  readonly optimize: OptimizeRepos;
  /** Referral chains: who brought whom, personal invite links (see `referrals/referral-repo.ts`). */
  readonly referrals: ReferralRepo;
  /** Why identifiers belong to one person: each identifier link's evidence (see `identity-evidence/evidence-repo.ts`). */
  readonly identityEvidence: IdentityEvidenceRepo;
  /** Campaign records (goal, dates, target) and spend per campaign per day (see `campaigns/campaign-repo.ts`). */
  readonly campaigns: CampaignRepos;
  /** Creates indexes (Mongo) and checks the connection. Idempotent. */
  init(): Promise<void>;
  /** Resolves when the store answers; throws otherwise. Used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
