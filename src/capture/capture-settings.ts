/**
 * What connectors map platform events with, pushed to them instead of read on the hot
 * path: per workspace, the watched keywords (configured + added with `/track`) compiled
 * into one matcher, and the stored campaign invite links (url → campaign).
 *
 * - The copy is loaded from the store off the hot path: at start (waiting a bounded time),
 *   when a change is announced, and every few minutes as a safety net. Reading it never
 *   waits and never fails: a connector maps with the last good copy, and when the store is
 *   down a reload keeps that copy and is tried again at the next check.
 * - Changes are announced through Redis ({@link createCaptureNotifier}): the workspace's
 *   version key (`<prefix>:capture:version:<ws>`) is incremented and the workspace is
 *   published on `<prefix>:capture:changed`. Subscribers reload at once; every
 *   `checkMs` each process also compares the version keys, which catches an announcement
 *   missed while Redis restarted.
 * - Writers announce through {@link announceCaptureChanges}: a store whose keyword and
 *   invite-link writes announce themselves, so `/track`, `/untrack`, `/invite`, `/revoke`
 *   and `midfunnel invites` need no code of their own.
 */
import type { Redis } from 'ioredis';
import { compileKeywords, type KeywordMatcher } from '../keywords/index.js';
import type { Logger } from '../logger.js';
import { captureChangedChannel, captureVersionKey } from '../queue/keys.js';
import type { CampaignInviteLink, CommunityPlatform, Store } from '../store/store.js';
import { isWellFormed } from '../touch-event.js';

/** A stored invite link as connectors need it. */
export interface InviteLinkInfo {
  campaign: string;
  revoked: boolean;
}

export interface CaptureSettings {
  /** The workspace's keyword matcher as last loaded (configured keywords only before the first load). Never waits. */
  matcher(workspace: string): KeywordMatcher;
  /** The stored invite link with this url, as last loaded. Never waits. */
  inviteLink(workspace: string, platform: CommunityPlatform, url: string): InviteLinkInfo | undefined;
  /** Loads the workspace from the store now; true when it loaded (false: the last copy stays). Never throws. */
  reload(workspace: string): Promise<boolean>;
  /** First load of every workspace (waits at most `startWaitMs`), then listens for changes. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CaptureSettingsOptions {
  store: Store;
  /** The configured workspaces, with their configured keywords. */
  workspaces: ReadonlyArray<{ id: string; keywords: readonly string[] }>;
  log: Logger;
  /** Announcements; without it only the periodic reload picks up changes. */
  redis?: {
    /** A connection for reading version keys (a producer connection: fails fast). */
    connection: Redis;
    /** Queue prefix (`QUEUE_PREFIX`). */
    prefix: string;
  };
  /** How often version keys are compared; default 10 s. */
  checkMs?: number;
  /** How often every workspace is reloaded whatever the versions say; default 5 min. */
  reloadMs?: number;
  /** Longest `start` waits for the first load; default 10 s. */
  startWaitMs?: number;
}

interface Snapshot {
  matcher: KeywordMatcher;
  links: Map<string, InviteLinkInfo>;
}

const linkKey = (platform: CommunityPlatform, url: string): string => `${platform}\u0000${url}`;
const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Compiles a keyword list, leaving out keywords that are not well-formed Unicode (a touch could not carry them). */
function compileWellFormed(keywords: readonly string[]): KeywordMatcher {
  return compileKeywords(keywords.filter(isWellFormed));
}

export function createCaptureSettings(options: CaptureSettingsOptions): CaptureSettings {
  const { store, log } = options;
  const checkMs = options.checkMs ?? 10_000;
  const reloadMs = options.reloadMs ?? 5 * 60_000;
  const ids = options.workspaces.map((w) => w.id);
  const configured = (workspace: string): readonly string[] => options.workspaces.find((w) => w.id === workspace)?.keywords ?? [];
  const snapshots = new Map<string, Snapshot>();
  const versions = new Map<string, string | null>();
  /** Workspaces whose last load failed: tried again at every check. */
  const stale = new Set<string>(ids);
  const loading = new Map<string, Promise<boolean>>();
  let subscriber: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastFull = Date.now();
  let closed = false;

  const fallback = (workspace: string): Snapshot => {
    let s = snapshots.get(workspace);
    if (!s) {
      s = { matcher: compileWellFormed(configured(workspace)), links: new Map() };
      snapshots.set(workspace, s);
    }
    return s;
  };

  const load = async (workspace: string): Promise<boolean> => {
    try {
      const [tracked, links] = await Promise.all([store.community.keywords.list(workspace), store.community.inviteLinks.list(workspace, { includeRevoked: true })]);
      const map = new Map<string, InviteLinkInfo>();
      for (const l of links as CampaignInviteLink[]) map.set(linkKey(l.platform, l.url), { campaign: l.campaign, revoked: l.revokedAt !== null });
      snapshots.set(workspace, { matcher: compileWellFormed([...configured(workspace), ...tracked.map((k) => k.keyword)]), links: map });
      stale.delete(workspace);
      return true;
    } catch (err) {
      stale.add(workspace);
      log.warn({ workspace, err: errText(err) }, 'capture settings not reloaded (store unavailable?); keeping the last copy');
      return false;
    }
  };

  /** One load per workspace at a time; a reload asked for during one runs after it. */
  const reload = (workspace: string): Promise<boolean> => {
    const running = loading.get(workspace);
    const next = (running ?? Promise.resolve(true)).then(() => load(workspace));
    loading.set(workspace, next);
    void next.finally(() => {
      if (loading.get(workspace) === next) loading.delete(workspace);
    });
    return next;
  };

  const readVersions = async (): Promise<void> => {
    const redis = options.redis;
    if (!redis || ids.length === 0) return;
    const values = await redis.connection.mget(...ids.map((w) => captureVersionKey(redis.prefix, w)));
    ids.forEach((w, i) => {
      const v = values[i] ?? null;
      if (versions.has(w) && versions.get(w) !== v) stale.add(w);
      versions.set(w, v);
    });
  };

  const check = async (): Promise<void> => {
    await readVersions().catch((err: unknown) => log.debug({ err: errText(err) }, 'capture settings versions not read'));
    if (Date.now() - lastFull >= reloadMs) {
      lastFull = Date.now();
      for (const w of ids) stale.add(w);
    }
    await Promise.all([...stale].map((w) => reload(w)));
  };

  return {
    matcher: (workspace) => fallback(workspace).matcher,
    inviteLink: (workspace, platform, url) => fallback(workspace).links.get(linkKey(platform, url)),
    reload,
    async start() {
      await readVersions().catch(() => undefined);
      let waitTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(ids.map((w) => reload(w))),
        new Promise((resolve) => {
          waitTimer = setTimeout(resolve, options.startWaitMs ?? 10_000);
        }),
      ]);
      clearTimeout(waitTimer);
      if (closed) return;
      const redis = options.redis;
      if (redis) {
        // Subscribers need an offline queue and unlimited retries: ioredis subscribes again after a reconnect.
        const sub = redis.connection.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
        subscriber = sub;
        sub.on('error', (err: Error) => log.debug({ err: err.message }, 'capture settings subscriber'));
        sub.on('message', (_channel: string, workspace: string) => {
          if (ids.includes(workspace)) void reload(workspace);
        });
        await sub.subscribe(captureChangedChannel(redis.prefix)).catch((err: unknown) => log.warn({ err: errText(err) }, 'capture settings: not subscribed; changes are picked up by the periodic check'));
      }
      const tick = (): void => {
        timer = setTimeout(() => {
          void check().finally(() => {
            if (!closed) tick();
          });
        }, checkMs);
        timer.unref();
      };
      tick();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.all([...loading.values()]);
      if (subscriber) await subscriber.quit().catch(() => subscriber?.disconnect());
    },
  };
}

/**
 * Announces that a workspace's capture settings changed: reloads `local` (this process's
 * copy) first, so the next event handled here maps with the change, then bumps the version
 * key and publishes the workspace for every other process. Never throws: an announcement
 * that does not reach Redis is caught up by the periodic reload.
 */
export function createCaptureNotifier(options: { connection?: Redis; prefix: string; local?: CaptureSettings; log: Logger }): (workspace: string) => Promise<void> {
  return async (workspace) => {
    await options.local?.reload(workspace);
    const redis = options.connection;
    if (!redis) return;
    try {
      await redis.incr(captureVersionKey(options.prefix, workspace));
      await redis.publish(captureChangedChannel(options.prefix), workspace);
    } catch (err) {
      options.log.warn({ workspace, err: errText(err) }, 'capture settings change not announced; other processes pick it up within minutes');
    }
  };
}

/**
 * The store with its capture-settings writes announced: tracked keywords added or removed,
 * invite links stored or revoked call `notify(workspace)` after the write succeeded (and
 * changed something). Everything else is the store itself.
 */
export function announceCaptureChanges(store: Store, notify: (workspace: string) => Promise<void>): Store {
  const { keywords, inviteLinks } = store.community;
  const community: Store['community'] = Object.create(store.community, {
    keywords: {
      value: {
        ...bound(keywords),
        async add(workspace: string, keyword: Parameters<typeof keywords.add>[1]) {
          const r = await keywords.add(workspace, keyword);
          if (r === 'inserted') await notify(workspace);
          return r;
        },
        async remove(workspace: string, key: string) {
          const removed = await keywords.remove(workspace, key);
          if (removed) await notify(workspace);
          return removed;
        },
      },
    },
    inviteLinks: {
      value: {
        ...bound(inviteLinks),
        async insert(workspace: string, link: CampaignInviteLink) {
          const r = await inviteLinks.insert(workspace, link);
          if (r === 'inserted') await notify(workspace);
          return r;
        },
        async markRevoked(workspace: string, platform: CommunityPlatform, url: string, at: string) {
          const revoked = await inviteLinks.markRevoked(workspace, platform, url, at);
          if (revoked) await notify(workspace);
          return revoked;
        },
      },
    },
  }) as Store['community'];
  return Object.create(store, { community: { value: community } }) as Store;
}

/** The methods of a repository object, bound to it (so they can be spread into a wrapper). */
function bound<T extends object>(repo: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(repo)) out[k] = typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(repo) : v;
  return out as T;
}

/**
 * Announces a capture-settings change from a one-off process (the CLI): connects to the
 * configured Redis (`REDIS_URL`, `QUEUE_PREFIX` from `env`), bumps and publishes, and
 * disconnects. Returns false when Redis could not be told (running connectors then pick the
 * change up at their periodic reload, within minutes).
 */
export async function announceCaptureChange(env: Record<string, string | undefined>, workspace: string): Promise<boolean> {
  const { loadConfig } = await import('../config.js');
  const { createProducerConnection, waitReady } = await import('../queue/redis.js');
  const config = loadConfig(env);
  const redis = createProducerConnection({ url: config.redisUrl });
  redis.on('error', () => undefined);
  try {
    await waitReady(redis, 3_000);
    await redis.incr(captureVersionKey(config.queuePrefix, workspace));
    await redis.publish(captureChangedChannel(config.queuePrefix), workspace);
    return true;
  } catch {
    return false;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
