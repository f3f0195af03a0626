/**
 * `GET /l/<code>` and `GET /l/<code>/<member token>` (HEAD too): tracked-link redirects (see
 * `record-click.ts`). Unknown codes answer 404 with a plain page; a store that cannot be
 * read answers 503. Redirects are never cached (`Cache-Control: no-store`), so each visit
 * reaches the server. The visitor's address is `request.ip`: the socket's, unless a trusted
 * proxy (`TRUST_PROXY`) forwarded the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { failFast } from '../queue/fail-fast.js';
import { CLICK_DEDUPE_SECONDS, recordLinkVisit, type RecordClickDeps } from './record-click.js';

const NOT_FOUND = 'This link does not exist or is no longer active.\n';
const TEXT = 'text/plain; charset=utf-8';

export function registerLinkRoutes(app: FastifyInstance, deps: RecordClickDeps): void {
  const handler = async (request: FastifyRequest<{ Params: { code: string; token?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    let outcome;
    try {
      outcome = await recordLinkVisit(deps, {
        code: request.params.code,
        ...(request.params.token !== undefined ? { token: request.params.token } : {}),
        method: request.method,
        headers: request.headers,
        clientAddress: request.ip,
      });
    } catch (err) {
      deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'tracked link lookup failed');
      return reply.code(503).type(TEXT).send('This link cannot be opened right now. Please try again in a minute.\n');
    }
    if (outcome.status === 'unknown') return reply.code(404).type(TEXT).send(NOT_FOUND);
    return reply
      .code(302)
      .headers({ location: outcome.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex' })
      .send();
  };
  app.get('/l/:code', handler);
  app.get('/l/:code/:token', handler);
}

/**
 * `dedupe` for {@link RecordClickDeps} on a (producer) Redis connection: `SET key id EX ttl NX`,
 * else the stored id. A connection still connecting is waited for briefly (a click right
 * after start is deduped too); one that is down fails within 2 s.
 */
export function redisClickDedupe(redis: Redis, ttlSeconds = CLICK_DEDUPE_SECONDS): RecordClickDeps['dedupe'] {
  return (key, clickId) =>
    failFast(redis, 2_000, 'click dedupe', async () => {
      if ((await redis.set(key, clickId, 'EX', ttlSeconds, 'NX')) === 'OK') return clickId;
      // Taken: a click within the hour. (Expired in between: the key is gone and this one counts anew.)
      return (await redis.get(key)) ?? clickId;
    });
}
