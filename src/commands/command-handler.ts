/**
 * The command layer's entry: finds the command in the registry, applies the access rules,
 * checks the arguments, runs it, and writes the audit log; platform-neutral. A connector
 * parses the message, builds a {@link CommandRequest} and renders what comes back.
 *
 * Two ways to run:
 * - `prepare` (a chat platform's update handler): everything but the reports. A report
 *   command comes back as a {@link ReportJob} (checked, plain JSON) for the report queue;
 *   the report worker then calls `runReport` and delivers its answers. A slow report so
 *   never holds (or times out) the update handler.
 * - `handle`: both steps in one call (tests, and platforms without a report queue).
 *
 * Bad arguments get a one-line usage answer; a refusal is short and says nothing about
 * the data; every refusal and every report or change request is written to the audit log.
 */
import { languageOf, t } from '../i18n/index.js';
import { ReportParamError } from '../reports/report-params.js';
import { decide, defaultTarget, resolveAccess, type Access, type Target } from './access.js';
import { usageLine, UsageError } from './arguments.js';
import { auditCommand } from './command-audit.js';
import type { CommandContext, CommandModule, CommandOutput } from './command-module.js';
import { text } from './command-module.js';
import type { Answer, CommandDeps, CommandRequest, CommandResult, CommandSpec } from './command-types.js';
import { PlatformRefusedError } from './command-types.js';
import { resolveTarget } from './group-target.js';
import { splitOptions } from './parse-command.js';
import { COMMANDS, commandModule } from './registry.js';

/** A command request as JSON (its time as ISO text). */
export type StoredRequest = Omit<CommandRequest, 'now'> & { now: string };

/** A checked report command, ready for the report queue: plain JSON. */
export interface ReportJob {
  request: StoredRequest;
  command: string;
  /** What the command's `parse` returned. */
  args: unknown;
  deliver: CommandResult['deliver'];
  groupNote?: string;
}

export type PreparedCommand = { kind: 'answered'; result: CommandResult } | { kind: 'report'; job: ReportJob };

export interface CommandHandler {
  /** Checks and runs a command, reports included, and returns its answers. */
  handle(req: CommandRequest): Promise<CommandResult>;
  /** Checks a command and runs it unless it is a report, which comes back as a job for the report queue. */
  prepare(req: CommandRequest): Promise<PreparedCommand>;
  /**
   * Computes a report job's answers and audits it. An unexpected failure is thrown (the
   * job retries) unless `lastAttempt`, when it is audited and answered with a short apology.
   */
  runReport(job: ReportJob, options?: { lastAttempt?: boolean }): Promise<CommandResult>;
  /** The commands this person may run in this chat (what /help lists). */
  allowedCommands(req: Omit<CommandRequest, 'name' | 'args'>): Promise<CommandSpec[]>;
}

/** What a report that failed on its last attempt answers. */
export const REPORT_FAILED = t('en', 'report.failed');

const here = (...answers: Answer[]): CommandResult => ({ answers, deliver: 'here' });

export function createCommandHandler(deps: CommandDeps): CommandHandler {
  const { store } = deps;

  async function allowedFor(a: Access): Promise<CommandSpec[]> {
    const out: CommandSpec[] = [];
    for (const { spec } of COMMANDS) {
      if (spec.name === 'start') continue;
      if ((await decide(spec, a, defaultTarget(spec, a))).ok) out.push(spec);
    }
    return out;
  }

  function contextOf(req: CommandRequest, access: Access, target: Target | null, args: string[]): CommandContext {
    const { options, positional } = splitOptions(args);
    return { deps, store, req, access, target, options, positional, args, allowedCommands: () => allowedFor(access) };
  }

  function deliveryOf(req: CommandRequest, deliver: CommandResult['deliver']): Pick<CommandResult, 'deliver' | 'groupNote'> {
    if (deliver === 'here') return { deliver };
    const lang = languageOf(req.user.languageCode);
    return { deliver, groupNote: req.user.username ? t(lang, 'report.sent-private-to', { username: req.user.username }) : t(lang, 'report.sent-private') };
  }

  const audit = (req: CommandRequest, access: Access, command: string, outcome: 'answered' | 'refused' | 'usage' | 'failed', detail?: string, actor = access.subject): Promise<void> =>
    auditCommand(store, req, actor, command, outcome, detail);

  /** The answer to a known failure (bad arguments, a platform refusal), audited; null for anything else. */
  async function answerFailure(err: unknown, spec: CommandSpec, req: CommandRequest, access: Access): Promise<Answer[] | null> {
    if (err instanceof UsageError || err instanceof ReportParamError) {
      if (spec.audited) await audit(req, access, spec.name, 'usage', err.message);
      return [text(usageLine(err.message, spec.usage, languageOf(req.user.languageCode)))];
    }
    // The reports' own argument checks (kept in step with ours; reached only if they drift).
    if (err instanceof Error && err.name === 'ReportError') {
      if (spec.audited) await audit(req, access, spec.name, 'usage', err.message);
      return [text(usageLine(`${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}`, spec.usage))];
    }
    if (err instanceof PlatformRefusedError) {
      await audit(req, access, spec.name, 'failed', err.message);
      return [text(err.message)];
    }
    return null;
  }

  const auditFailed = (req: CommandRequest, access: Access, spec: CommandSpec, err: unknown): Promise<void> =>
    audit(req, access, spec.name, 'failed', err instanceof Error ? err.name : 'error').catch(() => undefined);

  async function execute(module: CommandModule, ctx: CommandContext, args: unknown, lastAttempt: boolean): Promise<Answer[]> {
    const { spec } = module;
    try {
      const out: CommandOutput = await module.run(ctx, args);
      if (spec.audited) await audit(ctx.req, ctx.access, spec.name, 'answered', out.detail, out.actor);
      return out.answers;
    } catch (err) {
      const answers = await answerFailure(err, spec, ctx.req, ctx.access);
      if (answers) return answers;
      if (spec.report && !lastAttempt) throw err;
      await auditFailed(ctx.req, ctx.access, spec, err);
      if (!spec.report) throw err;
      deps.log.error({ command: spec.name, err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'report failed on its last attempt');
      return [text(t(languageOf(ctx.req.user.languageCode), 'report.failed'))];
    }
  }

  async function prepare(req: CommandRequest): Promise<PreparedCommand> {
    const module = commandModule(req.name);
    if (!module) {
      // In groups an unknown command may be for another bot: stay silent there.
      return { kind: 'answered', result: req.chat.type === 'private' ? here(text(t(languageOf(req.user.languageCode), 'unknown-command'))) : here() };
    }
    const { spec } = module;
    const access = await resolveAccess(deps, req);
    let target: Target | null = null;
    let args = req.args;
    if (spec.access === 'group-operator') ({ target, args } = await resolveTarget(store, access, req.args, spec.name === 'groupstats' || spec.name === 'invites'));
    const decision = await decide(spec, access, target);
    if (!decision.ok) {
      await audit(req, access, spec.name, 'refused', decision.rule);
      return { kind: 'answered', result: here(text(t(languageOf(req.user.languageCode), `refusal.${decision.rule}`))) };
    }
    const delivery = deliveryOf(req, decision.deliver);
    const ctx = contextOf(req, access, target, args);
    let parsed: unknown;
    try {
      parsed = module.parse ? await module.parse(ctx) : undefined;
    } catch (err) {
      const answers = await answerFailure(err, spec, req, access);
      if (!answers) {
        await auditFailed(req, access, spec, err);
        throw err;
      }
      return { kind: 'answered', result: { answers, ...delivery } };
    }
    if (spec.report) {
      return { kind: 'report', job: { request: { ...req, now: req.now.toISOString() }, command: spec.name, args: parsed ?? null, ...delivery } };
    }
    return { kind: 'answered', result: { answers: await execute(module, ctx, parsed, true), ...delivery } };
  }

  async function runReport(job: ReportJob, options: { lastAttempt?: boolean } = {}): Promise<CommandResult> {
    const module = commandModule(job.command);
    if (!module?.spec.report) throw new Error(`${job.command} is not a report command`);
    const req: CommandRequest = { ...job.request, now: new Date(job.request.now) };
    const access = await resolveAccess(deps, req);
    const ctx = contextOf(req, access, null, req.args);
    const answers = await execute(module, ctx, job.args ?? undefined, options.lastAttempt ?? false);
    return { answers, deliver: job.deliver, ...(job.groupNote !== undefined ? { groupNote: job.groupNote } : {}) };
  }

  return {
    async allowedCommands(req) {
      return allowedFor(await resolveAccess(deps, req));
    },
    prepare,
    runReport,
    async handle(req) {
      const prepared = await prepare(req);
      return prepared.kind === 'answered' ? prepared.result : runReport(prepared.job, { lastAttempt: true });
    },
  };
}
