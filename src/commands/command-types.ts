/**
 * The shapes of the platform-neutral command layer: what a connector passes in (a
 * request and a few platform operations) and what comes back (answers as data, which
 * the connector renders: Telegram messages, photos, documents).
 */
import type { Role } from '../access/roles.js';
import type { WorkspaceConfig } from '../config.js';
import type { Identifier } from '../identity/identifier.js';
import type { Logger } from '../logger.js';
import type { ReportsApi } from '../reports/report-types.js';
import type { CommunityPlatform } from '../store/store.js';
import type { Store } from '../store/store.js';

/**
 * Access classes (enforced in `access.ts`):
 * - `member`: anyone, anywhere.
 * - `operator`: workspace operators (and managers, owners) anywhere; a group's
 *   administrators in that group. Answers asked for in a group go to the sender privately.
 * - `group-operator`: like `operator`, about one group: the group it is sent in, or
 *   `group=<id or title>` in a private chat (administrators of that group may then use it).
 * - `manager`: managers and owners in a private chat with the bot, or anyone in one of
 *   the workspace's managers' chats; never answered in a member group.
 * - `owner`: owners in a private chat.
 */
export type AccessClass = 'member' | 'operator' | 'group-operator' | 'manager' | 'owner';

/** The least role that may run a command of this class outside the per-group rules. */
export const ROLE_NEEDED: Readonly<Record<AccessClass, Role>> = { member: 'member', operator: 'operator', 'group-operator': 'operator', manager: 'manager', owner: 'owner' };

export interface CommandSpec {
  name: string;
  access: AccessClass;
  /** One-line usage, shown on bad arguments and in /help. */
  usage: string;
  /** Short description for the command menu (3–256 characters). */
  description: string;
  /** Whether requests are written to the audit log even when answered (reports, changes). */
  audited: boolean;
  /**
   * A report: its arguments are checked where the command arrives, and it is computed and
   * answered on the report queue (never inside a chat platform's update handler).
   */
  report?: boolean;
}

export type ChatType = 'private' | 'group' | 'supergroup' | 'channel';

/** Who sent a command, and where. */
export interface CommandRequest {
  workspace: string;
  platform: CommunityPlatform;
  /** Bot id / account that received the command. */
  account: string;
  user: { id: string; username?: string; /** The platform's language tag of the user (Telegram `language_code`): answers follow it. */ languageCode?: string };
  chat: { id: string; type: ChatType; title?: string };
  /** Command name, lower case, without `/` or `@bot`. */
  name: string;
  /** Arguments after the command, split on spaces (quotes group words). */
  args: string[];
  now: Date;
}

/** A plain text message; `monospace` text is shown as a fixed-width block (tables). */
export interface TextAnswer {
  type: 'text';
  text: string;
  monospace?: boolean;
  /** Buttons under the message: a Mini App (`webApp`, an https URL) or a link (`url`). */
  buttons?: Array<{ text: string; webApp?: string; url?: string }>;
}

/** A chart image with a short caption. */
export interface PhotoAnswer {
  type: 'photo';
  png: Buffer;
  caption: string;
}

/** A file (CSV export). */
export interface DocumentAnswer {
  type: 'document';
  filename: string;
  content: Buffer;
  mimeType: string;
  caption?: string;
}

export type Answer = TextAnswer | PhotoAnswer | DocumentAnswer;

/** What a command produced and where the connector should deliver it. */
export interface CommandResult {
  answers: Answer[];
  /**
   * `here`: in the chat the command came from. `private`: in the private chat with the
   * sender (operator data asked for in a group), with `groupNote` posted in the group.
   */
  deliver: 'here' | 'private';
  /** Short line for the group when the answers go privately. */
  groupNote?: string;
}

/** The platform refused an operation (no rights, chat gone); `message` says what to do next. */
export class PlatformRefusedError extends Error {
  override name = 'PlatformRefusedError';
}

/** What the command layer asks of the chat platform (one bot / account). */
export interface ChatPlatform {
  /** The bot's username (deep links `t.me/<username>?start=…`). */
  readonly botUsername: string;
  /** Whether the user is an administrator (or creator) of the chat. */
  isChatAdmin(chatId: string, userId: string): Promise<boolean>;
  /** Creates a named invite link; throws PlatformRefusedError when the bot lacks the right. */
  createInviteLink(chatId: string, options: { name: string; createsJoinRequest: boolean }): Promise<{ url: string }>;
  /** Revokes an invite link; throws PlatformRefusedError when the platform says no. */
  revokeInviteLink(chatId: string, url: string): Promise<void>;
  /**
   * The first name a member shows in a chat, asked of the platform (never stored); null
   * when the platform does not know them there. Optional: without it names are not shown.
   */
  memberName?(chatId: string, userId: string): Promise<string | null>;
  /** Sets the menu button of a private chat to open a Mini App (`url`). Optional. */
  setMenuButton?(chatId: string, text: string, url: string): Promise<void>;
}

/** The dashboard (`src/dashboard`): its Mini App address and one-time login links. */
export interface DashboardPort {
  /** `<PUBLIC_BASE_URL>/app` when that is https (Telegram opens Mini Apps only over https); null otherwise. */
  miniAppUrl: string | null;
  /** A one-time login link (10 minutes) for `subject`; `limited` when they asked too often. */
  loginLink(workspace: string, subject: string, lang: 'en' | 'zh'): Promise<{ url: string } | { limited: true }>;
}

/** One month's data-driven fit as `/models` shows it (the reconciler's fit status). */
export interface FitStatusLine {
  /** `YYYY-MM` (UTC): the fit credits the conversions of this month. */
  month: string;
  /** Null when the month was never fitted. */
  fitId: string | null;
  fittedAt: string | null;
  journeys: number;
  conversions: number;
  /** Data changed since the fit, or its re-credit has not finished: a refit is queued or due. */
  dirty: boolean;
}

/**
 * The data-driven models' fits (Markov, Shapley): their status per month and on-demand
 * refits. Wired to the reconciler (`fitStatus`, `requestRefit`); absent: `/refit` says it
 * is not available and `/models` leaves the fit line out.
 */
export interface ModelsPort {
  status(workspace: string): Promise<FitStatusLine[]>;
  /**
   * Queues a refit of every month with conversions, or of the months of `period`; resolves
   * to a short line saying what was queued. A refusal (too many months, an empty period)
   * throws an error named `RefitRequestError` whose message is shown as a usage answer.
   */
  requestRefit(workspace: string, period?: { from: string; to: string }): Promise<string>;
}

/** Tracked short links (`src/links`), once that service exists. */
export interface TrackedLinksPort {
  create(workspace: string, options: { url: string; campaign?: string; chatId?: string; createdBy: string }): Promise<{ shortUrl: string; code: string }>;
  /**
   * The personal version of tracked link `code` for one Telegram user (`/l/<code>/<token>`):
   * its clicks are tied to that member's profile. Null when `code` is not a tracked link of
   * the workspace.
   */
  personal(workspace: string, code: string, telegramUserId: string): Promise<string | null>;
}

/** Settings the command layer reads (one workspace). */
export type CommandSettings = Pick<WorkspaceConfig, 'id' | 'keywords' | 'roles' | 'managersChats' | 'timezone'> & { alerts?: WorkspaceConfig['alerts'] } & Partial<Pick<WorkspaceConfig, 'referralMinDays' | 'currency' | 'campaigns'>>;

export interface CommandDeps {
  store: Store;
  /** Reports; absent until `src/reports` is wired: manager commands then say so. */
  reports?: ReportsApi;
  /** Tracked links; absent: `/link` answers that links are not configured. */
  links?: TrackedLinksPort;
  /** Fits of the data-driven models; absent: `/refit` answers that refits are not available. */
  models?: ModelsPort;
  settings: (workspace: string) => CommandSettings | undefined;
  platform: ChatPlatform;
  log: Logger;
  /** Called after `/track` or `/untrack` changed a workspace's keywords. */
  onKeywordsChanged?: (workspace: string) => void;
  /** Confirmation codes for `/forgetme`; default 6 random letters/digits. */
  newCode?: () => string;
  /** Whether charts are drawn (default true). */
  charts?: boolean;
  /** The dashboard; absent: `/dashboard` says PUBLIC_BASE_URL must be set. */
  dashboard?: DashboardPort;
  /**
   * Splits a wrong merge (`/unmerge`, `src/profile/unmerge-profile.ts` `createUnmergePort`);
   * absent: `/unmerge` answers that it is not available.
   */
  unmerge?: (workspace: string, profileId: string, identifier: Identifier, by: string) => Promise<{ newProfileId: string; movedIdentifiers: Identifier[]; movedTouches: number; conversions: string[] }>;
  /**
   * WhatsApp tracked group links (`/link [campaign]` in a WhatsApp group, `src/group-links`);
   * throws PlatformRefusedError when the group's invite link cannot be read.
   */
  groupLinks?: { create(workspace: string, input: { chatId: string; chatTitle?: string; campaign?: string; createdBy: string }): Promise<{ shortUrl: string; code: string }> };
}
