/**
 * `POST /telegram/:botId`: Telegram's webhook calls.
 *
 * - The `X-Telegram-Bot-Api-Secret-Token` header must equal the bot's secret (compared in
 *   constant time): otherwise 401 and nothing is recorded. An unknown bot id is 404. Both
 *   are checked before the body is read.
 * - The update is queued (BullMQ, job id from bot id and `update_id`) before the answer:
 *   200 only once Redis has it. Processing happens from the queue (the telegram role), never
 *   in this request, so a handler error can never lose an update that was answered 200.
 * - A failure to queue is classified, because Telegram resends whatever is not answered 2xx:
 *   Redis unreachable → 503 (Telegram resends later, and then it goes through); anything
 *   about the payload itself (not JSON, not an update object, nested deeper than any real
 *   update, too large to queue) → 400, and the payload is kept for inspection (redacted and
 *   bounded: `src/queue/rejected-payloads.ts`), so a poison update is not resent forever.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Update } from 'telegraf/types';
import { HttpError, bodyBytes } from '../../src/http/http-app.js';
import type { Logger } from '../../src/logger.js';
import { PayloadRejectedError, checkPayload } from '../../src/queue/check-payload.js';
import { QueueUnavailableError } from '../../src/queue/fail-fast.js';
import { rejectedPayload, type RejectedPayload } from '../../src/queue/rejected-payloads.js';
import type { TelegramBotAccount } from './bot-accounts.js';
import { redactUpdate } from './redact-update.js';

/** Largest update body accepted (Telegram's updates are far smaller). */
export const MAX_UPDATE_BYTES = 1_000_000;

/** Deepest nesting an update may have (real ones nest about 10 deep: replies, entities). */
export const MAX_UPDATE_DEPTH = 64;

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookOptions {
  bots: readonly TelegramBotAccount[];
  enqueue: (botId: string, update: Update) => Promise<void>;
  /** Keeps a refused payload for inspection (`keepRejectedPayload`); failures are logged. */
  keepRejected?: (record: RejectedPayload) => Promise<void>;
  log: Logger;
}

function sameSecret(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

type WebhookRequest = FastifyRequest<{ Params: { botId: string } }>;

export function registerTelegramWebhookRoute(app: FastifyInstance, options: TelegramWebhookOptions): void {
  const byId = new Map(options.bots.map((b) => [b.botId, b]));

  /** Answers 400 for a payload that can never be queued, keeping a redacted record of it. */
  const refuse = async (botId: string, body: Buffer, reason: string, parsed?: unknown): Promise<never> => {
    options.log.warn({ bot: botId, bytes: body.length, reason }, 'telegram webhook: payload refused (400) and kept for inspection');
    if (options.keepRejected) {
      // Only a bounded, redacted view of what parsed: never the bytes themselves (they may hold message text).
      const sample = parsed !== undefined && typeof parsed === 'object' && parsed !== null ? redactUpdate(parsed, 8) : undefined;
      await options.keepRejected(rejectedPayload('telegram', reason, body, { origin: `bot ${botId}`, ...(sample !== undefined ? { sample } : {}) })).catch((err: unknown) => {
        options.log.warn({ bot: botId, err: err instanceof Error ? err.message : String(err) }, 'telegram webhook: refused payload could not be kept');
      });
    }
    throw new HttpError(400, reason);
  };

  app.post(
    '/telegram/:botId',
    {
      bodyLimit: MAX_UPDATE_BYTES,
      // Before the body is read: strangers cannot make the server read a megabyte.
      onRequest: async (request: WebhookRequest) => {
        const bot = byId.get(request.params.botId);
        if (!bot) throw new HttpError(404, 'not found');
        if (!sameSecret(bot.webhookSecret, request.headers[SECRET_HEADER])) throw new HttpError(401, 'wrong or missing secret token');
      },
    },
    async (request: WebhookRequest, reply: FastifyReply) => {
      const botId = request.params.botId;
      const body = bodyBytes(request);
      let update: unknown;
      try {
        update = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(botId, body, 'the body is not JSON');
      }
      if (typeof update !== 'object' || update === null || Array.isArray(update)) return refuse(botId, body, 'the body is not a Telegram update (not a JSON object)', update);
      const updateId = (update as { update_id?: unknown }).update_id;
      if (typeof updateId !== 'number' || !Number.isSafeInteger(updateId) || updateId < 0) return refuse(botId, body, 'the body is not a Telegram update (no update_id)', update);
      try {
        checkPayload(update, { maxDepth: MAX_UPDATE_DEPTH, maxBytes: MAX_UPDATE_BYTES });
      } catch (err) {
        if (err instanceof PayloadRejectedError) return refuse(botId, body, `the update cannot be queued: ${err.message}`, update);
        throw err;
      }
      try {
        await options.enqueue(botId, update as Update);
      } catch (err) {
        if (err instanceof PayloadRejectedError) return refuse(botId, body, err.message, update);
        if (err instanceof QueueUnavailableError) {
          options.log.warn({ bot: botId, err: err.message }, 'telegram webhook: update not queued, answering 503 so Telegram resends');
          throw new HttpError(503, 'queue unavailable; retry later');
        }
        throw err;
      }
      return reply.code(200).send({ ok: true });
    },
  );
}
