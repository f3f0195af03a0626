/**
 * The MongoDB store (mongoose 8), what users run. Thin on purpose: it opens a dedicated
 * connection and composes the MongoDB adapter of every aggregate (`touches/`, `profiles/`,
 * `links/`, `conversions/`, `community/`, `counters/`), each one or two MongoDB operations per method,
 * following the shared rules of `rules.ts`. The contract suites in `test/` hold it and the
 * in-memory store to the same behaviour.
 *
 * - Each store owns a dedicated connection (`mongoose.createConnection`), so several stores
 *   (workspaces' tests, workers) can coexist in one process.
 * - `init()` creates the collections' indexes (non-destructively: indexes someone added by
 *   hand are left alone) and pings. Nothing is created implicitly.
 */
import mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import { createMongoCampaigns } from './campaigns/mongo-campaigns.js';
import { createMongoCommunityRepos } from './community/mongo-community.js';
import { createMongoConversions } from './conversions/mongo-conversions.js';
import { createMongoCounters } from './counters/mongo-counters.js';
import { createMongoIdentityEvidence } from './identity-evidence/mongo-evidence.js';
import { createMongoLinks } from './links/mongo-links.js';
import { createMongoOptimize } from './optimize/mongo-optimize.js';
import { createMongoReferrals } from './referrals/mongo-referrals.js';
import { createMongoProfiles } from './profiles/mongo-profiles.js';
import { StoreClosedError } from './rules.js';
import type { Store } from './store.js';
import { createMongoTouches } from './touches/mongo-touches.js';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions {
  /** MongoDB connection string, e.g. `mongodb://127.0.0.1:27017`. */
  url: string;
  /** Database name; default: the one in `url`, else mongoose's default (`test`). */
  dbName?: string;
  /** How long to wait for a reachable server before failing; default 30,000 ms (the driver's). */
  serverSelectionTimeoutMS?: number;
}

/**
 * Connects to MongoDB and returns a store on a dedicated connection. Call `init()` once
 * before use (it creates indexes); `close()` closes the connection.
 * Rejects when the server cannot be reached within `serverSelectionTimeoutMS`.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const connectOptions: mongoose.ConnectOptions = { autoIndex: false, autoCreate: false };
  if (options.dbName !== undefined) connectOptions.dbName = options.dbName;
  if (options.serverSelectionTimeoutMS !== undefined) connectOptions.serverSelectionTimeoutMS = options.serverSelectionTimeoutMS;
  const connection = mongoose.createConnection(options.url, connectOptions);
  try {
    await connection.asPromise();
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  return createMongoStoreOn(connection);
}

/**
 * The store on an existing connection (what {@link createMongoStore} returns once connected).
 * Compiles the models on `connection`, so call it once per connection. Exported so the
 * queries it sends can be inspected offline (`test/mongo-adapters-offline.test.ts`).
 */
export function createMongoStoreOn(connection: Connection): Store {
  let closed = false;
  const open = (): void => {
    if (closed) throw new StoreClosedError('mongo');
  };
  const touches = createMongoTouches(connection, open);
  const profiles = createMongoProfiles(connection, open);
  const links = createMongoLinks(connection);
  const conversions = createMongoConversions(connection);
  const community = createMongoCommunityRepos(connection);
  const counters = createMongoCounters(connection);
  const optimize = createMongoOptimize(connection);
  const referrals = createMongoReferrals(connection);
  const evidence = createMongoIdentityEvidence(connection);
  const campaigns = createMongoCampaigns(connection);
  const models: Array<Model<never>> = [...touches.models, ...profiles.models, ...links.models, ...conversions.models, ...counters.models, ...optimize.models, ...referrals.models, ...evidence.models, ...campaigns.models] as unknown as Array<Model<never>>;

  const ping = async (): Promise<void> => {
    open();
    const db = connection.db;
    if (!db) throw new Error('the mongo store has no database handle; is the connection open?');
    await db.admin().ping();
  };

  return {
    kind: 'mongo',
    touches: touches.touches,
    identities: profiles.identities,
    profiles: profiles.profiles,
    links: links.links,
    memberTokens: links.memberTokens,
    clicks: links.clicks,
    conversions: conversions.conversions,
    credits: conversions.credits,
    fits: conversions.fits,
    community: community.repos,
    counters: counters.counters,
    optimize: optimize.repos,
    referrals: referrals.referrals,
    identityEvidence: evidence.repo,
    campaigns: campaigns.repos,
    async init() {
      open();
      // createIndexes() is idempotent: an index that exists with the same spec is a no-op.
      for (const model of models) await model.createIndexes();
      await community.init();
      await ping();
    },
    ping,
    async close() {
      if (closed) return;
      closed = true;
      await connection.close();
    },
  };
}
