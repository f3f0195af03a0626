/**
 * `/healthz` (the process is up), `/readyz` (every dependency answers: Redis, the
 * store) and `/metrics` (Prometheus text format).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface HealthRoutesOptions {
  metrics: Metrics;
  /** Named readiness checks; each resolves when its dependency answers. */
  checks: Record<string, () => Promise<void>>;
  /** Refreshes gauges read on scrape (queue depth); optional. */
  beforeScrape?: () => Promise<void>;
  /** Longest a readiness check may take; default 2 s. */
  checkTimeoutMs?: number;
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  const timeout = options.checkTimeoutMs ?? 2_000;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeout);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `failing: ${err instanceof Error ? err.message : String(err)}`] as const;
        }
      }),
    );
    const ready = results.every(([, s]) => s === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_request, reply) => {
    if (options.beforeScrape) await options.beforeScrape().catch(() => undefined);
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
}
