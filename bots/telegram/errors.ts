/**
 * What went wrong while handling an update, in three kinds (as grammY names them):
 * - `api`: the Bot API said no (4xx other than 429): retrying the same call will not help;
 * - `network`: the Bot API or Redis could not be reached, or Telegram had a 5xx: retry;
 * - `handler`: our own code threw (a bug, or data it did not expect): retrying will not help.
 * The update worker retries `network` with backoff and keeps the others as failed jobs.
 */
import { TelegramError } from 'telegraf';
import { QueueUnavailableError } from '../../src/queue/touch-queue.js';

export type UpdateErrorKind = 'api' | 'network' | 'handler';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

export function classifyError(err: unknown): UpdateErrorKind {
  if (err instanceof QueueUnavailableError) return 'network';
  if (err instanceof TelegramError) return err.code >= 500 || err.code === 429 ? 'network' : 'api';
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'network';
    if (err.name === 'FetchError' || err.name === 'AbortError' || err.name === 'TimeoutError') return 'network';
    if (/^Mongo(Network|ServerSelection|NotConnected)/.test(err.name) || err.name === 'LockTimeoutError') return 'network';
  }
  return 'handler';
}

/** An update whose handling failed; carries the kind and the update id for logs. */
export class UpdateHandlingError extends Error {
  override name = 'UpdateHandlingError';
  constructor(
    readonly kind: UpdateErrorKind,
    readonly updateId: number,
    cause: unknown,
  ) {
    super(`update ${updateId} failed (${kind}): ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
  }
}
