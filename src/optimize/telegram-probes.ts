/** Readiness probes of a workspace's Telegram bots through the real Bot API client (telegraf's `Telegram`). */
import { Telegram } from 'telegraf';
import type { BotProbe } from './readiness.js';

/** One probe per configured bot token; `apiRoot` is `TELEGRAM_API_ROOT`. */
export function telegramProbes(bots: ReadonlyArray<{ token: string }>, apiRoot: string): BotProbe[] {
  return bots.map((b) => {
    const tg = new Telegram(b.token, { apiRoot, webhookReply: false });
    return {
      botId: b.token.split(':')[0] as string,
      getMe: () => tg.getMe(),
      getWebhookInfo: () => tg.getWebhookInfo(),
    };
  });
}
