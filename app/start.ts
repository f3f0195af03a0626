/** `midfunnel start [--role all|http|workers[,…]]`: runs process roles until SIGTERM/SIGINT. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { UsageError, type CliCommand } from '../src/cli/io.js';
import { createLogger } from '../src/logger.js';
import { StoreUnavailableError } from '../src/store/open-store.js';
import { ROLES, startRoles, type Role } from './roles.js';

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
    await stopped;
    log.info({ signal: signalled }, 'stopping');
    // A part that does not close in time must not keep the process alive forever.
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
