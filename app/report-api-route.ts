/**
 * The report API on the HTTP server: `GET /v1/reports/<name>` (HEAD too) adapted to the
 * framework-neutral handler of `src/reports/report-api.ts`. With `dashboard`, a request that
 * carries the dashboard's credentials (Mini App launch data as `Authorization: tma …`, or
 * the session cookie) instead of an API key reads its own workspace; a refused one gets
 * 401/403 `{error, refused}` and no figures.
 */
import type { FastifyInstance } from 'fastify';
import { isRefusal, type DashboardAuth } from '../src/dashboard/index.js';
import { createReportApi, type ReportApiOptions } from '../src/reports/report-api.js';

export function registerReportApi(app: FastifyInstance, options: ReportApiOptions & { dashboard?: DashboardAuth }): void {
  const answer = createReportApi(options);
  app.get<{ Params: { name: string } }>('/v1/reports/:name', async (request, reply) => {
    const url = new URL(request.url, 'http://x');
    let authorizedWorkspace: string | undefined;
    if (options.dashboard?.claims(request.headers)) {
      const who = await options.dashboard.authenticate(request.headers);
      if (isRefusal(who)) return reply.code(who.refused === 'not-allowed' ? 403 : 401).header('cache-control', 'no-store').send({ error: who.refused === 'not-allowed' ? 'forbidden' : 'unauthorized', refused: who.refused });
      authorizedWorkspace = who.workspace;
    }
    const out = await answer({ name: request.params.name, query: url.searchParams, headers: request.headers, ...(authorizedWorkspace !== undefined ? { authorizedWorkspace } : {}) });
    return reply.code(out.status).headers(out.headers).send(out.body);
  });
}
