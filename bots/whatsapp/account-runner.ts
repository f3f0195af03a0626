/**
 * Drives one WhatsApp account: holds its lease, runs a whatsapp-web.js client for it,
 * and starts a new client whenever the old one ends.
 *
 * Life of an account:
 * 1. `standby` until this process holds the account's lease (`account-lease.ts`): another
 *    process may be driving it.
 * 2. `starting`: a new client (Chromium, WhatsApp Web, the saved session if any).
 * 3. `pairing` when WhatsApp asks for a QR scan (no session yet, or it was logged out);
 *    each QR code is shown to the operator.
 * 4. `ready`: events flow into the handler.
 * 5. When the client ends (`disconnected`: logged out from the phone, connection
 *    conflict, navigation; or `initialize` failed: no browser, no network), it is
 *    destroyed and a new one starts after a delay (1 s doubling to 5 min; back to 1 s
 *    after a session that reached `ready`). The lease is kept meanwhile.
 * 6. Lease lost (Redis down for 2/3 of the lease ttl, or taken): the client is destroyed at
 *    once, so two processes never drive one session, and the account goes back to standby.
 * `stop()` ends everything and releases the lease.
 */
import type { Logger } from '../../src/logger.js';
import type { AccountLease } from './account-lease.js';
import type { WhatsAppAccount } from './accounts.js';
import { createClientLookups, type ClientLookups, type LookupClient } from './client-lookups.js';
import { attachHandler, type EventSource, type WhatsAppHandler, type WhatsAppLookups } from './event-handler.js';

/** The parts of a whatsapp-web.js `Client` the runner uses. */
export interface DrivenClient extends LookupClient, EventSource {
  initialize(): Promise<void>;
  destroy(): Promise<void>;
}

export type AccountState = 'standby' | 'starting' | 'pairing' | 'ready' | 'reconnecting' | 'stopped';

export interface AccountRunnerOptions {
  account: WhatsAppAccount;
  lease: AccountLease;
  /** A new, not yet initialized client (one per session). */
  createClient: () => DrivenClient;
  /**
   * The account's event handler, made once: it outlives each client, so touches it holds
   * while Redis is down survive a reconnect. Its lookups go to the current client.
   */
  createHandler: (lookups: WhatsAppLookups) => WhatsAppHandler;
  /** Called when a session is ready, with the account's lookups; the function it returns is called when the session ends. */
  onReady?: (lookups: WhatsAppLookups) => () => void;
  /** Shows a QR code to the operator. */
  showQr: (qr: string) => void | Promise<void>;
  log: Logger;
  /** First delay before a new client (doubles up to `maxDelayMs`); default 1 s. */
  minDelayMs?: number;
  /** Default 5 min. */
  maxDelayMs?: number;
  /** Longest `client.destroy()` is waited for; default 15 s. */
  destroyTimeoutMs?: number;
}

export interface AccountRunner {
  readonly account: WhatsAppAccount;
  readonly state: AccountState;
  /** Sessions started so far (a reconnect starts a new one). */
  readonly sessions: number;
  /** Resolves when the loop has ended (after `stop`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

type SessionEnd = { kind: 'disconnected'; reason: string; wasReady: boolean } | { kind: 'failed'; error: string; wasReady: boolean } | { kind: 'lease-lost'; reason: string } | { kind: 'stopped' };

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Advice for an `initialize` failure, when its cause is recognizable. */
export function initializeHint(error: string): string | undefined {
  if (/Failed to launch|Could not find (Chrome|Chromium|expected browser)|ENOENT|spawn/i.test(error)) {
    return 'Chromium could not start: install it (apt-get install chromium) or set PUPPETEER_EXECUTABLE_PATH';
  }
  if (/net::ERR_|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|timeout/i.test(error)) return 'WhatsApp Web could not be reached: check the network (web.whatsapp.com)';
  if (/already running|SingletonLock|profile.*in use/i.test(error)) {
    return 'the session folder is in use by another browser: another process on this machine drives this account, or a stale Chromium is left; stop it';
  }
  return undefined;
}

export function startAccountRunner(options: AccountRunnerOptions): AccountRunner {
  const { account, lease } = options;
  const log = options.log.child({ account: account.id, workspace: account.workspace });
  const minDelay = options.minDelayMs ?? 1_000;
  const maxDelay = options.maxDelayMs ?? 5 * 60_000;
  const destroyTimeout = options.destroyTimeoutMs ?? 15_000;
  const abort = new AbortController();
  let state: AccountState = 'standby';
  let sessions = 0;
  let endSession: ((end: SessionEnd) => void) | undefined;

  lease.onLost((reason) => endSession?.({ kind: 'lease-lost', reason }));

  let current: ClientLookups | undefined;
  const noClient = (): never => {
    throw new Error('no WhatsApp client running');
  };
  let stopReady: (() => void) | undefined;
  const handlerLookups: WhatsAppLookups = {
    selfIds: () => current?.selfIds() ?? new Set(),
    group: (chatId) => (current ?? noClient()).group(chatId),
    phonesOfLids: (lids) => (current ?? noClient()).phonesOfLids(lids),
    inviteCode: (chatId) => (current ?? noClient()).inviteCode(chatId),
    groupAdmins: (chatId) => (current ?? noClient()).groupAdmins(chatId),
    sendingClient: () => current?.sendingClient(),
  };
  const handler = options.createHandler(handlerLookups);

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        abort.signal.removeEventListener('abort', done);
        resolve();
      }
      abort.signal.addEventListener('abort', done, { once: true });
    });

  const runSession = async (): Promise<SessionEnd> => {
    sessions++;
    state = 'starting';
    const client = options.createClient();
    const lookups = createClientLookups(client);
    current = lookups;
    const detach = attachHandler(client, handler);
    let wasReady = false;
    let qrShown = 0;
    const listeners: Record<string, (...args: any[]) => void> = {
      qr: (qr: string) => {
        state = 'pairing';
        // Every ~20 s a new code: the first one is worth a warning, the rest only a note.
        log[qrShown++ === 0 ? 'warn' : 'debug']('WhatsApp account is not paired: scan the QR code printed on standard error (WhatsApp → Linked devices → Link a device)');
        void Promise.resolve(options.showQr(String(qr))).catch((err: unknown) => log.error({ err: errText(err) }, 'QR code could not be shown'));
      },
      authenticated: () => log.info('WhatsApp session authenticated'),
      auth_failure: (message: string) => log.error({ reason: String(message).slice(0, 200) }, 'WhatsApp session could not be restored; a new QR code will be shown to pair again'),
      ready: () => {
        state = 'ready';
        wasReady = true;
        stopReady?.();
        stopReady = options.onReady?.(handlerLookups);
        void lookups.refreshSelf().catch((err: unknown) => log.debug({ err: errText(err) }, 'own ids not read'));
        log.info('WhatsApp account ready: recording group activity');
      },
      change_state: (s: string) => log.debug({ waState: String(s) }, 'WhatsApp connection state'),
    };
    const ended = new Promise<SessionEnd>((resolve) => {
      let settled = false;
      endSession = (end) => {
        if (settled) return;
        settled = true;
        resolve(end);
      };
    });
    listeners.disconnected = (reason: string) => endSession?.({ kind: 'disconnected', reason: String(reason).slice(0, 200), wasReady });
    for (const [event, fn] of Object.entries(listeners)) client.on(event, fn);
    if (abort.signal.aborted) endSession?.({ kind: 'stopped' });
    client.initialize().catch((err: unknown) => endSession?.({ kind: 'failed', error: errText(err).slice(0, 500), wasReady }));
    const end = await ended;
    endSession = undefined;
    stopReady?.();
    stopReady = undefined;
    for (const [event, fn] of Object.entries(listeners)) client.off(event, fn);
    detach();
    current = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.destroy().catch((err: unknown) => log.debug({ err: errText(err) }, 'client destroy failed')),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn({ timeoutMs: destroyTimeout }, 'client did not close in time; going on without it');
          resolve();
        }, destroyTimeout);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return end;
  };

  const loop = async (): Promise<void> => {
    let delay = minDelay;
    while (!abort.signal.aborted) {
      if (!lease.held) {
        state = 'standby';
        if (!(await lease.tryAcquire())) {
          const holder = await lease.holder().catch(() => undefined);
          if (holder === undefined) log.warn({ lease: lease.key }, 'Redis unreachable: cannot take the lease of this WhatsApp account yet; retrying');
          else log.info({ lease: lease.key, holder }, 'another process drives this WhatsApp account; standing by to take over if it stops');
          if (!(await lease.acquire(abort.signal))) break;
        }
        log.info({ owner: lease.owner }, 'this process now drives the WhatsApp account');
      }
      const stopWatch = (): void => endSession?.({ kind: 'stopped' });
      abort.signal.addEventListener('abort', stopWatch, { once: true });
      const end = await runSession();
      abort.signal.removeEventListener('abort', stopWatch);
      if (end.kind === 'stopped' || abort.signal.aborted) break;
      if (end.kind === 'lease-lost') {
        log.warn({ reason: end.reason }, 'lost the lease of this WhatsApp account: client stopped');
        delay = minDelay;
        continue;
      }
      if (end.wasReady) delay = minDelay;
      state = 'reconnecting';
      if (end.kind === 'disconnected') {
        const advice = end.reason === 'LOGOUT' ? 'the account was logged out from the phone; a new QR code will be shown to pair again' : 'reconnecting';
        log.warn({ reason: end.reason, retryMs: delay }, `WhatsApp client disconnected: ${advice}`);
      } else {
        const hint = initializeHint(end.error);
        log.error({ err: end.error, retryMs: delay, ...(hint ? { hint } : {}) }, 'WhatsApp client could not start');
      }
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
    state = 'stopped';
  };

  const done = loop().catch((err: unknown) => {
    state = 'stopped';
    log.error({ err: errText(err) }, 'WhatsApp account runner failed');
  });

  return {
    account,
    get state() {
      return state;
    },
    get sessions() {
      return sessions;
    },
    done,
    async stop() {
      abort.abort();
      endSession?.({ kind: 'stopped' });
      await done;
      await handler.close();
      await lease.release();
    },
  };
}
