/**
 * `midfunnel <command> …`: the command table of the product core. `app/cli.ts` adds the
 * commands that start process roles (`start`), which live outside `src/`.
 * Commands are loaded lazily so `attribute` does not pay for Redis or MongoDB clients.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, type CliCommand, type CliIo } from './io.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<CliCommand>;
}

const COMMANDS: Record<string, CommandEntry> = {
  attribute: { summary: 'credit conversions to channels under every model, from a CSV or JSONL file', load: async () => (await import('./attribute.js')).runAttribute },
  report: { summary: 'attribution, funnel, group stats, journeys and credit export from stored credits', load: async () => (await import('./report.js')).runReport },
  conversions: { summary: 'import conversions from a shop CSV export; queue a refit or a sweep', load: async () => (await import('./conversions-import.js')).runConversions },
  links: { summary: 'create and list tracked short links (/l/<code>)', load: async () => (await import('./links.js')).runLinks },
  invites: { summary: 'register, list and revoke campaign invite links (WhatsApp groups, Telegram)', load: async () => (await import('./invites.js')).runInvites },
  jobs: { summary: 'list failed jobs (dead-lettered or out of attempts) and replay them', load: async () => (await import('./jobs.js')).runJobs },
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
  try {
    return await (await cmd.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`midfunnel ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr(`midfunnel ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

