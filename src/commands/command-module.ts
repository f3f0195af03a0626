/**
 * The shape of one command module (`commands/<name>.ts`): its spec (name, access class,
 * usage, description), how its arguments are checked, and how it runs. The registry
 * (`registry.ts`) lists every module; the handler (`command-handler.ts`) applies the
 * access rules and the audit log around them.
 *
 * `parse` runs where the command arrives (in a chat platform's update handler): it checks
 * the arguments and throws {@link UsageError} for bad ones. For a report (`spec.report`)
 * what it returns travels through the report queue as JSON, so it holds plain data only;
 * `run` then computes and answers on the report worker.
 */
import type { Store } from '../store/store.js';
import type { Access, Target } from './access.js';
import type { Answer, CommandDeps, CommandRequest, CommandSpec } from './command-types.js';

export interface CommandContext {
  deps: CommandDeps;
  store: Store;
  req: CommandRequest;
  access: Access;
  /** The group a group command is about (`group-operator` commands); null otherwise. */
  target: Target | null;
  /** `key=value` options (keys lower case) of the arguments left after `group=…` was taken out. */
  options: Map<string, string>;
  /** The other arguments, in order. */
  positional: string[];
  /** The arguments left after `group=…` was taken out, as typed. */
  args: string[];
  /** What this person may run here (what /help lists). */
  allowedCommands(): Promise<CommandSpec[]>;
}

/** What a run produced: the answers, and the detail written to the audit log. */
export interface CommandOutput {
  answers: Answer[];
  detail?: string;
  /** Who the audit entry names instead of the asker (after an erasure: `erased`). */
  actor?: string;
}

export interface CommandModule<A = unknown> {
  spec: CommandSpec;
  /** Checks the arguments; the result is what `run` gets. Default: nothing to check. */
  parse?(ctx: CommandContext): A | Promise<A>;
  run(ctx: CommandContext, args: A): Promise<CommandOutput>;
}

/** Types a command module (its parsed arguments stay typed inside it). */
export function defineCommand<A>(module: CommandModule<A>): CommandModule<unknown> {
  return module as CommandModule<unknown>;
}

/** A plain text answer. */
export const text = (t: string): Answer => ({ type: 'text', text: t });

/** Campaign names: what Telegram accepts as an invite link name (1–32 characters), letters, digits, `_ . -`. */
export const CAMPAIGN = /^[\p{L}\p{N}_.-]{1,32}$/u;
export const CAMPAIGN_RULE = 'A campaign name is 1–32 letters, digits, _ . or -';
