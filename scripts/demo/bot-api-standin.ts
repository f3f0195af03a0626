/**
 * A local HTTP server standing in for the Telegram Bot API (`<root>/bot<token>/<method>`),
 * which the demo's real telegraf bot calls (telegraf's `apiRoot`, `TELEGRAM_API_ROOT`).
 * It answers with Bot API-shaped results and keeps what the bot sent, so the demo can print
 * the bot's answers. Invite links it makes are derived from the chat and the link's name,
 * so every run gets the same links.
 *
 * The tests' stub (`test/support/bot-api-stub.ts`) does more (failures, long polling,
 * multipart files kept); this is the demo's own copy, since scripts do not import tests.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  chatId: string;
  method: string;
  /** The text of a message (or the caption of a photo / document). */
  text: string;
  /** For invite links, the link made. */
  inviteLink?: string;
  /** For `sendPhoto`, the image's bytes (a PNG from `src/charts`). */
  photo?: Buffer;
  /** Order of arrival. */
  seq: number;
}

export class BotApiStandIn {
  readonly sent: SentMessage[] = [];
  /** `<chat id>|<user id>` → status (`creator`, `administrator`). */
  readonly members = new Map<string, string>();
  #seq = 0;
  #messageId = 1;
  #server: Server | undefined;
  root = '';
  /** What `getWebhookInfo` answers as the webhook (the demo's server, once it runs). */
  webhookUrl = '';

  constructor(
    readonly botId: string,
    readonly username: string,
  ) {}

  static async start(botId: string, username: string): Promise<BotApiStandIn> {
    const s = new BotApiStandIn(botId, username);
    const server = createServer((req, res) => void s.#handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    s.#server = server;
    s.root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return s;
  }

  /** Messages sent to a chat, in order. */
  to(chatId: string | number): SentMessage[] {
    return this.sent.filter((m) => m.chatId === String(chatId));
  }

  /** Waits until `pred` holds over what was sent (default 60 s). */
  async until(pred: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`the bot did not answer in time: ${what}; its last calls: ${JSON.stringify(this.sent.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^\/bot(\d+):[^/]+\/([A-Za-z]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (!m || m[1] !== this.botId) return send(res, 200, { ok: false, error_code: 401, description: 'Unauthorized' });
    const payload = await parseBody(req.headers['content-type'] ?? '', body);
    const result = this.#answer(m[2] as string, payload);
    if (result === undefined) return send(res, 200, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    return send(res, 200, { ok: true, result });
  }

  #record(method: string, p: Record<string, unknown>, extra: Partial<SentMessage> = {}): void {
    const text = typeof p.text === 'string' ? p.text : typeof p.caption === 'string' ? p.caption : '';
    const photo = Buffer.isBuffer(p.photo) ? { photo: p.photo } : {};
    this.sent.push({ chatId: String(p.chat_id), method, text, seq: this.#seq++, ...photo, ...extra });
  }

  #answer(method: string, p: Record<string, unknown>): unknown {
    const me = { id: Number(this.botId), is_bot: true, first_name: 'Midfunnel', username: this.username };
    const date = 1_782_000_000;
    const chat = (id: unknown): Record<string, unknown> => (Number(id) < 0 ? { id: Number(id), type: 'supergroup', title: 'group' } : { id: Number(id), type: 'private', first_name: 'User' });
    switch (method) {
      case 'getMe':
        return { ...me, can_join_groups: true, can_read_all_group_messages: true, supports_inline_queries: false };
      case 'sendMessage':
      case 'sendPhoto':
      case 'sendDocument':
        this.#record(method, p);
        return { message_id: this.#messageId++, date, chat: chat(p.chat_id), from: me, ...(method === 'sendMessage' ? { text: p.text } : {}) };
      case 'createChatInviteLink': {
        const name = typeof p.name === 'string' ? p.name : '';
        const code = createHash('sha256').update(`${String(p.chat_id)}|${name}`).digest('base64url').slice(0, 16);
        const link = `https://t.me/+${code}`;
        this.#record(method, p, { inviteLink: link });
        return { invite_link: link, creator: me, creates_join_request: p.creates_join_request === true, is_primary: false, is_revoked: false, ...(name ? { name } : {}) };
      }
      case 'revokeChatInviteLink':
        return { invite_link: p.invite_link, creator: me, creates_join_request: false, is_primary: false, is_revoked: true };
      case 'getChatMember': {
        const status = this.members.get(`${String(p.chat_id)}|${String(p.user_id)}`) ?? 'member';
        return { status, user: { id: Number(p.user_id), is_bot: String(p.user_id) === this.botId, first_name: 'X' }, ...(status === 'administrator' ? { can_invite_users: true } : {}) };
      }
      case 'setMyCommands':
      case 'deleteMyCommands':
      case 'setWebhook':
      case 'deleteWebhook':
      case 'answerCallbackQuery':
      case 'setChatMenuButton':
        return true;
      case 'getUpdates':
        return [];
      case 'getWebhookInfo':
        // The demo POSTs every update to the webhook route itself: nothing pending, no errors.
        return { url: this.webhookUrl, has_custom_certificate: false, pending_update_count: 0 };
      default:
        return undefined;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function parseBody(contentType: string, body: Buffer): Promise<Record<string, unknown>> {
  if (body.length === 0) return {};
  if (contentType.startsWith('application/json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const payload: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (typeof value !== 'string') {
        payload[key] = Buffer.from(await value.arrayBuffer());
        continue;
      }
      try {
        payload[key] = JSON.parse(value);
      } catch {
        payload[key] = value;
      }
    }
    return payload;
  }
  return {};
}
