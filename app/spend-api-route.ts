/** `PUT /v1/spend` on the HTTP server, adapted to the framework-neutral handler of `src/campaigns/campaign-api.ts`. */
import type { FastifyInstance } from 'fastify';
import { createSpendApi, type SpendApiOptions } from '../src/campaigns/campaign-api.js';

export function registerSpendApi(app: FastifyInstance, options: SpendApiOptions): void {
  const answer = createSpendApi(options);
  app.put('/v1/spend', { bodyLimit: 1_048_576 }, async (request, reply) => {
    const out = await answer({ headers: request.headers, body: request.body });
    return reply.code(out.status).headers(out.headers).send(out.body);
  });
}
