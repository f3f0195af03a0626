/**
 * Producer side of the touch queue. Connectors call `enqueue` and never wait on the
 * store: once this resolves, the event is durably in Redis.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseTouchEvent, type TouchEvent } from '../touch-event.js';
import type { Metrics } from '../metrics.js';
import { touchJobId, touchQueueName } from './keys.js';
import { TOUCH_JOB_OPTIONS } from './job-options.js';
import { failFast } from './fail-fast.js';

export { QueueUnavailableError } from './fail-fast.js';

export interface TouchQueueOptions {
  /** A producer connection (`createProducerConnection`): fails fast when Redis is down. */
  connection: Redis;
  /** Queue name prefix; default `midfunnel`. */
  prefix?: string;
  metrics?: Metrics;
  /** Longest an enqueue may take before it fails; default 5 s. */
  timeoutMs?: number;
}

export interface TouchJobData {
  touch: TouchEvent;
}

export class TouchQueue {
  readonly queue: Queue<TouchJobData>;
  readonly #metrics: Metrics | undefined;
  readonly #connection: Redis;
  readonly #timeoutMs: number;

  constructor(options: TouchQueueOptions) {
    this.#connection = options.connection;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.queue = new Queue<TouchJobData>(touchQueueName(options.prefix ?? 'midfunnel'), {
      connection: options.connection,
      defaultJobOptions: TOUCH_JOB_OPTIONS,
    });
    this.#metrics = options.metrics;
  }

  #guard<T>(op: () => Promise<T>): Promise<T> {
    return failFast(this.#connection, this.#timeoutMs, 'event', op);
  }

  /** Validates and enqueues one touch; throws a ZodError for an invalid one, QueueUnavailableError when Redis is down. */
  async enqueue(touch: TouchEvent): Promise<void> {
    const valid = parseTouchEvent(touch);
    await this.#guard(() => this.queue.add(valid.kind, { touch: valid }, { jobId: touchJobId(valid.workspace, valid.id) }));
    this.#metrics?.eventsReceived.inc({ platform: valid.platform, kind: valid.kind });
  }

  /** Enqueues many touches in one round trip (validated first; nothing is queued if one is invalid). */
  async enqueueMany(touches: readonly TouchEvent[]): Promise<void> {
    const valid = touches.map((t) => parseTouchEvent(t));
    await this.#guard(() =>
      this.queue.addBulk(
        valid.map((t) => ({ name: t.kind, data: { touch: t }, opts: { ...TOUCH_JOB_OPTIONS, jobId: touchJobId(t.workspace, t.id) } })),
      ),
    );
    for (const t of valid) this.#metrics?.eventsReceived.inc({ platform: t.platform, kind: t.kind });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
