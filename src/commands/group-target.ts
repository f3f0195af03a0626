/**
 * The group a command is about: named with `group=<id or title>` (a title may hold spaces:
 * the words after `group=` up to the next `key=` option are tried, longest first, so
 * `group=深圳 VIP群 7d` finds “深圳 VIP群” and leaves `7d` as the period), or the group the
 * command was sent in, or the only active group of the workspace.
 */
import { hasRole } from '../access/roles.js';
import { matchGroups } from '../reports/report-params.js';
import type { Store } from '../store/store.js';
import type { RegisteredGroup } from '../store/store.js';
import type { Access, Target } from './access.js';
import type { CommandRequest } from './command-types.js';
import { UsageError } from './arguments.js';
import { looksLikePeriod } from './parse-command.js';
import { clip } from './render-reports.js';

export type { Target };

const OPTION = /^([A-Za-z_]{1,20})=(.*)$/su;

/**
 * Takes `key=value` and the words after it (up to the next `key=` option) out of `args`.
 * `words` is undefined when the option is not given; the last one given wins.
 */
export function takeNameOption(args: readonly string[], key: string): { words: string[] | undefined; rest: string[] } {
  let words: string[] | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const m = OPTION.exec(a);
    if (!m || (m[1] ?? '').toLowerCase() !== key) {
      rest.push(a);
      continue;
    }
    words = (m[2] ?? '').trim() === '' ? [] : [(m[2] ?? '').trim()];
    while (i + 1 < args.length && !OPTION.test(args[i + 1] as string)) words.push(args[++i] as string);
  }
  return { words, rest };
}

/** The name people meant, for answers: the words without trailing ones that look like a period. */
function shownName(words: readonly string[]): string {
  const w = [...words];
  while (w.length > 1 && looksLikePeriod(w[w.length - 1] as string)) w.pop();
  return w.join(' ');
}

/**
 * The one group the leading words name (longest match first) and the words left after its
 * name, or the reason none is found: no match, or several (then their ids are listed).
 */
export async function findGroup(store: Store, req: Pick<CommandRequest, 'workspace' | 'platform'>, words: readonly string[]): Promise<{ group: RegisteredGroup; rest: string[] } | { error: string }> {
  const groups = await store.community.groups.list(req.workspace, { platform: req.platform });
  for (let n = words.length; n >= 1; n--) {
    const found = matchGroups(groups, words.slice(0, n).join(' '));
    if (found.length === 1 && found[0]) return { group: found[0], rest: words.slice(n) };
  }
  // Nothing names exactly one group: the answer is about the name as typed (without a trailing period).
  const name = shownName(words);
  if (name === '') return { error: 'Name the group: group=<id or title>.' };
  const several = matchGroups(groups, name);
  if (several.length > 1) {
    return { error: `Several groups match “${clip(name, 40)}”: ${several.slice(0, 5).map((g) => `${clip(g.title, 24)} (${g.chatId})`).join(', ')}. Use the id.` };
  }
  return { error: `No group matches “${clip(name, 40)}”. Use the group’s id or title (a title with spaces may follow group= as it is, or in quotes: group="${clip(name, 40)}")` };
}

/**
 * The group a group command is about, and the arguments left once `group=…` is taken out.
 * `allowAll`: operators in a private chat may mean every group (no `group=`).
 */
export async function resolveTarget(store: Store, a: Access, args: readonly string[], allowAll: boolean): Promise<{ target: Target; args: string[] }> {
  const { words, rest } = takeNameOption(args, 'group');
  if (words !== undefined) {
    const found = await findGroup(store, a.req, words);
    if ('error' in found) return { target: { kind: 'error', message: found.error }, args: rest };
    return { target: { kind: 'group', group: found.group }, args: [...rest, ...found.rest] };
  }
  if (a.isGroup) {
    if (a.group) return { target: { kind: 'group', group: a.group }, args: rest };
    return { target: { kind: 'error', message: 'This group is not registered yet: make me an admin here, then try again.' }, args: rest };
  }
  if (hasRole(a.role, 'operator')) {
    if (allowAll) return { target: { kind: 'all' }, args: rest };
    const active = await store.community.groups.list(a.req.workspace, { platform: a.req.platform, status: 'active' });
    if (active.length === 1 && active[0]) return { target: { kind: 'group', group: active[0] }, args: rest };
    return {
      target: { kind: 'error', message: `Name the group: group=<id or title>${active.length > 0 ? `; groups: ${active.slice(0, 8).map((g) => clip(g.title, 24)).join(', ')}` : ''}.` },
      args: rest,
    };
  }
  return { target: { kind: 'error', message: 'Name the group: group=<id or title>.' }, args: rest };
}

/** The one group a command needs; a usage error saying how to name it otherwise. */
export function targetGroup(target: Target | null): RegisteredGroup {
  if (target?.kind === 'group') return target.group;
  throw new UsageError(target?.kind === 'error' ? target.message : 'Name the group: group=<id or title>.');
}
