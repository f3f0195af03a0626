/**
 * A local HTTP server standing in for the Telegram Bot API (`<root>/bot<token>/<method>`),
 * for driving the real telegraf bot in tests (telegraf's `apiRoot` / TELEGRAM_API_ROOT).
 * It records every call (JSON and multipart bodies, files included), answers with
 * Bot API-shaped results, long-polls `getUpdates` from updates a test pushes, and can be
 * told to fail calls (429 with `retry_after`, 403 for private chats, any error).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubFile {
  filename: string;
  type: string;
  bytes: Buffer;
}

export interface StubCall {
  botId: string;
  method: string;
  /** JSON payload; multipart fields parsed back from JSON where they are JSON. */
  payload: Record<string, unknown>;
  files: Record<string, StubFile>;
  at: number;
}

interface Failure {
  method: string;
  times: number;
  error: { error_code: number; description: string; parameters?: Record<string, unknown> };
  match?: (payload: Record<string, unknown>) => boolean;
}

export interface StubBot {
  username: string;
  canReadAllGroupMessages: boolean;
}

export class BotApiStub {
  readonly calls: StubCall[] = [];
  readonly bots = new Map<string, StubBot>();
  /** `<chat id>|<user id>` → status (`creator`, `administrator`). */
  readonly members = new Map<string, string>();
  /** First names getChatMember answers with, by user id (default `X`). */
  readonly firstNames = new Map<string, string>();
  /** Users who never opened a private chat with the bot (sendMessage to them → 403). */
  readonly noPrivateChat = new Set<string>();
  /** What getWebhookInfo answers per bot id (default: no webhook, nothing pending). */
  readonly webhookInfo = new Map<string, Record<string, unknown>>();
  readonly #failures: Failure[] = [];
  readonly #updates = new Map<string, Array<Record<string, unknown>>>();
  readonly #waiters = new Set<() => void>();
  #messageId = 1000;
  #server: Server | undefined;
  root = '';

  static async start(): Promise<BotApiStub> {
    const stub = new BotApiStub();
    const server = createServer((req, res) => void stub.#handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stub.#server = server;
    stub.root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return stub;
  }

  /** Declares a bot (getMe answers); default username `bot<id>_bot`, privacy mode on. */
  addBot(botId: string, bot: Partial<StubBot> = {}): void {
    this.bots.set(botId, { username: bot.username ?? `mf${botId}_bot`, canReadAllGroupMessages: bot.canReadAllGroupMessages ?? false });
  }

  setMember(chatId: string | number, userId: string | number, status: 'creator' | 'administrator' | 'member'): void {
    this.members.set(`${chatId}|${userId}`, status);
  }

  /** The next `times` calls of `method` (matching `match`, if given) fail with this Bot API error. */
  failNext(method: string, error: Failure['error'], times = 1, match?: Failure['match']): void {
    this.#failures.push({ method, times, error, ...(match ? { match } : {}) });
  }

  /** Queues updates for `getUpdates` of a bot. */
  pushUpdates(botId: string, ...updates: Array<Record<string, unknown>>): void {
    const list = this.#updates.get(botId) ?? [];
    list.push(...updates);
    this.#updates.set(botId, list);
    for (const w of [...this.#waiters]) w();
  }

  callsTo(method: string, botId?: string): StubCall[] {
    return this.calls.filter((c) => c.method === method && (botId === undefined || c.botId === botId));
  }

  /** Waits until a call matching `pred` was received (default 10 s). */
  async waitForCall(pred: (c: StubCall) => boolean, timeoutMs = 10_000): Promise<StubCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching Bot API call within ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const w of [...this.#waiters]) w();
    const s = this.#server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/bot(\d+):([^/]+)\/([A-Za-z]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (!m) return this.#send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const botId = m[1] as string;
    const method = m[3] as string;
    const { payload, files } = await parseBody(req.headers['content-type'] ?? '', body);
    const call: StubCall = { botId, method, payload, files, at: Date.now() };
    this.calls.push(call);
    const failure = this.#failures.find((f) => f.method === method && f.times > 0 && (!f.match || f.match(payload)));
    if (failure) {
      failure.times--;
      return this.#send(res, failure.error.error_code >= 500 ? failure.error.error_code : 200, { ok: false, ...failure.error });
    }
    const bot = this.bots.get(botId);
    if (!bot) return this.#send(res, 200, { ok: false, error_code: 401, description: 'Unauthorized' });
    try {
      const result = await this.#answer(botId, bot, method, payload);
      if (result === undefined) return this.#send(res, 200, { ok: false, error_code: 404, description: 'Not Found: method not found' });
      if (result instanceof StubError) return this.#send(res, 200, { ok: false, error_code: result.code, description: result.message });
      return this.#send(res, 200, { ok: true, result });
    } catch (err) {
      return this.#send(res, 500, { ok: false, error_code: 500, description: String(err) });
    }
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #chat(chatId: unknown): Record<string, unknown> {
    const id = Number(chatId);
    return id < 0 ? { id, type: 'supergroup', title: 'group' } : { id, type: 'private', first_name: 'User' };
  }

  async #answer(botId: string, bot: StubBot, method: string, p: Record<string, unknown>): Promise<unknown> {
    const me = { id: Number(botId), is_bot: true, first_name: 'Midfunnel', username: bot.username };
    const date = Math.floor(Date.now() / 1000);
    switch (method) {
      case 'getMe':
        return { ...me, can_join_groups: true, can_read_all_group_messages: bot.canReadAllGroupMessages, supports_inline_queries: false };
      case 'sendMessage':
        if (this.noPrivateChat.has(String(p.chat_id))) return new StubError(403, "Forbidden: bot can't initiate conversation with a user");
        return { message_id: this.#messageId++, date, chat: this.#chat(p.chat_id), from: me, text: p.text };
      case 'sendPhoto':
        if (this.noPrivateChat.has(String(p.chat_id))) return new StubError(403, "Forbidden: bot can't initiate conversation with a user");
        return { message_id: this.#messageId++, date, chat: this.#chat(p.chat_id), from: me, photo: [{ file_id: 'ph1', file_unique_id: 'u1', width: 960, height: 400 }] };
      case 'sendDocument':
        if (this.noPrivateChat.has(String(p.chat_id))) return new StubError(403, "Forbidden: bot can't initiate conversation with a user");
        return { message_id: this.#messageId++, date, chat: this.#chat(p.chat_id), from: me, document: { file_id: 'd1', file_unique_id: 'u2', file_name: 'x.csv' } };
      case 'createChatInviteLink':
        return {
          invite_link: `https://t.me/+${randomBytes(12).toString('base64url')}`,
          creator: me,
          creates_join_request: p.creates_join_request === true,
          is_primary: false,
          is_revoked: false,
          ...(typeof p.name === 'string' ? { name: p.name } : {}),
        };
      case 'revokeChatInviteLink':
        return { invite_link: p.invite_link, creator: me, creates_join_request: false, is_primary: false, is_revoked: true };
      case 'getChatMember': {
        const status = this.members.get(`${String(p.chat_id)}|${String(p.user_id)}`) ?? 'member';
        return { status, user: { id: Number(p.user_id), is_bot: String(p.user_id) === botId, first_name: this.firstNames.get(String(p.user_id)) ?? 'X' } };
      }
      case 'setMyCommands':
      case 'deleteMyCommands':
      case 'setWebhook':
      case 'deleteWebhook':
        return true;
      case 'getUpdates':
        return this.#getUpdates(botId, p);
      case 'getWebhookInfo':
        return this.webhookInfo.get(botId) ?? { url: '', has_custom_certificate: false, pending_update_count: 0 };
      default:
        return undefined;
    }
  }

  async #getUpdates(botId: string, p: Record<string, unknown>): Promise<unknown> {
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    const timeoutMs = Math.min(Number(p.timeout ?? 0), 2) * 1000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = (this.#updates.get(botId) ?? []).filter((u) => Number(u.update_id) >= offset);
      this.#updates.set(botId, list);
      if (list.length > 0 || Date.now() >= deadline) return list.slice(0, 100);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#waiters.delete(done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, Math.max(1, deadline - Date.now()));
        this.#waiters.add(done);
      });
    }
  }
}

class StubError {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

async function parseBody(contentType: string, body: Buffer): Promise<{ payload: Record<string, unknown>; files: Record<string, StubFile> }> {
  const files: Record<string, StubFile> = {};
  if (body.length === 0) return { payload: {}, files };
  if (contentType.startsWith('application/json')) return { payload: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const payload: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') {
        try {
          payload[key] = JSON.parse(value);
        } catch {
          payload[key] = value;
        }
      } else {
        files[key] = { filename: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
        payload[key] = `attach:${value.name}`;
      }
    }
    return { payload, files };
  }
  return { payload: { raw: body.toString('utf8') }, files };
}
