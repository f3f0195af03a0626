/**
 * `midfunnel invites add|list|revoke`: campaign invite links registered by hand. Telegram
 * bots create theirs with `/invite`; a WhatsApp group has one invite link at a time,
 * made in the WhatsApp app, so an operator registers it here with its campaign. Joins
 * through a registered link are then credited to the campaign (the connector reads the
 * group's current link when someone joins by invite).
 */
import { announceCaptureChange } from '../capture/capture-settings.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import { alignTable } from '../reports/format-report.js';
import type { CommunityPlatform } from '../store/store.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

const USAGE = `usage: midfunnel invites add --workspace W --platform whatsapp|telegram --url URL --campaign C [--group CHAT_ID] [--join-request]
       midfunnel invites list --workspace W [--platform P] [--all] [--json]
       midfunnel invites revoke --workspace W --platform P --url URL`;

const HELP = `${USAGE}

add      registers an invite link and the campaign it belongs to. WhatsApp links look like
         https://chat.whatsapp.com/<code> (group → Invite via link in the app); Telegram
         links like https://t.me/+<code>. --group is the group's chat id when known.
list     the workspace's invite links (--all includes revoked ones).
revoke   stops crediting joins through the link (the link itself is revoked in the app).
`;

const URL_SHAPES: Record<CommunityPlatform, RegExp> = {
  whatsapp: /^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9_-]{6,64}$/,
  telegram: /^https:\/\/t\.me\/(\+|joinchat\/)[A-Za-z0-9_-]{6,64}$/,
};

function platformOf(value: string | undefined): CommunityPlatform {
  if (value === 'whatsapp' || value === 'telegram') return value;
  throw new UsageError(`--platform is whatsapp or telegram\n${USAGE}`);
}

/**
 * The `invites` command; `overrides` replace configured parts (tests). A change is announced
 * to running connectors (`announce`; by default through the configured Redis, unless the
 * store is overridden), so they credit joins through the link at once.
 */
export function makeInvitesCommand(overrides: CliContextOverrides & { now?: () => Date; announce?: (workspace: string) => Promise<unknown> } = {}): CliCommand {
  return async (argv, io) => {
    const tell = overrides.announce ?? (overrides.store ? undefined : (ws: string) => announceCaptureChange(io.env, ws));
    const announce = async (ws: string): Promise<void> => {
      if ((await tell?.(ws)) === false) io.stderr('midfunnel invites: Redis is not reachable; running connectors pick the change up within 5 minutes\n');
    };
    const parsed = parseCommandLine(
      argv,
      {
        workspace: { type: 'string' },
        platform: { type: 'string' },
        url: { type: 'string' },
        campaign: { type: 'string' },
        group: { type: 'string' },
        'join-request': { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      USAGE,
    );
    const v = parsed.values;
    if (v.help) {
      io.stdout(HELP);
      return 0;
    }
    const [sub] = parsed.positionals;
    if (sub !== 'add' && sub !== 'list' && sub !== 'revoke') throw new UsageError(`expected add, list or revoke\n${USAGE}`);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
    const platform = sub === 'list' && v.platform === undefined ? undefined : platformOf(v.platform);
    const url = v.url?.trim();
    if (sub !== 'list') {
      if (url === undefined || platform === undefined || !URL_SHAPES[platform].test(url)) {
        throw new UsageError(`--url must be a ${platform ?? ''} invite link like ${platform === 'telegram' ? 'https://t.me/+AbCdEf123' : 'https://chat.whatsapp.com/AbCdEf123'}`);
      }
    }
    if (sub === 'add' && (v.campaign === undefined || !/^[\p{L}\p{N}_.-]{1,64}$/u.test(v.campaign))) {
      throw new UsageError('--campaign is required: 1-64 letters, digits, _ . -');
    }
    const ctx = await openCliContext(io.env, overrides);
    try {
      requireWorkspace(ctx.workspaces, v.workspace);
      const repo = ctx.store.community.inviteLinks;
      if (sub === 'list') {
        const links = await repo.list(v.workspace, { ...(platform ? { platform } : {}), includeRevoked: v.all });
        if (v.json) io.stdout(`${JSON.stringify(links, null, 2)}\n`);
        else {
          const rows = links.map((l) => [l.platform, l.campaign, l.url, l.chatId, l.revokedAt === null ? '' : `revoked ${l.revokedAt.slice(0, 10)}`]);
          io.stdout(`${alignTable([['platform', 'campaign', 'link', 'group', ''], ...rows], () => false)}\n`);
        }
        return 0;
      }
      const now = (overrides.now?.() ?? new Date()).toISOString();
      if (sub === 'revoke') {
        if (!(await repo.markRevoked(v.workspace, platform as CommunityPlatform, url as string, now))) {
          io.stderr(`midfunnel invites: no such link in workspace ${v.workspace}\n`);
          return 1;
        }
        await announce(v.workspace);
        io.stdout(`revoked ${url}\n`);
        return 0;
      }
      const existing = await repo.findByUrl(v.workspace, platform as CommunityPlatform, url as string);
      if (existing) {
        io.stderr(`midfunnel invites: ${url} is already registered for campaign ${existing.campaign}\n`);
        return existing.campaign === v.campaign ? 0 : 1;
      }
      await repo.insert(v.workspace, {
        workspace: v.workspace,
        platform: platform as CommunityPlatform,
        chatId: v.group ?? '',
        url: url as string,
        campaign: v.campaign as string,
        createsJoinRequest: v['join-request'],
        createdBy: 'cli',
        createdAt: now,
        revokedAt: null,
      });
      await announce(v.workspace);
      io.stdout(`registered ${url} for campaign ${v.campaign}\n`);
      return 0;
    } finally {
      await ctx.close();
    }
  };
}

export const runInvites: CliCommand = makeInvitesCommand();
