/**
 * Parsing of command messages (`/report@midfunnel_bot 30d by=campaign`) and of their
 * arguments (`key=value` options and positional words). Pure; never throws.
 */

export interface ParsedCommand {
  /** Lower-case command name without `/`. */
  name: string;
  /** The `@bot` suffix, lower case, when given. */
  botUsername?: string;
  args: string[];
}

/** Most arguments kept from one message; the rest are ignored. */
export const MAX_ARGS = 64;
/** Longest argument kept, in characters. */
export const MAX_ARG_LENGTH = 512;

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)/;

/**
 * Parses a message starting with a bot command. Returns null when the text is not a
 * command. Arguments are split on whitespace; "double quotes" (or “curly quotes”) keep
 * spaces inside one argument.
 */
export function parseCommand(text: string): ParsedCommand | null {
  if (typeof text !== 'string') return null;
  const m = COMMAND.exec(text);
  if (!m) return null;
  const parsed: ParsedCommand = { name: (m[1] ?? '').toLowerCase(), args: splitArgs(text.slice(m[0].length)) };
  if (m[2] !== undefined) parsed.botUsername = m[2].toLowerCase();
  return parsed;
}

/** Splits an argument string on whitespace, keeping quoted phrases together. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  // `key="a b"` keeps its key; "a b" and “a b” are one argument; anything else splits on spaces.
  const re = /([A-Za-z_]{1,20}=)(?:"([^"]*)"|“([^”]*)”)|"([^"]*)"|“([^”]*)”|(\S+)/gu;
  for (const m of text.matchAll(re)) {
    if (out.length >= MAX_ARGS) break;
    const value = m[1] !== undefined ? `${m[1]}${(m[2] ?? m[3] ?? '').trim()}` : (m[4] ?? m[5] ?? m[6] ?? '').trim();
    if (value.length > 0) out.push(value.slice(0, MAX_ARG_LENGTH));
  }
  return out;
}

export interface SplitOptions {
  /** `key=value` arguments, keys lower case; the last one of a key wins. */
  options: Map<string, string>;
  /** Every other argument, in order. */
  positional: string[];
}

/** Separates `key=value` options (keys `[a-z_]+`) from positional arguments. */
export function splitOptions(args: readonly string[]): SplitOptions {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (const a of args) {
    const m = /^([A-Za-z_]{1,20})=(.*)$/su.exec(a);
    if (m) options.set((m[1] ?? '').toLowerCase(), m[2] ?? '');
    else positional.push(a);
  }
  return { options, positional };
}

/** Whether a word looks like a period (`30d`, `12w`, `2026-01-01..2026-01-31`), so it is not taken for a name. */
export function looksLikePeriod(word: string): boolean {
  return /^\d{1,4}[hdw]$/.test(word) || /^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/.test(word);
}
