/**
 * The one HTTP server every role shares (health, metrics, tracked links, conversion intake,
 * Telegram webhooks, and what later parts add), on Fastify.
 *
 * What it sets up once, so routes do not each do it:
 * - the client address (`request.ip`) by `TRUST_PROXY` (see {@link TrustProxy}): without it,
 *   the socket's address, and `X-Forwarded-For` is never read;
 * - bodies arrive as raw bytes (`request.body` is a Buffer), bounded by `bodyLimit` (a route
 *   may set a smaller one); routes that sign or keep a body need the exact bytes;
 * - zod schemas on `params`, `querystring` or `headers` of a route are validated, and a bad
 *   request is answered 400 `{"error", "fields": [{"field", "message"}]}`, one entry per bad field;
 * - JSON errors that never show a stack trace: `HttpError` for answers a route chooses,
 *   404 `{"error":"not found"}`, 405 for a known path with another method, 413 for a body
 *   over the limit (and the connection closed, so a sender still streaming cannot hold it);
 * - every answer counted by route pattern and status (`midfunnel_http_requests_total`);
 * - graceful close ({@link closeHttpApp}): new requests are answered 503 with
 *   `Connection: close`, idle keep-alive sockets are closed, answers still running get
 *   `Connection: close`, and whatever is left after the grace period is cut.
 *
 * Adding routes: a part exports `registerXRoutes(app: FastifyInstance, deps)` and the http
 * role (`app/http-role.ts`) calls it before the server listens.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { fieldErrors } from '../field-errors.js';
import type { Metrics } from '../metrics.js';

export { fieldErrors, type FieldError } from '../field-errors.js';

/**
 * Which peers may tell us the client's address in `X-Forwarded-For`: `false` (default: none;
 * the socket's address is the client), a number of proxy hops in front of the server, or a
 * list of proxy addresses and CIDRs (`10.0.0.0/8`, `::1`, also `loopback`, `linklocal`,
 * `uniquelocal`).
 */
export type TrustProxy = false | number | readonly string[];

/** An answer a route chooses: the status and a JSON body (default `{"error": message}`). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export interface HttpAppOptions {
  log: Logger;
  /** Counts every answer by route pattern and status, when given. */
  metrics?: Metrics;
  /** Default false: `X-Forwarded-For` is ignored. */
  trustProxy?: TrustProxy;
  /** Largest body any route accepts; default 1 MiB (routes may set less). */
  bodyLimit?: number;
  /** Idle keep-alive sockets are closed after this; default 65 s (above common balancers' 60 s). */
  keepAliveTimeoutMs?: number;
}

/** Set once the server starts closing: answers still running then close their connection. */
const kClosing = Symbol('midfunnel.closing');

type ClosingFlag = { [kClosing]?: boolean };

/** Validates `value` with a zod schema; a bad value throws HttpError 400 with every bad field. */
export function validateOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = 'invalid request', prefix = ''): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(400, what, { error: what, fields: fieldErrors(r.error, value, prefix) });
}

/** The segments of a route pattern, for telling 405 from 404. */
function patternMatches(pattern: string, path: string): boolean {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return false;
  return a.every((seg, i) => seg.startsWith(':') || seg === '*' || seg === b[i]);
}

/** Fastify's trust function for a {@link TrustProxy} setting. */
function fastifyTrustProxy(trust: TrustProxy | undefined): boolean | string[] | ((addr: string, hop: number) => boolean) {
  if (trust === undefined || trust === false) return false;
  // Hop count as Express counts it: the n nearest peers are proxies.
  if (typeof trust === 'number') return (_addr, hop) => hop < trust;
  return [...trust];
}

/** Creates the app with the shared behaviour above; routes are added by the callers. */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const { log, metrics } = options;
  const app = Fastify({
    logger: false,
    trustProxy: fastifyTrustProxy(options.trustProxy),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    frameworkErrors: (error, _req, res) => {
      const reply = res as unknown as FastifyReply;
      // A path that cannot be decoded matches no route.
      if (error.code === 'FST_ERR_BAD_URL') void reply.code(404).send({ error: 'not found' });
      else void reply.code(400).send({ error: error.message });
    },
  });
  const flag = app as unknown as ClosingFlag;
  const started = new WeakMap<FastifyRequest, bigint>();

  // Every body is bytes: routes that verify a signature or keep a payload need them exact.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const s = schema as unknown as z.ZodType;
    const prefix = httpPart === 'querystring' ? 'query.' : httpPart === 'params' ? 'params.' : httpPart === 'headers' ? 'headers.' : '';
    return (data: unknown) => {
      const r = s.safeParse(data);
      if (r.success) return { value: r.data };
      return { error: new HttpError(400, 'invalid request', { error: 'invalid request', fields: fieldErrors(r.error, data, prefix) }) };
    };
  });

  const patterns: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) patterns.push({ method: String(m).toUpperCase(), url: route.url });
  });

  app.addHook('onRequest', async (request) => {
    started.set(request, process.hrtime.bigint());
  });
  // Answers finishing while the server drains close their connection, so keep-alive
  // clients move to another instance instead of holding this one open.
  app.addHook('onSend', async (_request, reply) => {
    if (flag[kClosing]) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    metrics?.httpRequests.inc({ route, status: String(reply.statusCode) });
    const t0 = started.get(request);
    const ms = t0 === undefined ? undefined : Number(process.hrtime.bigint() - t0) / 1e6;
    const path = request.url.split('?')[0] ?? '/';
    log.debug({ method: request.method, path: path.startsWith('/l/') ? '/l/…' : path, status: reply.statusCode, ms }, 'http');
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const other = patterns.some((p) => p.method !== request.method && patternMatches(p.url, path));
    return other ? reply.code(405).send({ error: 'method not allowed' }) : reply.code(404).send({ error: 'not found' });
  });

  app.setErrorHandler(async (err: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return;
    if (err instanceof HttpError) {
      // The rest of an oversized body is never read: close the connection after answering.
      if (err.status === 413) void reply.header('connection', 'close');
      return reply.code(err.status).send(err.body ?? { error: err.message });
    }
    const status = (err as FastifyError).statusCode;
    if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      const limit = request.routeOptions.bodyLimit ?? options.bodyLimit;
      return reply.code(413).header('connection', 'close').send({ error: `body larger than ${limit} bytes` });
    }
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    log.error({ err: { name: err.name, message: err.message }, path: request.url.startsWith('/l/') ? '/l/…' : request.url.split('?')[0] }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.addHook('preClose', async () => {
    flag[kClosing] = true;
  });
  return app;
}

/** Starts listening; resolves with the bound address (port 0 picks a free one). */
export async function listenHttpApp(app: FastifyInstance, port: number, host: string): Promise<AddressInfo> {
  await app.listen({ port, host });
  return app.server.address() as AddressInfo;
}

/**
 * Stops the server: no new connections; requests arriving on open keep-alive connections
 * are answered 503 with `Connection: close`; idle sockets are closed at once; answers in
 * progress finish with `Connection: close`. Connections still open after `graceMs`
 * (default 5 s) are cut, so a shutdown always ends.
 */
export async function closeHttpApp(app: FastifyInstance, graceMs = 5_000): Promise<void> {
  (app as unknown as ClosingFlag)[kClosing] = true;
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** Parses a JSON body; anything else is HttpError 400 naming what is wrong. */
export function parseJsonBody(body: unknown, what = 'body'): unknown {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `${what} is not JSON`, { error: `${what} is not JSON: ${(err as Error).message}` });
  }
}

/** The raw body bytes of a request (empty when none was sent). */
export function bodyBytes(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
