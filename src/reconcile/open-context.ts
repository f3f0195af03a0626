/**
 * What the CLI commands (`report`, `conversions`, `links`) need, opened from the same
 * configuration as the service (`loadConfig` + `openStore`): the store, the workspace
 * settings, the hash key and, on demand, the reconcile queue. Tests inject their own parts.
 */
import { loadConfig, type Config, type WorkspaceConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createProducerConnection } from '../queue/redis.js';
import { resolveHashKey } from '../secrets.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { ReconcileQueue } from './reconcile-queue.js';
import { settingsLookup, type SettingsLookup } from './workspace-settings.js';

export interface CliContext {
  store: Store;
  settings: SettingsLookup;
  workspaces: readonly WorkspaceConfig[];
  hashKey: string;
  /** `PUBLIC_BASE_URL`, for printing short links. */
  publicBaseUrl: string | undefined;
  /** The reconcile queue (connects to Redis when first asked). */
  reconcileQueue: () => ReconcileQueue;
  close: () => Promise<void>;
}

/** Parts a test passes instead of the configured ones. */
export interface CliContextOverrides {
  store?: Store;
  workspaces?: readonly WorkspaceConfig[];
  hashKey?: string;
  publicBaseUrl?: string;
  reconcileQueue?: ReconcileQueue;
}

/** Opens the context; throws ConfigError / StoreUnavailableError with what to fix. */
export async function openCliContext(env: Record<string, string | undefined>, overrides: CliContextOverrides = {}): Promise<CliContext> {
  const needConfig = !overrides.store || !overrides.workspaces || !overrides.hashKey || !overrides.reconcileQueue;
  const config: Config | undefined = needConfig ? loadConfig(env) : undefined;
  const closers: Array<() => Promise<unknown>> = [];
  let store = overrides.store;
  if (!store) {
    const c = config as Config;
    const opened = await openStore({ store: c.store, mongoUrl: c.mongoUrl, dataDir: c.dataDir, log: createLogger('error') });
    store = opened.store;
    closers.push(opened.close);
  }
  const workspaces = overrides.workspaces ?? (config as Config).workspaces;
  const hashKey = overrides.hashKey ?? (await resolveHashKey((config as Config).hashKey, (config as Config).dataDir)).key;
  let queue = overrides.reconcileQueue;
  return {
    store,
    settings: settingsLookup(workspaces),
    workspaces,
    hashKey,
    publicBaseUrl: overrides.publicBaseUrl ?? config?.publicBaseUrl,
    reconcileQueue: () => {
      if (!queue) {
        const c = config as Config;
        const producer = createProducerConnection({ url: c.redisUrl });
        producer.on('error', () => undefined);
        const q = new ReconcileQueue({ connection: producer, prefix: c.queuePrefix });
        closers.push(async () => {
          await q.close();
          await producer.quit().catch(() => producer.disconnect());
        });
        queue = q;
      }
      return queue;
    },
    close: async () => {
      // A queue whose Redis never answered can wait forever on close: give each part 2 s.
      for (const c of closers.reverse()) await Promise.race([c().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    },
  };
}
