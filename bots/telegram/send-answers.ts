/**
 * Renders the command layer's answers as Telegram messages: text (tables as `<pre>`
 * blocks, split under Telegram's 4,096-character limit), chart photos and CSV documents.
 * Answers meant for the sender privately go to their private chat; when Telegram will
 * not let the bot write there first, the group is told how to open one.
 */
import { TelegramError, type Telegram } from 'telegraf';
import type { Answer, CommandResult } from '../../src/commands/index.js';

/** Longest message text sent in one piece (Telegram's limit is 4,096 after entities parsing). */
export const MAX_TEXT = 3_900;
/** Telegram's caption limit. */
export const MAX_CAPTION = 1_024;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Splits text on line breaks into pieces of at most `max` characters (a longer line is cut). */
export function splitText(text: string, max = MAX_TEXT): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (current) pieces.push(current);
      current = '';
      pieces.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    if (current.length + rest.length + 1 > max) {
      pieces.push(current);
      current = rest;
    } else current = current ? `${current}\n${rest}` : rest;
  }
  if (current) pieces.push(current);
  return pieces.length > 0 ? pieces : [''];
}

/**
 * Where a delivery resumes: `from` answers were sent already (a retried report job); `sent(n)`
 * is awaited after each answer with the number of answers out (the report queue records it).
 */
export interface DeliveryProgress {
  from?: number;
  sent?: (n: number) => Promise<void>;
}

/** Sends one answer into one chat. */
async function sendAnswer(telegram: Telegram, chatId: string, a: Answer): Promise<void> {
  switch (a.type) {
    case 'text':
      if (a.buttons && a.buttons.length > 0) {
        // One short message with its buttons, one per row (a Mini App button or a link).
        const rows = a.buttons.map((b) => [b.webApp ? { text: b.text, web_app: { url: b.webApp } } : { text: b.text, url: b.url ?? '' }]);
        await telegram.sendMessage(chatId, a.text.slice(0, MAX_TEXT), { link_preview_options: { is_disabled: true }, reply_markup: { inline_keyboard: rows } });
        break;
      }
      for (const piece of splitText(a.text)) {
        if (a.monospace) await telegram.sendMessage(chatId, `<pre>${escapeHtml(piece)}</pre>`, { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
        else await telegram.sendMessage(chatId, piece, { link_preview_options: { is_disabled: true } });
      }
      break;
    case 'photo':
      await telegram.sendPhoto(chatId, { source: a.png, filename: 'chart.png' }, { caption: a.caption.slice(0, MAX_CAPTION) });
      break;
    case 'document':
      await telegram.sendDocument(chatId, { source: a.content, filename: a.filename }, a.caption ? { caption: a.caption.slice(0, MAX_CAPTION) } : {});
      break;
  }
}

/** Sends answers into one chat, in order (from `progress.from` on). */
export async function sendAnswers(telegram: Telegram, chatId: string, answers: readonly Answer[], progress: DeliveryProgress = {}): Promise<void> {
  for (let i = progress.from ?? 0; i < answers.length; i++) {
    await sendAnswer(telegram, chatId, answers[i] as Answer);
    await progress.sent?.(i + 1);
  }
}

/** Whether Telegram refused a private message because the person never opened a chat with the bot (or blocked it). */
function cannotWritePrivately(err: unknown): boolean {
  return err instanceof TelegramError && (err.code === 403 || (err.code === 400 && /chat not found/i.test(err.description)));
}

/**
 * Delivers a command result: into the chat it came from, or privately to the sender with
 * a short note in the group (the note counts as one more answer in `progress`).
 */
export async function deliverResult(telegram: Telegram, botUsername: string, where: { chatId: string; userId: string }, result: CommandResult, progress: DeliveryProgress = {}): Promise<void> {
  if (result.answers.length === 0) return;
  if (result.deliver === 'here') {
    await sendAnswers(telegram, where.chatId, result.answers, progress);
    return;
  }
  const n = result.answers.length;
  if ((progress.from ?? 0) < n) {
    try {
      await sendAnswers(telegram, where.userId, result.answers, progress);
    } catch (err) {
      if (!cannotWritePrivately(err)) throw err;
      await telegram.sendMessage(where.chatId, `I can only answer that in a private chat. Open one with me (https://t.me/${botUsername}), press Start, then ask again here.`, {
        link_preview_options: { is_disabled: true },
      });
      await progress.sent?.(n + 1);
      return;
    }
  }
  if (result.groupNote && (progress.from ?? 0) <= n) {
    await telegram.sendMessage(where.chatId, result.groupNote);
    await progress.sent?.(n + 1);
  }
}
