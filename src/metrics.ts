/**
 * Prometheus metrics for one process. Each process role registers what it does;
 * `/metrics` renders the registry. Labels never carry personal data.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Touch events handed to the queue by connectors and the link service. */
  eventsReceived: Counter<'platform' | 'kind'>;
  /** Touch events the profile worker finished, by result (applied, duplicate, anonymous, recovered, opted_out: dropped, its person asked to be forgotten). */
  eventsProcessed: Counter<'result'>;
  /** Touch jobs that threw (each failed attempt counts once). */
  eventsFailed: Counter<'reason'>;
  /** Time from enqueue to the end of processing. */
  processingLatency: Histogram;
  /** Jobs per queue and state, read from Redis when scraped. */
  queueDepth: Gauge<'queue' | 'state'>;
  /** HTTP answers by route pattern (`/l/:code`, `/v1/conversions`, …) and status. */
  httpRequests: Counter<'route' | 'status'>;
  /**
   * Jobs found stalled (their worker lost the lock, so the job runs again), per queue
   * (`touches`, `reconcile`, `telegram-updates`, …). Counted by the http role from the
   * queues' event streams: every http process counts every queue's events.
   */
  jobsStalled: Counter<'queue'>;
  /** Jobs that failed for good (attempts used up, or unrecoverable), per queue; counted like {@link jobsStalled}. */
  jobsFailed: Counter<'queue'>;
  /** Bot commands that failed (an error, not a refusal), by command name; incremented where commands run. */
  commandFailures: Counter<'command'>;
  /** Reconcile jobs by outcome (`matched`, `unattributed`, `missing`, `refit`, `sweep`); incremented by the reconcile worker's process. */
  reconcileOutcomes: Counter<'result'>;
}

/** Creates a fresh registry; `defaults` adds Node's process metrics (off in tests). */
export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: 'midfunnel_' });
  return {
    registry,
    eventsReceived: new Counter({
      name: 'midfunnel_events_received_total',
      help: 'Touch events enqueued by connectors',
      labelNames: ['platform', 'kind'],
      registers: [registry],
    }),
    eventsProcessed: new Counter({
      name: 'midfunnel_events_processed_total',
      help: 'Touch events processed by the profile worker',
      labelNames: ['result'],
      registers: [registry],
    }),
    eventsFailed: new Counter({
      name: 'midfunnel_events_failed_total',
      help: 'Touch job attempts that failed',
      labelNames: ['reason'],
      registers: [registry],
    }),
    processingLatency: new Histogram({
      name: 'midfunnel_processing_latency_seconds',
      help: 'Seconds from enqueue to processed',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'midfunnel_http_requests_total',
      help: 'HTTP answers by route pattern and status (link clicks: /l/:code; conversions: /v1/conversions)',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    jobsStalled: new Counter({
      name: 'midfunnel_jobs_stalled_total',
      help: 'Jobs found stalled (lock lost; the job runs again), per queue',
      labelNames: ['queue'],
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'midfunnel_jobs_failed_total',
      help: 'Jobs that failed for good (attempts used up or unrecoverable), per queue',
      labelNames: ['queue'],
      registers: [registry],
    }),
    commandFailures: new Counter({
      name: 'midfunnel_command_failures_total',
      help: 'Bot commands that failed with an error, by command',
      labelNames: ['command'],
      registers: [registry],
    }),
    reconcileOutcomes: new Counter({
      name: 'midfunnel_reconcile_outcomes_total',
      help: 'Reconcile jobs by outcome',
      labelNames: ['result'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'midfunnel_queue_depth',
      help: 'Jobs in a queue by state',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
  };
}
