/** Argument parsing shared by the CLI commands: strict options, positionals allowed. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` against `options` (node:util parseArgs, strict, positionals allowed). An
 * unknown or malformed option becomes a UsageError: its message plus the usage.
 */
export function parseCommandLine<const O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}
