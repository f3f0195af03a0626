/** What a CLI command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Reads a whole file as bytes. */
  readFile: (path: string) => Promise<Buffer>;
  /** Working directory for relative paths. */
  cwd: string;
  /** Environment variables (the CLI parses what it needs with zod). */
  env: Record<string, string | undefined>;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  isTTY: boolean;
}

/** A CLI command: takes its own arguments (after the command name), returns the exit code. */
export type CliCommand = (argv: string[], io: CliIo) => Promise<number>;

/** Error for a bad command-line argument: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
