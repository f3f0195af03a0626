/**
 * Structured JSON logs (pino). Log calls pass ids and counts, never message text,
 * phone numbers or emails; the redaction list is a second line of defence for fields
 * that must never be printed even if passed by mistake.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['text', 'caption', 'phone', 'email', '*.text', '*.caption', '*.phone', '*.email', 'customer', '*.customer', 'token', '*.token', 'headers.authorization'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { service: 'midfunnel' }, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}
