/**
 * Counts stalled and failed jobs of every queue in the metrics, from BullMQ's event streams
 * (`QueueEvents`): a stall is detected by whichever worker notices a lost lock, on any
 * machine, so only the queue's stream sees them all. Each watched queue gets its own
 * blocking Redis connection. Counting starts when the watcher starts (a Prometheus counter).
 */
import { QueueEvents } from 'bullmq';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createWorkerConnection } from './redis.js';

export interface WatchedQueue {
  /** The metric label (`touches`, `reconcile`, `telegram-updates`). */
  label: string;
  /** The BullMQ queue name. */
  name: string;
}

export interface QueueEventsWatcher {
  /** Resolves once every stream is being read; rejects if a connection failed first (QueueEvents keeps retrying). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function watchQueueEvents(options: { redisUrl: string; queues: readonly WatchedQueue[]; metrics: Metrics; log: Logger }): QueueEventsWatcher {
  const parts = options.queues.map((q) => {
    const connection = createWorkerConnection({ url: options.redisUrl });
    connection.on('error', (err) => options.log.debug({ err: err.message, queue: q.name }, 'redis (queue events)'));
    const events = new QueueEvents(q.name, { connection });
    events.on('stalled', () => options.metrics.jobsStalled.inc({ queue: q.label }));
    events.on('failed', () => options.metrics.jobsFailed.inc({ queue: q.label }));
    events.on('error', (err) => options.log.debug({ err: err.message, queue: q.name }, 'queue events error'));
    // Present from the start, so a scrape shows 0 rather than nothing.
    options.metrics.jobsStalled.inc({ queue: q.label }, 0);
    options.metrics.jobsFailed.inc({ queue: q.label }, 0);
    return { events, connection };
  });
  const ready = Promise.all(parts.map((p) => p.events.waitUntilReady())).then(() => undefined);
  // Redis may be down at start: the streams are read once it is back; nobody must be left with an unhandled rejection.
  ready.catch(() => undefined);
  return {
    ready,
    close: async () => {
      // With Redis unreachable a graceful close would wait for it forever: give it a second, then cut.
      await Promise.all(
        parts.map(async (p) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([p.events.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1_000)))]);
          clearTimeout(timer);
          p.connection.disconnect();
        }),
      );
    },
  };
}
