/**
 * `GET /l/<code>` and `GET /l/<code>/<member token>` (HEAD too): tracked-link redirects (see
 * `record-click.ts`). Unknown codes answer 404 with a plain page; a store that cannot be
 * read answers 503. Redirects are never cached (`Cache-Control: no-store`), so each visit
 * reaches the server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { HttpApp, Params } from '../http/http-app.js';
import { sendText } from '../http/http-app.js';
import { CLICK_DEDUPE_SECONDS, recordLinkVisit, type RecordClickDeps } from './record-click.js';

const NOT_FOUND = 'This link does not exist or is no longer active.\n';

export function registerLinkRoutes(app: HttpApp, deps: RecordClickDeps): void {
  const handler = async (req: IncomingMessage, res: ServerResponse, params: Params): Promise<void> => {
    let outcome;
    try {
      outcome = await recordLinkVisit(deps, {
        code: params.code ?? '',
        ...(params.token !== undefined ? { token: params.token } : {}),
        method: req.method,
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress,
      });
    } catch (err) {
      deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'tracked link lookup failed');
      sendText(res, 503, 'This link cannot be opened right now. Please try again in a minute.\n');
      return;
    }
    if (outcome.status === 'unknown') {
      sendText(res, 404, NOT_FOUND);
      return;
    }
    res.writeHead(302, { location: outcome.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex', 'content-length': 0 });
    res.end();
  };
  app.route('GET', '/l/:code', handler);
  app.route('GET', '/l/:code/:token', handler);
}

/** `dedupe` for {@link RecordClickDeps} on a Redis connection: `SET key id EX ttl NX`, else the stored id. */
export function redisClickDedupe(redis: Redis, ttlSeconds = CLICK_DEDUPE_SECONDS): RecordClickDeps['dedupe'] {
  return async (key, clickId) => {
    if ((await redis.set(key, clickId, 'EX', ttlSeconds, 'NX')) === 'OK') return clickId;
    // Taken: a click within the hour. (Expired in between: the key is gone and this one counts anew.)
    return (await redis.get(key)) ?? clickId;
  };
}
