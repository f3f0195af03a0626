/**
 * What went wrong while handling an update, in three kinds (as grammY names them):
 * - `api`: the Bot API said no (4xx other than 429): retrying the same call will not help;
 * - `network`: the Bot API, Redis or the store could not be reached, or Telegram had a 5xx;
 * - `handler`: our own code threw (a bug, or data it did not expect).
 * {@link outcomeOfUpdateError} turns them into the job outcome: `network` and `handler`
 * retry (an unknown error is never a reason to lose an update); a 403 (the person blocked
 * the bot, the bot was removed) is dropped; any other refusal is dead-lettered.
 */
import { TelegramError } from 'telegraf';
import { drop, dlq, retry, type JobOutcome } from '../../src/queue/outcome.js';
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
    if (/^Mongo(ose)?(Network|ServerSelection|NotConnected|Timeout|PoolCleared)/.test(err.name) || err.name === 'LockTimeoutError') return 'network';
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

/** The job outcome of an error thrown while handling an update (see the module comment). */
export function outcomeOfUpdateError(err: unknown): JobOutcome<never> {
  const kind = err instanceof UpdateHandlingError ? err.kind : classifyError(err);
  const message = err instanceof Error ? err.message : String(err);
  if (kind !== 'api') return retry(message, err);
  const cause = err instanceof UpdateHandlingError ? err.cause : err;
  if (cause instanceof TelegramError && cause.code === 403) return drop(`Telegram refused (403): ${cause.description}`);
  return dlq(message);
}
