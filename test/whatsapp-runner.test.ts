/**
 * One owner per WhatsApp account, and the client's life: the account lease on the real
 * Redis, and the account runner with stand-in clients (no browser is launched here): two
 * "processes" never drive one account, a standby takes over when the owner stops, a lost
 * lease stops the client at once, a disconnected client is replaced, QR codes reach the
 * operator, a start failure says what to do. Plus the pieces of the role around them.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAccountLease, type AccountLease } from '../bots/whatsapp/account-lease.js';
import { startAccountRunner, type AccountRunner, type DrivenClient } from '../bots/whatsapp/account-runner.js';
import { whatsAppAccounts, WhatsAppConfigError } from '../bots/whatsapp/accounts.js';
import { CHROMIUM_PATHS, findChromium, launchOptions } from '../bots/whatsapp/browser.js';
import type { WhatsAppHandler } from '../bots/whatsapp/event-handler.js';
import { startWhatsAppRole } from '../bots/whatsapp/main.js';
import { qrMessage } from '../bots/whatsapp/show-qr.js';
import { startRoles } from '../app/roles.js';
import { loadConfig, workspaceConfigSchema } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { whatsappAccountLeaseKey } from '../src/queue/keys.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const redis = testRedis();
const prefixes: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await deleteKeys(redis, prefixes.splice(0).map((p) => `${p}*`));
});
afterAll(async () => {
  await redis.quit();
});

/** A stand-in for whatsapp-web.js's Client: the same events, no browser. */
class StubClient extends EventEmitter implements DrivenClient {
  initialized = 0;
  destroyed = 0;
  info = { wid: { _serialized: '8613700137000@c.us' } };
  constructor(private readonly onInit: (c: StubClient) => Promise<void> = async (c) => void c.emit('ready')) {
    super();
  }
  async initialize(): Promise<void> {
    this.initialized++;
    await this.onInit(this);
  }
  async destroy(): Promise<void> {
    this.destroyed++;
  }
  async getChatById(): Promise<unknown> {
    return undefined;
  }
  async getContactLidAndPhone(ids: string[]): Promise<Array<{ lid?: string; pn?: string }>> {
    return ids.map(() => ({}));
  }
}

function logSink(): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger('debug', stream), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const idleHandler = (): WhatsAppHandler => ({
  message: async () => undefined,
  messageEdit: () => undefined,
  groupJoin: async () => undefined,
  groupLeave: async () => undefined,
  membershipRequest: async () => undefined,
  groupUpdate: () => undefined,
  pending: () => 0,
  flush: async () => undefined,
  close: async () => undefined,
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function leaseKey(): string {
  const prefix = uniquePrefix('walease');
  prefixes.push(prefix);
  return whatsappAccountLeaseKey(prefix, 'wa1');
}

interface Process {
  lease: AccountLease;
  runner: AccountRunner;
  clients: StubClient[];
  qrs: string[];
  lines: () => Array<Record<string, unknown>>;
}

function process_(key: string, ttlMs: number, onInit?: (c: StubClient) => Promise<void>): Process {
  const lease = createAccountLease({ redis, key, ttlMs });
  const clients: StubClient[] = [];
  const qrs: string[] = [];
  const { log, lines } = logSink();
  const runner = startAccountRunner({
    account: { id: 'wa1', workspace: 'acme' },
    lease,
    createClient: () => {
      const c = new StubClient(onInit);
      clients.push(c);
      return c;
    },
    createHandler: idleHandler,
    showQr: (qr) => void qrs.push(qr),
    log,
    minDelayMs: 20,
    maxDelayMs: 100,
  });
  cleanups.push(() => runner.stop());
  return { lease, runner, clients, qrs, lines };
}

describe('whatsapp account lease', () => {
  it('gives an account to one owner at a time, renews it past its ttl, and frees it on release', async () => {
    const key = leaseKey();
    const a = createAccountLease({ redis, key, ttlMs: 300 });
    const b = createAccountLease({ redis, key, ttlMs: 300 });
    cleanups.push(() => a.release(), () => b.release());
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(await b.holder()).toBe(a.owner);
    // Renewal keeps it well past one ttl.
    await new Promise((r) => setTimeout(r, 700));
    expect(a.held).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(await redis.get(key)).toBeNull();
    expect(await b.tryAcquire()).toBe(true);
  });

  it('tells its holder at once when the lease was taken', async () => {
    const key = leaseKey();
    const a = createAccountLease({ redis, key, ttlMs: 300 });
    cleanups.push(() => a.release());
    const lost: string[] = [];
    a.onLost((r) => lost.push(r));
    expect(await a.tryAcquire()).toBe(true);
    await redis.set(key, 'someone-else', 'PX', 5_000);
    await until('the loss to be noticed', () => lost.length > 0);
    expect(a.held).toBe(false);
    expect(lost[0]).toMatch(/taken/);
    // Release does not delete someone else's lease.
    await a.release();
    expect(await redis.get(key)).toBe('someone-else');
  });

  it('counts the lease as lost when Redis cannot be reached for most of its ttl, so no two processes drive one session', async () => {
    const key = leaseKey();
    const conn = createProducerConnection({ url: REDIS_URL });
    const a = createAccountLease({ redis: conn, key, ttlMs: 300 });
    const lost: string[] = [];
    a.onLost((r) => lost.push(r));
    expect(await a.tryAcquire()).toBe(true);
    conn.disconnect();
    await until('the loss to be noticed', () => lost.length > 0);
    expect(lost[0]).toMatch(/could not be renewed/);
    // By then the lease has expired in Redis too: another process may take the account.
    await until('the lease to expire', async () => (await redis.get(key)) === null);
    await a.release();
  });
});

describe('whatsapp account runner', () => {
  it('drives an account from one process only; a standby takes over when the owner stops', async () => {
    const key = leaseKey();
    const a = process_(key, 400);
    await until('A ready', () => a.runner.state === 'ready');
    const b = process_(key, 400);
    await until('B standing by', () => b.lines().some((l) => l.msg === 'another process drives this WhatsApp account; standing by to take over if it stops'));
    expect(b.runner.state).toBe('standby');
    expect(b.clients).toHaveLength(0);
    await a.runner.stop();
    expect(a.clients[0]?.destroyed).toBe(1);
    expect(a.runner.state).toBe('stopped');
    await until('B ready', () => b.runner.state === 'ready');
    expect(b.clients).toHaveLength(1);
    expect(await redis.get(key)).toBe(b.lease.owner);
  });

  it('stops the client at once when the lease is lost, and drives again once it gets the lease back', async () => {
    const key = leaseKey();
    const a = process_(key, 300);
    await until('ready', () => a.runner.state === 'ready');
    await redis.set(key, 'intruder', 'PX', 400);
    await until('client stopped', () => a.clients[0]?.destroyed === 1);
    expect(a.lines().some((l) => l.msg === 'lost the lease of this WhatsApp account: client stopped')).toBe(true);
    // The intruder's lease expires; the account is taken back with a new client.
    await until('second session ready', () => a.runner.sessions === 2 && a.runner.state === 'ready');
    expect(await redis.get(key)).toBe(a.lease.owner);
  });

  it('shows each QR code, and replaces a disconnected client (logout included) with a new one', async () => {
    const key = leaseKey();
    let first = true;
    const a = process_(key, 2_000, async (c) => {
      if (first) {
        first = false;
        c.emit('qr', '2@AbC,xYz,KeY=,1');
        c.emit('qr', '2@DeF,xYz,KeY=,1');
        return;
      }
      c.emit('ready');
    });
    await until('two QR codes', () => a.qrs.length === 2);
    expect(a.qrs).toEqual(['2@AbC,xYz,KeY=,1', '2@DeF,xYz,KeY=,1']);
    expect(a.runner.state).toBe('pairing');
    a.clients[0]?.emit('disconnected', 'LOGOUT');
    await until('a new client ready', () => a.runner.state === 'ready' && a.clients.length === 2);
    expect(a.clients[0]?.destroyed).toBe(1);
    expect(a.lines().find((l) => l.reason === 'LOGOUT')?.msg).toMatch(/logged out from the phone/);
    // The QR text itself is never logged.
    expect(JSON.stringify(a.lines())).not.toContain('AbC,xYz');
  });

  it('says what to do when the browser cannot start, and keeps retrying', async () => {
    const key = leaseKey();
    const a = process_(key, 2_000, async () => {
      throw new Error('Failed to launch the browser process! spawn /usr/bin/chromium ENOENT');
    });
    await until('three attempts', () => a.clients.length >= 3);
    const failure = a.lines().find((l) => l.msg === 'WhatsApp client could not start');
    expect(failure?.hint).toMatch(/apt-get install chromium/);
    // Each failed client was cleaned up before the next one started.
    expect(a.clients.slice(0, -1).map((c) => c.destroyed)).toEqual(a.clients.slice(0, -1).map(() => 1));
  });
});

describe('whatsapp role parts', () => {
  it('lists each account under the workspace that lists it, and refuses an account listed twice', () => {
    const ws = (id: string, accounts: string[]) => workspaceConfigSchema.parse({ id, whatsapp: { accounts: accounts.map((a) => ({ id: a })) } });
    expect(whatsAppAccounts({ workspaces: [ws('acme', ['wa1', 'wa2']), ws('beta', ['wb1'])] })).toEqual([
      { id: 'wa1', workspace: 'acme' },
      { id: 'wa2', workspace: 'acme' },
      { id: 'wb1', workspace: 'beta' },
    ]);
    expect(() => whatsAppAccounts({ workspaces: [ws('acme', ['wa1']), ws('beta', ['wa1'])] })).toThrow(WhatsAppConfigError);
    expect(() => whatsAppAccounts({ workspaces: [ws('acme', ['wa1']), ws('beta', ['wa1'])] })).toThrow(/workspaces acme and beta/);
  });

  it('finds Chromium from PUPPETEER_EXECUTABLE_PATH or the system, and runs it without sandbox only as root', () => {
    expect(findChromium({ PUPPETEER_EXECUTABLE_PATH: '/opt/chrome/chrome' }, () => false)).toBe('/opt/chrome/chrome');
    expect(findChromium({}, (p) => p === '/usr/bin/chromium')).toBe('/usr/bin/chromium');
    expect(findChromium({}, (p) => p === CHROMIUM_PATHS[1])).toBe(CHROMIUM_PATHS[1]);
    expect(findChromium({}, () => false)).toBeUndefined();
    expect(launchOptions('/usr/bin/chromium', true).args).toEqual(expect.arrayContaining(['--no-sandbox']));
    expect(launchOptions('/usr/bin/chromium', false).args).not.toContain('--no-sandbox');
    expect(launchOptions('/usr/bin/chromium', false)).toMatchObject({ headless: true, executablePath: '/usr/bin/chromium' });
  });

  it('prints the QR code with pairing instructions and where the session is kept', async () => {
    const drawn = await qrMessage('2@AbC,xYz', { accountId: 'wa1', workspace: 'acme', sessionDir: '/data/whatsapp/session-wa1', draw: async (t) => `[QR of ${t}]` });
    expect(drawn).toContain('[QR of 2@AbC,xYz]');
    expect(drawn).toContain('Linked devices');
    expect(drawn).toContain('/data/whatsapp/session-wa1');
    const text = await qrMessage('2@AbC,xYz', { accountId: 'wa1', workspace: 'acme', sessionDir: '/d', draw: null });
    expect(text).toContain('  2@AbC,xYz');
    expect(text).toContain('qrencode -t ansiutf8');
  });

  it('starts nothing without configured accounts; refuses a bad WHATSAPP_MAX_ACCOUNTS', async () => {
    const store = createMemoryStore();
    const { log, lines } = logSink();
    const base = { store, touches: { enqueueMany: async () => undefined }, redis, hashKey: 'test-hash-key-0123456789abcdef', log };
    const none = await startWhatsAppRole({ ...base, config: { workspaces: [workspaceConfigSchema.parse({ id: 'acme' })], dataDir: '/nonexistent', queuePrefix: 'mft-none' } });
    expect(none.accounts()).toEqual([]);
    expect(lines().some((l) => String(l.msg).includes('no WhatsApp accounts configured'))).toBe(true);
    await none.close();
    const config = { workspaces: [workspaceConfigSchema.parse({ id: 'acme', whatsapp: { accounts: [{ id: 'wa1' }] } })], dataDir: '/nonexistent', queuePrefix: 'mft-none' };
    await expect(startWhatsAppRole({ ...base, config, env: { WHATSAPP_MAX_ACCOUNTS: 'lots' } })).rejects.toThrow(/WHATSAPP_MAX_ACCOUNTS/);
  });

  it('spreads accounts over processes with WHATSAPP_MAX_ACCOUNTS, and takes up the accounts of a process that stopped', async () => {
    const prefix = uniquePrefix('waspread');
    prefixes.push(prefix);
    const config = { workspaces: [workspaceConfigSchema.parse({ id: 'acme', whatsapp: { accounts: [{ id: 'wa1' }, { id: 'wa2' }] } })], dataDir: '/nonexistent', queuePrefix: prefix };
    const start = async (max: string) => {
      const driven: string[] = [];
      const role = await startWhatsAppRole({
        config,
        store: createMemoryStore(),
        touches: { enqueueMany: async () => undefined },
        redis,
        hashKey: 'test-hash-key-0123456789abcdef',
        log: createLogger('silent'),
        env: { WHATSAPP_MAX_ACCOUNTS: max },
        createClient: (account) => {
          driven.push(account.id);
          return new StubClient();
        },
        leaseTtlMs: 300,
      });
      cleanups.push(() => role.close());
      const ready = () => role.accounts().filter((a) => a.state === 'ready').map((a) => a.id);
      return { role, driven, ready };
    };
    const a = await start('1');
    const b = await start('1');
    await until('each process drives one account', () => a.ready().length === 1 && b.ready().length === 1);
    expect([...a.ready(), ...b.ready()].sort()).toEqual(['wa1', 'wa2']);
    const c = await start('2');
    expect(c.driven).toEqual([]);
    const aAccount = a.ready()[0];
    await a.role.close();
    await until('the third process takes the freed account', () => c.ready().length === 1);
    expect(c.ready()).toEqual([aAccount]);
    expect(b.ready()).toHaveLength(1);
  });

  it('is left out of the process roles (all included) when no account is configured', async () => {
    const store = createMemoryStore();
    await store.init();
    const prefix = uniquePrefix('warole');
    prefixes.push(prefix);
    const config = loadConfig({ MIDFUNNEL_STORE: 'memory', QUEUE_PREFIX: prefix, MIDFUNNEL_HASH_KEY: 'test-hash-key-0123456789abcdef', LOG_LEVEL: 'silent' });
    const running = await startRoles({ config, roles: ['whatsapp'], log: createLogger('silent'), store });
    cleanups.push(() => running.close());
    expect(running.roles).toEqual([]);
    expect(running.whatsapp).toBeUndefined();
  });
});
