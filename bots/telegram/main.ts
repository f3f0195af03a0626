/**
 * The telegram role: every configured bot in one process.
 *
 * - Builds one {@link TelegramBot} per token (each belongs to the workspace listing it).
 * - Runs the update worker: queued updates (from the webhook route or the polling loop)
 *   are handled here, through the real telegraf bot.
 * - Webhook mode when `PUBLIC_BASE_URL` is set: `setWebhook` to
 *   `<base>/telegram/<bot id>` with the bot's secret token and the update types it needs
 *   (`chat_member` among them). Polling mode otherwise: our own getUpdates loop.
 * - Registers command menus (`setMyCommands`) per scope: members' commands by default and
 *   in private chats, operators' commands for group administrators, and each configured
 *   person's and managers' chat's own menu.
 * - Runs the report worker (`report-worker.ts`): report commands and digest runs are
 *   computed on the report queue and answered through these bots, never inside the update
 *   handler. Any telegram process may answer any report (every process has every bot).
 * - Sends scheduled digests (checked every minute; each run claimed in the store first,
 *   then computed and sent on the report queue).
 * - Keeps the capture settings (keywords, invite links) pushed to this process
 *   (`src/capture`), loaded before the update worker starts; the command layer's writes to
 *   them are announced to every process.
 *
 * Start-up calls to Telegram retry in the background, so a Bot API outage at start does
 * not stop the process; `ready` resolves once every bot has finished them.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BotCommand } from 'telegraf/types';
import { configuredPeople } from '../../src/access/roles.js';
import { announceCaptureChanges, createCaptureNotifier, createCaptureSettings, type CaptureSettings } from '../../src/capture/capture-settings.js';
import type { CommunityEvent } from '../../src/capture/community-event.js';
import { commandMenu, createTrackedLinks, dueRunKey, type CommandDeps, type DashboardPort, type ModelsPort, type ReportJobData, type ReportQueue, type TrackedLinksPort } from '../../src/commands/index.js';
import type { Config } from '../../src/config.js';
import { createLoginLinks } from '../../src/dashboard/index.js';
import type { Logger } from '../../src/logger.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import type { Store } from '../../src/store/store.js';
import type { TouchEvent } from '../../src/touch-event.js';
import { telegramBotAccounts } from './bot-accounts.js';
import { createTelegramBot, type TelegramBot } from './bot.js';
import { ALLOWED_UPDATES, startPolling, type Polling } from './polling.js';
import { SendLimiter } from './rate-limit.js';
import { digestRunJobId } from '../../src/queue/keys.js';
import { createTelegramReportWorker } from './report-worker.js';
import { createTelegramAlertWorker } from './alert-worker.js';
import { AlertQueue } from '../../src/optimize/alert-queue.js';
import { createTelegramUpdateWorker, type TelegramUpdateWorkerOptions } from './update-worker.js';
import type { TelegramUpdateQueue } from './update-queue.js';

export interface TelegramRoleOptions {
  config: Config;
  store: Store;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  /** Community events (groups seen, bot rights, migrations) for the community worker. */
  community: { addMany(events: readonly CommunityEvent[]): Promise<void> };
  /**
   * A producer connection: the capture settings read their version keys with it and the
   * command layer announces its changes through it. Without it changes made in other
   * processes are picked up only by the periodic reload.
   */
  redis?: Redis;
  /** The process's capture settings; default: made (and closed) here. */
  capture?: CaptureSettings;
  /** Producer of the update queue (the polling loop adds to it). */
  updateQueue: TelegramUpdateQueue;
  /** A worker connection for the update worker (`createWorkerConnection`). */
  workerConnection: Redis;
  hashKey: string;
  log: Logger;
  /** Report computations; without them manager commands answer that reports are not available. */
  reports?: ReportsApi;
  /** The report queue (producer side; its worker runs here). */
  reportQueue: ReportQueue;
  /** Fits of the data-driven models (`/models` status, `/refit`); without them `/refit` says it is not available. */
  models?: ModelsPort;
  /** `/unmerge` (`src/profile/unmerge-profile.ts` `createUnmergePort`); absent: not available. */
  unmerge?: CommandDeps['unmerge'];
  /** How long a command's update waits for its report before “working on it”; default 2 s. */
  reportNoticeMs?: number;
  /** Reports computed at once in this process; default 2. */
  reportConcurrency?: number;
  /** Called after each report job (tests observe progress). */
  onReportDone?: (job: Job<ReportJobData>, error?: Error) => void;
  /** `webhook` when `config.publicBaseUrl` is set, `polling` otherwise, unless given. */
  mode?: 'webhook' | 'polling';
  /** Seconds per getUpdates long poll; default 25. */
  pollTimeoutSeconds?: number;
  /** Digest check interval; default 60 s; 0 turns the timer off (call `runDigests`). */
  digestIntervalMs?: number;
  /** Update worker concurrency; default 8. */
  concurrency?: number;
  onHandled?: TelegramUpdateWorkerOptions['onHandled'];
  now?: () => Date;
  /** Schedule and run the daily alerts (default true). */
  alerts?: boolean;
}

export interface TelegramRole {
  bots: ReadonlyMap<string, TelegramBot>;
  mode: 'webhook' | 'polling';
  worker: Worker;
  /** The report worker (report commands, digest runs). */
  reportWorker: Worker;
  /** Resolves when every bot finished its start-up calls (getMe, menus, webhook or polling). */
  ready: Promise<void>;
  /** Sends the digests due at `now` (default: the current time); returns how many went out. */
  runDigests(now?: Date): Promise<number>;
  close(): Promise<void>;
}

type MenuScope = NonNullable<NonNullable<Parameters<TelegramBot['telegram']['setMyCommands']>[1]>['scope']>;

/**
 * The dashboard for `/dashboard`: the Mini App at `<PUBLIC_BASE_URL>/app` when that is https,
 * and one-time login links (rate-limited in Redis when this process has a connection).
 */
function dashboardOf(config: Config, options: Pick<TelegramRoleOptions, 'hashKey' | 'redis'>): DashboardPort | undefined {
  const base = config.publicBaseUrl?.replace(/\/+$/, '');
  if (!base) return undefined;
  const links = createLoginLinks({ hashKey: options.hashKey, baseUrl: base, prefix: config.queuePrefix, ...(options.redis ? { redis: options.redis } : {}) });
  return {
    miniAppUrl: base.startsWith('https://') ? `${base}/app` : null,
    loginLink: async (ws, subject, lang) => links.issue(ws, subject, lang),
  };
}

async function registerMenus(bot: TelegramBot, options: TelegramRoleOptions): Promise<void> {
  const { store, log } = options;
  const ws = bot.account.workspace;
  const settings = options.config.workspaces.find((w) => w.id === ws);
  const set = async (commands: BotCommand[], scope?: MenuScope): Promise<void> => {
    await bot.telegram.setMyCommands(commands, scope ? { scope } : {});
  };
  await set(commandMenu('member'));
  await set(commandMenu('member'), { type: 'all_private_chats' });
  await set(commandMenu('group-admin'), { type: 'all_chat_administrators' });
  if (!settings) return;
  const people = configuredPeople(settings);
  for (const g of await store.community.grants.list(ws)) {
    const before = people.get(g.subject);
    if (before === undefined || (['operator', 'manager', 'owner'].indexOf(g.role) > ['operator', 'manager', 'owner'].indexOf(before))) people.set(g.subject, g.role);
  }
  // Per-person menus: Telegram refuses a private scope for someone who never opened the bot; that is fine.
  for (const [subject, role] of people) {
    if (!subject.startsWith('telegram:') || role === 'member') continue;
    const chatId = Number(subject.slice('telegram:'.length));
    await set(commandMenu(role), { type: 'chat', chat_id: chatId }).catch((err: unknown) => log.debug({ bot: bot.account.botId, err: err instanceof Error ? err.message : String(err) }, 'setMyCommands for a person failed'));
    const miniApp = dashboardOf(options.config, options)?.miniAppUrl;
    if (miniApp && (role === 'manager' || role === 'owner')) {
      await bot.telegram.setChatMenuButton({ chatId, menuButton: { type: 'web_app', text: 'Dashboard', web_app: { url: miniApp } } }).catch((err: unknown) => log.debug({ bot: bot.account.botId, err: err instanceof Error ? err.message : String(err) }, 'setChatMenuButton for a manager failed'));
    }
  }
  for (const chat of settings.managersChats) {
    if (!chat.startsWith('telegram:')) continue;
    const chatId = Number(chat.slice('telegram:'.length));
    await set(commandMenu('manager'), { type: 'chat', chat_id: chatId }).catch((err: unknown) => log.debug({ bot: bot.account.botId, err: err instanceof Error ? err.message : String(err) }, 'setMyCommands for a managers chat failed'));
  }
}

export async function startTelegramRole(options: TelegramRoleOptions): Promise<TelegramRole> {
  const { config, store, log } = options;
  const accounts = telegramBotAccounts(config, options.hashKey);
  const mode = options.mode ?? (config.publicBaseUrl ? 'webhook' : 'polling');
  const settingsOf = (ws: string) => config.workspaces.find((w) => w.id === ws);
  const ownCapture = options.capture === undefined;
  const capture =
    options.capture ??
    createCaptureSettings({ store, workspaces: config.workspaces, log, ...(options.redis ? { redis: { connection: options.redis, prefix: config.queuePrefix } } : {}) });
  if (ownCapture) await capture.start();
  // The command layer's store: /track, /untrack, /invite and /revoke announce their changes.
  const commandStore = announceCaptureChanges(store, createCaptureNotifier({ ...(options.redis ? { connection: options.redis } : {}), prefix: config.queuePrefix, local: capture, log }));
  const linkPorts = new Map<string, TrackedLinksPort>();
  const baseUrl = config.publicBaseUrl;
  const bots = new Map<string, TelegramBot>();
  const dashboardPort = dashboardOf(config, options);
  const services = {
    store: commandStore,
    touches: options.touches,
    community: options.community,
    capture,
    settings: settingsOf,
    ...(options.reports ? { reports: options.reports } : {}),
    ...(options.models ? { models: options.models } : {}),
    ...(options.unmerge ? { unmerge: options.unmerge } : {}),
    reportJobs: options.reportQueue,
    ...(options.reportNoticeMs !== undefined ? { reportNoticeMs: options.reportNoticeMs } : {}),
    // Tracked links need the public URL short links live under.
    links: (ws: string): TrackedLinksPort | undefined => {
      if (!baseUrl) return undefined;
      let port = linkPorts.get(ws);
      if (!port) {
        port = createTrackedLinks({ store: commandStore, allowedDomains: settingsOf(ws)?.allowedDomains ?? [], baseUrl });
        linkPorts.set(ws, port);
      }
      return port;
    },
    ...(dashboardPort ? { dashboard: dashboardPort } : {}),
    hashKey: options.hashKey,
    log,
    ...(options.now ? { now: options.now } : {}),
  };
  for (const account of accounts) {
    bots.set(account.botId, createTelegramBot({ account, apiRoot: config.telegramApiRoot, services, limiter: new SendLimiter() }));
  }

  const worker = createTelegramUpdateWorker({
    connection: options.workerConnection,
    prefix: config.queuePrefix,
    bots,
    log,
    concurrency: options.concurrency ?? 8,
    ...(options.onHandled ? { onHandled: options.onHandled } : {}),
  });
  const reportWorker = createTelegramReportWorker({
    connection: options.workerConnection,
    prefix: config.queuePrefix,
    bots,
    queue: options.reportQueue,
    ...(options.reports ? { reports: options.reports } : {}),
    timeZoneOf: (ws) => settingsOf(ws)?.timezone,
    languageOf: (ws) => settingsOf(ws)?.language,
    log,
    concurrency: options.reportConcurrency ?? 2,
    ...(options.onReportDone ? { onDone: options.onReportDone } : {}),
  });
  // Daily alerts: one job scheduler per workspace at its local `alerts.at`; posted by this role's bots.
  let alertQueue: AlertQueue | undefined;
  let alertWorker: ReturnType<typeof createTelegramAlertWorker> | undefined;
  if (options.alerts !== false && options.redis) {
    alertQueue = new AlertQueue({ connection: options.redis, prefix: config.queuePrefix });
    alertQueue.queue.on('error', (err: Error) => log.debug({ err: err.message }, 'alerts queue connection error'));
    alertWorker = createTelegramAlertWorker({ connection: options.workerConnection, prefix: config.queuePrefix, bots, store, workspaces: config.workspaces, log, ...(options.now ? { now: options.now } : {}) });
    await alertQueue.schedule(config.workspaces).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'alert schedules not set; they are set at the next start'));
  }
  // A stop right after start must close a connected worker (closing one still connecting
  // makes BullMQ emit an error nobody handles); after 10 s it keeps connecting by itself.
  await Promise.race([Promise.all([worker.waitUntilReady(), reportWorker.waitUntilReady()]).catch(() => undefined), sleepUnref(10_000)]);

  let closed = false;
  const pollers: Polling[] = [];
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  const startBot = async (bot: TelegramBot): Promise<void> => {
    let delay = 1_000;
    while (!closed) {
      try {
        const me = await bot.init();
        await registerMenus(bot, options);
        if (mode === 'webhook') {
          await bot.telegram.setWebhook(`${(baseUrl ?? '').replace(/\/+$/, '')}/telegram/${bot.account.botId}`, {
            secret_token: bot.account.webhookSecret,
            allowed_updates: [...ALLOWED_UPDATES],
            drop_pending_updates: false,
          });
        } else if (!closed) {
          pollers.push(startPolling({ bot, enqueue: (id, u) => options.updateQueue.add(id, u), log, ...(options.pollTimeoutSeconds !== undefined ? { timeoutSeconds: options.pollTimeoutSeconds } : {}) }));
        }
        log.info({ bot: bot.account.botId, username: me.username, workspace: bot.account.workspace, mode, privacyMode: !me.can_read_all_group_messages }, 'telegram bot started');
        return;
      } catch (err) {
        log.warn({ bot: bot.account.botId, err: err instanceof Error ? err.message : String(err), retryMs: delay }, 'telegram bot start-up failed; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 60_000);
      }
    }
  };
  const ready = Promise.all([...bots.values()].map(startBot)).then(() => undefined);
  if (bots.size === 0) log.info('telegram role: no bots configured (telegram.bots in the workspaces file)');

  const runDigests = async (at: Date = options.now?.() ?? new Date()): Promise<number> => {
    if (!options.reports) return 0;
    let sent = 0;
    for (const w of config.workspaces) {
      const workspaceBots = [...bots.values()].filter((b) => b.account.workspace === w.id);
      if (workspaceBots.length === 0) continue;
      for (const sub of await store.community.digests.list(w.id)) {
        if (sub.platform !== 'telegram') continue;
        const runKey = dueRunKey(sub.frequency, at, w.timezone);
        if (runKey === null || sub.lastRunKey === runKey) continue;
        const bot = bots.get(sub.account) ?? workspaceBots[0];
        if (!bot || !(await store.community.digests.claimRun(w.id, 'telegram', sub.chatId, runKey))) continue;
        try {
          // Computed and sent by the report worker; the run waits for it (a timer, not a chat update).
          const jobId = digestRunJobId(w.id, sub.chatId, runKey);
          await options.reportQueue.add(jobId, { kind: 'digest', platform: 'telegram', account: bot.account.botId, workspace: w.id, chatId: sub.chatId, frequency: sub.frequency, at: at.toISOString(), runKey });
          if (await options.reportQueue.waitDelivered(jobId, DIGEST_WAIT_MS)) sent++;
          else log.warn({ workspace: w.id, chat: sub.chatId, runKey }, 'digest not sent yet; the report queue keeps trying');
        } catch (err) {
          log.warn({ workspace: w.id, chat: sub.chatId, runKey, err: err instanceof Error ? err.message : String(err) }, 'digest not sent');
        }
      }
    }
    return sent;
  };
  const interval = options.digestIntervalMs ?? 60_000;
  let digestTimer: NodeJS.Timeout | undefined;
  let digestRun: Promise<unknown> = Promise.resolve();
  if (interval > 0 && options.reports) {
    digestTimer = setInterval(() => {
      digestRun = runDigests().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'digest check failed'));
    }, interval);
    digestTimer.unref();
  }

  return {
    bots,
    mode,
    worker,
    reportWorker,
    ready,
    runDigests,
    async close() {
      closed = true;
      clearInterval(digestTimer);
      await Promise.all(pollers.map((p) => p.stop()));
      await worker.close();
      await digestRun;
      await reportWorker.close();
      await alertWorker?.close();
      await alertQueue?.close();
      if (ownCapture) await capture.close();
    },
  };
}

/** How long a digest run waits for the report worker to send it. */
const DIGEST_WAIT_MS = 120_000;

function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
