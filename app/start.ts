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
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await running.close();
  log.info('stopped');
  return 0;
};
