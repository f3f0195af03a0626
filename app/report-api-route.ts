/**
 * The report API on the HTTP server: `GET /v1/reports/<name>` adapted to the
 * framework-neutral handler of `src/reports/report-api.ts`.
 */
import type { HttpApp } from '../src/http/http-app.js';
import { createReportApi, type ReportApiOptions } from '../src/reports/report-api.js';

export function registerReportApi(app: HttpApp, options: ReportApiOptions): void {
  const answer = createReportApi(options);
  app.route('GET', '/v1/reports/:name', async (req, res, params) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const out = await answer({ name: params.name ?? '', query: url.searchParams, headers: req.headers });
    res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
    res.end(req.method === 'HEAD' ? undefined : out.body);
  });
}
