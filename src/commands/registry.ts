/**
 * Every command, one module each (`commands/<name>.ts`: spec, access class, argument
 * checks, run). The order here is the order of `/help` and of the command menus.
 */
import type { CommandModule } from './command-module.js';
import type { AccessClass, CommandSpec } from './command-types.js';
import { ROLE_NEEDED } from './command-types.js';
import { dashboard } from './commands/dashboard.js';
import { campaign, campaigns } from './commands/campaign.js';
import { cohorts } from './commands/cohorts.js';
import { digest } from './commands/digest.js';
import { exportCommand } from './commands/export.js';
import { forgetme } from './commands/forgetme.js';
import { funnel } from './commands/funnel.js';
import { grant, ungrant } from './commands/grant.js';
import { groupstats } from './commands/groupstats.js';
import { help } from './commands/help.js';
import { invite } from './commands/invite.js';
import { invites } from './commands/invites.js';
import { journey } from './commands/journey.js';
import { keywords } from './commands/keywords.js';
import { goal } from './commands/goal.js';
import { link } from './commands/link.js';
import { models } from './commands/models.js';
import { myinvite } from './commands/myinvite.js';
import { paths } from './commands/paths.js';
import { refit } from './commands/refit.js';
import { referrals } from './commands/referrals.js';
import { report } from './commands/report.js';
import { revoke } from './commands/revoke.js';
import { spend } from './commands/spend.js';
import { start } from './commands/start.js';
import { track } from './commands/track.js';
import { untrack } from './commands/untrack.js';
import { lift } from './commands/lift.js';
import { hints } from './commands/hints.js';
import { readiness } from './commands/readiness.js';
import { alerts } from './commands/alerts.js';
import { stitch } from './commands/stitch.js';
import { unmerge } from './commands/unmerge.js';

export const COMMANDS: readonly CommandModule[] = [
  help,
  start,
  forgetme,
  myinvite,
  track,
  untrack,
  keywords,
  link,
  invite,
  invites,
  revoke,
  groupstats,
  report,
  models,
  funnel,
  journey,
  referrals,
  exportCommand,
  dashboard,
  campaigns,
  campaign,
  goal,
  spend,
  cohorts,
  paths,
  digest,
  lift,
  hints,
  readiness,
  alerts,
  refit,
  grant,
  ungrant,
  stitch,
  unmerge,
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.spec.name, c]));

/** Every command's spec, in registry order. */
export const COMMAND_SPECS: readonly CommandSpec[] = COMMANDS.map((c) => c.spec);

/** The module of a command (lower-case name without `/`). */
export function commandModule(name: string): CommandModule | undefined {
  return BY_NAME.get(name);
}

export function commandSpec(name: string): CommandSpec | undefined {
  return BY_NAME.get(name)?.spec;
}

/** The least role that may run a command of this class outside the per-group rules. */
export function roleNeeded(access: AccessClass): (typeof ROLE_NEEDED)[AccessClass] {
  return ROLE_NEEDED[access];
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
