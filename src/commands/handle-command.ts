/**
 * The command layer: access rules, argument checks and answers for every command in
 * `command-specs.ts`, platform-neutral. A connector parses the message, builds a
 * {@link CommandRequest} and renders the {@link CommandResult} it gets back.
 *
 * Bad arguments get a one-line usage answer; a refusal is short and says nothing about
 * the data; every refusal and every report or change request is written to the audit log.
 */
import { randomInt } from 'node:crypto';
import { recordAudit } from '../access/audit.js';
import { hasRole, isManagersChat, maxRole, subjectOf, workspaceRole, type Role } from '../access/roles.js';
import { isModelName, MODEL_NAMES } from '../attribution/index.js';
import { canonicalizeUrl, compileKeywords } from '../keywords/index.js';
import { parsePeriod, PeriodError, PERIOD_USAGE, type Period } from '../reports/period.js';
import { REPORT_DIMENSIONS, type ReportDimension, type ReportsApi } from '../reports/report-types.js';
import type { AuditEntry, GrantedRole, RegisteredGroup } from '../store/store.js';
import type { Answer, CommandDeps, CommandRequest, CommandResult, CommandSettings } from './command-types.js';
import { PlatformRefusedError } from './command-types.js';
import { COMMAND_SPECS, commandSpec, type CommandSpec } from './command-specs.js';
import { eraseMember } from './erase-member.js';
import { looksLikePeriod, splitOptions } from './parse-command.js';
import { clip, renderAttribution, renderComparison, renderFunnel, renderGroupStats, renderJourney, table } from './render-reports.js';
import { keywordKey } from './workspace-keywords.js';

/** Bad arguments: the message is the one-line answer. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Default period of reports when none is given. */
export const DEFAULT_PERIOD = '30d';
/** Model `/report` uses when none is given. */
export const DEFAULT_MODEL = 'linear';
/** How long a `/forgetme` confirmation code is valid. */
export const ERASURE_CODE_TTL_MS = 10 * 60_000;
/** Most keywords `/track` keeps per workspace. */
export const MAX_TRACKED_KEYWORDS = 1_000;

const MODEL_ALIASES: Record<string, string> = {
  first: 'first_touch',
  last: 'last_touch',
  last_click: 'last_touch',
  u: 'position_based',
  u_shaped: 'position_based',
  'u-shaped': 'position_based',
  position: 'position_based',
  decay: 'time_decay',
  data: 'markov',
  data_driven: 'markov',
};

const REFUSALS = {
  'operator-only': 'This command is for the group’s admins and the workspace’s operators.',
  'manager-only': 'This command is for managers.',
  'member-group': 'Reports are answered only in a private chat with me or in the managers’ group.',
  'owner-only': 'This command is for owners, in a private chat with me.',
} as const;
type RefusalRule = keyof typeof REFUSALS;

/** Who is asking, where, and with which rights. */
interface Access {
  req: CommandRequest;
  settings: CommandSettings;
  subject: string;
  /** Workspace-wide role (settings + grants), raised to manager inside a managers' chat. */
  role: Role;
  inManagersChat: boolean;
  isGroup: boolean;
  /** The chat as a registered group of this workspace, when it is one. */
  group: RegisteredGroup | null;
  adminOf: (chatId: string) => Promise<boolean>;
}

type Decision = { ok: true; deliver: 'here' | 'private' } | { ok: false; rule: RefusalRule };

type Target = { kind: 'group'; group: RegisteredGroup } | { kind: 'all' } | { kind: 'error'; message: string };

export interface CommandHandler {
  handle(req: CommandRequest): Promise<CommandResult>;
  /** The commands this person may run in this chat (what /help lists). */
  allowedCommands(req: Omit<CommandRequest, 'name' | 'args'>): Promise<CommandSpec[]>;
}

const here = (...answers: Answer[]): CommandResult => ({ answers, deliver: 'here' });
const text = (t: string): Answer => ({ type: 'text', text: t });

export function createCommandHandler(deps: CommandDeps): CommandHandler {
  const { store } = deps;

  async function accessOf(req: Omit<CommandRequest, 'name' | 'args'>): Promise<Access> {
    const settings = deps.settings(req.workspace);
    if (!settings) throw new Error(`workspace ${req.workspace} is not configured`);
    const subject = subjectOf(req.platform, req.user.id);
    const grants = await store.community.grants.ofSubject(req.workspace, subject);
    const inManagersChat = req.chat.type !== 'private' && isManagersChat(settings, req.platform, req.chat.id);
    let role = workspaceRole(settings, grants, subject);
    if (inManagersChat) role = maxRole(role, 'manager');
    const isGroup = req.chat.type === 'group' || req.chat.type === 'supergroup';
    const group = isGroup ? await store.community.groups.get(req.workspace, req.platform, req.chat.id) : null;
    const admins = new Map<string, Promise<boolean>>();
    return {
      req: { ...req, name: '', args: [] },
      settings,
      subject,
      role,
      inManagersChat,
      isGroup,
      group,
      adminOf: (chatId) => {
        let p = admins.get(chatId);
        if (!p) {
          p = deps.platform.isChatAdmin(chatId, req.user.id).catch(() => false);
          admins.set(chatId, p);
        }
        return p;
      },
    };
  }

  /** The group a group-operator command is about. */
  async function targetOf(a: Access, groupOption: string | undefined, allowAll: boolean): Promise<Target> {
    if (groupOption !== undefined) {
      const wanted = groupOption.trim();
      const groups = await store.community.groups.list(a.req.workspace, { platform: a.req.platform });
      const exact = groups.filter((g) => g.chatId === wanted || g.title === wanted);
      const folded = groups.filter((g) => g.title.toLowerCase() === wanted.toLowerCase());
      const partial = groups.filter((g) => g.title.toLowerCase().includes(wanted.toLowerCase()));
      const found = exact.length > 0 ? exact : folded.length > 0 ? folded : partial;
      if (found.length === 1 && found[0]) return { kind: 'group', group: found[0] };
      if (found.length === 0) return { kind: 'error', message: `No group matches “${clip(wanted, 40)}”. Use the group’s id or title.` };
      return { kind: 'error', message: `Several groups match “${clip(wanted, 40)}”: ${found.slice(0, 5).map((g) => `${clip(g.title, 24)} (${g.chatId})`).join(', ')}. Use the id.` };
    }
    if (a.isGroup) {
      if (a.group) return { kind: 'group', group: a.group };
      return { kind: 'error', message: 'This group is not registered yet: make me an admin here, then try again.' };
    }
    if (hasRole(a.role, 'operator')) {
      if (allowAll) return { kind: 'all' };
      const active = await store.community.groups.list(a.req.workspace, { platform: a.req.platform, status: 'active' });
      if (active.length === 1 && active[0]) return { kind: 'group', group: active[0] };
      return { kind: 'error', message: `Name the group: group=<id or title>${active.length > 0 ? `; groups: ${active.slice(0, 8).map((g) => clip(g.title, 24)).join(', ')}` : ''}.` };
    }
    return { kind: 'error', message: 'Name the group: group=<id or title>.' };
  }

  async function decide(spec: CommandSpec, a: Access, target: Target | null): Promise<Decision> {
    const privately = a.isGroup && !a.inManagersChat ? 'private' : 'here';
    switch (spec.access) {
      case 'member':
        return { ok: true, deliver: spec.name === 'forgetme' ? privately : 'here' };
      case 'operator':
        if (hasRole(a.role, 'operator')) return { ok: true, deliver: privately };
        if (a.isGroup && a.group && (await a.adminOf(a.req.chat.id))) return { ok: true, deliver: privately };
        return { ok: false, rule: 'operator-only' };
      case 'group-operator':
        if (hasRole(a.role, 'operator')) return { ok: true, deliver: privately };
        if (target?.kind === 'group' && (await a.adminOf(target.group.chatId))) return { ok: true, deliver: privately };
        return { ok: false, rule: 'operator-only' };
      case 'manager':
        if (!hasRole(a.role, 'manager')) return { ok: false, rule: 'manager-only' };
        if (a.isGroup && !a.inManagersChat) return { ok: false, rule: 'member-group' };
        if (a.req.chat.type === 'channel') return { ok: false, rule: 'member-group' };
        return { ok: true, deliver: 'here' };
      case 'owner':
        return hasRole(a.role, 'owner') && a.req.chat.type === 'private' ? { ok: true, deliver: 'here' } : { ok: false, rule: 'owner-only' };
    }
  }

  async function audit(a: Access, command: string, outcome: AuditEntry['outcome'], detail?: string, actor = a.subject): Promise<void> {
    await recordAudit(store, a.req.workspace, {
      at: a.req.now,
      actor,
      chat: { platform: a.req.platform, id: a.req.chat.id, type: a.req.chat.type },
      command,
      outcome,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  function periodOf(words: readonly string[], a: Access, fallback = DEFAULT_PERIOD): { period: Period; rest: string[] } {
    const rest: string[] = [];
    let chosen: string | undefined;
    for (const w of words) {
      // A period, or something typed as one (`13x`, `2026-02-30..`): it gets the period's usage answer.
      if (chosen === undefined && (looksLikePeriod(w) || /^\d+[A-Za-z]?$|^\d{4}-\d{2}/.test(w))) chosen = w;
      else rest.push(w);
    }
    try {
      return { period: parsePeriod(chosen ?? fallback, a.req.now, a.settings.timezone), rest };
    } catch (err) {
      if (err instanceof PeriodError) throw new UsageError(err.message);
      throw err;
    }
  }

  function dimensionOf(value: string | undefined, allowed: readonly string[] = REPORT_DIMENSIONS): ReportDimension {
    if (value === undefined) return 'group';
    const v = value.toLowerCase();
    if (!allowed.includes(v)) throw new UsageError(`by= must be one of ${allowed.join(', ')}`);
    return v as ReportDimension;
  }

  function modelOf(value: string | undefined): string {
    if (value === undefined) return DEFAULT_MODEL;
    const v = value.toLowerCase();
    const name = MODEL_ALIASES[v] ?? v;
    if (!isModelName(name)) throw new UsageError(`model= must be one of ${MODEL_NAMES.join(', ')}`);
    return name;
  }

  function onlyOptions(options: Map<string, string>, allowed: readonly string[]): void {
    for (const k of options.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option ${k}=`);
  }

  function reportsOf(): ReportsApi {
    if (!deps.reports) throw new PlatformRefusedError('Reports are not available on this installation yet.');
    return deps.reports;
  }

  const charts = deps.charts !== false;

  /** Runs an allowed command; returns the answers and the audit detail. */
  async function run(spec: CommandSpec, a: Access, target: Target | null): Promise<{ answers: Answer[]; detail?: string }> {
    const { req } = a;
    const { options, positional } = splitOptions(req.args);
    const ws = req.workspace;
    const groupOf = (t: Target | null): RegisteredGroup => {
      if (t?.kind === 'group') return t.group;
      throw new UsageError(t?.kind === 'error' ? t.message : 'Name the group: group=<id or title>.');
    };
    const tz = a.settings.timezone;
    switch (spec.name) {
      case 'help': {
        const allowed = await allowedFor(a);
        const lines = allowed.map((s) => `${s.usage} — ${s.description}`);
        return { answers: [text(`What you can do here:\n${lines.join('\n')}\n\n${PERIOD_USAGE}`)] };
      }
      case 'start': {
        if (req.chat.type !== 'private') return run(commandSpec('help') as CommandSpec, a, null);
        // A deep link to a tracked link (t.me/<bot>?start=<code>) gets the member's personal
        // version of it, so the click that follows is tied to them.
        const payload = positional[0];
        const personal = payload !== undefined && deps.links ? await deps.links.personal(ws, payload, req.user.id) : null;
        if (personal !== null) {
          return { answers: [text(`Here is your link:\n${personal}`)], detail: 'personal link' };
        }
        return {
          answers: [
            text(
              'Hi! I help this community’s team understand which groups, campaigns and conversations bring customers. ' +
                'I record activity (joins, keywords mentioned, links posted), never the text of messages.\n' +
                'Send /help to see what you can do, or /forgetme to have everything about you erased.',
            ),
          ],
        };
      }
      case 'forgetme': {
        if (positional.length === 0) {
          const code = (deps.newCode ?? defaultCode)();
          await store.community.erasures.put(ws, { workspace: ws, subject: a.subject, code, expiresAt: new Date(req.now.getTime() + ERASURE_CODE_TTL_MS).toISOString() });
          return {
            answers: [
              text(
                'This erases everything recorded about you in this community (your profile, your activity, your identifiers, your personal links and their clicks), ' +
                  'and I stop recording your activity. Orders you placed stay in the shop’s sales figures, no longer linked to you. ' +
                  `To confirm, send:\n/forgetme ${code}\nThe code is valid for 10 minutes.`,
              ),
            ],
            detail: 'asked',
          };
        }
        const code = (positional[0] ?? '').toUpperCase();
        if (!(await store.community.erasures.take(ws, a.subject, code, req.now.toISOString()))) {
          throw new UsageError('That code is not valid or has expired; send /forgetme to get a new one.');
        }
        const erased = await eraseMember(store, ws, req.platform, req.user.id, req.now);
        return {
          answers: [
            text(
              `Done: your data is erased (${erased.touches} activity records, ${erased.profiles} profile). ` +
                (erased.conversions > 0 ? `${erased.conversions} order(s) stay in the shop’s figures, no longer linked to you. ` : '') +
                'I will not record your activity any more.',
            ),
          ],
          detail: 'erased',
        };
      }
      case 'track': {
        if (positional.length === 0) throw new UsageError(spec.usage);
        const existing = await store.community.keywords.list(ws);
        const configured = new Set(a.settings.keywords.map(keywordKey));
        const known = new Set(existing.map((k) => k.key));
        const added: string[] = [];
        const already: string[] = [];
        const ignored: string[] = [];
        for (const word of positional) {
          const key = keywordKey(word);
          const check = compileKeywords([word]);
          if (check.size === 0) {
            ignored.push(`${clip(word, 30)} (${check.rejected[0]?.reason ?? 'invalid'})`);
          } else if (known.has(key) || configured.has(key)) {
            already.push(word);
          } else if (known.size >= MAX_TRACKED_KEYWORDS) {
            ignored.push(`${clip(word, 30)} (limit of ${MAX_TRACKED_KEYWORDS} reached)`);
          } else {
            await store.community.keywords.add(ws, { workspace: ws, keyword: word.trim(), key, addedBy: a.subject, addedAt: req.now.toISOString() });
            known.add(key);
            added.push(word.trim());
          }
        }
        if (added.length > 0) deps.onKeywordsChanged?.(ws);
        const parts = [
          added.length > 0 ? `Now watching: ${added.join(', ')}` : '',
          already.length > 0 ? `Already watched: ${already.join(', ')}` : '',
          ignored.length > 0 ? `Ignored: ${ignored.join(', ')}` : '',
        ].filter(Boolean);
        return { answers: [text(parts.join('\n'))], detail: `added ${added.length}` };
      }
      case 'untrack': {
        if (positional.length === 0) throw new UsageError(spec.usage);
        const configured = new Set(a.settings.keywords.map(keywordKey));
        const removed: string[] = [];
        const fromConfig: string[] = [];
        const unknown: string[] = [];
        for (const word of positional) {
          const key = keywordKey(word);
          if (await store.community.keywords.remove(ws, key)) removed.push(word);
          else if (configured.has(key)) fromConfig.push(word);
          else unknown.push(word);
        }
        if (removed.length > 0) deps.onKeywordsChanged?.(ws);
        const parts = [
          removed.length > 0 ? `Stopped watching: ${removed.join(', ')}` : '',
          fromConfig.length > 0 ? `Set in the configuration file (remove them there): ${fromConfig.join(', ')}` : '',
          unknown.length > 0 ? `Not watched: ${unknown.join(', ')}` : '',
        ].filter(Boolean);
        return { answers: [text(parts.join('\n'))], detail: `removed ${removed.length}` };
      }
      case 'keywords': {
        const tracked = await store.community.keywords.list(ws);
        const lines = [
          `Configured (${a.settings.keywords.length}): ${a.settings.keywords.length > 0 ? a.settings.keywords.slice(0, 100).join(', ') : '–'}${a.settings.keywords.length > 100 ? ', …' : ''}`,
          `Added with /track (${tracked.length}): ${tracked.length > 0 ? tracked.slice(0, 100).map((k) => k.keyword).join(', ') : '–'}${tracked.length > 100 ? ', …' : ''}`,
        ];
        return { answers: [text(lines.join('\n'))] };
      }
      case 'link': {
        if (!deps.links) return { answers: [text('Tracked links are not configured on this installation yet.')], detail: 'not configured' };
        const url = positional[0] === undefined ? null : canonicalizeUrl(positional[0]);
        if (url === null || positional.length > 2) throw new UsageError(spec.usage);
        const campaign = positional[1];
        if (campaign !== undefined && !CAMPAIGN.test(campaign)) throw new UsageError(CAMPAIGN_RULE);
        const made = await deps.links.create(ws, {
          url,
          createdBy: a.subject,
          ...(campaign !== undefined ? { campaign } : {}),
          ...(a.group ? { chatId: a.group.chatId } : {}),
        });
        return { answers: [text(`Tracked link${campaign ? ` for campaign ${campaign}` : ''}: ${made.shortUrl}`)], detail: `code ${made.code}` };
      }
      case 'invite': {
        const group = groupOf(target);
        const campaign = positional[0];
        const flag = positional[1]?.toLowerCase();
        if (campaign === undefined || positional.length > 2 || (flag !== undefined && flag !== 'request')) throw new UsageError(spec.usage);
        if (!CAMPAIGN.test(campaign)) throw new UsageError(CAMPAIGN_RULE);
        const createsJoinRequest = flag === 'request';
        const made = await deps.platform.createInviteLink(group.chatId, { name: campaign, createsJoinRequest });
        await store.community.inviteLinks.insert(ws, {
          workspace: ws,
          platform: req.platform,
          chatId: group.chatId,
          url: made.url,
          campaign,
          createsJoinRequest,
          createdBy: a.subject,
          createdAt: req.now.toISOString(),
          revokedAt: null,
        });
        return {
          answers: [
            text(
              `Invite link for campaign “${campaign}” in ${group.title}:\n${made.url}\n` +
                `Joins through it are credited to ${campaign}${createsJoinRequest ? ' (people ask to join; an admin approves)' : ''}.`,
            ),
          ],
          detail: `campaign ${campaign} in ${group.chatId}`,
        };
      }
      case 'invites': {
        const chatId = target?.kind === 'group' ? target.group.chatId : undefined;
        const links = await store.community.inviteLinks.list(ws, { platform: req.platform, ...(chatId !== undefined ? { chatId } : {}) });
        if (links.length === 0) return { answers: [text('No active campaign invite links. Make one with /invite <campaign>.')] };
        const titles = new Map((await store.community.groups.list(ws)).map((g) => [g.chatId, g.title]));
        const rows = links.slice(0, 30).map((l) => [clip(l.campaign, 14), l.url, chatId === undefined ? clip(titles.get(l.chatId) ?? l.chatId, 14) : l.createdAt.slice(0, 10)]);
        return { answers: [{ type: 'text', text: table(['campaign', 'link', chatId === undefined ? 'group' : 'created'], rows), monospace: true }] };
      }
      case 'revoke': {
        const group = groupOf(target);
        const what = positional[0];
        if (what === undefined || positional.length > 1) throw new UsageError(spec.usage);
        const links = (await store.community.inviteLinks.list(ws, { platform: req.platform, chatId: group.chatId })).filter((l) => l.campaign === what || l.url === what);
        if (links.length === 0) return { answers: [text(`No active invite link for “${clip(what, 40)}” in ${group.title}.`)], detail: 'none' };
        for (const l of links) {
          await deps.platform.revokeInviteLink(group.chatId, l.url);
          await store.community.inviteLinks.markRevoked(ws, req.platform, l.url, req.now.toISOString());
        }
        return { answers: [text(`Revoked ${links.length} link${links.length === 1 ? '' : 's'} for “${clip(what, 40)}” in ${group.title}. Joins already made stay credited.`)], detail: `revoked ${links.length}` };
      }
      case 'groupstats': {
        onlyOptions(options, ['group']);
        const { period, rest } = periodOf(positional, a);
        if (rest.length > 0) throw new UsageError(spec.usage);
        const chatId = target?.kind === 'group' ? target.group.chatId : undefined;
        const report = await reportsOf().groupStats(ws, { period, ...(chatId !== undefined ? { chatId } : {}) });
        const answers = await renderGroupStats(report, { timeZone: tz, charts, ...(target?.kind === 'group' ? { groupTitle: target.group.title } : {}) });
        return { answers, detail: `period ${period.label}${chatId ? ` group ${chatId}` : ''}` };
      }
      case 'report': {
        onlyOptions(options, ['by', 'model']);
        const { period, rest } = periodOf(positional, a);
        if (rest.length > 0) throw new UsageError(spec.usage);
        const by = dimensionOf(options.get('by'));
        const model = modelOf(options.get('model'));
        const report = await reportsOf().attribution(ws, { period, by, model });
        return { answers: await renderAttribution(report, { timeZone: tz, charts }), detail: `period ${period.label} by ${by} model ${model}` };
      }
      case 'models': {
        onlyOptions(options, ['by']);
        const { period, rest } = periodOf(positional, a);
        if (rest.length > 0) throw new UsageError(spec.usage);
        const by = dimensionOf(options.get('by'));
        const report = await reportsOf().compareModels(ws, { period, by });
        return { answers: await renderComparison(report, { timeZone: tz, charts }), detail: `period ${period.label} by ${by}` };
      }
      case 'funnel': {
        onlyOptions(options, ['by', 'group']);
        const { period, rest } = periodOf(positional, a);
        const by = dimensionOf(options.get('by'), ['group', 'campaign']) as 'group' | 'campaign';
        const name = options.get('group') ?? (rest.length > 0 ? rest.join(' ') : undefined);
        let key: string | undefined;
        let title: string | undefined;
        if (name !== undefined && by === 'group') {
          const t = await targetOf(a, name, false);
          if (t.kind !== 'group') throw new UsageError(t.kind === 'error' ? t.message : spec.usage);
          key = t.group.chatId;
          title = t.group.title;
        } else if (name !== undefined) {
          key = name;
          title = name;
        }
        const report = await reportsOf().funnel(ws, { period, by, ...(key !== undefined ? { key } : {}) });
        return { answers: await renderFunnel(report, { timeZone: tz, charts, ...(title !== undefined ? { title } : {}) }), detail: `period ${period.label} by ${by}${key ? ` key ${key}` : ''}` };
      }
      case 'journey': {
        const member = positional[0];
        if (member === undefined || positional.length > 1) throw new UsageError(spec.usage);
        const j = await reportsOf().journey(ws, member);
        if (!j) return { answers: [text(`I know nobody as “${clip(member, 40)}” in this workspace.`)], detail: 'unknown member' };
        return { answers: renderJourney(j, { timeZone: tz }), detail: `profile ${j.profileId}` };
      }
      case 'export': {
        onlyOptions(options, []);
        const { period, rest } = periodOf(positional, a);
        if (rest.length > 0) throw new UsageError(spec.usage);
        const csv = await reportsOf().exportCredits(ws, { period });
        const content = Buffer.from(csv, 'utf8');
        const day = (iso: string): string => iso.slice(0, 10);
        return {
          answers: [{ type: 'document', filename: `credits-${ws}-${day(period.from)}-${day(new Date(Date.parse(period.to) - 1).toISOString())}.csv`, content, mimeType: 'text/csv', caption: `Credited touches · ${period.label} · every model` }],
          detail: `period ${period.label} bytes ${content.length}`,
        };
      }
      case 'digest': {
        const mode = positional[0]?.toLowerCase();
        if (positional.length !== 1 || (mode !== 'daily' && mode !== 'weekly' && mode !== 'off')) throw new UsageError(spec.usage);
        if (mode === 'off') {
          const had = await store.community.digests.remove(ws, req.platform, req.chat.id);
          return { answers: [text(had ? 'Digest off for this chat.' : 'This chat had no digest.')], detail: 'off' };
        }
        await store.community.digests.put(ws, { workspace: ws, platform: req.platform, chatId: req.chat.id, account: req.account, frequency: mode, subscribedBy: a.subject, subscribedAt: req.now.toISOString() });
        return {
          answers: [text(`${mode === 'daily' ? 'Daily' : 'Weekly'} digest on: the attribution report comes here ${mode === 'daily' ? 'every day' : 'every Monday'} at 09:00 (${tz}). /digest off stops it.`)],
          detail: mode,
        };
      }
      case 'grant':
      case 'ungrant': {
        const role = positional[0]?.toLowerCase();
        const who = positional[1];
        if (positional.length !== 2 || who === undefined || (role !== 'owner' && role !== 'manager' && role !== 'operator')) throw new UsageError(spec.usage);
        const userId = await userIdOf(ws, who);
        const subject = subjectOf(req.platform, userId);
        if (spec.name === 'grant') {
          await store.community.grants.grant(ws, { workspace: ws, subject, role: role as GrantedRole, grantedBy: a.subject, grantedAt: req.now.toISOString() });
          return { answers: [text(`${subject} is now ${role}.`)], detail: `${role} to ${subject}` };
        }
        const had = await store.community.grants.revoke(ws, subject, role as GrantedRole);
        const inSettings = (a.settings.roles[`${role}s` as 'owners' | 'managers' | 'operators'] ?? []).includes(subject);
        return {
          answers: [text(had ? `${subject} is no longer ${role}${inSettings ? ' by grant (the configuration file still lists them)' : ''}.` : `${subject} had no ${role} grant${inSettings ? ' (the role comes from the configuration file)' : ''}.`)],
          detail: `${role} from ${subject}`,
        };
      }
      default:
        throw new Error(`command ${spec.name} has no implementation`);
    }
  }

  async function userIdOf(workspace: string, who: string): Promise<string> {
    if (/^\d{1,20}$/.test(who)) return who;
    const username = who.replace(/^@/, '').toLowerCase();
    if (!/^[a-z0-9_]{3,32}$/.test(username)) throw new UsageError('Name the person by numeric user id or @username.');
    const profiles = await store.profiles.findByUsername(workspace, username);
    const ids = new Set(profiles.flatMap((p) => p.identifiers.filter((i) => i.type === 'tg_id').map((i) => i.value)));
    const only = [...ids];
    if (only.length !== 1 || only[0] === undefined) throw new UsageError(`I cannot tell who @${username} is; use their numeric user id.`);
    return only[0];
  }

  async function allowedFor(a: Access): Promise<CommandSpec[]> {
    const out: CommandSpec[] = [];
    for (const spec of COMMAND_SPECS) {
      if (spec.name === 'start') continue;
      const target: Target | null = spec.access === 'group-operator' ? (a.isGroup && a.group ? { kind: 'group', group: a.group } : hasRole(a.role, 'operator') ? { kind: 'all' } : null) : null;
      if ((await decide(spec, a, target)).ok) out.push(spec);
    }
    return out;
  }

  return {
    async allowedCommands(req) {
      return allowedFor(await accessOf(req));
    },
    async handle(req) {
      const spec = commandSpec(req.name);
      if (!spec) {
        // In groups an unknown command may be for another bot: stay silent there.
        return req.chat.type === 'private' ? here(text('I do not know that command. /help lists what you can do.')) : here();
      }
      const a = await accessOf(req);
      a.req = req;
      let target: Target | null = null;
      if (spec.access === 'group-operator') {
        const { options } = splitOptions(req.args);
        target = await targetOf(a, options.get('group'), spec.name === 'groupstats' || spec.name === 'invites');
      }
      const decision = await decide(spec, a, target);
      if (!decision.ok) {
        await audit(a, spec.name, 'refused', decision.rule);
        return here(text(REFUSALS[decision.rule]));
      }
      const deliver = decision.deliver;
      const wrap = (answers: Answer[]): CommandResult =>
        deliver === 'private'
          ? { answers, deliver, groupNote: req.user.username ? `@${req.user.username}, I sent you the answer in a private chat.` : 'I sent the answer in a private chat.' }
          : { answers, deliver };
      try {
        const { answers, detail } = await run(spec, a, target);
        // After an erasure the log keeps that it happened, not who asked.
        if (spec.audited) await audit(a, spec.name, 'answered', detail, spec.name === 'forgetme' && detail === 'erased' ? 'erased' : a.subject);
        return wrap(answers);
      } catch (err) {
        if (err instanceof UsageError) {
          if (spec.audited) await audit(a, spec.name, 'usage', err.message);
          const line = err.message === spec.usage ? `Usage: ${spec.usage}` : `${err.message}. Usage: ${spec.usage}`;
          return wrap([text(line.replace(/\.\./g, '.'))]);
        }
        // The reports' own argument checks (kept in step with ours; reached only if they drift).
        if (err instanceof Error && err.name === 'ReportError') {
          if (spec.audited) await audit(a, spec.name, 'usage', err.message);
          return wrap([text(`${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}. Usage: ${spec.usage}`)]);
        }
        if (err instanceof PlatformRefusedError) {
          await audit(a, spec.name, 'failed', err.message);
          return wrap([text(err.message)]);
        }
        await audit(a, spec.name, 'failed', err instanceof Error ? err.name : 'error').catch(() => undefined);
        throw err;
      }
    },
  };
}

/** Campaign names: what Telegram accepts as an invite link name (1–32 characters), letters, digits, `_ . -`. */
const CAMPAIGN = /^[\p{L}\p{N}_.-]{1,32}$/u;
const CAMPAIGN_RULE = 'A campaign name is 1–32 letters, digits, _ . or -';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function defaultCode(): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}
