/**
 * One connector process for the lease test (`test/whatsapp-lease.test.ts`): runs the real
 * account runner and lease for account `wa1` against the real Redis, with a stub client that
 * writes to a Redis list when it starts and stops driving the account (`<name> start|stop <ms>`).
 * Env: REDIS_URL, LEASE_PREFIX, LEASE_TTL_MS, PROCESS_NAME. SIGTERM stops it cleanly (the lease
 * is released); SIGKILL is a crash.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { createAccountLease } from '../../bots/whatsapp/account-lease.js';
import { startAccountRunner, type DrivenClient } from '../../bots/whatsapp/account-runner.js';
import type { WhatsAppHandler } from '../../bots/whatsapp/event-handler.js';
import { createLogger } from '../../src/logger.js';
import { whatsappAccountLeaseKey } from '../../src/queue/keys.js';

const name = process.env.PROCESS_NAME ?? 'p';
const prefix = process.env.LEASE_PREFIX ?? 'mft-lease';
const ttl = Number(process.env.LEASE_TTL_MS ?? 2000);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const events = `${prefix}:drivers`;
const note = (what: string): Promise<number> => redis.rpush(events, `${name} ${what} ${Date.now()}`);

class StubClient extends EventEmitter implements DrivenClient {
  async initialize(): Promise<void> {
    await note('start');
    this.emit('ready');
  }
  async destroy(): Promise<void> {
    await note('stop');
  }
  async getChatById(): Promise<unknown> {
    return undefined;
  }
  async getContactLidAndPhone(): Promise<[]> {
    return [];
  }
}

const handler: WhatsAppHandler = {
  message: async () => undefined,
  messageEdit: () => undefined,
  groupJoin: async () => undefined,
  groupLeave: async () => undefined,
  membershipRequest: async () => undefined,
  groupUpdate: () => undefined,
  pending: () => 0,
  flush: async () => undefined,
  close: async () => undefined,
};

const lease = createAccountLease({ redis, key: whatsappAccountLeaseKey(prefix, 'wa1'), ttlMs: ttl, owner: `${name}/${process.pid}` });
const runner = startAccountRunner({
  account: { id: 'wa1', workspace: 'acme' },
  lease,
  createClient: () => new StubClient(),
  createHandler: () => handler,
  showQr: () => undefined,
  log: createLogger('silent'),
});

process.on('SIGTERM', () => {
  void runner
    .stop()
    .then(() => redis.quit())
    .finally(() => process.exit(0));
});
process.stdout.write('up\n');
