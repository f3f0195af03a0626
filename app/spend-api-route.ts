/**
 * `PUT /v1/spend` on the HTTP server, adapted to the framework-neutral handler of
 * `src/campaigns/campaign-api.ts`. The server hands bodies over as bytes; JSON is parsed here.
 */
import type { FastifyInstance } from 'fastify';
import { createSpendApi, type SpendApiOptions } from '../src/campaigns/campaign-api.js';

export function registerSpendApi(app: FastifyInstance, options: SpendApiOptions): void {
  const answer = createSpendApi(options);
  app.put('/v1/spend', { bodyLimit: 1_048_576 }, async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply.code(400).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ error: 'bad_request', errors: [{ field: 'body', message: 'send JSON: {"workspace", "rows": [{"date", "campaign", "amount"}]}' }] }));
    }
    const out = await answer({ headers: request.headers, body });
    return reply.code(out.status).headers(out.headers).send(out.body);
  });
}
