/**
 * The community repositories of the store: registered groups, campaign invite links,
 * people's role grants, the audit log, tracked keywords, digest subscriptions, pending
 * erasure confirmations, opt-outs and pending join requests.
 * Every method takes the workspace first, like the rest of the store.
 *
 * People are named by a subject string `<platform>:<id>` (`telegram:101`), the same form
 * the configuration's `roles` use. Times are ISO strings, returned in canonical UTC form.
 * Lists have a fixed order (given on each method) that both adapters keep.
 */
import type { Identifier } from '../../identity/identifier.js';
import type { InsertResult } from '../rules.js';

/** Platforms a community lives on. */
export type CommunityPlatform = 'telegram' | 'whatsapp';

/** A group the workspace's bot or account is in. */
export interface RegisteredGroup {
  workspace: string;
  platform: CommunityPlatform;
  /** Platform chat id (Telegram: the numeric id as text, e.g. `-1001234567890`). */
  chatId: string;
  title: string;
  /** Bot id / account that watches the group. */
  account: string;
  /** `active` while the bot is in it; `left` / `removed` after it left or was removed; `migrated` when the group became a supergroup (see `migratedTo`). */
  status: 'active' | 'left' | 'removed' | 'migrated';
  /** Whether the bot is an administrator there (it then sees joins, leaves and every message). */
  botIsAdmin: boolean;
  /** Who added the bot (subject), when known. */
  addedBy?: string;
  /** The new chat id after a migration to a supergroup. */
  migratedTo?: string;
  /** First registration; kept by later upserts. */
  registeredAt: string;
  updatedAt: string;
}

/** What `groups.upsert` writes; `registeredAt` is set on the first write only. */
export type GroupUpsert = Omit<RegisteredGroup, 'registeredAt' | 'updatedAt'> & { at: string };

export interface GroupRepo {
  /** Creates the group or updates every given field of it (unique per workspace, platform, chat id). Returns the stored group. */
  upsert(workspace: string, group: GroupUpsert): Promise<RegisteredGroup>;
  get(workspace: string, platform: CommunityPlatform, chatId: string): Promise<RegisteredGroup | null>;
  /** Groups ordered by registeredAt, then chat id; optionally only one status. */
  list(workspace: string, options?: { platform?: CommunityPlatform; status?: RegisteredGroup['status'] }): Promise<RegisteredGroup[]>;
}

/** A named invite link made for a campaign; joins through it are credited to the campaign. */
export interface CampaignInviteLink {
  workspace: string;
  platform: CommunityPlatform;
  chatId: string;
  /** The link as the platform gives it (`https://t.me/+AbCd…`); unique per workspace and platform. */
  url: string;
  campaign: string;
  /** Whether joining asks an administrator for approval first. */
  createsJoinRequest: boolean;
  createdBy: string;
  createdAt: string;
  /** When it was revoked; null while it works. */
  revokedAt: string | null;
}

export interface InviteLinkRepo {
  /** Stores a new link; a link whose url is already stored is left as it is. */
  insert(workspace: string, link: CampaignInviteLink): Promise<InsertResult>;
  findByUrl(workspace: string, platform: CommunityPlatform, url: string): Promise<CampaignInviteLink | null>;
  /** Links ordered by createdAt, then url; revoked ones only when `includeRevoked`. */
  list(
    workspace: string,
    options?: { platform?: CommunityPlatform; chatId?: string; campaign?: string; includeRevoked?: boolean },
  ): Promise<CampaignInviteLink[]>;
  /** Marks a link revoked (first revocation time wins); false when no such link. */
  markRevoked(workspace: string, platform: CommunityPlatform, url: string, at: string): Promise<boolean>;
}

export type GrantedRole = 'owner' | 'manager' | 'operator';

/** A role given by command (on top of the configuration's `roles`). */
export interface RoleGrant {
  workspace: string;
  /** `telegram:<user id>`. */
  subject: string;
  role: GrantedRole;
  grantedBy: string;
  grantedAt: string;
}

export interface GrantRepo {
  /** Adds a grant (unique per workspace, subject, role); an existing one is left as it is. */
  grant(workspace: string, grant: RoleGrant): Promise<InsertResult>;
  /** Removes a grant; false when there was none. */
  revoke(workspace: string, subject: string, role: GrantedRole): Promise<boolean>;
  /** Grants of one subject, ordered by role name. */
  ofSubject(workspace: string, subject: string): Promise<RoleGrant[]>;
  /** Every grant, ordered by subject then role. */
  list(workspace: string): Promise<RoleGrant[]>;
}

/** One line of the audit log: who asked for what, where, and what happened. Never message text. */
export interface AuditEntry {
  workspace: string;
  /** Unique per workspace; ties of `at` are ordered by it. */
  id: string;
  at: string;
  /** Subject of who asked (`telegram:101`), or `erased` after an erasure. */
  actor: string;
  chat: { platform: CommunityPlatform; id: string; type: string };
  /** Command name without `/`. */
  command: string;
  /** `answered`: a report or change was made; `refused`: access rules said no; `usage`: bad arguments; `failed`: an error. */
  outcome: 'answered' | 'refused' | 'usage' | 'failed';
  /** Short machine-readable reason or summary (the period asked, the refusal rule). */
  detail?: string;
}

export interface AuditRepo {
  append(workspace: string, entry: AuditEntry): Promise<void>;
  /** Entries ordered by at, then id; `from` inclusive, `to` exclusive; default limit 1,000. */
  list(workspace: string, options?: { actor?: string; from?: string; to?: string; limit?: number }): Promise<AuditEntry[]>;
  /** Replaces an actor by `erased` in every entry (erasure on request); returns how many changed. */
  eraseActor(workspace: string, actor: string): Promise<number>;
}

/** A keyword added by `/track`, watched on top of the configuration's list. */
export interface TrackedKeyword {
  workspace: string;
  /** As typed (trimmed). */
  keyword: string;
  /** Normalized form (NFKC, case-folded): the unique key. */
  key: string;
  addedBy: string;
  addedAt: string;
}

export interface KeywordRepo {
  /** Adds a keyword (unique per workspace and `key`); an existing one is left as it is. */
  add(workspace: string, keyword: TrackedKeyword): Promise<InsertResult>;
  /** Removes the keyword with this normalized key; false when there was none. */
  remove(workspace: string, key: string): Promise<boolean>;
  /** Keywords ordered by addedAt, then key. */
  list(workspace: string): Promise<TrackedKeyword[]>;
}

export type DigestFrequency = 'daily' | 'weekly';

/** A chat that receives a scheduled report. */
export interface DigestSubscription {
  workspace: string;
  platform: CommunityPlatform;
  chatId: string;
  /** Bot id / account that sends it. */
  account: string;
  frequency: DigestFrequency;
  subscribedBy: string;
  subscribedAt: string;
  /** Key of the last run sent (`2026-03-01` or `2026-W09`); null before the first. */
  lastRunKey: string | null;
}

export interface DigestRepo {
  /** Creates or replaces the subscription of this chat (unique per workspace, platform, chat id); `lastRunKey` is kept when replacing. */
  put(workspace: string, subscription: Omit<DigestSubscription, 'lastRunKey'>): Promise<void>;
  remove(workspace: string, platform: CommunityPlatform, chatId: string): Promise<boolean>;
  get(workspace: string, platform: CommunityPlatform, chatId: string): Promise<DigestSubscription | null>;
  /** Subscriptions ordered by platform, then chat id. */
  list(workspace: string): Promise<DigestSubscription[]>;
  /**
   * Claims one run: sets `lastRunKey` to `runKey` only if it differs, atomically, so of
   * several processes exactly one sends a given digest. True for the caller that claimed it.
   */
  claimRun(workspace: string, platform: CommunityPlatform, chatId: string, runKey: string): Promise<boolean>;
}

/** A `/forgetme` waiting for its confirmation code. */
export interface PendingErasure {
  workspace: string;
  subject: string;
  code: string;
  expiresAt: string;
}

export interface ErasureRepo {
  /** Creates or replaces the pending erasure of this subject. */
  put(workspace: string, pending: PendingErasure): Promise<void>;
  /** Removes and confirms the pending erasure if the code matches and it has not expired at `now`; atomic (one caller wins). */
  take(workspace: string, subject: string, code: string, now: string): Promise<boolean>;
  /** Removes any pending erasure of the subject. */
  clear(workspace: string, subject: string): Promise<void>;
}

/** People who asked to be forgotten: their activity is no longer recorded. */
export interface OptOutRepo {
  /** Adds the subject (idempotent). */
  add(workspace: string, subject: string, at: string): Promise<void>;
  has(workspace: string, subject: string): Promise<boolean>;
  remove(workspace: string, subject: string): Promise<boolean>;
}

/** A request to join a group that asks for approval, kept until it is approved (or expires). */
export interface PendingJoinRequest {
  workspace: string;
  platform: CommunityPlatform;
  chatId: string;
  userId: string;
  /** The join touch recorded for the request. */
  touchId: string;
  requestedAt: string;
  expiresAt: string;
}

export interface JoinRequestRepo {
  /** Creates or replaces the pending request of this user in this chat. */
  put(workspace: string, request: PendingJoinRequest): Promise<void>;
  /** Removes and returns the pending request (if it has not expired at `now`), atomically. */
  take(workspace: string, platform: CommunityPlatform, chatId: string, userId: string, now: string): Promise<PendingJoinRequest | null>;
  /** Removes every pending request of one user (erasure). */
  removeUser(workspace: string, platform: CommunityPlatform, userId: string): Promise<number>;
}

/**
 * An erasure on request that started and has not finished (see `commands/erase-member.ts`):
 * written before the first step, grown as the steps learn who the person is and what was
 * theirs, removed after the last one. A run left behind by a crash is resumed from it: the
 * lists are what a re-run cannot find again once the first run deleted it (the person's
 * identifiers, the conversions unlinked from them).
 */
export interface ErasureRun {
  workspace: string;
  /** `<platform>:<user id>` of the person who asked. */
  subject: string;
  platform: CommunityPlatform;
  userId: string;
  /** Every identifier the person had (hashed where the product hashes them). */
  identifiers: Identifier[];
  profileIds: string[];
  /** Their Telegram usernames (how other people's mentions name them). */
  usernames: string[];
  /** Conversions related to them: unlinked, their credits deleted. */
  conversionIds: string[];
  startedAt: string;
}

/** The lists of an {@link ErasureRun} that grow as it runs. */
export type ErasureRunLists = Partial<Pick<ErasureRun, 'identifiers' | 'profileIds' | 'usernames' | 'conversionIds'>>;

export interface ErasureRunRepo {
  /** Records a run unless one of the subject is recorded (unique per workspace, subject); returns the stored run. */
  start(workspace: string, run: ErasureRun): Promise<ErasureRun>;
  /** Adds values to the run's lists (set union, order of first appearance); returns the run, or null when none is recorded. */
  extend(workspace: string, subject: string, lists: ErasureRunLists): Promise<ErasureRun | null>;
  /** Removes the run (every step done); false when there was none. */
  finish(workspace: string, subject: string): Promise<boolean>;
  /** Unfinished runs ordered by startedAt, then subject; `startedBefore` (exclusive) leaves out runs that may still be going. */
  list(workspace: string, options?: { startedBefore?: string }): Promise<ErasureRun[]>;
}

export interface CommunityRepos {
  readonly groups: GroupRepo;
  readonly inviteLinks: InviteLinkRepo;
  readonly grants: GrantRepo;
  readonly audit: AuditRepo;
  readonly keywords: KeywordRepo;
  readonly digests: DigestRepo;
  readonly erasures: ErasureRepo;
  readonly optOuts: OptOutRepo;
  readonly joinRequests: JoinRequestRepo;
  /** Erasures in progress (resumed after a crash). */
  readonly erasureRuns: ErasureRunRepo;
}
