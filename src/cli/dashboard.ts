/**
 * `midfunnel dashboard link --workspace W --user <who> [--lang en|zh]`: a one-time login
 * link to the dashboard (`<PUBLIC_BASE_URL>/app#login=…`, valid 10 minutes, opens once) for a
 * manager who is not in Telegram (a WhatsApp manager, a desktop browser). `--user` is
 * `telegram:<id>`, `whatsapp:<phone>` (as `roles` name people) or a bare Telegram user id. The
 * link signs them in only while they are a manager or owner of the workspace.
 *
 * Exit codes: 0 printed; 2 bad command line, unknown workspace or no PUBLIC_BASE_URL.
 */
import { configuredPeople } from '../access/roles.js';
import { loadConfig } from '../config.js';
import { createLoginLinks } from '../dashboard/index.js';
import { resolveHashKey } from '../secrets.js';
import { UsageError, type CliCommand } from './io.js';
import { parseCommandLine } from './parse-command-line.js';
import { requireWorkspace } from './require-workspace.js';

const USAGE = 'usage: midfunnel dashboard link --workspace W --user telegram:<id>|whatsapp:<phone>|<telegram id> [--lang en|zh]';

export const runDashboard: CliCommand = async (argv, io) => {
  const parsed = parseCommandLine(argv, { workspace: { type: 'string' }, user: { type: 'string' }, lang: { type: 'string', default: 'en' }, help: { type: 'boolean', default: false } }, USAGE);
  const v = parsed.values;
  if (v.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (parsed.positionals[0] !== 'link' || parsed.positionals.length !== 1) throw new UsageError(`expected 'link'\n${USAGE}`);
  if (v.workspace === undefined) throw new UsageError(`--workspace is required\n${USAGE}`);
  if (v.user === undefined) throw new UsageError(`--user is required\n${USAGE}`);
  const user = /^\d{1,20}$/.test(v.user) ? `telegram:${v.user}` : v.user;
  if (!/^(telegram:\d{1,20}|whatsapp:\+?\d{5,20})$/.test(user)) throw new UsageError(`--user is telegram:<id>, whatsapp:<phone> or a Telegram user id, not '${v.user.slice(0, 40)}'`);
  if (v.lang !== 'en' && v.lang !== 'zh') throw new UsageError('--lang is en or zh');
  const config = loadConfig(io.env);
  requireWorkspace(config.workspaces, v.workspace);
  if (!config.publicBaseUrl) throw new UsageError('PUBLIC_BASE_URL is not set: the link points at <PUBLIC_BASE_URL>/app (set it to the https address of the http role)');
  const hash = await resolveHashKey(config.hashKey, config.dataDir);
  const links = createLoginLinks({ hashKey: hash.key, baseUrl: config.publicBaseUrl });
  const issued = await links.issue(v.workspace, user, v.lang);
  if ('limited' in issued) throw new Error('rate-limited');
  const ws = config.workspaces.find((w) => w.id === v.workspace);
  const role = ws ? configuredPeople(ws).get(user) : undefined;
  if (role !== 'manager' && role !== 'owner') {
    io.stderr(`note: ${user} is not a manager or owner in the configuration; the link signs them in only if /grant made them one\n`);
  }
  io.stdout(`${issued.url}\n`);
  io.stderr(`valid until ${issued.expiresAt.toISOString()}, once\n`);
  return 0;
};
