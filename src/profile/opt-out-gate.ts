/**
 * Whether a touch's actor asked to be forgotten (`/forgetme`), without a store read, nor a
 * Redis round trip, per touch.
 *
 * The store holds the opt-outs. Every writer publishes the workspace on a Redis channel after
 * its store write (`signalOptOutChanges` wraps a store so that its `optOuts.add`/`remove` do).
 * The gate keeps each subject's answer and reads the store again only when its workspace's
 * opt-outs changed (a message on the channel; opt-outs are rare), when the subscription was
 * re-established (messages may have been missed), when the answer is older than `recheckMs`
 * (a safety net for a writer that does not publish), or when the subject is new to this process.
 *
 * What that guarantees is what a store read per touch guaranteed, give or take the moment Redis
 * takes to deliver the message (milliseconds): a touch checked after the opt-out was written is
 * dropped; one checked just before is recorded, and the erasure, which opts out first and
 * deletes afterwards, removes it.
 * Without a subscriber the gate reads the store for every touch (an opted-out answer is kept 60 s).
 */
import type { Redis } from 'ioredis';
import { subjectOf } from '../access/roles.js';
import { optOutChannel } from '../queue/keys.js';
import type { Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';

/** How long an answer is trusted without a change message; default 5 minutes. */
export const OPT_OUT_RECHECK_MS = 5 * 60_000;
/** How long an opted-out answer is kept when there is no subscriber to hear of changes. */
export const OPT_OUT_CACHE_MS = 60_000;
/** Most answers kept; beyond it the cache starts over. */
const CACHE_MAX = 200_000;

export interface OptOutGate {
  /** Whether the touch's actor opted out; touches without a platform user id never are (see the profile worker). */
  optedOut(touch: TouchEvent): Promise<boolean>;
  /** Resolves once the subscription is listening (at once without a subscriber). */
  ready: Promise<void>;
  /** Ends the subscription (disconnects the subscriber connection). */
  close(): void;
}

export interface OptOutGateOptions {
  store: Store;
  /** A connection of its own, put in subscriber mode (e.g. `producer.duplicate()`); closed by `close()`. */
  subscriber?: Redis;
  /** Channel prefix (the queue prefix); default `midfunnel`. */
  prefix?: string;
  /** See {@link OPT_OUT_RECHECK_MS}. */
  recheckMs?: number;
  now?: () => number;
}

interface Answer {
  /** The workspace's change count when the answer was read. */
  epoch: number;
  optedOut: boolean;
  at: number;
}

/** Creates the gate (see the header). */
export function createOptOutGate(options: OptOutGateOptions): OptOutGate {
  const { store, subscriber } = options;
  const channel = optOutChannel(options.prefix ?? 'midfunnel');
  const recheckMs = options.recheckMs ?? OPT_OUT_RECHECK_MS;
  const now = options.now ?? Date.now;
  const answers = new Map<string, Answer>();
  /** Changes heard per workspace; a resubscription bumps `everything`. */
  const epochs = new Map<string, number>();
  let everything = 0;
  const epochOf = (workspace: string): number => everything + (epochs.get(workspace) ?? 0);

  let ready: Promise<void> = Promise.resolve();
  /** Until a subscription listens, a change could go unheard: answers are not trusted meanwhile. */
  let listening = false;
  if (subscriber) {
    let heard!: () => void;
    ready = new Promise<void>((resolve) => (heard = resolve));
    subscriber.on('message', (ch: string, workspace: string) => {
      if (ch === channel) epochs.set(workspace, (epochs.get(workspace) ?? 0) + 1);
    });
    // Messages published while the connection was down are lost: once subscribed again,
    // every answer read before is distrusted.
    const subscribe = (): void => {
      subscriber.subscribe(channel).then(
        () => {
          everything++;
          listening = true;
          heard();
        },
        () => undefined,
      );
    };
    subscriber.on('ready', subscribe);
    subscriber.on('close', () => {
      listening = false;
    });
    subscriber.on('error', () => undefined);
    if (subscriber.status === 'ready') subscribe();
  }

  return {
    ready,
    close: () => subscriber?.disconnect(),
    async optedOut(touch) {
      const { userId } = touch.actor;
      if (userId === undefined || (touch.platform !== 'telegram' && touch.platform !== 'whatsapp')) return false;
      const subject = subjectOf(touch.platform, userId);
      const key = `${touch.workspace}\u0000${subject}`;
      const epoch = epochOf(touch.workspace);
      const known = answers.get(key);
      const trustFor = subscriber ? (listening && subscriber.status === 'ready' ? recheckMs : 0) : known?.optedOut ? OPT_OUT_CACHE_MS : 0;
      if (known && known.epoch === epoch && now() - known.at < trustFor) return known.optedOut;
      const optedOut = await store.community.optOuts.has(touch.workspace, subject);
      if (answers.size >= CACHE_MAX) answers.clear();
      // Stored with the epoch from before the read: a change heard during the read makes it stale.
      answers.set(key, { epoch, optedOut, at: now() });
      return optedOut;
    },
  };
}

/**
 * The same store, with `community.optOuts.add` and `remove` publishing the workspace on the
 * opt-out channel after the store write, so every profile worker's gate reads the store again.
 * Wrap the store of every process that writes opt-outs (the erasure runs in the telegram role).
 */
export function signalOptOutChanges(store: Store, redis: Redis, prefix: string): Store {
  const optOuts = store.community.optOuts;
  const channel = optOutChannel(prefix);
  const publish = async (workspace: string): Promise<void> => {
    await redis.publish(channel, workspace);
  };
  return {
    ...store,
    community: {
      ...store.community,
      optOuts: {
        ...optOuts,
        add: async (workspace, subject, at) => {
          await optOuts.add(workspace, subject, at);
          await publish(workspace);
        },
        remove: async (workspace, subject) => {
          const removed = await optOuts.remove(workspace, subject);
          if (removed) await publish(workspace);
          return removed;
        },
      },
    },
  };
}
