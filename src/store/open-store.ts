/**
 * Opens the configured store: MongoDB at `MONGO_URL`; without it, an embedded mongod
 * (mongodb-memory-server, data kept in `<data dir>/mongo`); or the in-memory store
 * when `MIDFUNNEL_STORE=memory` (a demo: nothing survives a restart).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  store: 'mongo' | 'memory';
  mongoUrl: string | undefined;
  dataDir: string;
  log: Logger;
}

export interface OpenedStore {
  store: Store;
  /** Closes the store and stops the embedded mongod if one was started. */
  close: () => Promise<void>;
}

/** No store could be opened. `reason` is what went wrong; the message adds what to do for `midfunnel start`. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(
    message: string,
    readonly reason: string = message,
  ) {
    super(message);
  }
}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  if (options.store === 'memory') {
    const { createMemoryStore } = await import('./memory-store.js');
    const store = createMemoryStore();
    options.log.warn('MIDFUNNEL_STORE=memory: data is kept in this process only and lost when it stops');
    await store.init();
    return { store, close: () => store.close() };
  }
  const { createMongoStore } = await import('./mongo-store.js');
  if (options.mongoUrl) {
    const store = await createMongoStore({ url: options.mongoUrl });
    await store.init();
    return { store, close: () => store.close() };
  }
  const dbPath = join(options.dataDir, 'mongo');
  await mkdir(dbPath, { recursive: true });
  options.log.info({ dbPath }, 'MONGO_URL not set: starting an embedded MongoDB (the first start downloads mongod)');
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  let server: InstanceType<typeof MongoMemoryServer>;
  // mongodb-memory-server prints its own stack traces on failure; the error below says it better.
  const { warn, error } = console;
  console.warn = () => undefined;
  console.error = () => undefined;
  try {
    server = await MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
  } catch (err) {
    const e = err as { message?: string; code?: string };
    const why = [(e.message ?? String(err)).split('\n')[0]?.replace(/, Details:$/, ''), e.code].filter(Boolean).join(': ');
    const reason = `no MongoDB could be started (${why})`;
    throw new StoreUnavailableError(
      `${reason}.\n` +
        '  Point midfunnel at a running MongoDB:   MONGO_URL=mongodb://127.0.0.1:27017/midfunnel\n' +
        '  or at a local mongod binary:             MONGOMS_SYSTEM_BINARY=/usr/bin/mongod\n' +
        '  or run a demo without persistence:      MIDFUNNEL_STORE=memory midfunnel start (all roles in one process; CLI commands cannot see its data)',
      reason,
    );
  } finally {
    console.warn = warn;
    console.error = error;
  }
  const store = await createMongoStore({ url: server.getUri(), dbName: 'midfunnel' });
  await store.init();
  return {
    store,
    close: async () => {
      await store.close();
      await server.stop({ doCleanup: false });
    },
  };
}
