/**
 * The Telegram bots of a deployment, from the configuration: each token belongs to the
 * one workspace that lists it; its bot id is the numeric part before `:`.
 */
import { createHmac } from 'node:crypto';
import type { Config } from '../../src/config.js';

export interface TelegramBotAccount {
  /** Numeric bot id (the token's part before `:`). */
  botId: string;
  token: string;
  workspace: string;
  /** `X-Telegram-Bot-Api-Secret-Token` expected on webhook calls. */
  webhookSecret: string;
}

export class BotConfigError extends Error {
  override name = 'BotConfigError';
}

/**
 * The webhook secret of a bot without a configured `webhookSecret`: derived from the
 * deployment's hash key, so every process (the http role that checks it, the telegram
 * role that sets it) computes the same one without another setting.
 */
export function derivedWebhookSecret(hashKey: string, botId: string): string {
  return createHmac('sha256', hashKey).update(`telegram-webhook\u0000${botId}`).digest('base64url').slice(0, 48);
}

/** Every configured bot; throws BotConfigError when one token (or bot id) is listed twice. */
export function telegramBotAccounts(config: Pick<Config, 'workspaces'>, hashKey: string): TelegramBotAccount[] {
  const seen = new Map<string, string>();
  const out: TelegramBotAccount[] = [];
  for (const w of config.workspaces) {
    for (const b of w.telegram.bots) {
      const botId = b.token.slice(0, b.token.indexOf(':'));
      const other = seen.get(botId);
      if (other !== undefined) {
        throw new BotConfigError(`telegram bot ${botId} is listed twice (workspaces ${other} and ${w.id}); a bot belongs to one workspace`);
      }
      seen.set(botId, w.id);
      out.push({ botId, token: b.token, workspace: w.id, webhookSecret: b.webhookSecret ?? derivedWebhookSecret(hashKey, botId) });
    }
  }
  return out;
}
