/**
 * The demo runner: starts the real service in this process (HTTP server, workers,
 * reconciler, rollup, the Telegram role; the in-memory store unless `MONGO_URL` is set) on
 * the local Redis, with a local stand-in for the Telegram Bot API, then feeds the generated
 * community through the real code paths, phase by phase, and prints what a manager sees.
 *
 * Each phase is one function in {@link PHASES}. A phase that needs a feature this build does
 * not have says so and is skipped; features are detected by what the build can do (a command
 * in the registry, an HTTP route that answers), never by a branch name.
 *
 * Printed figures never carry wall-clock times or random ids, so two runs print the same.
 * Progress bars and timings go to stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRoles, type RunningRoles } from '../../app/roles.js';
import { TelegramUpdateQueue } from '../../bots/telegram/update-queue.js';
import { createWhatsAppHandler, type WhatsAppHandler, type WhatsAppLookups } from '../../bots/whatsapp/event-handler.js';
import { createSendLimiter, type SendingClient } from '../../bots/whatsapp/send-limiter.js';
import { createWhatsAppCommands, hashedRoleSettings } from '../../bots/whatsapp/whatsapp-commands.js';
import { createCaptureSettings, type CaptureSettings } from '../../src/capture/capture-settings.js';
import { createCommandHandler, WORKING_ON_IT } from '../../src/commands/index.js';
import type { CommandDeps } from '../../src/commands/command-types.js';
import { createGroupLink, createGroupLinkState } from '../../src/group-links/group-links.js';
import { makePseudonymizer } from '../../src/identity/pseudonymize.js';
import { loadConfig, type Config } from '../../src/config.js';
import { signBody } from '../../src/conversions/verify-signature.js';
import { createLink } from '../../src/links/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducerConnection } from '../../src/queue/redis.js';
import { fitStatus } from '../../src/reconcile/fit-status.js';
import { alignTable } from '../../src/reports/format-report.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { BotApiStandIn } from './bot-api-standin.js';
import { DAY_S, generateCommunity, GROUPS, isGroupEvent, KEYWORDS, type Community, type DemoEvent, type GroupEvent, type GenerateOptions, type Member } from './generate-community.js';
import { BOT_ID, BOT_TOKEN, BOT_USERNAME, MANAGER, messageText, OPERATOR, TelegramUpdates, tgUser, WA_ADMIN, waId, WEBHOOK_SECRET, WhatsAppObjects } from './platform-events.js';
import { closeHttpClient, request } from './http-client.js';
import { createProgress, type Progress } from './progress.js';

export const WORKSPACE = 'demo';
const SECRET = 'demo-webhook-secret-0123456789';
const HASH_KEY = 'demo-hash-key-0123456789abcdef';
const WA_ACCOUNT = 'demo-wa';
const REPORT_API_KEY = 'demo-report-api-key-0123456789abcdef';

export interface DemoOptions extends GenerateOptions {
  /** Where printed lines go (default stdout). */
  print?: (text: string) => void;
  /** Progress bars on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  redisUrl?: string;
  /** Queue prefix (default `demo-<pid>`); every key under it is removed at the end. */
  queuePrefix?: string;
  logLevel?: string;
}

/** What the phases share. */
export interface DemoContext {
  community: Community;
  config: Config;
  app: RunningRoles;
  store: Store;
  base: string;
  api: BotApiStandIn;
  progress: Progress;
  print: (text: string) => void;
  /** Simulated time (ms) the HTTP server records clicks at, moved by the phases. */
  clock: { now: number };
  updates: TelegramUpdates;
  /** Telegram invite link per `<group key>` of each campaign made by `/invite`. */
  campaignLinks: Map<string, string>;
  /** Personal invite links per `<member>|<group key>` (when `/myinvite` exists). */
  personalLinks: Map<string, string>;
  /** Tracked link codes by link key. */
  linkCodes: Map<string, string>;
  /** The click id each generated click got (`clickRef` → `mf_click`). */
  clickIds: Map<number, string>;
  /** Redis (the producer connection). */
  redis: Redis;
  /** The WhatsApp connector, once a phase made it. */
  wa?: WaConnector;
  /** The tracked WhatsApp group link `/link` made. */
  groupLinkUrl?: string;
  /** The chart image the bot sent with each answer (`sendPhoto`), by command. */
  charts: Map<string, Buffer>;
  /** Phases waiting for a feature, and why. */
  waiting: Array<{ phase: string; reason: string }>;
  /** Whether this build answers an HTTP route (`GET <path>`) other than with the not-found page. */
  hasRoute(path: string): Promise<boolean>;
  postUpdate(update: Record<string, unknown>): Promise<void>;
  /** Sends a command as the manager in a private chat and returns the bot's answer texts. */
  ask(command: string): Promise<string[]>;
  settle(label: string): Promise<void>;
}

export interface Phase {
  name: string;
  /** Undefined when the phase can run; otherwise what it waits for. */
  missing?(ctx: DemoContext): Promise<string | undefined>;
  run(ctx: DemoContext): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const iso = (t: number): string => new Date(t * 1000).toISOString();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `fn` over `items` with at most `limit` at a time, in order of start. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
}

// --- phases ---------------------------------------------------------------------------------

const setupPhase: Phase = {
  name: 'set up the groups, campaign links and tracked links',
  async run(ctx) {
    const { community: c, updates, api } = ctx;
    const t0 = c.now / 1000 - 121 * DAY_S;
    const tg = Object.values(c.groups).filter((g) => g.platform === 'telegram');
    // The bot is made an admin of each Telegram group; the operator makes each Telegram campaign's invite link with /invite.
    for (const g of tg) {
      api.members.set(`${g.chatId}|${OPERATOR.id}`, 'administrator');
      await ctx.postUpdate(updates.botAdded(g, t0));
    }
    await ctx.settle('groups registered');
    for (const camp of c.campaigns.filter((x) => x.telegramInviteGroup !== undefined)) {
      const g = c.groups[camp.telegramInviteGroup!];
      await ctx.postUpdate(updates.message(tgUser(OPERATOR), { id: Number(g.chatId), type: 'supergroup', title: g.title }, `/invite ${camp.name}`, t0 + 60));
      // The operator gets the link in a private chat.
      await api.until(() => api.sent.some((m) => m.method === 'createChatInviteLink' && m.chatId === g.chatId) && api.to(OPERATOR.id).some((m) => m.text.includes(camp.name)), `/invite ${camp.name}`);
      const made = api.sent.find((m) => m.method === 'createChatInviteLink' && m.chatId === g.chatId)!;
      ctx.campaignLinks.set(camp.telegramInviteGroup!, made.inviteLink!);
    }
    // Tracked shop links (as `midfunnel links create` or /link make them), with chosen codes.
    for (const l of c.links) {
      const g = c.groups[l.group];
      const code = l.key === 'kol_shop' ? 'serum26' : 'cream26';
      await createLink(ctx.store, ctx.config.workspaces[0]!, { workspace: WORKSPACE, destination: l.destination, platform: g.platform, chatId: g.chatId, chatTitle: g.title, code, ...(l.campaign ? { campaign: l.campaign } : {}) }, new Date(t0 * 1000));
      ctx.linkCodes.set(l.key, code);
    }
    ctx.print(
      `Set up: ${tg.length} Telegram groups with the bot as admin, ${ctx.campaignLinks.size} campaign invite links made with /invite, ` +
        `${c.links.length} tracked shop links (/l/${[...ctx.linkCodes.values()].join(', /l/')}), coupon VIP88 for vip_chat.`,
    );
  },
};

/** Each campaign's target, as a manager would set it with `/goal`. */
const TARGETS: Record<string, string> = { spring_launch: '1000joins', kol_deals: 'roas3', wa_new: '20%@d28', vip_chat: 'roas2' };

const campaignRecordsPhase: Phase = {
  name: 'campaign goals (/goal) and spend (PUT /v1/spend)',
  async run(ctx) {
    const { community: c } = ctx;
    const [from, to] = c.period.split('..') as [string, string];
    const said: string[] = [];
    for (const camp of c.campaigns) {
      const target = TARGETS[camp.name];
      const answers = await ctx.ask(`/goal ${camp.name} ${camp.goal}${target ? ` target=${target}` : ''} from=${from} to=${to}`);
      said.push(answers.join(' '));
    }
    // Spend, one row per campaign and local day, in one PUT with the report API's key.
    const body = JSON.stringify({ workspace: WORKSPACE, rows: c.spend.map((r) => ({ date: r.date, campaign: r.campaign, amount: r.amount, currency: r.currency })) });
    const res = await request('PUT', `${ctx.base}/v1/spend`, { 'content-type': 'application/json', authorization: `Bearer ${REPORT_API_KEY}` }, body);
    if (res.status !== 200) throw new Error(`PUT /v1/spend answered ${res.status}: ${res.text.slice(0, 300)}`);
    const answer = JSON.parse(res.text) as { status?: string; written?: number };
    ctx.print(`Campaign goals set by the manager with /goal:\n${said.map((x) => `  ${x}`).join('\n')}`);
    ctx.print(`Spend: ${c.spend.length} rows (campaign, day, amount) PUT to /v1/spend with an API key: ${res.status} ${answer.status ?? ''}${answer.written !== undefined ? `, ${answer.written} written` : ''}.`);
  },
};

const personalInvitesPhase: Phase = {
  name: 'personal invite links (/myinvite)',
  async run(ctx) {
    const { community: c, updates, api } = ctx;
    const inviters = new Map<string, { member: Member; group: string; t: number }>();
    for (const e of c.events) {
      if (e.kind !== 'join' || e.inviter === undefined || c.groups[e.group].platform !== 'telegram') continue;
      const key = `${e.inviter}|${e.group}`;
      if (!inviters.has(key)) inviters.set(key, { member: c.members[e.inviter]!, group: e.group, t: e.t - 3600 });
    }
    const bar = ctx.progress.bar('personal invite links', inviters.size);
    await inParallel([...inviters.entries()], 8, async ([key, v]) => {
      const g = c.groups[v.group as keyof Community['groups']];
      const before = api.sent.length;
      // In a private chat with the bot, naming the group (asked in the group, the answer would go privately anyway).
      const tgId = String(v.member.tgId!);
      await ctx.postUpdate(updates.message(tgUser(v.member), { id: v.member.tgId!, type: 'private' }, `/myinvite ${g.chatId}`, v.t));
      await api.until(() => api.sent.slice(before).some((m) => m.chatId === tgId && m.text.includes('https://t.me/+')), `/myinvite of ${key}`);
      const made = /https:\/\/t\.me\/\+\S+/.exec(api.sent.slice(before).find((m) => m.chatId === tgId && m.text.includes('https://t.me/+'))!.text)?.[0];
      if (made) ctx.personalLinks.set(key, made);
      bar.increment();
    });
    bar.stop();
    ctx.print(`Personal invite links: ${ctx.personalLinks.size} members asked the bot for theirs with /myinvite (one per member and group).`);
  },
};

const telegramPhase: Phase = {
  name: 'Telegram: joins, messages, leaves through the webhook',
  async run(ctx) {
    const { community: c } = ctx;
    const evs = c.events.filter((e): e is GroupEvent => isGroupEvent(e) && c.groups[e.group].platform === 'telegram');
    const bodies = evs.map((e) => telegramUpdate(ctx, e));
    const bar = ctx.progress.bar('Telegram updates', bodies.length);
    await inParallel(bodies, 12, async (u) => {
      await ctx.postUpdate(u);
      bar.increment();
    });
    bar.stop();
    await ctx.settle('Telegram updates');
    const joins = evs.filter((e) => e.kind === 'join').length;
    ctx.print(`Telegram: ${bodies.length} updates POSTed to /telegram/${BOT_ID} (${joins} joins, ${evs.filter((e) => e.kind === 'message').length} messages, ${evs.filter((e) => e.kind === 'leave').length} leaves).`);
  },
};

function telegramUpdate(ctx: DemoContext, e: GroupEvent): Record<string, unknown> {
  const { community: c, updates } = ctx;
  const g = c.groups[e.group];
  const m = c.members[e.member]!;
  if (e.kind === 'message') {
    return updates.message(tgUser(m), { id: Number(g.chatId), type: 'supergroup', title: g.title }, messageText(c, e).text, e.t);
  }
  if (e.kind === 'leave') return updates.memberChange(g, m, e.t, 'leave');
  if (e.via === 'campaign') return updates.memberChange(g, m, e.t, 'join', { url: ctx.campaignLinks.get(e.group)!, name: e.campaign! });
  if (e.via === 'personal_invite') {
    const personal = ctx.personalLinks.get(`${e.inviter}|${e.group}`);
    if (personal) return updates.memberChange(g, m, e.t, 'join', { url: personal });
    // Without personal links in the product: the inviter's own link, made in the Telegram app.
    return updates.memberChange(g, m, e.t, 'join', { url: `https://t.me/+mf${(e.inviter! * 7 + 3).toString(36)}${e.group.slice(3)}`, creator: tgUser(c.members[e.inviter!]!) });
  }
  return updates.memberChange(g, m, e.t, 'join');
}

/** The WhatsApp connector's handler (with its commands and tracked group links), as `bots/whatsapp/main.ts` wires it, on simulated WhatsApp Web lookups. */
interface WaConnector {
  handler: WhatsAppHandler;
  objects: WhatsAppObjects;
  /** What the account sent (`sendMessage`), in order. */
  sent: Array<{ chatId: string; text: string }>;
  close(): Promise<void>;
}

async function whatsappConnector(ctx: DemoContext): Promise<WaConnector> {
  if (ctx.wa) return ctx.wa;
  const { community: c } = ctx;
  const capture: CaptureSettings = createCaptureSettings({ store: ctx.store, workspaces: ctx.config.workspaces, log: createLogger('silent') });
  await capture.start();
  const byLid = new Map(c.members.filter((m) => m.lid !== undefined).map((m) => [`${m.lid}@lid`, m]));
  const groupsByChat = new Map(Object.values(c.groups).map((g) => [g.chatId, g]));
  const nowS = (): number => ctx.clock.now / 1000;
  const sent: WaConnector['sent'] = [];
  const client: SendingClient = {
    async sendMessage(chatId, content) {
      sent.push({ chatId, text: typeof content === 'string' ? content : '' });
      return {};
    },
  };
  const lookups: WhatsAppLookups = {
    selfIds: () => new Set([`${c.accountPhone}@c.us`]),
    group: async (chatId) => {
      const g = groupsByChat.get(chatId);
      return g ? { title: g.title, selfIsAdmin: true } : undefined;
    },
    // WhatsApp Web answers a linked id's phone only from some point on (the member's `lidResolvedAt`).
    phonesOfLids: async (lids) => {
      const out = new Map<string, string>();
      for (const l of lids) {
        const m = byLid.get(l);
        if (m?.lidResolvedAt !== undefined && m.lidResolvedAt <= nowS()) out.set(l, `${m.phone!}@c.us`);
      }
      return out;
    },
    inviteCode: async (chatId) => groupsByChat.get(chatId)?.inviteCode,
    groupAdmins: async () => [WA_ADMIN],
    sendingClient: () => client,
  };
  const log = createLogger('silent');
  const account = { id: WA_ACCOUNT, workspace: WORKSPACE };
  const groupState = createGroupLinkState(ctx.redis, ctx.config.queuePrefix);
  const base = ctx.config.publicBaseUrl!.replace(/\/+$/, '');
  // `/link [campaign]` in a WhatsApp group: a tracked group link, the group's invite code read now (as the connector does).
  const groupLinks: NonNullable<CommandDeps['groupLinks']> = {
    async create(workspace, input) {
      const code = await lookups.inviteCode(input.chatId);
      if (code === undefined) throw new Error(`no invite code for ${input.chatId}`);
      await groupState.setInvite(workspace, input.chatId, code);
      await groupState.addGroup(workspace, input.chatId);
      const link = await createGroupLink(ctx.store, { workspace, ...input }, new Date(ctx.clock.now));
      return { shortUrl: `${base}/g/${link.code}`, code: link.code };
    },
  };
  const hash = makePseudonymizer(HASH_KEY, WORKSPACE);
  const commands = createWhatsAppCommands({
    account,
    hash,
    sender: createSendLimiter({ jitterMs: 0, perChatGapMs: 0 }),
    client: () => client,
    lookups: { groupAdmins: async () => [WA_ADMIN], phonesOfLids: (lids) => lookups.phonesOfLids(lids) },
    log,
    createHandler: (platform) =>
      createCommandHandler({
        store: ctx.store,
        groupLinks,
        settings: (ws) => {
          const st = ctx.config.workspaces.find((w) => w.id === ws);
          return st ? hashedRoleSettings(st, hash) : undefined;
        },
        platform,
        log,
      }),
  });
  const handler = createWhatsAppHandler({
    account,
    hashKey: HASH_KEY,
    touches: ctx.app.touchQueue,
    community: ctx.app.communityQueue,
    capture,
    log,
    lookups,
    commands,
    groupLinks: groupState,
    now: () => new Date(ctx.clock.now),
  });
  ctx.wa = {
    handler,
    objects: new WhatsAppObjects(`${c.accountPhone}@c.us`),
    sent,
    async close() {
      await handler.close();
      await capture.close();
    },
  };
  return ctx.wa;
}

const groupLinkPhase: Phase = {
  name: 'WhatsApp tracked group link (/link in the group)',
  async run(ctx) {
    const { community: c } = ctx;
    const wa = await whatsappConnector(ctx);
    const camp = c.campaigns.find((x) => x.whatsappGroup !== undefined)!;
    const g = c.groups[camp.whatsappGroup!];
    const t0 = c.now / 1000 - 121 * DAY_S;
    ctx.clock.now = t0 * 1000;
    // The group's admin (an operator of the workspace) greets the group, writes to the account once, then sends /link <campaign> in the group.
    await wa.handler.message(wa.objects.groupMessage(g.chatId, WA_ADMIN, '欢迎 welcome', t0, [], []));
    await wa.handler.message(wa.objects.privateMessage(WA_ADMIN, 'hi', t0));
    await ctx.settle('the WhatsApp group seen');
    const before = wa.sent.length;
    await wa.handler.message(wa.objects.groupMessage(g.chatId, WA_ADMIN, `/link ${camp.name}`, t0 + 60, [], []));
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (url === undefined) {
      url = wa.sent.slice(before).map((m) => /https?:\/\/\S+\/g\/([A-Za-z0-9_-]+)/.exec(m.text)).find((x) => x !== null)?.[0];
      if (url !== undefined) break;
      if (Date.now() > deadline) throw new Error(`no answer with a group link to /link ${camp.name}: ${JSON.stringify(wa.sent.slice(before))}`);
      await sleep(50);
    }
    ctx.groupLinkUrl = url;
    ctx.print(`WhatsApp group link: the group's admin sent /link ${camp.name} in ${g.title}; the account answered with a tracked group link (/g/<code>) that opens the group's current invite link.`);
  },
};

const whatsappPhase: Phase = {
  name: 'WhatsApp: joins, messages, click-to-chat codes, leaves through the event handler',
  async run(ctx) {
    const { community: c } = ctx;
    const wa = await whatsappConnector(ctx);
    const { handler, objects } = wa;
    const evs = c.events.filter(
      (e): e is GroupEvent | Extract<DemoEvent, { kind: 'dm_code' | 'group_link_click' }> => e.kind === 'dm_code' || (e.kind === 'group_link_click' && ctx.groupLinkUrl !== undefined) || (isGroupEvent(e) && c.groups[e.group].platform === 'whatsapp'),
    );
    const bar = ctx.progress.bar('WhatsApp events', evs.length);
    let groupClicks = 0;
    for (const e of evs) {
      ctx.clock.now = e.t * 1000;
      const m = c.members[e.member]!;
      if (e.kind === 'group_link_click') {
        // The person taps the tracked group link (a real GET on the server), then joins through the invite link it redirects to.
        const res = await request('GET', ctx.groupLinkUrl!, { 'user-agent': `Mozilla/5.0 (Linux; Android 14) Mobile demo-${e.member}-g` });
        if (res.status === 302) groupClicks++;
      } else if (e.kind === 'dm_code') {
        await handler.message(objects.privateMessage(waId(m), `ref:${e.code} 你好，想了解 VIP 优惠 price?`, e.t));
      } else {
        const g = c.groups[e.group];
        if (e.kind === 'message') {
          const { text, mentioned } = messageText(c, e);
          const links = [...text.matchAll(/https?:\/\/\S+/g)].map((x) => x[0]);
          await handler.message(objects.groupMessage(g.chatId, waId(m), text, e.t, mentioned, links));
        } else if (e.kind === 'leave') {
          await handler.groupLeave(objects.notification(g.chatId, 'leave', waId(m), waId(m), e.t));
        } else if (e.via === 'campaign') {
          await handler.groupJoin(objects.notification(g.chatId, 'invite', waId(m), waId(m), e.t));
        } else {
          const by = e.inviter !== undefined ? waId(c.members[e.inviter]!) : WA_ADMIN;
          await handler.groupJoin(objects.notification(g.chatId, 'add', by, waId(m), e.t));
        }
      }
      bar.increment();
    }
    bar.stop();
    await wa.close();
    await ctx.settle('WhatsApp events');
    const resolved = c.members.filter((m) => m.lid !== undefined).length;
    ctx.print(
      `WhatsApp: ${evs.length} whatsapp-web.js events through the event handler (${evs.filter((e) => e.kind === 'join').length} joins, ${evs.filter((e) => e.kind === 'message').length} messages, ` +
        `${evs.filter((e) => e.kind === 'dm_code').length} click-to-chat ref:vip_chat, ${evs.filter((e) => e.kind === 'leave').length} leaves); ${groupClicks} GETs of the tracked group link /g/<code> before invite joins; ${resolved} members first seen by @lid, resolved to a phone later.`,
    );
  },
};

const clicksPhase: Phase = {
  name: 'tracked link clicks over HTTP',
  async run(ctx) {
    const { community: c, updates, api } = ctx;
    const clicks = c.events.filter((e): e is Extract<DemoEvent, { kind: 'click' }> => e.kind === 'click');
    const personal = clicks.filter((e) => e.personal);
    // Personal links: the member opens the deep link t.me/<bot>?start=<code>; the bot answers with their own link.
    const urlOf = new Map<number, string>();
    const bar = ctx.progress.bar('personal links via /start', personal.length);
    await inParallel(personal, 8, async (e) => {
      const m = c.members[e.member]!;
      const before = api.to(m.tgId!).length;
      await ctx.postUpdate(updates.message(tgUser(m), { id: m.tgId!, type: 'private' }, `/start ${ctx.linkCodes.get(e.link)!}`, e.t - 5));
      await api.until(() => api.to(m.tgId!).length > before, `the personal link for member ${m.n}`);
      const text = api.to(m.tgId!)[before]!.text;
      const url = /https?:\/\/\S+\/l\/\S+/.exec(text)?.[0];
      if (!url) throw new Error(`the bot's /start answer has no personal link: ${text}`);
      urlOf.set(e.clickRef, url);
      bar.increment();
    });
    bar.stop();
    await ctx.settle('personal links');
    const bar2 = ctx.progress.bar('clicks', clicks.length);
    let counted = 0;
    // One click at a time: the server records each at the simulated time of the click.
    for (const e of clicks) {
      ctx.clock.now = e.t * 1000;
      const url = urlOf.get(e.clickRef) ?? `${ctx.base}/l/${ctx.linkCodes.get(e.link)!}`;
      // Each click is its own visit (a person's repeat within the hour would count once).
      const res = await request('GET', url, { 'user-agent': `Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 demo-${e.member}-${e.clickRef}` });
      const location = res.headers.location;
      const clickId = new URL(typeof location === 'string' ? location : 'http://x/').searchParams.get('mf_click');
      if (res.status === 302 && clickId) {
        ctx.clickIds.set(e.clickRef, clickId);
        counted++;
      }
      bar2.increment();
    }
    bar2.stop();
    await ctx.settle('clicks');
    ctx.print(`Clicks: ${clicks.length} GETs of /l/<code> (${personal.length} through personal links the bot handed out after /start), ${counted} redirected with a click id.`);
  },
};

const ordersPhase: Phase = {
  name: 'orders into the signed conversion webhook',
  async run(ctx) {
    const { community: c } = ctx;
    const bar = ctx.progress.bar('orders', c.orders.length);
    const answers: Record<string, number> = {};
    await inParallel(c.orders, 6, async (o) => {
      const m = o.member !== null ? c.members[o.member] : undefined;
      const customer: Record<string, string> = {};
      if (o.matchBy === 'telegram_id' || o.alsoTelegramId) customer.telegram_id = String(m!.tgId);
      if (o.matchBy === 'phone' || o.matchBy === 'lid_phone' || o.alsoPhone) customer.phone = `+${m!.phone!}`;
      if (o.matchBy === 'whatsapp') customer.whatsapp = `+${m!.phone!}`;
      if (o.email) customer.email = o.email;
      if (o.matchBy === 'coupon') customer.email = `${o.id.toLowerCase()}@mail.example.com`;
      const body: Record<string, unknown> = { id: o.id, workspace: WORKSPACE, occurred_at: iso(o.t), value: o.value, currency: 'CNY', type: 'purchase', customer };
      if (o.clickRef !== undefined) {
        const clickId = ctx.clickIds.get(o.clickRef);
        if (clickId) body.click_id = clickId;
      }
      if (o.coupon) body.coupon = o.coupon;
      const text = JSON.stringify(body);
      const res = await request('POST', `${ctx.base}/v1/conversions`, { 'content-type': 'application/json', 'x-midfunnel-signature': signBody(SECRET, text, Math.floor(Date.now() / 1000)) }, text);
      answers[res.status] = (answers[res.status] ?? 0) + 1;
      bar.increment();
    });
    bar.stop();
    await ctx.settle('reconciling, model fits, report counters');
    const parts = Object.entries(answers)
      .sort()
      .map(([s, n]) => `${n} × ${s}`);
    ctx.print(`Orders: ${c.orders.length} POSTed to /v1/conversions, signed (${parts.join(', ')}); reconciled, fitted and rolled up.`);
  },
};

/**
 * What in an answer differs between two runs of the same data, made the same: people without
 * a username are named by their profile id (random) in `/referrals`, which also orders ties by
 * it; `/hints` pairs each keyword's people with controls in profile-id order, so its ratios move
 * a little between runs. Those are shown without the id and the ratios, in a fixed order.
 */
export function stableAnswer(command: string, text: string): string {
  if (command === '/referrals') {
    const lines = text.split('\n');
    const rowAt = (l: string): boolean => /^(member #|@)\S+\s+\d/.test(l);
    const first = lines.findIndex(rowAt);
    if (first < 0) return text;
    let last = first;
    while (last + 1 < lines.length && rowAt(lines[last + 1]!)) last++;
    const revenue = (l: string): number => Number(/\s(\d+\.\d\d)\s/.exec(l)?.[1] ?? 0);
    let rows = lines.slice(first, last + 1).map((l) => l.replace(/^member #[0-9a-f]+(\s*)/, (_m, sp: string) => `member #…${sp}`.padEnd(_m.length)));
    rows.sort((a, b) => revenue(b) - revenue(a) || (a < b ? -1 : a > b ? 1 : 0));
    const more = lines[last + 1] !== undefined ? /… and (\d+) more inviters/.exec(lines[last + 1]!) : null;
    let hidden = more ? Number(more[1]) : 0;
    if (more) {
      // Which of the inviters tied at the cut are shown depends on their ids: none of them are.
      const cut = revenue(rows[rows.length - 1]!);
      const kept = rows.filter((r) => revenue(r) > cut);
      hidden += rows.length - kept.length;
      rows = kept;
    }
    const tail = more ? [lines[last + 1]!.replace(/\d+ more inviters/, `${hidden} more inviters`), ...lines.slice(last + 2)] : lines.slice(last + 1);
    return [...lines.slice(0, first), ...rows, ...tail].join('\n');
  }
  if (command === '/hints') {
    const lines = text.split('\n');
    const hints: string[] = [];
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const m = /^\d+\. (.*)$/.exec(l);
      if (!m) {
        if (!/^\s+confidence /.test(l)) out.push(l);
        continue;
      }
      const conf = /^\s+confidence (\w+)/.exec(lines[i + 1] ?? '')?.[1];
      hints.push(`${m[1]!.replace(/ convert [\d.]+× their controls \([\d.]+–[\d.]+\)/, ' convert more often than their controls')}${conf ? ` (confidence ${conf})` : ''}`);
      out.push('\u0000');
    }
    hints.sort();
    let n = 0;
    const first = out.indexOf('\u0000');
    return out
      .filter((l, i) => l !== '\u0000' || i === first)
      .map((l) => (l === '\u0000' ? hints.map((h) => `${++n}. ${h}`).join('\n') : l))
      .join('\n');
  }
  return text;
}

/** The reports a manager asks for, and the ones that wait for features. */
function reportPhase(command: string): Phase {
  return {
    name: `the bot's answer to ${command.split(' ')[0]!}`,
    async run(ctx) {
      const asked = command.replace('{period}', ctx.community.period);
      const before = ctx.api.to(MANAGER.id).length;
      // The one wall-clock time in an answer (when the data-driven models were fitted) is this run's.
      const answers = (await ctx.ask(asked)).map((a) => a.replace(/(last fitted: )\d{4}-\d{2}-\d{2} \d{2}:\d{2}( \([^)]*\))?/g, '$1(during this run)'));
      const photo = ctx.api.to(MANAGER.id).slice(before).find((m) => m.method === 'sendPhoto' && m.photo !== undefined)?.photo;
      if (photo) ctx.charts.set(command.split(' ')[0]!, photo);
      ctx.print(`\n── ${asked} ──\n${photo ? '[chart image]\n' : ''}${stableAnswer(command.split(' ')[0]!, answers.join('\n'))}`);
    },
  };
}

interface ApiRow {
  key: string;
  label: string;
  conversions: number;
  value: number;
  joined?: number;
  by_model?: Record<string, { conversions: number; value: number }>;
}
interface ApiAnswer {
  totals: { conversions: number; value: number; matched: number; unattributed: number };
  rows: ApiRow[];
}

const MODELS = ['last_touch', 'first_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley'];

/** The same figures, exact, from the HTTP report API (what a BI tool or the dashboard reads). */
const reportApiPhase: Phase = {
  name: 'headline figures from the report API',
  async run(ctx) {
    const get = async (name: string, query: string): Promise<ApiAnswer> => {
      const res = await fetch(`${ctx.base}/v1/reports/${name}?workspace=${WORKSPACE}&period=${ctx.community.period}&${query}`, { headers: { authorization: `Bearer ${REPORT_API_KEY}` } });
      if (res.status !== 200) throw new Error(`GET /v1/reports/${name} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as ApiAnswer;
    };
    const models = await get('models', 'by=group');
    const funnel = await get('funnel', 'by=campaign');
    const groups = Object.values(ctx.community.groups);
    const t = models.totals;
    const money = (x: number): string => x.toFixed(2);
    const table = [
      ['group', ...MODELS],
      ...groups.map((g) => {
        const r = models.rows.find((x) => x.key === g.chatId);
        return [g.title, ...MODELS.map((m) => money(r?.by_model?.[m]?.value ?? 0))];
      }),
    ];
    ctx.print(`\n── GET /v1/reports/models?by=group and /v1/reports/funnel?by=campaign (the report API: exact figures) ──`);
    ctx.print(`orders ${t.conversions}, value ${money(t.value)} CNY, matched ${t.matched}, unattributed ${t.unattributed}`);
    ctx.print('revenue credited to each group (CNY), by model:');
    ctx.print(alignTable(table));
    ctx.print(`joined by campaign: ${funnel.rows.filter((r) => r.key !== 'all').map((r) => `${r.label} ${r.joined ?? 0}`).join(', ')}`);
  },
};

const dashboardPhase: Phase = {
  name: 'the dashboard (/app)',
  async run(ctx) {
    // The link itself is one-time and signed: it is never part of the printed figures (see `DemoRun.dashboardLink`).
    ctx.print(`\nThe dashboard is served at /app on this server; /dashboard in a private chat with the bot gives a manager a one-time link to it (npm run demo without --once prints one).`);
  },
};

export const PHASES: readonly Phase[] = [
  setupPhase,
  campaignRecordsPhase,
  personalInvitesPhase,
  telegramPhase,
  groupLinkPhase,
  whatsappPhase,
  clicksPhase,
  ordersPhase,
  reportPhase('/report {period} by=group model=first_touch'),
  reportPhase('/models {period}'),
  reportPhase('/funnel {period} by=campaign'),
  reportApiPhase,
  reportPhase('/campaigns {period}'),
  reportPhase('/hints {period}'),
  reportPhase('/referrals {period}'),
  dashboardPhase,
];

// --- the runner -------------------------------------------------------------------------------

export interface DemoRun {
  community: Community;
  /** Everything printed, in order. */
  output: string;
  /** The server's URL (ephemeral port). */
  url: string;
  waiting: Array<{ phase: string; reason: string }>;
  /** The period the community covers (`from..to`). */
  period: string;
  /** A fresh one-time dashboard link, as the bot gives the manager for `/dashboard`. */
  dashboardLink(): Promise<string>;
  /** Chart images the bot sent with its answers (`sendPhoto`), by command. */
  charts: ReadonlyMap<string, Buffer>;
  close(): Promise<void>;
}

export function demoConfig(options: { redisUrl: string; port: number; prefix: string; apiRoot: string; logLevel: string }): Config {
  return loadConfig(
    {
      REDIS_URL: options.redisUrl,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      QUEUE_PREFIX: options.prefix,
      // Fit the months' models soon after data lands (a service waits a few minutes for more).
      REFIT_DELAY_MS: '1500',
      MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'midfunnel-demo-')),
      MIDFUNNEL_HASH_KEY: HASH_KEY,
      MIDFUNNEL_CONFIG: 'demo.json',
      MIDFUNNEL_STORE: process.env.MONGO_URL ? 'mongo' : 'memory',
      ...(process.env.MONGO_URL ? { MONGO_URL: process.env.MONGO_URL } : {}),
      TELEGRAM_API_ROOT: options.apiRoot,
      PUBLIC_BASE_URL: `http://127.0.0.1:${options.port}`,
      LOG_LEVEL: options.logLevel,
    },
    () =>
      JSON.stringify({
        workspaces: [
          {
            id: WORKSPACE,
            secret: SECRET,
            allowedDomains: ['shop.example.com'],
            defaultRegion: 'CN',
            currency: 'CNY',
            timezone: 'Asia/Shanghai',
            keywords: KEYWORDS,
            telegram: { bots: [{ token: BOT_TOKEN, webhookSecret: WEBHOOK_SECRET }] },
            apiKeys: [REPORT_API_KEY],
            roles: { managers: [`telegram:${MANAGER.id}`], operators: [`telegram:${OPERATOR.id}`, `whatsapp:+${WA_ADMIN.split('@')[0]!}`] },
            coupons: [{ code: 'VIP88', campaign: 'vip_chat', chatId: GROUPS.wa_care.chatId, platform: 'whatsapp' }],
          },
        ],
      }),
  );
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoRun> {
  const lines: string[] = [];
  const print = (text: string): void => {
    lines.push(text);
    (options.print ?? ((t: string) => process.stdout.write(`${t}\n`)))(text);
  };
  const progress = createProgress(options.progress ?? process.stderr.isTTY === true);
  const started = Date.now();
  const community = progress.step('generate the community', () => generateCommunity(options));
  const period = community.period;
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = options.queuePrefix ?? `demo-${process.pid}`;
  const api = await BotApiStandIn.start(BOT_ID, BOT_USERNAME);
  const port = await freePort();
  const config = demoConfig({ redisUrl, port, prefix, apiRoot: api.root, logLevel: options.logLevel ?? 'warn' });
  const log = createLogger(options.logLevel ?? 'warn');
  const store: Store | undefined = config.store === 'memory' ? createMemoryStore() : undefined;
  if (store) await store.init();
  const clock = { now: community.now };
  const app = await startRoles({ config, roles: ['http', 'workers', 'telegram'], log, ...(store ? { store } : {}), clickClock: () => new Date(clock.now) });
  const base = `http://127.0.0.1:${app.address!.port}`;
  api.webhookUrl = `${base}/telegram/${BOT_ID}`;
  const producer = createProducerConnection({ url: redisUrl });
  const updateQueue = new TelegramUpdateQueue({ connection: producer, prefix });
  await app.telegram!.ready;

  const t = community.truth;
  print(`midfunnel demo: a brand's community over ${120} days (${period}, Asia/Shanghai), generated from seed ${community.seed}.`);
  print(
    `Store: ${config.store === 'memory' ? 'in-memory (nothing is kept; set MONGO_URL to use MongoDB)' : 'MongoDB at MONGO_URL'}; queues: BullMQ on Redis; ` +
      `Telegram Bot API: a local stand-in; the service runs in this process (HTTP, workers, reconciler, rollup, Telegram bot).`,
  );
  print(
    `Groups: ${Object.values(community.groups)
      .map((g) => `${g.title} (${g.platform})`)
      .join(', ')}.`,
  );
  print(`Campaigns: ${community.campaigns.map((x) => `${x.name} [${x.goal}: ${x.instruments.join(', ')}]`).join('; ')}.`);
  print(
    `Generated: ${t.members} members (${t.telegramMembers} Telegram, ${t.whatsappMembers} WhatsApp), ${t.messages} messages, ${t.clicks} clicks, ${t.referralJoins} joins through members' personal invites, ` +
      `${t.leaves} leaves, ${t.orders} orders (${t.unmatchedOrders} that match nobody), spend ${Object.entries(t.spend)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} CNY.\n`,
  );

  const ctx: DemoContext = {
    community,
    config,
    app,
    store: app.store,
    base,
    api,
    progress,
    print,
    clock,
    updates: new TelegramUpdates(),
    campaignLinks: new Map(),
    personalLinks: new Map(),
    linkCodes: new Map(),
    clickIds: new Map(),
    redis: producer,
    charts: new Map(),
    waiting: [],
    async hasRoute(path) {
      const [probe, none] = await Promise.all([fetch(`${base}${path}`, { redirect: 'manual' }), fetch(`${base}/demo-no-such-route/x`, { redirect: 'manual' })]);
      const [a, b] = await Promise.all([probe.text(), none.text()]);
      return !(probe.status === 404 && none.status === 404 && a.replace(path, '') === b.replace('/demo-no-such-route/x', ''));
    },
    async postUpdate(update) {
      for (let attempt = 0; ; attempt++) {
        const res = await request('POST', `${base}/telegram/${BOT_ID}`, { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET }, JSON.stringify(update));
        if (res.status === 200) return;
        // Telegram resends what is not answered 2xx; so does the demo, a few times.
        if (attempt >= 5) throw new Error(`the webhook answered ${res.status} to update ${String(update.update_id)}`);
        await sleep(200 * (attempt + 1));
      }
    },
    async ask(command) {
      const before = api.to(MANAGER.id).length;
      await ctx.postUpdate(ctx.updates.message(tgUser(MANAGER), { id: MANAGER.id, type: 'private' }, command, Math.floor(community.now / 1000)));
      const answered = (): string[] => api.to(MANAGER.id).slice(before).filter((m) => m.method === 'sendMessage' && m.text !== WORKING_ON_IT).map((m) => m.text);
      await api.until(() => answered().length > 0, command, 120_000);
      // A chart (sendPhoto) comes first, then the table; give a second message a moment.
      await sleep(300);
      return answered();
    },
    async settle(label) {
      const queues = [app.touchQueue.queue, app.communityQueue.queue, app.reconcileQueue.queue, app.rollupQueue.queue, updateQueue.queue];
      const deadline = Date.now() + 300_000;
      for (let idle = 0; idle < 6; ) {
        if (Date.now() > deadline) throw new Error(`the pipeline did not settle after ${label}`);
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
        await app.counterMarks.flush();
        const dirty = (await app.store.counters.dirty(WORKSPACE, 'day', 1)).length + (await app.store.counters.dirty(WORKSPACE, 'person', 1)).length;
        const fits = await fitStatus(app.store, WORKSPACE);
        const busy = counts.some((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) > 0) || dirty > 0 || fits.some((f) => f.dirty);
        idle = busy ? 0 : idle + 1;
        await sleep(busy ? 100 : 60);
      }
    },
  };

  for (const phase of PHASES) {
    const missing = await phase.missing?.(ctx);
    if (missing !== undefined) {
      ctx.waiting.push({ phase: phase.name, reason: missing });
      progress.note(`skipped: ${phase.name}`);
      continue;
    }
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await phase.run(ctx);
    const cpu = process.cpuUsage(cpu0);
    progress.note(`${phase.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
  }
  if (ctx.waiting.length > 0) {
    print('\nWaiting for features this build does not have (skipped):');
    for (const w of ctx.waiting) print(`  - ${w.phase}: ${w.reason}`);
  }
  const cpu = process.cpuUsage();
  progress.note(`fed and reported in ${((Date.now() - started) / 1000).toFixed(1)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU in all (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)`);

  return {
    community,
    output: lines.join('\n') + '\n',
    url: base,
    waiting: ctx.waiting,
    period,
    charts: ctx.charts,
    async dashboardLink() {
      const answers = await ctx.ask('/dashboard');
      const link = answers.map((a) => /https?:\/\/\S+\/app#\S+/.exec(a)?.[0]).find((x) => x !== undefined);
      if (!link) throw new Error(`the bot's /dashboard answer has no link: ${answers.join(' | ')}`);
      return link;
    },
    async close() {
      await app.close();
      await updateQueue.close();
      const cleaner = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      for (const pattern of [`${prefix}*`, `bull:${prefix}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await cleaner.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await cleaner.del(...keys);
        } while (cursor !== '0');
      }
      await cleaner.quit();
      await producer.quit().catch(() => producer.disconnect());
      await api.close();
      closeHttpClient();
      if (store) await store.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
