/**
 * Whether a touch's actor asked to be forgotten (`/forgetme`), without a store read per touch.
 *
 * The store holds the opt-outs. Every writer bumps a per-workspace version key in Redis after
 * its store write (`signalOptOutChanges` wraps a store so that its `optOuts.add`/`remove` do).
 * The gate keeps each subject's answer with the version it was read under, and reads the store
 * again only when the version moved (opt-outs are rare), when the answer is older than
 * `recheckMs` (a safety net for a writer that does not bump), or when the subject is new to this
 * process. The versions of every workspace asked about in one turn of the event loop come back
 * from one `MGET`, sent after the callers asked, so a touch checked after a bump sees it.
 *
 * What that guarantees is what a store read per touch guaranteed: a touch checked after the
 * opt-out was written (and signalled) is dropped; one checked just before is recorded, and the
 * erasure, which opts out first and deletes afterwards, removes it.
 * Without Redis the gate reads the store for every touch (an opted-out answer is kept 60 s).
 */
import type { Redis } from 'ioredis';
import { subjectOf } from '../access/roles.js';
import { optOutVersionKey } from '../queue/keys.js';
import type { Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';

/** How long an answer is trusted without a version bump; default 5 minutes. */
export const OPT_OUT_RECHECK_MS = 5 * 60_000;
/** How long an opted-out answer is kept when there is no Redis to signal changes. */
export const OPT_OUT_CACHE_MS = 60_000;
/** Most answers kept; beyond it the cache starts over. */
const CACHE_MAX = 200_000;

export interface OptOutGate {
  /** Whether the touch's actor opted out; touches without a platform user id never are (see the profile worker). */
  optedOut(touch: TouchEvent): Promise<boolean>;
}

export interface OptOutGateOptions {
  store: Store;
  /** Redis holding the version keys (a non-blocking connection); without it every touch reads the store. */
  redis?: Redis;
  /** Key prefix (the queue prefix); default `midfunnel`. */
  prefix?: string;
  /** See {@link OPT_OUT_RECHECK_MS}. */
  recheckMs?: number;
  now?: () => number;
}

interface Answer {
  version: string | null;
  optedOut: boolean;
  at: number;
}

/** Creates the gate (see the header). */
export function createOptOutGate(options: OptOutGateOptions): OptOutGate {
  const { store, redis } = options;
  const prefix = options.prefix ?? 'midfunnel';
  const recheckMs = options.recheckMs ?? OPT_OUT_RECHECK_MS;
  const now = options.now ?? Date.now;
  const answers = new Map<string, Answer>();
  let waiting = new Map<string, Array<{ resolve: (v: string | null) => void; reject: (e: unknown) => void }>>();

  /** The workspace's version, read together with every other one asked for in this turn. */
  const versionOf = (workspace: string): Promise<string | null> =>
    new Promise((resolve, reject) => {
      if (!redis) return resolve(null);
      const list = waiting.get(workspace) ?? [];
      list.push({ resolve, reject });
      if (waiting.size === 0) {
        setImmediate(() => {
          const batch = waiting;
          waiting = new Map();
          const workspaces = [...batch.keys()];
          redis.mget(workspaces.map((w) => optOutVersionKey(prefix, w))).then(
            (values) => workspaces.forEach((w, i) => batch.get(w)?.forEach((p) => p.resolve(values[i] ?? null))),
            (err: unknown) => batch.forEach((ps) => ps.forEach((p) => p.reject(err))),
          );
        });
      }
      waiting.set(workspace, list);
    });

  return {
    async optedOut(touch) {
      const { userId } = touch.actor;
      if (userId === undefined || (touch.platform !== 'telegram' && touch.platform !== 'whatsapp')) return false;
      const subject = subjectOf(touch.platform, userId);
      const key = `${touch.workspace}\u0000${subject}`;
      const version = await versionOf(touch.workspace);
      const known = answers.get(key);
      if (known && known.version === version && now() - known.at < (redis ? recheckMs : known.optedOut ? OPT_OUT_CACHE_MS : 0)) return known.optedOut;
      const optedOut = await store.community.optOuts.has(touch.workspace, subject);
      if (answers.size >= CACHE_MAX) answers.clear();
      answers.set(key, { version, optedOut, at: now() });
      return optedOut;
    },
  };
}

/**
 * The same store, with `community.optOuts.add` and `remove` bumping the workspace's version key
 * after the store write, so every profile worker's gate reads the store again. Wrap the store
 * of every process that writes opt-outs (the erasure runs in the telegram role).
 */
export function signalOptOutChanges(store: Store, redis: Redis, prefix: string): Store {
  const optOuts = store.community.optOuts;
  const bump = async (workspace: string): Promise<void> => {
    await redis.incr(optOutVersionKey(prefix, workspace));
  };
  return {
    ...store,
    community: {
      ...store.community,
      optOuts: {
        ...optOuts,
        add: async (workspace, subject, at) => {
          await optOuts.add(workspace, subject, at);
          await bump(workspace);
        },
        remove: async (workspace, subject) => {
          const removed = await optOuts.remove(workspace, subject);
          if (removed) await bump(workspace);
          return removed;
        },
      },
    },
  };
}
