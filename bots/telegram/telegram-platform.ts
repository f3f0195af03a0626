/**
 * The command layer's platform operations on one Telegram bot: admin checks (cached a
 * few minutes, so /help and access checks do not call Telegram on every command),
 * campaign invite links, and a member's first name for `/journey` (asked, never stored).
 */
import { TelegramError, type Telegram } from 'telegraf';
import { PlatformRefusedError, type ChatPlatform } from '../../src/commands/index.js';

/** How long an admin check is reused. */
export const ADMIN_CACHE_MS = 5 * 60_000;

export function createTelegramPlatform(telegram: Telegram, botUsername: string, now: () => number = Date.now): ChatPlatform {
  const admins = new Map<string, { at: number; admin: boolean }>();
  const refused = (what: string, err: unknown): never => {
    if (err instanceof TelegramError && err.code >= 400 && err.code < 500 && err.code !== 429) {
      throw new PlatformRefusedError(`Telegram refused to ${what} (${err.description}). Make me an admin of the group with the “Invite users via link” right, then try again.`);
    }
    throw err;
  };
  return {
    botUsername,
    async setMenuButton(chatId, text, url) {
      await telegram.setChatMenuButton({ chatId: Number(chatId), menuButton: { type: 'web_app', text, web_app: { url } } });
    },
    async isChatAdmin(chatId, userId) {
      const key = `${chatId}\u0000${userId}`;
      const hit = admins.get(key);
      if (hit && now() - hit.at < ADMIN_CACHE_MS) return hit.admin;
      let admin = false;
      try {
        const m = await telegram.getChatMember(chatId, Number(userId));
        admin = m.status === 'creator' || m.status === 'administrator';
      } catch (err) {
        // The chat or member is unknown to Telegram: not an admin. Other errors propagate.
        if (!(err instanceof TelegramError && err.code === 400)) throw err;
      }
      if (admins.size > 10_000) admins.clear();
      admins.set(key, { at: now(), admin });
      return admin;
    },
    async createInviteLink(chatId, options) {
      try {
        const link = await telegram.createChatInviteLink(chatId, { name: options.name, creates_join_request: options.createsJoinRequest });
        return { url: link.invite_link };
      } catch (err) {
        return refused('create the invite link', err);
      }
    },
    async memberName(chatId, userId) {
      try {
        const m = await telegram.getChatMember(chatId, Number(userId));
        return m.user.first_name || null;
      } catch (err) {
        // Not in that chat (any more), or the chat is gone: Telegram does not know them there.
        if (err instanceof TelegramError && err.code >= 400 && err.code < 500 && err.code !== 429) return null;
        throw err;
      }
    },
    async revokeInviteLink(chatId, url) {
      try {
        await telegram.revokeChatInviteLink(chatId, url);
      } catch (err) {
        refused('revoke the invite link', err);
      }
    },
  };
}
