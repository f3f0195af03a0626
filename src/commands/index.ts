/**
 * The platform-neutral command layer (one public entry): parse a command message, decide
 * who may run it where, run it against the store and the reports, and return answers as
 * data for a connector to render.
 */
export { createCommandHandler, UsageError, DEFAULT_MODEL, DEFAULT_PERIOD, ERASURE_CODE_TTL_MS, type CommandHandler } from './handle-command.js';
export { parseCommand, splitArgs, splitOptions, type ParsedCommand } from './parse-command.js';
export { COMMAND_SPECS, commandMenu, commandSpec, type AccessClass, type CommandSpec } from './command-specs.js';
export {
  PlatformRefusedError,
  type Answer,
  type ChatPlatform,
  type ChatType,
  type CommandDeps,
  type CommandRequest,
  type CommandResult,
  type CommandSettings,
  type DocumentAnswer,
  type PhotoAnswer,
  type TextAnswer,
  type TrackedLinksPort,
} from './command-types.js';
export { eraseMember, type ErasureResult } from './erase-member.js';
export { buildDigest, dueRunKey, isoWeek, DIGEST_HOUR, DIGEST_MODEL } from './digests.js';
export { createWorkspaceKeywords, keywordKey, type WorkspaceKeywords } from './workspace-keywords.js';
export { renderAttribution, renderComparison, renderFunnel, renderGroupStats, renderJourney, table } from './render-reports.js';
export { createTrackedLinks, type TrackedLinksOptions } from './tracked-links.js';
