/**
 * `midfunnel <command> …`: the command table of the product core. `app/cli.ts` adds the
 * commands that start process roles (`start`), which live outside `src/`.
 * Commands are loaded lazily so `attribute` does not pay for Redis or MongoDB clients.
 */
import { readFile } from 'node:fs/promises';
import { StoreUnavailableError } from '../store/open-store.js';
import { UsageError, type CliCommand, type CliIo } from './io.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<CliCommand>;
  /** Reads or writes the configured store (so `MIDFUNNEL_STORE=memory` means an empty one). */
  usesStore?: boolean;
}

const COMMANDS: Record<string, CommandEntry> = {
  attribute: { summary: 'credit conversions to channels under every model, from a CSV or JSONL file', load: async () => (await import('./attribute.js')).runAttribute },
  report: { summary: 'attribution, funnel, group stats, journeys and credit export from stored credits', usesStore: true, load: async () => (await import('./report.js')).runReport },
  conversions: { summary: 'import conversions from a shop CSV export; queue a refit or a sweep', usesStore: true, load: async () => (await import('./conversions-import.js')).runConversions },
  links: { summary: 'create and list tracked short links (/l/<code>)', usesStore: true, load: async () => (await import('./links.js')).runLinks },
  invites: { summary: 'register, list and revoke campaign invite links (WhatsApp groups, Telegram)', usesStore: true, load: async () => (await import('./invites.js')).runInvites },
  campaigns: { summary: 'set and list campaigns\' goals and targets (awareness, engagement, conversion)', usesStore: true, load: async () => (await import('./campaigns.js')).runCampaigns },
  spend: { summary: 'import, set and list spend per campaign per day (CSV: date,campaign,amount[,currency])', usesStore: true, load: async () => (await import('./campaigns.js')).runSpend },
  webhooks: { summary: 'list outgoing webhook deliveries (delivered, failed, pending)', load: async () => (await import('./webhooks.js')).runWebhooks },
  jobs: { summary: 'list failed jobs (dead-lettered or out of attempts) and replay them', load: async () => (await import('./jobs.js')).runJobs },
  readiness: { summary: 'can measurement be trusted? checks per workspace, bot and group with fixes', usesStore: true, load: async () => (await import('./optimize.js')).makeOptimizeCommand('readiness') },
  lift: { summary: 'keyword lift: mentioners vs matched controls, with a bootstrap interval', usesStore: true, load: async () => (await import('./optimize.js')).makeOptimizeCommand('lift') },
  hints: { summary: 'optimization hints with their numbers and confidence', usesStore: true, load: async () => (await import('./optimize.js')).makeOptimizeCommand('hints') },
  dashboard: { summary: 'a one-time login link to the dashboard (10 minutes) for a manager outside Telegram', load: async () => (await import('./dashboard.js')).runDashboard },
};

function usage(commands: Record<string, CommandEntry>): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return ['usage: midfunnel <command> [options]', '', 'commands:', ...rows, '', 'midfunnel <command> --help for its options'].join('\n');
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readFile: (p) => readFile(p),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
  };
}

/** Runs a command line; returns the exit code. Never throws for bad input. */
export async function main(
  argv: string[],
  io: CliIo = processIo(),
  extra: Record<string, CommandEntry> = {},
): Promise<number> {
  const commands = { ...extra, ...COMMANDS };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage(commands) + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr(`midfunnel: unknown command '${name}'\n${usage(commands)}\n`);
    return 2;
  }
  const help = rest.includes('--help') || rest.includes('-h');
  if (cmd.usesStore && !help && io.env.MIDFUNNEL_STORE?.trim() === 'memory') {
    // The in-memory store lives inside one process: this command gets a new, empty one.
    io.stderr(
      `midfunnel ${name}: note: MIDFUNNEL_STORE=memory gives this command its own empty store; it cannot see the data of a running ` +
        '`midfunnel start` (that process keeps its data to itself). To see it, run the service and this command on MongoDB (MONGO_URL=…).\n',
    );
  }
  try {
    return await (await cmd.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`midfunnel ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StoreUnavailableError) {
      // The CLI must read the service's own store; an in-memory one would be empty.
      io.stderr(
        `midfunnel ${name}: ${err.reason}.\n` +
          '  The CLI reads the same MongoDB as the service: MONGO_URL=mongodb://127.0.0.1:27017/midfunnel\n' +
          '  or starts the embedded one from a local mongod:  MONGOMS_SYSTEM_BINARY=/usr/bin/mongod\n',
      );
      return 1;
    }
    io.stderr(`midfunnel ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

