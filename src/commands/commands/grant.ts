/** `/grant` and `/ungrant <role> <user id or @username>`: owners give and take back roles (stored grants). */
import { subjectOf } from '../../access/roles.js';
import type { GrantedRole, Store } from '../../store/store.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text, type CommandContext } from '../command-module.js';

/** The Telegram user id a person is named by: digits as they are, or the one profile that used the @username. */
async function userIdOf(store: Store, workspace: string, who: string): Promise<string> {
  if (/^\d{1,20}$/.test(who)) return who;
  const username = who.replace(/^@/, '').toLowerCase();
  if (!/^[a-z0-9_]{3,32}$/.test(username)) throw new UsageError('Name the person by numeric user id or @username.');
  const profiles = await store.profiles.findByUsername(workspace, username);
  const ids = new Set(profiles.flatMap((p) => p.identifiers.filter((i) => i.type === 'tg_id').map((i) => i.value)));
  const only = [...ids];
  if (only.length !== 1 || only[0] === undefined) throw new UsageError(`I cannot tell who @${username} is; use their numeric user id.`);
  return only[0];
}

async function roleAndSubject(ctx: CommandContext, usage: string): Promise<{ role: GrantedRole; subject: string }> {
  const role = ctx.positional[0]?.toLowerCase();
  const who = ctx.positional[1];
  if (ctx.positional.length !== 2 || who === undefined || (role !== 'owner' && role !== 'manager' && role !== 'operator')) throw new UsageError(usage);
  return { role, subject: subjectOf(ctx.req.platform, await userIdOf(ctx.store, ctx.req.workspace, who)) };
}

export const grant = defineCommand({
  spec: { name: 'grant', access: 'owner', usage: '/grant manager|operator|owner <user id or @username>', description: 'Give someone a role', audited: true },
  async run(ctx) {
    const { role, subject } = await roleAndSubject(ctx, grant.spec.usage);
    const ws = ctx.req.workspace;
    await ctx.store.community.grants.grant(ws, { workspace: ws, subject, role, grantedBy: ctx.access.subject, grantedAt: ctx.req.now.toISOString() });
    return { answers: [text(`${subject} is now ${role}.`)], detail: `${role} to ${subject}` };
  },
});

export const ungrant = defineCommand({
  spec: { name: 'ungrant', access: 'owner', usage: '/ungrant manager|operator|owner <user id or @username>', description: 'Take a role back', audited: true },
  async run(ctx) {
    const { role, subject } = await roleAndSubject(ctx, ungrant.spec.usage);
    const had = await ctx.store.community.grants.revoke(ctx.req.workspace, subject, role);
    const inSettings = (ctx.access.settings.roles[`${role}s` as 'owners' | 'managers' | 'operators'] ?? []).includes(subject);
    return {
      answers: [
        text(
          had
            ? `${subject} is no longer ${role}${inSettings ? ' by grant (the configuration file still lists them)' : ''}.`
            : `${subject} had no ${role} grant${inSettings ? ' (the role comes from the configuration file)' : ''}.`,
        ),
      ],
      detail: `${role} from ${subject}`,
    };
  },
});
