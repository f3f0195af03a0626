/**
 * Commands on WhatsApp: a message starting with `/name` in a chat with a driven account runs
 * the platform-neutral command layer (`src/commands`), the same commands, access rules and
 * audit as on Telegram, and the answers go back through the account's {@link WhatsAppSender}
 * (conservative limits; only chats that wrote first).
 *
 * - **Who**: the sender's hashed WhatsApp id (`whatsapp:<hash>`, as opt-outs and the audit
 *   log name WhatsApp people: no phone number is ever stored). The settings list people as
 *   `whatsapp:+8613800138000` (or `whatsapp:<number>@lid`): those entries are hashed the same
 *   way before the command layer compares them ({@link hashedRoleSettings}).
 * - **Where**: a private chat with the account, or a group (its public id, as touches name it).
 *   Reports are never answered in a member group; answers meant for the sender alone go to
 *   their private chat only when they wrote to the account privately before (else the group is
 *   told to write first): the account never opens a chat.
 * - **Reports** run inline (WhatsApp has no report queue); after {@link NOTICE_AFTER_MS} a
 *   “working on it” line is sent first.
 * Failures are logged (ids and command names only, never message text) and never thrown.
 */
import type { CommandHandler, CommandRequest, CommandResult, CommandSettings, ChatPlatform } from '../../src/commands/index.js';
import { NOTICE_AFTER_MS, PlatformRefusedError, WORKING_ON_IT } from '../../src/commands/index.js';
import { normalizeInternationalPhone, type Pseudonymizer } from '../../src/identity/pseudonymize.js';
import type { Logger } from '../../src/logger.js';
import type { WhatsAppAccount } from './accounts.js';
import { formatAnswers, type WaOutgoing } from './format-answers.js';
import { NotAllowedToWriteError, type SendingClient, type WhatsAppSender } from './send-limiter.js';
import { parseWaId, personIdentity, publicChatId, type PersonIdentity, type PhoneOfLid } from './wa-ids.js';

/** A command message as the event handler read it. */
export interface WhatsAppCommandInput {
  /** Serialized chat id (a group, or the person in a private chat). */
  chatId: string;
  chatKind: 'group' | 'private';
  /** The chat as touches and the store name it (see `publicChatId`). */
  publicChatId: string;
  chatTitle?: string;
  /** Serialized id of the sender. */
  senderId: string;
  /** The sender, hashed. */
  sender: PersonIdentity;
  name: string;
  args: string[];
  at: Date;
}

/** What the commands need of WhatsApp Web (the runner's current client; tests stub it). */
export interface CommandLookups {
  /** Serialized ids of a group's admins (empty when unknown). */
  groupAdmins(chatId: string): Promise<string[]>;
  phonesOfLids(lids: readonly string[]): Promise<PhoneOfLid>;
}

export interface WhatsAppCommandsOptions {
  account: WhatsAppAccount;
  hash: Pseudonymizer;
  /** Makes the command handler with this account's platform (see {@link createWhatsAppPlatform}). */
  createHandler: (platform: ChatPlatform) => CommandHandler;
  sender: WhatsAppSender;
  /** The client currently driving the account; undefined between sessions. */
  client: () => SendingClient | undefined;
  lookups: CommandLookups;
  log: Logger;
  /** How long a report may take before “working on it” is sent; default 2 s. */
  noticeMs?: number;
  /** The language answers are in (WhatsApp tells no language of its users): the workspace's `language`; default English. */
  language?: 'en' | 'zh';
}

export interface WhatsAppCommands {
  /** Notes any message of a chat (it may then be answered); call for every received message. */
  noteInbound(chatId: string): void;
  /** Runs one command and sends its answers; never throws. */
  run(input: WhatsAppCommandInput): Promise<void>;
}

/**
 * The settings with their WhatsApp people and managers' chats hashed as the command layer
 * sees WhatsApp senders and groups: `whatsapp:+86…` → `whatsapp:<hash of the phone's id>`,
 * `whatsapp:<n>@lid` → `whatsapp:<hash of the linked id>`. Telegram entries stay as they are.
 */
export function hashedRoleSettings(settings: CommandSettings, hash: Pseudonymizer): CommandSettings {
  const person = (s: string): string => {
    if (!s.startsWith('whatsapp:')) return s;
    const raw = s.slice('whatsapp:'.length);
    const id = raw.includes('@') ? raw : `${normalizeInternationalPhone(raw)?.slice(1) ?? raw}@c.us`;
    const who = personIdentity(id, hash);
    return who ? `whatsapp:${who.userId}` : s;
  };
  const chat = (s: string): string => {
    if (!s.startsWith('whatsapp:')) return s;
    const id = publicChatId(s.slice('whatsapp:'.length), hash);
    return id !== null ? `whatsapp:${id}` : s;
  };
  return {
    ...settings,
    roles: { owners: settings.roles.owners.map(person), managers: settings.roles.managers.map(person), operators: settings.roles.operators.map(person) },
    managersChats: settings.managersChats.map(chat),
  };
}

/**
 * The command layer's platform operations on one WhatsApp account. WhatsApp groups have one
 * invite link at a time, so Telegram-style named invite links are refused with what to use
 * instead; admin checks read the group's participants.
 */
export function createWhatsAppPlatform(account: WhatsAppAccount, hash: Pseudonymizer, lookups: CommandLookups, realChatId: (publicId: string) => string | undefined): ChatPlatform {
  const admins = new Map<string, { at: number; ids: Set<string> }>();
  const noInviteLinks = (): never => {
    throw new PlatformRefusedError('A WhatsApp group has one invite link at a time, so I cannot make one per campaign. Use /link <campaign> in the group: it makes a tracked group link for that campaign.');
  };
  return {
    botUsername: account.id,
    async isChatAdmin(chatId, userId) {
      const real = realChatId(chatId);
      if (real === undefined) return false;
      let hit = admins.get(real);
      if (!hit || Date.now() - hit.at > 5 * 60_000) {
        const list = await lookups.groupAdmins(real);
        const lids = list.filter((id) => parseWaId(id).kind === 'lid');
        const phones = lids.length > 0 ? await lookups.phonesOfLids(lids).catch(() => new Map<string, string>()) : new Map<string, string>();
        const ids = new Set<string>();
        for (const id of list) {
          const who = personIdentity(id, hash, phones);
          if (who) for (const v of [who.userId, who.lidHash]) if (v !== undefined) ids.add(v);
        }
        hit = { at: Date.now(), ids };
        if (admins.size > 10_000) admins.clear();
        admins.set(real, hit);
      }
      return hit.ids.has(userId);
    },
    createInviteLink: async () => noInviteLinks(),
    revokeInviteLink: async () => noInviteLinks(),
  };
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createWhatsAppCommands(options: WhatsAppCommandsOptions): WhatsAppCommands {
  const { account, sender, log } = options;
  const noticeMs = options.noticeMs ?? NOTICE_AFTER_MS;
  const realIds = new Map<string, string>();
  const platform = createWhatsAppPlatform(account, options.hash, options.lookups, (id) => realIds.get(id));
  const handler = options.createHandler(platform);

  const send = async (chatId: string, messages: readonly WaOutgoing[]): Promise<void> => {
    const client = options.client();
    if (!client) throw new Error('no WhatsApp client running');
    await sender.send(client, chatId, messages);
  };

  /** Delivers a result: here, or privately to the sender with a note in the group. */
  const deliver = async (input: WhatsAppCommandInput, result: CommandResult): Promise<void> => {
    const messages = formatAnswers(result.answers);
    if (messages.length === 0) return;
    if (result.deliver === 'here' || input.chatKind === 'private') return send(input.chatId, messages);
    if (!sender.mayWrite(input.senderId)) {
      // The account never opens a chat: the sender writes first.
      return send(input.chatId, [{ kind: 'text', text: 'I can only answer that in a private chat. Write to me directly (any message), then ask again there.' }]);
    }
    await send(input.senderId, messages);
    if (result.groupNote) await send(input.chatId, [{ kind: 'text', text: 'I sent you the answer in a private chat.' }]);
  };

  return {
    noteInbound: (chatId) => sender.noteInbound(chatId),
    async run(input) {
      sender.noteInbound(input.chatId);
      realIds.set(input.publicChatId, input.chatId);
      if (realIds.size > 50_000) realIds.clear();
      const req: CommandRequest = {
        workspace: account.workspace,
        platform: 'whatsapp',
        account: account.id,
        user: { id: input.sender.userId, ...(options.language ? { languageCode: options.language } : {}) },
        chat: { id: input.publicChatId, type: input.chatKind === 'group' ? 'group' : 'private', ...(input.chatTitle ? { title: input.chatTitle } : {}) },
        name: input.name,
        args: input.args,
        now: input.at,
      };
      const clog = log.child({ account: account.id, command: input.name, chat: input.publicChatId });
      try {
        // Digests would be messages nobody asked for at that moment: WhatsApp accounts only answer.
        if (input.name === 'digest') return await deliver(input, { answers: [{ type: 'text', text: 'Scheduled digests are not sent on WhatsApp (the account only answers, to keep the number safe). Ask for /report when you need it, or subscribe on Telegram.' }], deliver: 'here' });
        const prepared = await handler.prepare(req);
        if (prepared.kind === 'answered') return await deliver(input, prepared.result);
        let noticed = false;
        const running = handler.runReport(prepared.job, { lastAttempt: true });
        const timer = new Promise<'slow'>((resolve) => setTimeout(() => resolve('slow'), noticeMs).unref());
        if ((await Promise.race([running.then(() => 'done' as const), timer])) === 'slow') {
          const where = prepared.job.deliver === 'private' && input.chatKind === 'group' && sender.mayWrite(input.senderId) ? input.senderId : input.chatId;
          await send(where, [{ kind: 'text', text: WORKING_ON_IT }]).catch((err: unknown) => clog.debug({ err: errText(err) }, 'could not say “working on it”; the report follows anyway'));
          noticed = true;
        }
        await deliver(input, await running);
        clog.debug({ noticed }, 'report answered');
      } catch (err) {
        if (err instanceof NotAllowedToWriteError) return void clog.warn('answer not sent: the chat did not write first');
        clog.error({ err: errText(err) }, 'whatsapp command failed');
      }
    },
  };
}
