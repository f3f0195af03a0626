/**
 * The platform-neutral command layer (one public entry): parse a command message, decide
 * who may run it where, run it against the store and the reports (reports on the report
 * queue), and return answers as data for a connector to render.
 */
export { createCommandHandler, REPORT_FAILED, type CommandHandler, type PreparedCommand, type ReportJob, type StoredRequest } from './command-handler.js';
export { UsageError } from './arguments.js';
export { DEFAULT_MODEL, DEFAULT_PERIOD } from '../reports/report-params.js';
export { ERASURE_CODE_TTL_MS } from './commands/forgetme.js';
export { MAX_TRACKED_KEYWORDS } from './commands/track.js';
export { parseCommand, splitArgs, splitOptions, type ParsedCommand } from './parse-command.js';
export { COMMANDS, COMMAND_SPECS, commandMenu, commandModule, commandSpec, roleNeeded } from './registry.js';
export type { CommandContext, CommandModule, CommandOutput } from './command-module.js';
export {
  PlatformRefusedError,
  type AccessClass,
  type Answer,
  type ChatPlatform,
  type ChatType,
  type CommandDeps,
  type DashboardPort,
  type CommandRequest,
  type CommandResult,
  type CommandSettings,
  type CommandSpec,
  type DocumentAnswer,
  type FitStatusLine,
  type ModelsPort,
  type PhotoAnswer,
  type TextAnswer,
  type TrackedLinksPort,
} from './command-types.js';
export { NOTICE_AFTER_MS, ReportQueue, WORKING_ON_IT, type ReportJobData, type ReportQueueOptions } from './report-queue.js';
export { eraseMember, type ErasureResult } from './erase-member.js';
export { buildDigest, dueRunKey, isoWeek, DIGEST_HOUR, DIGEST_MODEL } from './digests.js';
export { createWorkspaceKeywords, keywordKey, type WorkspaceKeywords } from './workspace-keywords.js';
export { renderAttribution, renderComparison, renderFunnel, renderGroupStats, renderJourney, table } from './render-reports.js';
export { createTrackedLinks, type TrackedLinksOptions } from './tracked-links.js';
export { memberLabel, NONE_LABELS, plural, rowLabel } from './wording.js';
