/**
 * Outgoing limits of one bot, in one place: every Bot API call goes through
 * {@link LimitedTelegram.callApi}.
 *
 * - Sending methods (`sendMessage`, `sendPhoto`, `sendDocument`, …) wait for a slot:
 *   about 30 per second in all, 1 per second into one chat, 20 per minute into one group
 *   (Telegram's published limits). Slots are reserved in call order, so concurrent
 *   senders queue fairly instead of bursting.
 * - Any call answered 429 waits the `retry_after` Telegram gives (that chat, or the whole
 *   bot when the call names no chat, is held back meanwhile) and is retried, up to
 *   `maxRetries` times; other errors go to the caller unchanged.
 */
import { Telegram, TelegramError } from 'telegraf';
import type { Opts, Telegram as ApiMethods } from 'telegraf/types';

export interface SendLimiterOptions {
  /** Sends per second over all chats; default 30. */
  perSecond?: number;
  /** Least milliseconds between two sends into one chat; default 1,000. */
  perChatIntervalMs?: number;
  /** Sends per minute into one group (negative chat id); default 20. */
  perGroupPerMinute?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const GLOBAL = '*';

/** Reserves send slots under the three limits; deterministic given `now` and `sleep`. */
export class SendLimiter {
  readonly #perSecond: number;
  readonly #chatInterval: number;
  readonly #groupPerMinute: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Reserved send times, ascending: the last `perSecond` over all chats. */
  #recent: number[] = [];
  readonly #chatNext = new Map<string, number>();
  readonly #groupTimes = new Map<string, number[]>();
  readonly #heldUntil = new Map<string, number>();

  constructor(options: SendLimiterOptions = {}) {
    this.#perSecond = options.perSecond ?? 30;
    this.#chatInterval = options.perChatIntervalMs ?? 1_000;
    this.#groupPerMinute = options.perGroupPerMinute ?? 20;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The earliest time a send into `chat` may go, and reserves it. */
  reserve(chat: string | undefined): number {
    const now = this.#now();
    let t = Math.max(now, this.#heldUntil.get(GLOBAL) ?? 0);
    if (chat !== undefined) {
      t = Math.max(t, this.#heldUntil.get(chat) ?? 0, this.#chatNext.get(chat) ?? 0);
      if (chat.startsWith('-')) {
        const times = this.#groupTimes.get(chat) ?? [];
        const oldest = times.length >= this.#groupPerMinute ? times[times.length - this.#groupPerMinute] : undefined;
        if (oldest !== undefined) t = Math.max(t, oldest + 60_000);
      }
    }
    // Global: at most `perSecond` sends in any one-second window of reserved times.
    for (;;) {
      const inWindow = this.#recent.filter((x) => x > t - 1_000 && x <= t);
      if (inWindow.length < this.#perSecond) break;
      t = (inWindow[0] ?? t) + 1_000;
    }
    this.#recent.push(t);
    this.#recent.sort((a, b) => a - b);
    this.#recent = this.#recent.filter((x) => x > now - 1_000);
    if (chat !== undefined) {
      this.#chatNext.set(chat, t + this.#chatInterval);
      if (chat.startsWith('-')) {
        const times = [...(this.#groupTimes.get(chat) ?? []), t].sort((a, b) => a - b).filter((x) => x > now - 60_000);
        this.#groupTimes.set(chat, times);
      }
    }
    this.#prune(now);
    return t;
  }

  /** Waits until a send into `chat` may go. */
  async acquire(chat: string | undefined): Promise<void> {
    const at = this.reserve(chat);
    const wait = at - this.#now();
    if (wait > 0) await this.#sleep(wait);
  }

  /** Holds back a chat (or, without one, the whole bot) for `ms` after a 429. */
  hold(chat: string | undefined, ms: number): void {
    const key = chat ?? GLOBAL;
    this.#heldUntil.set(key, Math.max(this.#heldUntil.get(key) ?? 0, this.#now() + ms));
  }

  async sleep(ms: number): Promise<void> {
    await this.#sleep(ms);
  }

  #prune(now: number): void {
    if (this.#chatNext.size > 10_000) for (const [k, v] of this.#chatNext) if (v < now) this.#chatNext.delete(k);
    if (this.#groupTimes.size > 10_000) for (const [k, v] of this.#groupTimes) if ((v[v.length - 1] ?? 0) < now - 60_000) this.#groupTimes.delete(k);
    if (this.#heldUntil.size > 1_000) for (const [k, v] of this.#heldUntil) if (v < now) this.#heldUntil.delete(k);
  }
}

/** Methods that post a message into a chat (subject to the send limits). */
export const SENDING_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendMediaGroup',
  'sendAnimation',
  'sendVideo',
  'sendAudio',
  'sendVoice',
  'sendSticker',
  'sendContact',
  'sendLocation',
  'sendPoll',
  'copyMessage',
  'forwardMessage',
]);

/** Most 429 retries of one call before its error goes to the caller. */
export const MAX_RATE_LIMIT_RETRIES = 5;
/** Longest `retry_after` honoured by waiting (longer ones fail the call at once). */
export const MAX_RETRY_AFTER_S = 120;

function chatOf(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const c = (payload as { chat_id?: unknown }).chat_id;
  return typeof c === 'number' || typeof c === 'string' ? String(c) : undefined;
}

/** telegraf's Telegram client with the limits above applied to every call. */
export class LimitedTelegram extends Telegram {
  readonly limiter: SendLimiter;

  constructor(token: string, options: ConstructorParameters<typeof Telegram>[1], limiter: SendLimiter) {
    super(token, options);
    this.limiter = limiter;
  }

  override async callApi<M extends keyof ApiMethods>(method: M, payload: Opts<M>, options?: Parameters<Telegram['callApi']>[2]): Promise<ReturnType<ApiMethods[M]>> {
    const chat = chatOf(payload);
    for (let attempt = 0; ; attempt++) {
      if (SENDING_METHODS.has(method)) await this.limiter.acquire(chat);
      try {
        return await super.callApi(method, payload, options);
      } catch (err) {
        const retryAfter = err instanceof TelegramError && err.code === 429 ? err.parameters?.retry_after : undefined;
        if (retryAfter === undefined || attempt >= MAX_RATE_LIMIT_RETRIES || retryAfter > MAX_RETRY_AFTER_S) throw err;
        this.limiter.hold(chat, retryAfter * 1_000);
        if (!SENDING_METHODS.has(method)) await this.limiter.sleep(retryAfter * 1_000);
      }
    }
  }
}
