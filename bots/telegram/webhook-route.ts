/**
 * `POST /telegram/:botId`: Telegram's webhook calls.
 *
 * - The `X-Telegram-Bot-Api-Secret-Token` header must equal the bot's secret (compared in
 *   constant time): otherwise 401 and nothing is recorded. An unknown bot id is 404.
 * - The update is queued (BullMQ, job id from bot id and `update_id`) before the answer:
 *   200 only once Redis has it; 503 when Redis cannot take it, so Telegram resends later.
 *   Processing happens from the queue (the telegram role), never in this request, so a
 *   handler error can never lose an update that was answered 200.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Update } from 'telegraf/types';
import { HttpError, readBody, sendJson, type HttpApp } from '../../src/http/http-app.js';
import type { Logger } from '../../src/logger.js';
import { QueueUnavailableError } from '../../src/queue/touch-queue.js';
import type { TelegramBotAccount } from './bot-accounts.js';

/** Largest update body accepted (Telegram's updates are far smaller). */
export const MAX_UPDATE_BYTES = 1_000_000;

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface TelegramWebhookOptions {
  bots: readonly TelegramBotAccount[];
  enqueue: (botId: string, update: Update) => Promise<void>;
  log: Logger;
}

function sameSecret(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerTelegramWebhookRoute(app: HttpApp, options: TelegramWebhookOptions): void {
  const byId = new Map(options.bots.map((b) => [b.botId, b]));
  app.route('POST', '/telegram/:botId', async (req, res, params) => {
    const bot = byId.get(params.botId ?? '');
    if (!bot) throw new HttpError(404, 'not found');
    if (!sameSecret(bot.webhookSecret, req.headers[SECRET_HEADER])) throw new HttpError(401, 'wrong or missing secret token');
    const body = await readBody(req, MAX_UPDATE_BYTES);
    let update: unknown;
    try {
      update = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'the body is not JSON');
    }
    if (typeof update !== 'object' || update === null || !Number.isSafeInteger((update as { update_id?: unknown }).update_id) || (update as { update_id: number }).update_id < 0) {
      throw new HttpError(400, 'the body is not a Telegram update (no update_id)');
    }
    try {
      await options.enqueue(bot.botId, update as Update);
    } catch (err) {
      if (err instanceof QueueUnavailableError) {
        options.log.warn({ bot: bot.botId, err: err.message }, 'telegram webhook: update not queued, answering 503 so Telegram resends');
        throw new HttpError(503, 'queue unavailable; retry later');
      }
      throw err;
    }
    sendJson(res, 200, { ok: true });
  });
}
