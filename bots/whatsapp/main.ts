/**
 * The whatsapp role: every configured WhatsApp account this process may drive.
 *
 * - One whatsapp-web.js `Client` per account, with `LocalAuth` keeping the session in
 *   `<MIDFUNNEL_DATA_DIR>/whatsapp/session-<account id>` (so a restart needs no new QR scan),
 *   and the WhatsApp Web build cached in `<MIDFUNNEL_DATA_DIR>/whatsapp/web-cache`.
 * - Chromium from `PUPPETEER_EXECUTABLE_PATH` or the system (`browser.ts`); `--no-sandbox`
 *   when running as root.
 * - One owner per account across processes: each account is driven only under its Redis
 *   lease (`account-lease.ts`); other processes stand by and take over when the owner dies.
 *   `WHATSAPP_MAX_ACCOUNTS` caps how many accounts one process drives, to spread them.
 * - Pairing: QR codes are printed on standard error (`show-qr.ts`).
 * - Reconnects on `disconnected` (`account-runner.ts`).
 *
 * - Maps with the capture settings pushed to this process (`src/capture`); group
 *   registrations go to the community queue (the community worker writes them).
 *
 * Without configured accounts the role starts nothing; without a browser it logs what to
 * install and starts nothing (the process's other roles go on).
 */
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import wwebjs from 'whatsapp-web.js';
import { z } from 'zod';
import { announceCaptureChanges, createCaptureNotifier, createCaptureSettings, type CaptureSettings } from '../../src/capture/capture-settings.js';
import { createCommandHandler, createTrackedLinks, PlatformRefusedError, type CommandDeps, type ModelsPort, type TrackedLinksPort } from '../../src/commands/index.js';
import { createGroupLink, createGroupLinkState } from '../../src/group-links/group-links.js';
import { makePseudonymizer } from '../../src/identity/pseudonymize.js';
import type { ReportsApi } from '../../src/reports/report-types.js';
import type { CommunityEvent } from '../../src/capture/community-event.js';
import type { Config } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { CommunityQueue } from '../../src/queue/community-queue.js';
import { whatsappAccountLeaseKey } from '../../src/queue/keys.js';
import type { Store } from '../../src/store/store.js';
import type { TouchEvent } from '../../src/touch-event.js';
import { createAccountLease, type AccountLease } from './account-lease.js';
import { startAccountRunner, type AccountRunner, type AccountState, type DrivenClient } from './account-runner.js';
import { whatsAppAccounts, WhatsAppConfigError, type WhatsAppAccount } from './accounts.js';
import { findChromium, launchOptions, NO_CHROMIUM_HELP, type PuppeteerLaunchOptions } from './browser.js';
import { createWhatsAppHandler, type WhatsAppLookups } from './event-handler.js';
import { createSendLimiter, type SendLimiterOptions } from './send-limiter.js';
import { createWhatsAppCommands, hashedRoleSettings, type WhatsAppCommands } from './whatsapp-commands.js';
import { showQr } from './show-qr.js';

export interface WhatsAppRoleOptions {
  config: Pick<Config, 'workspaces' | 'dataDir' | 'queuePrefix'>;
  store: Store;
  touches: { enqueueMany(touches: readonly TouchEvent[]): Promise<void> };
  /** Community events for the community worker; default: the community queue on `redis`. */
  community?: { addMany(events: readonly CommunityEvent[]): Promise<void> };
  /** The process's capture settings; default: made (and closed) here, on `redis`. */
  capture?: CaptureSettings;
  /**
   * Redis for the account leases, the community queue and the capture settings' version
   * keys (a producer connection: fails fast when Redis is down).
   */
  redis: Redis;
  hashKey: string;
  log: Logger;
  /** `PUPPETEER_EXECUTABLE_PATH`, `WHATSAPP_MAX_ACCOUNTS`; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Makes an account's client (tests); default a whatsapp-web.js `Client` with `LocalAuth`. */
  createClient?: (account: WhatsAppAccount, launch: PuppeteerLaunchOptions | undefined) => DrivenClient;
  /** Where QR codes are printed; default standard error. */
  qrOut?: { write(chunk: string): unknown };
  /** Lease ttl; default 30 s. */
  leaseTtlMs?: number;
  /** Reconnect delays; defaults 1 s doubling to 5 min. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Handler resend delay while Redis is unreachable; default 1 s. */
  retryDelayMs?: number;
  /** Report computations for commands; without them manager commands answer that reports are not available. */
  reports?: ReportsApi;
  /** Fits of the data-driven models (`/models`, `/refit`). */
  models?: ModelsPort;
  /** `PUBLIC_BASE_URL`: tracked links (`/link`) live under it; without it `/link` says links are not configured. */
  publicBaseUrl?: string;
  /** Send limits of each account's answers (`send-limiter.ts`); defaults are conservative. */
  sendLimits?: SendLimiterOptions;
  /** How long a report may take before “working on it” is sent; default 2 s. */
  reportNoticeMs?: number;
  /** How often the invite codes of groups with tracked group links are read again; default 1 min. */
  inviteRefreshMs?: number;
  /** `/unmerge` (`src/profile/unmerge-profile.ts` `createUnmergePort`); absent: not available. */
  unmerge?: CommandDeps['unmerge'];
}

export interface WhatsAppRole {
  /** Configured accounts and what each is doing in this process. */
  accounts(): Array<{ id: string; workspace: string; state: AccountState | 'not-started' }>;
  close(): Promise<void>;
}

const maxAccountsSchema = z.coerce.number().int().min(1).max(1000).optional();

/** Folder of the WhatsApp sessions and web cache. */
export function whatsappDataDir(dataDir: string): string {
  return join(dataDir, 'whatsapp');
}

/** The whatsapp-web.js client of one account. */
export function createWwebjsClient(account: WhatsAppAccount, launch: PuppeteerLaunchOptions, dataDir: string): DrivenClient {
  const dir = whatsappDataDir(dataDir);
  return new wwebjs.Client({
    authStrategy: new wwebjs.LocalAuth({ clientId: account.id, dataPath: dir }),
    puppeteer: launch,
    webVersionCache: { type: 'local', path: join(dir, 'web-cache') },
    deviceName: `midfunnel ${account.id}`,
    // Another WhatsApp Web window is the operator's own use of the account: do not steal it.
    takeoverOnConflict: false,
    qrMaxRetries: 0,
  });
}

export async function startWhatsAppRole(options: WhatsAppRoleOptions): Promise<WhatsAppRole> {
  const { config, store, log } = options;
  const env = options.env ?? process.env;
  const accounts = whatsAppAccounts(config);
  const runners = new Map<string, AccountRunner>();
  const status = (): ReturnType<WhatsAppRole['accounts']> =>
    accounts.map((a) => ({ id: a.id, workspace: a.workspace, state: runners.get(a.id)?.state ?? 'not-started' }));
  const idle: WhatsAppRole = { accounts: status, close: async () => undefined };

  if (accounts.length === 0) {
    log.info('whatsapp role: no WhatsApp accounts configured (add whatsapp: { accounts: [{ id: wa1 }] } to a workspace in MIDFUNNEL_CONFIG); nothing to start');
    return idle;
  }
  const max = maxAccountsSchema.safeParse(env.WHATSAPP_MAX_ACCOUNTS === '' ? undefined : env.WHATSAPP_MAX_ACCOUNTS);
  if (!max.success) {
    throw new WhatsAppConfigError(`WHATSAPP_MAX_ACCOUNTS=${JSON.stringify(env.WHATSAPP_MAX_ACCOUNTS)} is not valid: a whole number from 1 to 1000 (how many accounts this process drives at most)\n  example: WHATSAPP_MAX_ACCOUNTS=5`);
  }
  let launch: PuppeteerLaunchOptions | undefined;
  if (!options.createClient) {
    const chromium = findChromium(env);
    if (chromium === undefined) {
      log.error({ accounts: accounts.map((a) => a.id) }, NO_CHROMIUM_HELP);
      return idle;
    }
    launch = launchOptions(chromium, process.getuid?.() === 0);
  }
  const make = options.createClient ?? ((account: WhatsAppAccount) => createWwebjsClient(account, launch as PuppeteerLaunchOptions, config.dataDir));
  const ownCapture = options.capture === undefined;
  const capture =
    options.capture ??
    createCaptureSettings({ store, workspaces: config.workspaces, log, redis: { connection: options.redis, prefix: config.queuePrefix } });
  if (ownCapture) await capture.start();
  const ownCommunity = options.community === undefined ? new CommunityQueue({ connection: options.redis, prefix: config.queuePrefix }) : undefined;
  ownCommunity?.queue.on('error', (err: Error) => log.debug({ err: err.message }, 'community queue connection error'));
  const community = options.community ?? (ownCommunity as CommunityQueue);

  // Spread: this process takes at most `max` accounts, trying them in a per-process order so
  // that several processes starting together do not all reach for the same ones first.
  const offset = process.pid % accounts.length;
  const order = [...accounts.slice(offset), ...accounts.slice(0, offset)];
  const limit = max.data ?? accounts.length;
  const ttl = options.leaseTtlMs ?? 30_000;
  let closed = false;

  // The command layer's store: /track and /untrack announce their changes to the capture settings.
  const commandStore = announceCaptureChanges(store, createCaptureNotifier({ connection: options.redis, prefix: config.queuePrefix, local: capture, log }));
  const settingsOf = (ws: string) => config.workspaces.find((w) => w.id === ws);
  const linkPorts = new Map<string, TrackedLinksPort>();
  const linksOf = (ws: string): TrackedLinksPort | undefined => {
    const base = options.publicBaseUrl;
    if (!base) return undefined;
    let port = linkPorts.get(ws);
    if (!port) {
      port = createTrackedLinks({ store: commandStore, allowedDomains: settingsOf(ws)?.allowedDomains ?? [], baseUrl: base });
      linkPorts.set(ws, port);
    }
    return port;
  };
  const groupState = createGroupLinkState(options.redis, config.queuePrefix);
  /** `/link [campaign]` in a WhatsApp group: a tracked group link, the group's invite code read now. */
  const groupLinksOf = (lookups: WhatsAppLookups): CommandDeps['groupLinks'] => {
    const base = options.publicBaseUrl?.replace(/\/+$/, '');
    if (!base) return undefined;
    return {
      async create(workspace, input) {
        const code = await lookups.inviteCode(input.chatId).catch(() => undefined);
        if (code === undefined) throw new PlatformRefusedError('I cannot read this group’s invite link: make this WhatsApp account an admin of the group, then try again.');
        await groupState.setInvite(workspace, input.chatId, code);
        await groupState.addGroup(workspace, input.chatId);
        const link = await createGroupLink(commandStore, { workspace, ...input });
        return { shortUrl: `${base}/g/${link.code}`, code: link.code };
      },
    };
  };
  const commandsFor = (account: WhatsAppAccount, lookups: WhatsAppLookups): WhatsAppCommands => {
    const hash = makePseudonymizer(options.hashKey, account.workspace);
    const links = linksOf(account.workspace);
    const groupLinks = groupLinksOf(lookups);
    return createWhatsAppCommands({
      account,
      hash,
      sender: createSendLimiter(options.sendLimits),
      client: () => lookups.sendingClient?.(),
      lookups: { groupAdmins: async (chatId) => (await lookups.groupAdmins?.(chatId)) ?? [], phonesOfLids: (lids) => lookups.phonesOfLids(lids) },
      log,
      ...(options.reportNoticeMs !== undefined ? { noticeMs: options.reportNoticeMs } : {}),
      language: settingsOf(account.workspace)?.language ?? 'en',
      createHandler: (platform) =>
        createCommandHandler({
          store: commandStore,
          ...(options.reports ? { reports: options.reports } : {}),
          ...(options.models ? { models: options.models } : {}),
          ...(links ? { links } : {}),
          ...(options.unmerge ? { unmerge: options.unmerge } : {}),
          ...(groupLinks ? { groupLinks } : {}),
          settings: (ws) => {
            const s = settingsOf(ws);
            return s ? hashedRoleSettings(s, makePseudonymizer(options.hashKey, ws)) : undefined;
          },
          platform,
          log,
        }),
    });
  };

  /**
   * Keeps the invite codes of groups with tracked group links fresh (a revoked link is replaced
   * within a minute): every minute while the account is ready, for the groups it can read
   * (groups created since 2021, whose public id is their WhatsApp id).
   */
  const refreshInvites = (account: WhatsAppAccount, lookups: WhatsAppLookups): (() => void) => {
    const tick = async (): Promise<void> => {
      for (const chatId of await groupState.groups(account.workspace)) {
        if (!chatId.endsWith('@g.us') || chatId.startsWith('wag_')) continue;
        const code = await lookups.inviteCode(chatId).catch(() => undefined);
        if (code !== undefined) await groupState.setInvite(account.workspace, chatId, code);
      }
    };
    const timer = setInterval(() => void tick().catch((err: unknown) => log.debug({ err: err instanceof Error ? err.message : String(err) }, 'group invite refresh failed')), options.inviteRefreshMs ?? 60_000);
    timer.unref();
    void tick().catch(() => undefined);
    return () => clearInterval(timer);
  };

  const run = (account: WhatsAppAccount, lease: AccountLease): AccountRunner => {
    const sessionDir = join(whatsappDataDir(config.dataDir), `session-${account.id}`);
    return startAccountRunner({
      account,
      lease,
      log,
      createClient: () => make(account, launch),
      createHandler: (lookups) =>
        createWhatsAppHandler({
          account,
          hashKey: options.hashKey,
          touches: options.touches,
          community,
          capture,
          lookups,
          commands: commandsFor(account, lookups),
          groupLinks: groupState,
          log,
          ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        }),
      onReady: (lookups) => refreshInvites(account, lookups),
      showQr: (qr) => showQr(qr, { accountId: account.id, workspace: account.workspace, sessionDir, ...(options.qrOut ? { out: options.qrOut } : {}) }),
      ...(options.minDelayMs !== undefined ? { minDelayMs: options.minDelayMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    });
  };

  /**
   * Without a cap, every account gets a runner (each waits for its lease). With one, this
   * process takes free accounts up to the cap and leaves owned ones to their owners; it
   * looks again every lease ttl, so accounts of a process that died are taken up.
   */
  const claim = async (): Promise<void> => {
    for (const account of order) {
      if (closed || runners.size >= limit) return;
      if (runners.has(account.id)) continue;
      const lease = createAccountLease({ redis: options.redis, key: whatsappAccountLeaseKey(config.queuePrefix, account.id), ttlMs: ttl });
      if (max.data !== undefined && !(await lease.tryAcquire())) continue;
      if (closed) {
        await lease.release();
        return;
      }
      runners.set(account.id, run(account, lease));
    }
  };
  let claiming: Promise<void> = claim().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'whatsapp accounts not claimed'));
  await claiming;
  log.info({ accounts: [...runners.keys()], configured: accounts.length, ...(max.data !== undefined ? { maxAccounts: max.data } : {}) }, 'whatsapp role started');
  let rescan: NodeJS.Timeout | undefined;
  if (max.data !== undefined && runners.size < accounts.length) {
    rescan = setInterval(() => {
      if (runners.size >= limit) return;
      claiming = claiming.then(claim).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'whatsapp accounts not claimed'));
    }, ttl);
    rescan.unref();
  }

  return {
    accounts: status,
    async close() {
      closed = true;
      clearInterval(rescan);
      await claiming;
      await Promise.all([...runners.values()].map((r) => r.stop()));
      if (ownCapture) await capture.close();
      await ownCommunity?.close();
    },
  };
}
