/**
 * The command surface: every command, who may run it and its one-line usage.
 *
 * Access classes (enforced in `handle-command.ts`):
 * - `member`: anyone, anywhere.
 * - `operator`: workspace operators (and managers, owners) anywhere; a group's
 *   administrators in that group. Answers asked for in a group go to the sender privately.
 * - `group-operator`: like `operator`, about one group: the group it is sent in, or
 *   `group=<id or title>` in a private chat (administrators of that group may then use it).
 * - `manager`: managers and owners in a private chat with the bot, or anyone in one of
 *   the workspace's managers' chats; never answered in a member group.
 * - `owner`: owners in a private chat.
 */
import type { Role } from '../access/roles.js';

export type AccessClass = 'member' | 'operator' | 'group-operator' | 'manager' | 'owner';

export interface CommandSpec {
  name: string;
  access: AccessClass;
  /** One-line usage, shown on bad arguments and in /help. */
  usage: string;
  /** Short description for the command menu (3–256 characters). */
  description: string;
  /** Whether requests are written to the audit log even when answered (reports, changes). */
  audited: boolean;
}

export const COMMAND_SPECS: readonly CommandSpec[] = [
  { name: 'help', access: 'member', usage: '/help', description: 'What I can do for you here', audited: false },
  { name: 'start', access: 'member', usage: '/start', description: 'Start a conversation with the bot', audited: false },
  { name: 'forgetme', access: 'member', usage: '/forgetme, then /forgetme <code> to confirm', description: 'Erase everything recorded about you', audited: true },
  { name: 'track', access: 'operator', usage: '/track <keyword> [keyword…] (use "quotes" for phrases)', description: 'Watch keywords in the groups', audited: true },
  { name: 'untrack', access: 'operator', usage: '/untrack <keyword> [keyword…]', description: 'Stop watching keywords', audited: true },
  { name: 'keywords', access: 'operator', usage: '/keywords', description: 'List watched keywords', audited: true },
  { name: 'link', access: 'operator', usage: '/link <url> [campaign]', description: 'Make a tracked short link', audited: true },
  { name: 'invite', access: 'group-operator', usage: '/invite <campaign> [request] [group=<id or title>]', description: 'Make a campaign invite link for a group', audited: true },
  { name: 'invites', access: 'group-operator', usage: '/invites [group=<id or title>]', description: 'List campaign invite links', audited: true },
  { name: 'revoke', access: 'group-operator', usage: '/revoke <campaign or link> [group=<id or title>]', description: 'Revoke a campaign invite link', audited: true },
  { name: 'groupstats', access: 'group-operator', usage: '/groupstats [period] [group=<id or title>]', description: 'Joins, leaves, activity and keyword hits', audited: true },
  { name: 'report', access: 'manager', usage: '/report [period] [by=group|campaign|keyword|link|platform] [model=<model>]', description: 'Attribution report against last click', audited: true },
  { name: 'models', access: 'manager', usage: '/models [period] [by=group|campaign|keyword|link|platform]', description: 'Every attribution model side by side', audited: true },
  { name: 'funnel', access: 'manager', usage: '/funnel [group] [period] [by=group|campaign]', description: 'Joined → engaged → clicked → converted', audited: true },
  { name: 'journey', access: 'manager', usage: '/journey <@username, user id or profile id>', description: 'One member’s touch timeline', audited: true },
  { name: 'export', access: 'manager', usage: '/export [period]', description: 'CSV of credited touches', audited: true },
  { name: 'digest', access: 'manager', usage: '/digest daily|weekly|off', description: 'Scheduled report in this chat', audited: true },
  { name: 'grant', access: 'owner', usage: '/grant manager|operator|owner <user id or @username>', description: 'Give someone a role', audited: true },
  { name: 'ungrant', access: 'owner', usage: '/ungrant manager|operator|owner <user id or @username>', description: 'Take a role back', audited: true },
];

const BY_NAME = new Map(COMMAND_SPECS.map((s) => [s.name, s]));

export function commandSpec(name: string): CommandSpec | undefined {
  return BY_NAME.get(name);
}

/** The least role that may run a command of this class outside the per-group rules. */
export function roleNeeded(access: AccessClass): Role {
  switch (access) {
    case 'member':
      return 'member';
    case 'operator':
    case 'group-operator':
      return 'operator';
    case 'manager':
      return 'manager';
    case 'owner':
      return 'owner';
  }
}

/** Command menus registered with the platform (`setMyCommands`), by audience. */
export function commandMenu(audience: 'member' | 'group-admin' | 'operator' | 'manager' | 'owner'): Array<{ command: string; description: string }> {
  const classes: Record<typeof audience, readonly AccessClass[]> = {
    member: ['member'],
    'group-admin': ['member', 'operator', 'group-operator'],
    operator: ['member', 'operator', 'group-operator'],
    manager: ['member', 'operator', 'group-operator', 'manager'],
    owner: ['member', 'operator', 'group-operator', 'manager', 'owner'],
  };
  const wanted = new Set(classes[audience]);
  return COMMAND_SPECS.filter((s) => wanted.has(s.access) && (audience !== 'group-admin' || s.name !== 'start')).map((s) => ({ command: s.name, description: s.description }));
}
