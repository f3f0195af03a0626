/**
 * Runs the store contract on the in-memory adapter always, and on the MongoDB adapter
 * when a MongoDB is reachable: `MONGO_URL` (a running server), or `MONGOMS_SYSTEM_BINARY`
 * (a local `mongod` that mongodb-memory-server starts; it never downloads one here).
 * Each Mongo test uses its own database, named after this run, dropped afterwards.
 * The run prints one line saying which adapters the suite ran on.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll } from 'vitest';
import { createMemoryStore } from '../src/store/memory-store.js';
import { createMongoStore } from '../src/store/mongo-store.js';
import type { Store } from '../src/store/store.js';
import { storeContract } from './store-contract.js';
import { communityContract } from './community-contract.js';
import { attributionReposContract } from './links-conversions-contract.js';
import { countersContract } from './counters-contract.js';
import { referralsContract } from './referrals-contract.js';
import { campaignsContract } from './campaigns-contract.js';

const mongoUrl = process.env.MONGO_URL || undefined;
const systemBinary = process.env.MONGOMS_SYSTEM_BINARY || undefined;
const mongoSource = mongoUrl ? 'MONGO_URL' : systemBinary ? `MONGOMS_SYSTEM_BINARY=${systemBinary}` : undefined;

interface MongoTarget {
  url: string;
  /** Drops test databases (its own client, so it outlives the stores). */
  admin: mongoose.Connection;
  stop: () => Promise<void>;
}

let target: Promise<MongoTarget> | undefined;

/** Connects to MONGO_URL, or starts the configured system mongod; once per file. */
function mongoTarget(): Promise<MongoTarget> {
  target ??= (async () => {
    let url = mongoUrl;
    let stopServer = async (): Promise<void> => undefined;
    if (url === undefined) {
      // Imported only here: with no system binary configured it would try to download one.
      const { MongoMemoryServer } = await import('mongodb-memory-server-core');
      const server = await MongoMemoryServer.create({ binary: { systemBinary } });
      url = server.getUri();
      stopServer = async () => {
        await server.stop();
      };
    }
    const admin = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 10_000 }).asPromise();
    return {
      url,
      admin,
      stop: async () => {
        await admin.close();
        await stopServer();
      },
    };
  })();
  return target;
}

const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
let dbCount = 0;
const dbNameOf = new WeakMap<Store, string>();

const memoryStore = async (): Promise<Store> => {
  const store = createMemoryStore();
  await store.init();
  return store;
};

storeContract('memory', memoryStore);
communityContract('memory', memoryStore);
attributionReposContract('memory', memoryStore);
countersContract('memory', memoryStore);
referralsContract('memory', memoryStore);
campaignsContract('memory', memoryStore);

const mongoStore = async (): Promise<Store> => {
  const { url } = await mongoTarget();
  const dbName = `midfunnel_test_${runId}_${dbCount++}`;
  const store = await createMongoStore({ url, dbName, serverSelectionTimeoutMS: 10_000 });
  dbNameOf.set(store, dbName);
  await store.init();
  return store;
};
const dropMongoDb = async (store: Store): Promise<void> => {
  const dbName = dbNameOf.get(store);
  if (dbName === undefined) return;
  const { admin } = await mongoTarget();
  await admin.getClient().db(dbName).dropDatabase();
};
const mongoOptions = mongoSource ? {} : { skipReason: 'set MONGO_URL or MONGOMS_SYSTEM_BINARY to run it' };
storeContract('mongo', mongoStore, dropMongoDb, mongoOptions);
communityContract('mongo', mongoStore, dropMongoDb, mongoOptions);
attributionReposContract('mongo', mongoStore, dropMongoDb, mongoOptions);
countersContract('mongo', mongoStore, dropMongoDb, mongoOptions);
referralsContract('mongo', mongoStore, dropMongoDb, mongoOptions);
campaignsContract('mongo', mongoStore, dropMongoDb, mongoOptions);

afterAll(async () => {
  // A target that failed to start has failed every Mongo test already, with its reason.
  const started = await target?.catch(() => undefined);
  if (started) await started.stop();
  const mongo = mongoSource ? `mongo (via ${mongoSource})` : 'mongo skipped: no MONGO_URL / MONGOMS_SYSTEM_BINARY';
  console.log(`[store] contract suites (store, community repos, attribution repos, counters, referrals, campaigns) ran on: memory${mongoSource ? `, ${mongo}` : ` (${mongo})`}`);
});
