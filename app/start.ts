/** `midfunnel start [--role all|http|workers[,…]]`: runs process roles until SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { UsageError, type CliCommand } from '../src/cli/io.js';
import { createLogger } from '../src/logger.js';
import { StoreUnavailableError } from '../src/store/open-store.js';
import { whatsAppAccounts } from '../bots/whatsapp/accounts.js';
import { buildWebBundle } from '../src/dashboard/web-bundle.js';
import { ROLES, startRoles, type Role } from './roles.js';

/**
 * Why these roles cannot run on the in-memory store, or undefined when they can: its data
 * lives in one process, so a role in another process would see none of it (links made by the
 * bot would 404 on the HTTP process, conversions taken there never reconciled by workers).
 */
export function memoryStoreRolesProblem(config: Pick<Config, 'store' | 'workspaces'>, roles: readonly Role[]): string | undefined {
  if (config.store !== 'memory') return undefined;
  const needed = ROLES.filter((r) => r !== 'whatsapp' || whatsAppAccounts(config).length > 0);
  const missing = needed.filter((r) => !roles.includes(r));
  if (missing.length === 0) return undefined;
  return (
    `MIDFUNNEL_STORE=memory keeps every record inside one process, so all roles must run in it; ` +
    `this process would run ${roles.join(', ')} without ${missing.join(', ')}, and a role in another process sees none of its data ` +
    `(links created by the bot would 404 here, conversions taken here would never be reconciled).
` +
    `  For a demo, run every role in one process:  midfunnel start
` +
    `  To run roles apart, use MongoDB:            MONGO_URL=mongodb://127.0.0.1:27017/midfunnel midfunnel start --role ${roles.join(',')}`
  );
}

function parseRoles(values: string[]): Role[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...ROLES];
  for (const n of names) {
    if (!(ROLES as readonly string[]).includes(n)) throw new UsageError(`unknown role '${n}'; roles: all, ${ROLES.join(', ')} (e.g. --role workers)`);
  }
  return names as Role[];
}

export const runStart: CliCommand = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { role: { type: 'string', multiple: true, default: ['all'] }, help: { type: 'boolean' } }, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: midfunnel start [--role all|${ROLES.join('|')}]`);
  }
  if (parsed.values.help) {
    io.stdout(`usage: midfunnel start [--role all|${ROLES.join('|')}[,…]]\nConfiguration comes from the environment; see the README.\n`);
    return 0;
  }
  const roles = parseRoles(parsed.values.role ?? ['all']);
  let config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`midfunnel: configuration is not valid:\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const problem = memoryStoreRolesProblem(config, roles);
  if (problem) {
    io.stderr(`midfunnel: ${problem}\n`);
    return 1;
  }
  const log = createLogger(config.logLevel);
  // Signals are watched before anything starts, so one that arrives during start-up
  // still stops the process cleanly once the roles are up.
  let signalled: string | undefined;
  let onSignal: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (onSignal = resolve));
  const stop = (signal: string): void => {
    signalled ??= signal;
    onSignal?.();
  };
  const onTerm = (): void => stop('SIGTERM');
  const onInt = (): void => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    let running;
    try {
      running = await startRoles({ config, roles, log });
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        io.stderr(`midfunnel: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    log.info({ roles: running.roles }, 'midfunnel started');
    // The dashboard's page is bundled once per process; do it now, in the background, so the
    // first manager who opens it does not wait for the build.
    if (running.roles.includes('http')) buildWebBundle().catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'the dashboard bundle could not be built'));
    await stopped;
    log.info({ signal: signalled }, 'stopping');
    // A part that does not close in time must not keep the process alive forever. The HTTP
    // server cuts what is left after its own grace period (5 s), well before this.
    const force = setTimeout(() => {
      log.error('shutdown took longer than 20 s; exiting anyway');
      process.exit(1);
    }, 20_000);
    force.unref();
    await running.close();
    clearTimeout(force);
    log.info('stopped');
    return 0;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
};
