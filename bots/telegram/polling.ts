/**
 * Polling (development, or no public URL): our own `getUpdates` loop instead of
 * telegraf's `launch()`, so polled updates take the same path as webhook ones: into the
 * update queue first, handled from there. The offset moves past an update only once it
 * is queued; if Redis is down the loop waits and asks again, and Telegram resends.
 *
 * Only one process may poll a bot at a time (Telegram answers 409 to a second one).
 */
import type { Update } from 'telegraf/types';
import type { Logger } from '../../src/logger.js';
import type { TelegramBot } from './bot.js';

/** Update types the bot asks for; `chat_member` must be named or Telegram never sends it. */
export const ALLOWED_UPDATES = ['message', 'my_chat_member', 'chat_member', 'chat_join_request'] as const;

export interface PollingOptions {
  bot: TelegramBot;
  /** Queues one update (the update queue's `add`). */
  enqueue: (botId: string, update: Update) => Promise<void>;
  log: Logger;
  /** Long-poll seconds per getUpdates; default 25. */
  timeoutSeconds?: number;
  /** Pause after an error before trying again; default 2 s (doubling up to 30 s). */
  retryMs?: number;
}

export interface Polling {
  stop(): Promise<void>;
}

export function startPolling(options: PollingOptions): Polling {
  const { bot, log } = options;
  const botId = bot.account.botId;
  const timeout = options.timeoutSeconds ?? 25;
  const baseRetry = options.retryMs ?? 2_000;
  const abort = new AbortController();
  let stopped = false;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  const loop = (async () => {
    let offset: number | undefined;
    let retry = baseRetry;
    let webhookCleared = false;
    while (!stopped) {
      try {
        if (!webhookCleared) {
          // getUpdates fails (409) while a webhook is set.
          await bot.telegram.deleteWebhook({ drop_pending_updates: false });
          webhookCleared = true;
        }
        const updates = await bot.telegram.callApi(
          'getUpdates',
          { timeout, allowed_updates: [...ALLOWED_UPDATES], ...(offset !== undefined ? { offset } : {}) },
          { signal: abort.signal as never },
        );
        for (const u of updates) {
          await options.enqueue(botId, u);
          offset = u.update_id + 1;
        }
        retry = baseRetry;
      } catch (err) {
        if (stopped) break;
        log.warn({ bot: botId, err: err instanceof Error ? err.message : String(err), retryMs: retry }, 'polling: getUpdates or queueing failed; retrying');
        await pause(retry);
        retry = Math.min(retry * 2, 30_000);
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}
