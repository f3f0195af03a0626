/**
 * Roles and who holds them (pure, no I/O).
 *
 * - **owner**, **manager**, **operator**: listed in the workspace settings (`roles`, as
 *   `telegram:<user id>`) or granted by an owner with `/grant` (stored grants).
 *   The roles nest: an owner may do what a manager may, a manager what an operator may.
 * - **Group administrators are operators of their own group** (not of the workspace):
 *   that is decided per chat by the command layer, which asks the platform.
 * - **member**: everyone else.
 */
import type { WorkspaceConfig } from '../config.js';
import type { Identifier } from '../identity/identifier.js';
import type { RoleGrant } from '../store/store.js';

export const ROLES = ['member', 'operator', 'manager', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { member: 0, operator: 1, manager: 2, owner: 3 };

/** Whether `role` includes the rights of `needed` (owner ⊇ manager ⊇ operator ⊇ member). */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The higher of two roles. */
export function maxRole(a: Role, b: Role): Role {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The settings slice roles are read from. */
export type RoleSettings = Pick<WorkspaceConfig, 'roles' | 'managersChats'>;

/** A person as the settings name them: `telegram:<user id>`. */
export function subjectOf(platform: 'telegram' | 'whatsapp', userId: string): string {
  return `${platform}:${userId}`;
}

/**
 * The opt-out subject of any strong identifier: a platform account's subject for Telegram
 * and WhatsApp ids (`telegram:<id>`, `whatsapp:<hashed id>`), `<type>:<hash>` for phones,
 * emails and external ids. Erasure opts out every identifier the person had.
 */
export function identifierSubject(i: Identifier): string {
  if (i.type === 'tg_id') return subjectOf('telegram', i.value);
  if (i.type === 'wa_id' || i.type === 'wa_lid') return subjectOf('whatsapp', i.value);
  return `${i.type}:${i.value}`;
}

/**
 * The workspace-wide role of a person from the settings and their stored grants. Group
 * administration is not considered here (see the module comment).
 */
export function workspaceRole(settings: RoleSettings, grants: readonly RoleGrant[], subject: string): Role {
  let role: Role = 'member';
  if (settings.roles.operators.includes(subject)) role = maxRole(role, 'operator');
  if (settings.roles.managers.includes(subject)) role = maxRole(role, 'manager');
  if (settings.roles.owners.includes(subject)) role = maxRole(role, 'owner');
  for (const g of grants) if (g.subject === subject) role = maxRole(role, g.role);
  return role;
}

/** Whether a chat is one of the workspace's managers' chats (`telegram:<chat id>` in `managersChats`). */
export function isManagersChat(settings: RoleSettings, platform: 'telegram' | 'whatsapp', chatId: string): boolean {
  return settings.managersChats.includes(`${platform}:${chatId}`);
}

/** Every person the settings give a role, with the highest one (for per-person command menus). */
export function configuredPeople(settings: RoleSettings): Map<string, Role> {
  const people = new Map<string, Role>();
  const add = (list: readonly string[], role: Role): void => {
    for (const s of list) people.set(s, maxRole(people.get(s) ?? 'member', role));
  };
  add(settings.roles.operators, 'operator');
  add(settings.roles.managers, 'manager');
  add(settings.roles.owners, 'owner');
  return people;
}
