/**
 * The one HTTP server every role shares: health, metrics, and the routes later parts
 * add (Telegram webhooks, tracked links, conversion intake). A tiny router on
 * node:http: exact paths and `:param` segments, bounded bodies, JSON errors that never
 * show a stack trace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Params) => Promise<void> | void;

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

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class HttpApp {
  readonly #routes: Route[] = [];
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  #server: Server | undefined;

  /** `metrics`, when given, counts every answer by route pattern and status. */
  constructor(log: Logger, metrics?: Metrics) {
    this.#log = log;
    this.#metrics = metrics;
  }

  /** Adds a route; `path` segments starting with `:` capture a parameter. */
  route(method: string, path: string, handler: Handler): this {
    this.#routes.push({ method: method.toUpperCase(), segments: path.split('/').filter(Boolean), handler });
    return this;
  }

  #match(method: string, pathname: string): { route: Route; params: Params } | 'method' | null {
    const parts = pathname.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const route of this.#routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Params = {};
      let ok = true;
      for (const [i, seg] of route.segments.entries()) {
        const part = parts[i] ?? '';
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else if (seg !== part) ok = false;
        if (!ok) break;
      }
      if (!ok) continue;
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { route, params };
      wrongMethod = true;
    }
    return wrongMethod ? 'method' : null;
  }

  /** The request handler (exported for tests that want no socket). */
  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    let pathname = '/';
    let routeName = 'unmatched';
    try {
      pathname = new URL(req.url ?? '/', 'http://x').pathname;
      const m = this.#match(req.method ?? 'GET', pathname);
      if (m === null) throw new HttpError(404, 'not found');
      if (m === 'method') throw new HttpError(405, 'method not allowed');
      routeName = `/${m.route.segments.join('/')}`;
      await m.route.handler(req, res, m.params);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        // The rest of an oversized body is never read: close the connection after answering,
        // so a sender still streaming cannot hold it (or a shutdown) open.
        if (err.status === 413) res.setHeader('connection', 'close');
        sendJson(res, err.status, err.body ?? { error: err.message });
      } else {
        this.#log.error({ err: err instanceof Error ? { name: err.name, message: err.message } : String(err), path: pathname }, 'request failed');
        sendJson(res, 500, { error: 'internal error' });
      }
    } finally {
      this.#metrics?.httpRequests.inc({ route: routeName, status: String(res.statusCode) });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.#log.debug({ method: req.method, path: pathname.startsWith('/l/') ? '/l/…' : pathname, status: res.statusCode, ms }, 'http');
    }
  };

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /** Stops accepting connections and waits for open requests to finish. */
  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeIdleConnections();
    });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body up to `limit` bytes; a larger one is answered 413 without reading the rest. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
