/**
 * `midfunnel links create|list --workspace W …`: tracked short links (`/l/<code>`).
 *
 * Exit codes: 0 done; 2 bad command line or a link that cannot be made (a destination off
 * the allow-list, a taken code: the message says which); 1 the configuration or store
 * cannot be opened.
 */
import { LinkError, createLink } from '../links/create-link.js';
import { openCliContext, type CliContextOverrides } from '../reconcile/open-context.js';
import { PLATFORMS, type Platform } from '../touch-event.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';
import { alignTable } from '../reports/format-report.js';

const USAGE = `usage: midfunnel links create --workspace W --url URL --platform ${PLATFORMS.join('|')} [--campaign C] [--group CHAT_ID] [--group-title T] [--code CODE] [--json]
       midfunnel links list --workspace W [--json]`;

const HELP = `${USAGE}

create   makes a short link /l/<code> to URL (its domain must be in the workspace's
         allowedDomains). A click is recorded and redirected to URL with utm_source
         (platform), utm_medium=community, utm_campaign, utm_content (group) and mf_click.
         --group is the chat id of the group the link is posted in (credits go to it).
list     the workspace's links.
`;

/** The `links` command; `overrides` replace configured parts (tests). */
export function makeLinksCommand(overrides: CliContextOverrides & { now?: () => Date } = {}): CliCommand {
  return async (argv, io) => {
    const parsed = parseCommandLine(
      argv,
      {
        workspace: { type: 'string' },
        url: { type: 'string' },
        platform: { type: 'string' },
        campaign: { type: 'string' },
        group: { type: 'string' },
        'group-title': { type: 'string' },
        code: { type: 'string' },
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
    if (sub !== 'create' && sub !== 'list') throw new UsageError(`expected create or list\n${USAGE}`);
    if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
    if (sub === 'create') {
      if (v.url === undefined) throw new UsageError('--url is required: the destination, e.g. https://shop.example.com/spring');
      if (v.platform === undefined || !(PLATFORMS as readonly string[]).includes(v.platform)) throw new UsageError(`--platform is one of ${PLATFORMS.join(', ')}: where the link is posted`);
    }
    const ctx = await openCliContext(io.env, overrides);
    try {
      requireWorkspace(ctx.workspaces, v.workspace);
      const settings = ctx.settings(v.workspace);
      if (!settings) throw new UsageError(`workspace ${v.workspace} is not configured`);
      const base = ctx.publicBaseUrl?.replace(/\/+$/, '') ?? '';
      if (sub === 'list') {
        const links = await ctx.store.links.list(v.workspace);
        if (v.json) io.stdout(`${JSON.stringify(links, null, 2)}\n`);
        else {
          const rows = links.map((l) => [`${base}/l/${l.code}`, l.platform, l.campaign ?? '', l.chatTitle ?? l.chatId ?? '', l.destination]);
          io.stdout(`${alignTable([['link', 'platform', 'campaign', 'group', 'destination'], ...rows], () => false)}\n`);
        }
        return 0;
      }
      try {
        const link = await createLink(
          ctx.store,
          settings,
          {
            workspace: v.workspace,
            destination: v.url as string,
            platform: v.platform as Platform,
            createdBy: 'cli',
            ...(v.campaign !== undefined ? { campaign: v.campaign } : {}),
            ...(v.group !== undefined ? { chatId: v.group } : {}),
            ...(v['group-title'] !== undefined ? { chatTitle: v['group-title'] } : {}),
            ...(v.code !== undefined ? { code: v.code } : {}),
          },
          overrides.now?.() ?? new Date(),
        );
        const url = `${base}/l/${link.code}`;
        io.stdout(v.json ? `${JSON.stringify({ ...link, url }, null, 2)}\n` : `${url}\n`);
        if (!base && !v.json) io.stderr('note: set PUBLIC_BASE_URL to print the full link\n');
        return 0;
      } catch (err) {
        if (err instanceof LinkError) throw new UsageError(err.message);
        throw err;
      }
    } finally {
      await ctx.close();
    }
  };
}

export const runLinks: CliCommand = makeLinksCommand();
