/**
 * The report API on the HTTP server: `GET /v1/reports/<name>` (HEAD too) adapted to the
 * framework-neutral handler of `src/reports/report-api.ts`.
 */
import type { FastifyInstance } from 'fastify';
import { createReportApi, type ReportApiOptions } from '../src/reports/report-api.js';

export function registerReportApi(app: FastifyInstance, options: ReportApiOptions): void {
  const answer = createReportApi(options);
  app.get<{ Params: { name: string } }>('/v1/reports/:name', async (request, reply) => {
    const url = new URL(request.url, 'http://x');
    const out = await answer({ name: request.params.name, query: url.searchParams, headers: request.headers });
    return reply.code(out.status).headers(out.headers).send(out.body);
  });
}
