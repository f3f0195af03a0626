/**
 * Who may run a command where: the asker's role (settings, grants, a managers' chat), the
 * chat, and for group commands whether they administer the group. A refusal is short and
 * says nothing about the data; answers asked for in a member group that are not for
 * everyone's eyes go to the asker privately.
 */
import { hasRole, isManagersChat, maxRole, subjectOf, workspaceRole, type Role } from '../access/roles.js';
import type { RegisteredGroup } from '../store/store.js';
import type { CommandDeps, CommandRequest, CommandSettings, CommandSpec } from './command-types.js';

/** What each refusal says. */
export const REFUSALS = {
  'operator-only': 'This command is for the group’s admins and the workspace’s operators.',
  'manager-only': 'This command is for managers.',
  'member-group': 'Reports are answered only in a private chat with me or in the managers’ group.',
  'owner-only': 'This command is for owners, in a private chat with me.',
} as const;
export type RefusalRule = keyof typeof REFUSALS;

/** Who is asking, where, and with which rights. */
export interface Access {
  req: Omit<CommandRequest, 'name' | 'args'>;
  settings: CommandSettings;
  /** `telegram:<user id>`: how settings, grants and the audit log name the asker. */
  subject: string;
  /** Workspace-wide role (settings + grants), raised to manager inside a managers' chat. */
  role: Role;
  inManagersChat: boolean;
  isGroup: boolean;
  /** The chat as a registered group of this workspace, when it is one. */
  group: RegisteredGroup | null;
  /** Whether the asker administers a chat (asked of the platform once per request). */
  adminOf: (chatId: string) => Promise<boolean>;
}

/** The group a group command is about (see `group-target.ts`). */
export type Target = { kind: 'group'; group: RegisteredGroup } | { kind: 'all' } | { kind: 'error'; message: string };

export type Decision = { ok: true; deliver: 'here' | 'private' } | { ok: false; rule: RefusalRule };

/** Reads the asker's rights for one request. */
export async function resolveAccess(deps: Pick<CommandDeps, 'store' | 'settings' | 'platform'>, req: Omit<CommandRequest, 'name' | 'args'>): Promise<Access> {
  const settings = deps.settings(req.workspace);
  if (!settings) throw new Error(`workspace ${req.workspace} is not configured`);
  const subject = subjectOf(req.platform, req.user.id);
  const grants = await deps.store.community.grants.ofSubject(req.workspace, subject);
  const inManagersChat = req.chat.type !== 'private' && isManagersChat(settings, req.platform, req.chat.id);
  let role = workspaceRole(settings, grants, subject);
  if (inManagersChat) role = maxRole(role, 'manager');
  const isGroup = req.chat.type === 'group' || req.chat.type === 'supergroup';
  const group = isGroup ? await deps.store.community.groups.get(req.workspace, req.platform, req.chat.id) : null;
  const admins = new Map<string, Promise<boolean>>();
  return {
    req,
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

/** Whether `spec` may run for this asker here (about `target`, for group commands), and where its answers go. */
export async function decide(spec: CommandSpec, a: Access, target: Target | null): Promise<Decision> {
  const privately = a.isGroup && !a.inManagersChat ? 'private' : 'here';
  switch (spec.access) {
    case 'member':
      return { ok: true, deliver: spec.name === 'forgetme' || spec.name === 'myinvite' ? privately : 'here' };
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

/** The group a group command would be about, for deciding what /help lists (no arguments given). */
export function defaultTarget(spec: CommandSpec, a: Access): Target | null {
  if (spec.access !== 'group-operator') return null;
  if (a.isGroup && a.group) return { kind: 'group', group: a.group };
  return hasRole(a.role, 'operator') ? { kind: 'all' } : null;
}
