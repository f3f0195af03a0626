/**
 * Composition root: builds the parts each process role needs and wires them together.
 * `all` runs every role in one process (small installs); each role can run alone to
 * scale out (`--role workers` on many machines, one `--role http` behind a balancer).
 * Shutdown is ordered: stop intake (HTTP), close workers, close queues and Redis, close
 * the store.
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/config.js';
import { HttpApp } from '../src/http/http-app.js';
import { registerHealthRoutes } from '../src/http/health-routes.js';
import { createMemoryLocker, createRedisLocker } from '../src/lock.js';
import type { Logger } from '../src/logger.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { touchQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { TouchQueue } from '../src/queue/touch-queue.js';
import { resolveHashKey } from '../src/secrets.js';
import { openStore, type OpenedStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { createProfileWorker } from '../workers/profile.worker.js';

export const ROLES = ['http', 'workers'] as const;
export type Role = (typeof ROLES)[number];

export interface RunningRoles {
  roles: Role[];
  /** Where the HTTP server listens, when the http role runs. */
  address: AddressInfo | undefined;
  store: Store;
  metrics: Metrics;
  touchQueue: TouchQueue;
  close: () => Promise<void>;
}

export interface StartRolesOptions {
  config: Config;
  roles: readonly Role[];
  log: Logger;
  /** Use this store instead of opening the configured one (tests, demo). */
  store?: Store;
  metrics?: Metrics;
}

export async function startRoles(options: StartRolesOptions): Promise<RunningRoles> {
  const { config, log } = options;
  const roles = [...new Set(options.roles)];
  const metrics = options.metrics ?? createMetrics({ defaults: true });
  const closers: Array<{ name: string; close: () => Promise<unknown> }> = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        log.warn({ part: c.name, err: err instanceof Error ? err.message : String(err) }, 'error while closing');
      }
    }
    closers.length = 0;
  };
  try {
    let opened: OpenedStore;
    if (options.store) {
      const s = options.store;
      opened = { store: s, close: async () => undefined };
    } else {
      opened = await openStore({ store: config.store, mongoUrl: config.mongoUrl, dataDir: config.dataDir, log });
    }
    closers.push({ name: 'store', close: opened.close });
    const store = opened.store;
    const hash = await resolveHashKey(config.hashKey, config.dataDir);
    if (hash.source === 'generated') log.warn({ dataDir: config.dataDir }, 'MIDFUNNEL_HASH_KEY not set: generated one and kept it in the data folder');

    const producer = createProducerConnection({ url: config.redisUrl });
    producer.on('error', (err) => log.debug({ err: err.message }, 'redis (producer)'));
    closers.push({ name: 'redis producer', close: () => producer.quit().catch(() => producer.disconnect()) });
    const touchQueue = new TouchQueue({ connection: producer, prefix: config.queuePrefix, metrics });
    closers.push({ name: 'touch queue', close: () => touchQueue.close() });

    if (roles.includes('workers')) {
      const conn = createWorkerConnection({ url: config.redisUrl });
      closers.push({ name: 'redis worker', close: () => conn.quit().catch(() => conn.disconnect()) });
      const locker = store.kind === 'memory' ? createMemoryLocker() : createRedisLocker(producer);
      const worker = createProfileWorker({ connection: conn, store, locker, log, metrics, prefix: config.queuePrefix, concurrency: config.workerConcurrency });
      closers.push({ name: 'profile worker', close: () => worker.close() });
      log.info({ concurrency: config.workerConcurrency, queue: touchQueueName(config.queuePrefix) }, 'profile worker started');
    }

    let address: AddressInfo | undefined;
    if (roles.includes('http')) {
      const app = new HttpApp(log);
      registerHealthRoutes(app, {
        metrics,
        checks: {
          redis: async () => {
            await producer.ping();
          },
          store: () => store.ping(),
        },
        beforeScrape: async () => {
          const counts = await touchQueue.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, n] of Object.entries(counts)) metrics.queueDepth.set({ queue: 'touches', state }, n);
        },
      });
      address = await app.listen(config.port, config.host);
      closers.push({ name: 'http', close: () => app.close() });
      log.info({ host: address.address, port: address.port }, 'http listening');
    }
    return { roles, address, store, metrics, touchQueue, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
