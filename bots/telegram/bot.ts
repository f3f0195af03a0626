/**
 * One Telegram bot: a real telegraf `Telegraf` with the product's handlers. It never
 * polls or listens by itself: the update worker feeds it queued updates through
 * `bot.handleUpdate` (see `update-worker.ts`), whether they came by webhook or polling.
 *
 * Handlers turn updates into touch events and enqueue them (`TouchQueue`); commands go
 * to the platform-neutral command layer and its answers are sent back. Edited messages,
 * messages from bots (and from this bot), channel posts and update types the bot does not
 * use are logged at debug level and dropped. A handler error goes to `bot.catch`, which
 * classifies it and rethrows so the update job fails and is kept (see `errors.ts`).
 */
import { Context, Telegraf } from 'telegraf';
import type { ChatMemberUpdated, Message, Update, UserFromGetMe } from 'telegraf/types';
import { subjectOf } from '../../src/access/roles.js';
import {
  createCommandHandler,
  parseCommand,
  type CommandHandler,
  type CommandSettings,
  type TrackedLinksPort,
  type WorkspaceKeywords,
} from '../../src/commands/index.js';
import { makePseudonymizer, normalizeInternationalPhone } from '../../src/identity/pseudonymize.js';
import type { Logger } from '../../src/logger.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import type { Store } from '../../src/store/store.js';
import type { TouchEvent } from '../../src/touch-event.js';
import type { TelegramBotAccount } from './bot-accounts.js';
import { classifyError, UpdateHandlingError } from './errors.js';
import { chatOf, contentOf, isFromPerson, isServiceMessage, mapChatMember, mapDmStart, mapJoinRequest, mapMessage } from './map-update.js';
import { LimitedTelegram, SendLimiter } from './rate-limit.js';
import { deliverResult } from './send-answers.js';
import { createTelegramPlatform } from './telegram-platform.js';

/** How long a pending join request waits for its approval before it is forgotten. */
export const JOIN_REQUEST_TTL_MS = 30 * 24 * 3600_000;

/** Shared by every bot of a process. */
export interface BotServices {
  store: Store;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  keywords: WorkspaceKeywords;
  optOuts: OptOutCheck;
  settings: (workspace: string) => CommandSettings | undefined;
  reports?: ReportsApi;
  links?: (workspace: string) => TrackedLinksPort | undefined;
  /** The deployment's keyed-hash secret (phones from shared contacts). */
  hashKey: string;
  log: Logger;
  now?: () => Date;
}

export interface TelegramBotOptions {
  account: TelegramBotAccount;
  /** Bot API root (`TELEGRAM_API_ROOT`), e.g. `https://api.telegram.org`. */
  apiRoot: string;
  services: BotServices;
  limiter?: SendLimiter;
}

/** Whether a person opted out (`/forgetme`), cached briefly; `forget` clears a cached answer after an erasure here. */
export interface OptOutCheck {
  has(workspace: string, subject: string): Promise<boolean>;
  forget(workspace: string, subject: string): void;
}

export function createOptOutCheck(store: Store, ttlMs = 60_000, now: () => number = Date.now): OptOutCheck {
  const cache = new Map<string, { at: number; value: boolean }>();
  return {
    async has(workspace, subject) {
      const key = `${workspace}\u0000${subject}`;
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const value = await store.community.optOuts.has(workspace, subject);
      if (cache.size > 50_000) cache.clear();
      cache.set(key, { at: now(), value });
      return value;
    },
    forget(workspace, subject) {
      cache.delete(`${workspace}\u0000${subject}`);
    },
  };
}

export interface TelegramBot {
  readonly account: TelegramBotAccount;
  readonly bot: Telegraf;
  /** The rate-limited client every outgoing call goes through. */
  readonly telegram: LimitedTelegram;
  /** Asks Telegram who the bot is (getMe) and builds the command layer; idempotent. */
  init(): Promise<UserFromGetMe>;
  handleUpdate(update: Update): Promise<void>;
}

export function createTelegramBot(options: TelegramBotOptions): TelegramBot {
  const { account, services } = options;
  const { store, log } = services;
  const ws = account.workspace;
  const now = services.now ?? (() => new Date());
  const telegramOptions = { apiRoot: options.apiRoot, webhookReply: false };
  const telegram = new LimitedTelegram(account.token, telegramOptions, options.limiter ?? new SendLimiter());
  // Every context shares the limited client, so a reply made through `ctx` is limited too.
  class LimitedContext extends Context {
    constructor(update: Update, _tg: ConstructorParameters<typeof Context>[1], botInfo: UserFromGetMe) {
      super(update, telegram, botInfo);
    }
  }
  const bot = new Telegraf<LimitedContext>(account.token, { telegram: telegramOptions, contextType: LimitedContext, handlerTimeout: 120_000 });
  bot.telegram = telegram;
  const hashPhone = makePseudonymizer(services.hashKey, ws);
  const blog = log.child({ bot: account.botId, workspace: ws });

  let me: UserFromGetMe | undefined;
  let commands: CommandHandler | undefined;
  let initializing: Promise<UserFromGetMe> | undefined;

  const init = (): Promise<UserFromGetMe> => {
    initializing ??= (async () => {
      const info = await telegram.getMe();
      me = info;
      bot.botInfo = info;
      const links = services.links?.(ws);
      commands = createCommandHandler({
        store,
        ...(services.reports ? { reports: services.reports } : {}),
        ...(links ? { links } : {}),
        settings: services.settings,
        platform: createTelegramPlatform(telegram, info.username),
        log: blog,
        onKeywordsChanged: (w) => services.keywords.invalidate(w),
      });
      return info;
    })().catch((err: unknown) => {
      initializing = undefined;
      throw err;
    });
    return initializing;
  };

  const knownGroups = new Map<string, string>();

  /** Registers a group the bot sees activity in (if new) and keeps its title current. */
  const ensureGroup = async (chat: Message['chat'] | ChatMemberUpdated['chat']): Promise<void> => {
    const c = chatOf(chat);
    if (!c || c.type !== 'group') return;
    const title = c.title ?? c.id;
    if (knownGroups.get(c.id) === title) return;
    const stored = await store.community.groups.get(ws, 'telegram', c.id);
    if (!stored || stored.title !== title || stored.status !== 'active') {
      let botIsAdmin = stored?.botIsAdmin ?? false;
      if (!stored || stored.status !== 'active') {
        const m = await telegram.getChatMember(c.id, Number(account.botId)).catch(() => undefined);
        botIsAdmin = m?.status === 'administrator';
      }
      await store.community.groups.upsert(ws, { workspace: ws, platform: 'telegram', chatId: c.id, title, account: account.botId, status: 'active', botIsAdmin, at: now().toISOString() });
    }
    knownGroups.set(c.id, title);
  };

  const enqueue = async (touches: TouchEvent[]): Promise<void> => {
    const kept: TouchEvent[] = [];
    for (const t of touches) {
      const userId = t.actor.userId;
      if (userId !== undefined && (await services.optOuts.has(ws, subjectOf('telegram', userId)))) continue;
      kept.push(t);
    }
    if (kept.length > 0) await services.touches.enqueueMany(kept);
  };

  const runCommand = async (msg: Message, name: string, args: string[]): Promise<void> => {
    if (!commands || !me || !msg.from) throw new Error('the bot was not initialized (getMe) before handling a command');
    const chat = msg.chat;
    if (chat.type === 'channel') return;
    const result = await commands.handle({
      workspace: ws,
      platform: 'telegram',
      account: account.botId,
      user: { id: String(msg.from.id), ...(msg.from.username ? { username: msg.from.username } : {}) },
      chat: { id: String(chat.id), type: chat.type, ...('title' in chat && chat.title ? { title: chat.title } : {}) },
      name,
      args,
      now: now(),
    });
    if (name === 'forgetme') services.optOuts.forget(ws, subjectOf('telegram', String(msg.from.id)));
    await deliverResult(telegram, me.username, { chatId: String(chat.id), userId: String(msg.from.id) }, result);
  };

  const onMessage = async (msg: Message, seq: number): Promise<void> => {
    if (msg.chat.type === 'channel') return void blog.debug({ chat: msg.chat.id }, 'channel post dropped');
    await init();
    if (msg.chat.type !== 'private') {
      if ('migrate_to_chat_id' in msg && typeof msg.migrate_to_chat_id === 'number') {
        const old = String(msg.chat.id);
        const to = String(msg.migrate_to_chat_id);
        const stored = await store.community.groups.get(ws, 'telegram', old);
        const at = now().toISOString();
        const title = 'title' in msg.chat ? msg.chat.title : old;
        await store.community.groups.upsert(ws, { workspace: ws, platform: 'telegram', chatId: old, title, account: account.botId, status: 'migrated', botIsAdmin: stored?.botIsAdmin ?? false, migratedTo: to, at });
        await store.community.groups.upsert(ws, { workspace: ws, platform: 'telegram', chatId: to, title, account: account.botId, status: 'active', botIsAdmin: stored?.botIsAdmin ?? false, ...(stored?.addedBy ? { addedBy: stored.addedBy } : {}), at });
        knownGroups.delete(old);
        return;
      }
      if ('migrate_from_chat_id' in msg) return;
      await ensureGroup(msg.chat);
    }
    if (isServiceMessage(msg)) return void blog.debug({ chat: msg.chat.id }, 'service message: no touch');
    if (!isFromPerson(msg, account.botId)) return void blog.debug({ chat: msg.chat.id }, 'message from a bot or channel dropped');
    const { text, entities } = contentOf(msg);
    const first = entities[0];
    const command = first?.type === 'bot_command' && first.offset === 0 ? parseCommand(text) : null;
    if (command) {
      if (command.botUsername !== undefined && command.botUsername !== me?.username.toLowerCase()) return void blog.debug('command for another bot');
      if (command.name === 'start' && msg.chat.type === 'private') {
        const touch = mapDmStart(msg, command.args[0], { workspace: ws, botId: account.botId, seq });
        if (touch) await enqueue([touch]);
      }
      await runCommand(msg, command.name, command.args);
      return;
    }
    const from = msg.from;
    if (!from) return;
    let phoneHash: string | undefined;
    if ('contact' in msg && msg.contact.user_id === from.id) {
      // Only a person's own contact links their phone; someone else's card says nothing about the sender.
      const e164 = normalizeInternationalPhone(msg.contact.phone_number);
      if (e164 !== null) phoneHash = hashPhone('phone', e164);
    }
    const matcher = await services.keywords.matcher(ws);
    await enqueue(mapMessage(msg, { workspace: ws, botId: account.botId, seq, matcher, ...(phoneHash !== undefined ? { phoneHash } : {}) }));
  };

  const campaignOfLink = async (url: string | undefined): Promise<string | undefined> => {
    if (url === undefined) return undefined;
    return (await store.community.inviteLinks.findByUrl(ws, 'telegram', url))?.campaign;
  };

  bot.on('message', async (ctx) => onMessage(ctx.message, ctx.update.update_id));

  bot.on('edited_message', (ctx) => {
    blog.debug({ chat: ctx.editedMessage.chat.id }, 'edited message: no second touch');
  });

  bot.on('chat_member', async (ctx) => {
    const u = ctx.chatMember;
    await ensureGroup(u.chat);
    const change = mapChatMember(u, await campaignOfLink(u.invite_link?.invite_link), { workspace: ws, botId: account.botId, seq: ctx.update.update_id });
    if (!change) return void blog.debug({ chat: u.chat.id }, 'member change that is no join or leave');
    if (change.kind === 'join' && change.viaRequest) {
      const pending = await store.community.joinRequests.take(ws, 'telegram', String(u.chat.id), String(u.new_chat_member.user.id), change.touch.occurredAt);
      // The request was recorded as the join already: its approval is not a second join.
      if (pending) return;
    }
    await enqueue([change.touch]);
  });

  bot.on('chat_join_request', async (ctx) => {
    const r = ctx.chatJoinRequest;
    await ensureGroup(r.chat);
    const touch = mapJoinRequest(r, await campaignOfLink(r.invite_link?.invite_link), { workspace: ws, botId: account.botId, seq: ctx.update.update_id });
    if (!touch) return;
    await enqueue([touch]);
    await store.community.joinRequests.put(ws, {
      workspace: ws,
      platform: 'telegram',
      chatId: String(r.chat.id),
      userId: String(r.from.id),
      touchId: touch.id,
      requestedAt: touch.occurredAt,
      expiresAt: new Date(Date.parse(touch.occurredAt) + JOIN_REQUEST_TTL_MS).toISOString(),
    });
  });

  bot.on('my_chat_member', async (ctx) => {
    const u = ctx.myChatMember;
    const c = chatOf(u.chat);
    if (!c || c.type !== 'group') return void blog.debug({ chatType: u.chat.type }, 'my_chat_member outside a group');
    const info = await init();
    const status = u.new_chat_member.status;
    const inChat = status === 'member' || status === 'administrator' || status === 'creator';
    const wasIn = ['member', 'administrator', 'creator'].includes(u.old_chat_member.status) || (u.old_chat_member.status === 'restricted' && u.old_chat_member.is_member);
    const title = c.title ?? c.id;
    const at = now().toISOString();
    const adder = String(u.from.id);
    if (!inChat) {
      await store.community.groups.upsert(ws, { workspace: ws, platform: 'telegram', chatId: c.id, title, account: account.botId, status: status === 'kicked' ? 'removed' : 'left', botIsAdmin: false, at });
      knownGroups.delete(c.id);
      blog.info({ chat: c.id, status }, 'bot removed from a group');
      return;
    }
    const botIsAdmin = status === 'administrator';
    await store.community.groups.upsert(ws, {
      workspace: ws,
      platform: 'telegram',
      chatId: c.id,
      title,
      account: account.botId,
      status: 'active',
      botIsAdmin,
      ...(wasIn ? {} : { addedBy: subjectOf('telegram', adder) }),
      at,
    });
    knownGroups.set(c.id, title);
    if (wasIn) return void blog.info({ chat: c.id, botIsAdmin }, 'bot rights changed');
    blog.info({ chat: c.id, botIsAdmin, addedBy: adder }, 'bot added to a group');
    const lines = [
      `Thanks for adding me to “${title}”. I record who joins (and through which invite link), keywords and links, never the text of messages.`,
      botIsAdmin
        ? 'I am an admin there, so I see joins, leaves and messages. Give me the “Invite users via link” right to make campaign links with /invite.'
        : 'Please make me an admin of the group: Telegram tells bots about members joining and leaving only when they are admins. The “Invite users via link” right lets me make campaign links with /invite; no other right is needed.',
    ];
    if (!botIsAdmin && !info.can_read_all_group_messages) {
      lines.push('Privacy mode is on for me, so until I am an admin I see only commands, not the group’s messages (no keyword or link tracking). Make me an admin, or turn privacy mode off in @BotFather (/setprivacy → Disable) and add me again.');
    }
    if (u.from.is_bot) return;
    try {
      await telegram.sendMessage(adder, lines.join('\n\n'), { link_preview_options: { is_disabled: true } });
    } catch (err) {
      blog.debug({ chat: c.id, err: err instanceof Error ? err.message : String(err) }, 'could not write to the adder privately; telling the group');
      await telegram.sendMessage(c.id, lines.slice(1).join('\n\n'), { link_preview_options: { is_disabled: true } });
    }
  });

  // Anything no handler above took: a type this bot does not use (polls, reactions, …).
  bot.use((ctx) => {
    blog.debug({ updateId: ctx.update.update_id, updateType: ctx.updateType }, 'update type not used: dropped');
  });

  bot.catch((err, ctx) => {
    const kind = classifyError(err);
    const updateId = ctx.update.update_id;
    blog[kind === 'network' ? 'warn' : 'error']({ updateId, updateType: ctx.updateType, kind, err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'update handling failed');
    throw new UpdateHandlingError(kind, updateId, err);
  });

  // Updates of one chat are handled one at a time, in the order the worker picks them up
  // (FIFO), so "/invite x" then "/invites" never swap; different chats run concurrently.
  const chains = new Map<string, Promise<void>>();
  const inOrder = async (key: string, run: () => Promise<void>): Promise<void> => {
    const previous = chains.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(run);
    chains.set(key, current);
    try {
      await current;
    } finally {
      if (chains.get(key) === current) chains.delete(key);
    }
  };

  return {
    account,
    bot: bot as unknown as Telegraf,
    telegram,
    init,
    async handleUpdate(update) {
      // telegraf throws on an update with no payload it can name; such an update is dropped, not failed.
      const type = Object.keys(update).find((k) => k !== 'update_id' && typeof (update as unknown as Record<string, unknown>)[k] === 'object');
      if (type === undefined) return void blog.debug({ updateId: update.update_id }, 'update without a payload: dropped');
      const payload = (update as unknown as Record<string, { chat?: { id?: unknown } }>)[type];
      const chat = payload?.chat?.id;
      await inOrder(typeof chat === 'number' ? String(chat) : `update:${type}`, async () => {
        await init();
        await bot.handleUpdate(update);
      });
    },
  };
}
