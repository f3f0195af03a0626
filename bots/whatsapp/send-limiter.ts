/**
 * Everything a driven WhatsApp account sends goes through here, under conservative limits,
 * because WhatsApp bans numbers that behave like bulk senders:
 * - **only answers**: a chat may be written to only after it wrote to the account (a command
 *   in it, or a private message), within {@link ReplyWindow} (24 h by default, like WhatsApp's
 *   own customer-service window); anything else is refused with {@link NotAllowedToWriteError};
 * - **one message at a time per account**, spaced by a per-chat gap plus random jitter (a
 *   person does not type three messages in the same millisecond);
 * - **a per-account cap per minute** (default 20): beyond it sends wait.
 * There is no broadcast, no list send and no message to a number the account never heard from.
 */
import wwebjs from 'whatsapp-web.js';
import type { WaOutgoing } from './format-answers.js';

/** The part of a whatsapp-web.js `Client` that sends. */
export interface SendingClient {
  sendMessage(chatId: string, content: unknown, options?: Record<string, unknown>): Promise<unknown>;
}

/** The chat did not write to the account first (or too long ago): the product does not write to it. */
export class NotAllowedToWriteError extends Error {
  override name = 'NotAllowedToWriteError';
}

export interface SendLimiterOptions {
  /** Least time between two messages into one chat; default 1.5 s. */
  perChatGapMs?: number;
  /** Random extra wait before each message, 0 to this; default 1.2 s. */
  jitterMs?: number;
  /** Most messages the account sends per minute, all chats together; default 20. */
  perMinute?: number;
  /** How long after a chat's last message the account may still answer it; default 24 h. */
  replyWindowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface WhatsAppSender {
  /** Records that a chat (serialized id) wrote to the account now: it may be answered. */
  noteInbound(chatId: string): void;
  /** Whether the account may write to this chat now. */
  mayWrite(chatId: string): boolean;
  /**
   * Sends messages into one chat, in order, under the limits. Throws NotAllowedToWriteError
   * (nothing sent) when the chat did not write first.
   */
  send(client: SendingClient, chatId: string, messages: readonly WaOutgoing[]): Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The whatsapp-web.js content and options of one message. */
function contentOf(m: WaOutgoing): { content: unknown; options: Record<string, unknown> } {
  if (m.kind === 'text') return { content: m.text, options: { linkPreview: false } };
  const media = new wwebjs.MessageMedia(m.mimetype, m.data.toString('base64'), m.filename);
  return { content: media, options: { ...(m.caption ? { caption: m.caption } : {}), ...(m.asDocument ? { sendMediaAsDocument: true } : {}) } };
}

export function createSendLimiter(options: SendLimiterOptions = {}): WhatsAppSender {
  const gap = options.perChatGapMs ?? 1_500;
  const jitter = options.jitterMs ?? 1_200;
  const perMinute = options.perMinute ?? 20;
  const window = options.replyWindowMs ?? 24 * 3600_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const inbound = new Map<string, number>();
  const lastSent = new Map<string, number>();
  const recent: number[] = [];
  let chain: Promise<void> = Promise.resolve();

  const mayWrite = (chatId: string): boolean => {
    const at = inbound.get(chatId);
    return at !== undefined && now() - at <= window;
  };

  /** Waits for the per-chat gap (with jitter) and a free slot in the per-minute cap. */
  const waitTurn = async (chatId: string): Promise<void> => {
    const last = lastSent.get(chatId);
    const extra = Math.floor(random() * jitter);
    const chatWait = last === undefined ? extra : Math.max(0, last + gap - now()) + extra;
    if (chatWait > 0) await sleep(chatWait);
    for (;;) {
      while (recent.length > 0 && now() - (recent[0] as number) >= 60_000) recent.shift();
      if (recent.length < perMinute) break;
      await sleep(Math.max(1, (recent[0] as number) + 60_000 - now()));
    }
  };

  return {
    noteInbound(chatId) {
      if (inbound.size > 50_000) {
        for (const [k, at] of inbound) if (now() - at > window) inbound.delete(k);
      }
      inbound.set(chatId, now());
    },
    mayWrite,
    send(client, chatId, messages) {
      if (!mayWrite(chatId)) return Promise.reject(new NotAllowedToWriteError('this chat did not write to the account first: the product only answers'));
      const run = async (): Promise<void> => {
        for (const m of messages) {
          await waitTurn(chatId);
          const { content, options: o } = contentOf(m);
          await client.sendMessage(chatId, content, o);
          lastSent.set(chatId, now());
          recent.push(now());
        }
      };
      // One account sends one message at a time, whatever the chat.
      const next = chain.then(run, run);
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
