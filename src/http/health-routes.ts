/**
 * `/healthz` (the process is up), `/readyz` (every dependency answers: Redis, the
 * store) and `/metrics` (Prometheus text format).
 */
import type { HttpApp } from './http-app.js';
import { sendJson, sendText } from './http-app.js';
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

export function registerHealthRoutes(app: HttpApp, options: HealthRoutesOptions): void {
  const timeout = options.checkTimeoutMs ?? 2_000;
  app.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  app.route('GET', '/readyz', async (_req, res) => {
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
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
  app.route('GET', '/metrics', async (_req, res) => {
    if (options.beforeScrape) await options.beforeScrape().catch(() => undefined);
    sendText(res, 200, await options.metrics.registry.metrics(), options.metrics.registry.contentType);
  });
}
