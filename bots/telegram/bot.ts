/**
 * One Telegram bot: a real telegraf `Telegraf` with the product's handlers. It never
 * polls or listens by itself: the update worker feeds it queued updates through
 * `bot.handleUpdate` (see `update-worker.ts`), whether they came by webhook or polling.
 *
 * Capture is a pure mapping: an update becomes touch events (the touch queue) and
 * community events (groups seen, the bot's rights, migrations: the community queue, which
 * the community worker writes to the store), from the configuration and the capture
 * settings pushed to this process (keywords, invite link → campaign; `src/capture`). It
 * never reads the store, so a store outage cannot fail or lose an update; opt-outs and the
 * "a join request is the join" rule are applied by the profile worker.
 *
 * Commands go to the platform-neutral command layer (which does read the store) and its
 * answers are sent back, except reports, which are queued for the report worker
 * (`report-worker.ts`). Edited messages, messages from bots (and from this bot), channel
 * posts, updates without a payload, updates whose ids or titles are not well-formed Unicode
 * and update types the bot does not use are logged at debug level and dropped. A handler
 * error goes to `bot.catch`, which classifies it and rethrows; the update worker turns it
 * into the job's outcome (see `errors.ts`).
 */
import { Context, Telegraf } from 'telegraf';
import type { ChatMemberUpdated, Message, Update, UserFromGetMe } from 'telegraf/types';
import { subjectOf } from '../../src/access/roles.js';
import type { CaptureSettings } from '../../src/capture/capture-settings.js';
import { applyCommunityEvent, type CommunityEvent } from '../../src/capture/community-event.js';
import {
  createCommandHandler,
  parseCommand,
  type CommandHandler,
  type CommandResult,
  type CommandSettings,
  type ModelsPort,
  type ReportJob,
  type ReportQueue,
  type TrackedLinksPort,
  type DashboardPort,
} from '../../src/commands/index.js';
import { languageOf, t } from '../../src/i18n/index.js';
import { reportCommandJobId } from '../../src/queue/keys.js';
import { makePseudonymizer, normalizeInternationalPhone } from '../../src/identity/pseudonymize.js';
import type { Logger } from '../../src/logger.js';
import { drop, ok, type JobOutcome } from '../../src/queue/outcome.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import type { Store } from '../../src/store/store.js';
import type { TouchEvent } from '../../src/touch-event.js';
import type { TelegramBotAccount } from './bot-accounts.js';
import { classifyError, UpdateHandlingError } from './errors.js';
import { chatOf, contentOf, isFromPerson, isServiceMessage, mapChatMember, mapDmStart, mapJoinRequest, mapMessage, malformedField } from './map-update.js';
import { LimitedTelegram, SendLimiter } from './rate-limit.js';
import { deliverResult } from './send-answers.js';
import { createTelegramPlatform } from './telegram-platform.js';
import { canInviteUsers } from './update-fields.js';

/** Shared by every bot of a process. */
export interface BotServices {
  /** The store, for the command layer only (capture never reads it). */
  store: Store;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  /** Community events (groups seen, bot rights, migrations) for the community worker. */
  community: { addMany(events: readonly CommunityEvent[]): Promise<void> };
  /** Keywords and invite links, pushed to this process (`src/capture`). */
  capture: Pick<CaptureSettings, 'matcher' | 'inviteLink'>;
  settings: (workspace: string) => CommandSettings | undefined;
  reports?: ReportsApi;
  /** Fits of the data-driven models (`/models` status, `/refit`). */
  models?: ModelsPort;
  /**
   * The report queue: report commands are checked here and answered by the report worker
   * (`report-worker.ts`); the update handler waits `reportNoticeMs` at most, then says
   * “working on it”.
   */
  reportJobs: Pick<ReportQueue, 'add' | 'awaitAnswers'>;
  /** How long a command's update waits for its report before “working on it”; default 2 s. */
  reportNoticeMs?: number;
  links?: (workspace: string) => TrackedLinksPort | undefined;
  /** The dashboard's Mini App address and login links (`/dashboard`); absent without PUBLIC_BASE_URL. */
  dashboard?: DashboardPort;
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

export interface TelegramBot {
  readonly account: TelegramBotAccount;
  readonly bot: Telegraf;
  /** The rate-limited client every outgoing call goes through. */
  readonly telegram: LimitedTelegram;
  /** Asks Telegram who the bot is (getMe) and builds the command layer; idempotent. */
  init(): Promise<UserFromGetMe>;
  /**
   * Handles one update: `ok`, or `drop` with why (no payload, ids or titles that are not
   * well-formed Unicode). Throws what a handler threw (see `errors.ts`). `redacted`: the
   * update was kept redacted after a failure and is replayed: what people wrote is gone,
   * so a command in it is not run again.
   */
  handleUpdate(update: Update, options?: { redacted?: boolean }): Promise<JobOutcome>;
  /** Computes a report job of this bot's command layer (the report worker delivers the result). */
  runReport(job: ReportJob, options?: { lastAttempt?: boolean }): Promise<{ result: CommandResult; botUsername: string }>;
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
        ...(services.models ? { models: services.models } : {}),
        ...(links ? { links } : {}),
        ...(services.dashboard ? { dashboard: services.dashboard } : {}),
        settings: services.settings,
        platform: createTelegramPlatform(telegram, info.username),
        log: blog,
      });
      return info;
    })().catch((err: unknown) => {
      initializing = undefined;
      throw err;
    });
    return initializing;
  };

  /** Groups whose registration this process already asked for, with the title it gave. */
  const knownGroups = new Map<string, string>();
  /** Updates being replayed from their redacted copy (see `handleUpdate`). */
  const redactedUpdates = new WeakSet<object>();

  const groupSeenEvent = (chat: Message['chat'] | ChatMemberUpdated['chat'], date: number): CommunityEvent | null => {
    const c = chatOf(chat);
    if (!c || c.type !== 'group') return null;
    return { kind: 'group_seen', workspace: ws, platform: 'telegram', chatId: c.id, account: account.botId, at: at(date), ...(c.title !== undefined ? { title: c.title } : {}) };
  };

  /** Asks the community worker to register a group (on first sight in this process, or a new title). */
  const groupSeen = async (chat: Message['chat'] | ChatMemberUpdated['chat'], date: number): Promise<void> => {
    const event = groupSeenEvent(chat, date);
    if (!event || knownGroups.get(event.chatId) === (event.title ?? '')) return;
    await services.community.addMany([event]);
    if (knownGroups.size > 50_000) knownGroups.clear();
    knownGroups.set(event.chatId, event.title ?? '');
  };

  /**
   * Registers the group in the store before a command there runs: commands read the store
   * anyway (they are not capture), and an operator's first /invite in a new group must find
   * it registered, not wait for the community worker.
   */
  const registerForCommand = async (chat: Message['chat'], date: number): Promise<void> => {
    const event = groupSeenEvent(chat, date);
    if (event) await applyCommunityEvent(services.store, event);
  };

  const enqueue = async (touches: TouchEvent[]): Promise<void> => {
    if (touches.length > 0) await services.touches.enqueueMany(touches);
  };

  /** Whether whoever added a member administers the group (asked of Telegram, cached 5 minutes); null when Telegram could not say. */
  const adderAdmins = new Map<string, { at: number; admin: boolean }>();
  const adderIsAdmin = async (chatId: string, userId: string): Promise<boolean | null> => {
    const key = `${chatId}\u0000${userId}`;
    const hit = adderAdmins.get(key);
    if (hit && now().getTime() - hit.at < 5 * 60_000) return hit.admin;
    try {
      const m = await telegram.getChatMember(chatId, Number(userId));
      const admin = m.status === 'creator' || m.status === 'administrator';
      if (adderAdmins.size > 10_000) adderAdmins.clear();
      adderAdmins.set(key, { at: now().getTime(), admin });
      return admin;
    } catch (err) {
      blog.debug({ chat: chatId, err: err instanceof Error ? err.message : String(err) }, 'could not ask whether the adder is an admin');
      return null;
    }
  };

  const campaignOfLink = (url: string | undefined): string | undefined => (url === undefined ? undefined : services.capture.inviteLink(ws, 'telegram', url)?.campaign);

  /**
   * A command: checked here; a report is queued (job id from the bot and the update, so a
   * re-handled update is one report) and answered by the report worker. The update waits a
   * moment for it, then says “working on it” instead of holding the update any longer.
   */
  const runCommand = async (msg: Message, name: string, args: string[], updateId: number): Promise<void> => {
    if (!commands || !me || !msg.from) throw new Error('the bot was not initialized (getMe) before handling a command');
    const chat = msg.chat;
    if (chat.type === 'channel') return;
    const prepared = await commands.prepare({
      workspace: ws,
      platform: 'telegram',
      account: account.botId,
      user: { id: String(msg.from.id), ...(msg.from.username ? { username: msg.from.username } : {}), ...(msg.from.language_code ? { languageCode: msg.from.language_code } : {}) },
      chat: { id: String(chat.id), type: chat.type, ...('title' in chat && chat.title ? { title: chat.title } : {}) },
      name,
      args,
      now: now(),
    });
    const where = { chatId: String(chat.id), userId: String(msg.from.id) };
    if (prepared.kind === 'answered') return deliverResult(telegram, me.username, where, prepared.result);
    const jobId = reportCommandJobId(account.botId, updateId);
    await services.reportJobs.add(jobId, { kind: 'command', platform: 'telegram', account: account.botId, job: prepared.job, where });
    await services.reportJobs.awaitAnswers(jobId, {
      ...(services.reportNoticeMs !== undefined ? { waitMs: services.reportNoticeMs } : {}),
      notice: async () => {
        await telegram.sendMessage(prepared.job.deliver === 'private' ? where.userId : where.chatId, t(languageOf(msg.from?.language_code), 'report.working')).catch((err: unknown) => {
          blog.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not say “working on it”; the report follows anyway');
        });
      },
    });
  };

  const onMessage = async (msg: Message, seq: number, redacted: boolean): Promise<void> => {
    if (msg.chat.type === 'channel') return void blog.debug({ chat: msg.chat.id }, 'channel post dropped');
    await init();
    if (msg.chat.type !== 'private') {
      if ('migrate_to_chat_id' in msg && typeof msg.migrate_to_chat_id === 'number') {
        const old = String(msg.chat.id);
        const to = String(msg.migrate_to_chat_id);
        const title = 'title' in msg.chat && typeof msg.chat.title === 'string' ? msg.chat.title.slice(0, 300) : undefined;
        await services.community.addMany([{ kind: 'migrated', workspace: ws, platform: 'telegram', chatId: old, to, account: account.botId, at: at(msg.date), ...(title !== undefined ? { title } : {}) }]);
        knownGroups.delete(old);
        return;
      }
      if ('migrate_from_chat_id' in msg) return;
      await groupSeen(msg.chat, msg.date);
    }
    if (isServiceMessage(msg)) return void blog.debug({ chat: msg.chat.id }, 'service message: no touch');
    if (!isFromPerson(msg, account.botId)) return void blog.debug({ chat: msg.chat.id }, 'message from a bot or channel dropped');
    const { text, entities } = contentOf(msg);
    const first = entities[0];
    // A command replayed from a redacted copy cannot be read again: it is not run twice, nor taken for a message.
    if (redacted && first?.type === 'bot_command' && first.offset === 0) return void blog.info({ chat: msg.chat.id }, 'redacted command not run again');
    const command = first?.type === 'bot_command' && first.offset === 0 ? parseCommand(text) : null;
    if (command) {
      if (command.botUsername !== undefined && command.botUsername !== me?.username.toLowerCase()) return void blog.debug('command for another bot');
      if (command.name === 'start' && msg.chat.type === 'private') {
        const touch = mapDmStart(msg, command.args[0], { workspace: ws, botId: account.botId, seq });
        if (touch) await enqueue([touch]);
      }
      await registerForCommand(msg.chat, msg.date);
      await runCommand(msg, command.name, command.args, seq);
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
    const matcher = services.capture.matcher(ws);
    await enqueue(mapMessage(msg, { workspace: ws, botId: account.botId, seq, matcher, ...(phoneHash !== undefined ? { phoneHash } : {}) }));
  };

  bot.on('message', async (ctx) => onMessage(ctx.message, ctx.update.update_id, redactedUpdates.has(ctx.update)));

  bot.on('edited_message', (ctx) => {
    blog.debug({ chat: ctx.editedMessage.chat.id }, 'edited message: no second touch');
  });

  bot.on('chat_member', async (ctx) => {
    const u = ctx.chatMember;
    await groupSeen(u.chat, u.date);
    // A join request's approval is mapped like any join; the profile worker drops it as a repeat of the request.
    const change = mapChatMember(u, campaignOfLink(u.invite_link?.invite_link), { workspace: ws, botId: account.botId, seq: ctx.update.update_id });
    if (!change) return void blog.debug({ chat: u.chat.id }, 'member change that is no join or leave');
    if (change.touch.kind === 'join' && change.touch.details.addedBy !== undefined) {
      // Referral chains: a member added by an admin is a moderator's act, not an invitation (unless configured otherwise).
      const admin = await adderIsAdmin(String(u.chat.id), change.touch.details.addedBy);
      if (admin !== null) change.touch.details.addedByAdmin = admin;
    }
    await enqueue([change.touch]);
  });

  bot.on('chat_join_request', async (ctx) => {
    const r = ctx.chatJoinRequest;
    await groupSeen(r.chat, r.date);
    const touch = mapJoinRequest(r, campaignOfLink(r.invite_link?.invite_link), { workspace: ws, botId: account.botId, seq: ctx.update.update_id });
    if (touch) await enqueue([touch]);
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
    const adder = String(u.from.id);
    const base = { kind: 'bot_status' as const, workspace: ws, platform: 'telegram' as const, chatId: c.id, account: account.botId, at: at(u.date), ...(c.title !== undefined ? { title: c.title } : {}) };
    if (!inChat) {
      await services.community.addMany([{ ...base, status: status === 'kicked' ? 'removed' : 'left', botIsAdmin: false }]);
      knownGroups.delete(c.id);
      blog.info({ chat: c.id, status }, 'bot removed from a group');
      return;
    }
    const botIsAdmin = status === 'administrator' || status === 'creator';
    await services.community.addMany([{ ...base, status: 'active', botIsAdmin, ...(wasIn ? {} : { addedBy: subjectOf('telegram', adder) }) }]);
    knownGroups.set(c.id, c.title ?? '');
    if (wasIn) return void blog.info({ chat: c.id, botIsAdmin }, 'bot rights changed');
    blog.info({ chat: c.id, botIsAdmin, addedBy: adder }, 'bot added to a group');
    const canInvite = canInviteUsers(u.new_chat_member);
    const zh = languageOf(u.from.language_code) === 'zh';
    const lines = zh
      ? [
          `感谢把我加入“${title}”。我会记录谁入群（以及通过哪个邀请链接）、关键词和链接，从不保存消息正文。`,
          botIsAdmin
            ? `我在那里是管理员，所以能看到入群、退群和消息。${canInvite ? '' : '请给我“通过链接邀请用户”的权限，这样才能用 /invite 创建活动链接。'}`
            : '请把我设为群管理员：Telegram 只在机器人是管理员时才告诉它成员的入群和退群。“通过链接邀请用户”权限让我能用 /invite 创建活动链接；不需要其他权限。',
        ]
      : [
          `Thanks for adding me to “${title}”. I record who joins (and through which invite link), keywords and links, never the text of messages.`,
          botIsAdmin
            ? `I am an admin there, so I see joins, leaves and messages.${canInvite ? '' : ' Give me the “Invite users via link” right to make campaign links with /invite.'}`
            : 'Please make me an admin of the group: Telegram tells bots about members joining and leaving only when they are admins. The “Invite users via link” right lets me make campaign links with /invite; no other right is needed.',
        ];
    if (!botIsAdmin && !info.can_read_all_group_messages) {
      lines.push(
        zh
          ? '我的隐私模式已开启，在成为管理员之前只能看到命令，看不到群消息（无法统计关键词和链接）。请把我设为管理员，或在 @BotFather 中关闭隐私模式（/setprivacy → Disable）后重新把我加进群。'
          : 'Privacy mode is on for me, so until I am an admin I see only commands, not the group’s messages (no keyword or link tracking). Make me an admin, or turn privacy mode off in @BotFather (/setprivacy → Disable) and add me again.',
      );
    }
    if (u.from.is_bot) return;
    try {
      await telegram.sendMessage(adder, lines.join('\n\n'), { link_preview_options: { is_disabled: true } });
    } catch (err) {
      blog.debug({ chat: c.id, err: err instanceof Error ? err.message : String(err) }, 'could not write to the adder privately; telling the group');
      await telegram.sendMessage(c.id, lines.slice(1).join('\n\n'), { link_preview_options: { is_disabled: true } });
      return;
    }
    await readinessForAdder(adder, u.from.username, u.from.language_code, ctx.update.update_id);
  });

  /**
   * After the bot was added: the readiness checks that are not green, sent privately to whoever
   * added it when they may see them (an owner or manager: `/readiness problems` as they would
   * ask it, on the report queue). Never fails the update.
   */
  const readinessForAdder = async (adder: string, username: string | undefined, languageCode: string | undefined, updateId: number): Promise<void> => {
    if (!commands || !services.reports?.readiness) return;
    try {
      const prepared = await commands.prepare({ workspace: ws, platform: 'telegram', account: account.botId, user: { id: adder, ...(username ? { username } : {}), ...(languageCode ? { languageCode } : {}) }, chat: { id: adder, type: 'private' }, name: 'readiness', args: ['problems'], now: now() });
      if (prepared.kind !== 'report') return;
      await services.reportJobs.add(reportCommandJobId(account.botId, updateId), { kind: 'command', platform: 'telegram', account: account.botId, job: prepared.job, where: { chatId: adder, userId: adder } });
    } catch (err) {
      blog.debug({ err: err instanceof Error ? err.message : String(err) }, 'readiness after the bot was added not queued');
    }
  };

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
    async handleUpdate(update, options = {}) {
      // telegraf throws on an update with no payload it can name (or a null one): dropped as empty, not failed.
      const type = payloadTypeOf(update);
      if (type === undefined) {
        blog.debug({ updateId: update.update_id }, 'update without a payload: dropped');
        return drop('update without a payload');
      }
      const malformed = malformedField(update);
      if (malformed !== undefined) {
        blog.debug({ updateId: update.update_id, field: malformed }, 'update with a field that is not well-formed Unicode: dropped');
        return drop(`${malformed} is not well-formed Unicode`);
      }
      if (options.redacted) redactedUpdates.add(update);
      const payload = (update as unknown as Record<string, { chat?: { id?: unknown } }>)[type];
      const chat = payload?.chat?.id;
      await inOrder(typeof chat === 'number' ? String(chat) : `update:${type}`, async () => {
        await init();
        await bot.handleUpdate(update);
      });
      return ok();
    },
    async runReport(job, options) {
      await init();
      if (!commands || !me) throw new Error('the bot was not initialized (getMe) before running a report');
      return { result: await commands.runReport(job, options), botUsername: me.username };
    },
  };
}

const at = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

/** The update's payload field (`message`, `chat_member`, …): the first besides `update_id` holding an object; undefined when none does. */
function payloadTypeOf(update: Update): string | undefined {
  const u = update as unknown as Record<string, unknown>;
  return Object.keys(u).find((k) => k !== 'update_id' && typeof u[k] === 'object' && u[k] !== null && !Array.isArray(u[k]));
}
