/** The shared HTTP server, over real HTTP: health, readiness, metrics, errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import { closeHttpApp, createHttpApp, listenHttpApp } from '../src/http/http-app.js';

const running: RunningRoles[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    // With Redis down (one test), BullMQ would wait forever: give the clean-up a second.
    await Promise.race([r.touchQueue.queue.obliterate({ force: true }), new Promise((res) => setTimeout(res, 1000))]).catch(() => undefined);
    await r.close();
  }
});

async function start(env: Record<string, string> = {}, roles: Array<'http' | 'workers'> = ['http', 'workers']): Promise<{ base: string; app: RunningRoles }> {
  const config = loadConfig({
    REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: uniquePrefix('http'),
    MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-')),
    ...env,
  });
  const app = await startRoles({ config, roles, log: createLogger('silent'), store: createMemoryStore() });
  running.push(app);
  return { base: `http://127.0.0.1:${app.address?.port}`, app };
}

describe('HTTP server', () => {
  it('answers /healthz and /readyz when Redis and the store answer', async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', store: 'ok' } });
  });

  it('reports not ready, naming the failing dependency, when Redis is down', async () => {
    const { base } = await start({ REDIS_URL: 'redis://127.0.0.1:1' }, ['http']).catch(async () => {
      throw new Error('the http role must start even when Redis is down');
    });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, string> };
    expect(body.checks.store).toBe('ok');
    expect(body.checks.redis).toMatch(/^failing: /);
  });

  it('fails fast instead of hanging when a touch cannot be queued because Redis is down', async () => {
    const { app } = await start({ REDIS_URL: 'redis://127.0.0.1:1' }, ['http']);
    const started = Date.now();
    await expect(app.touchQueue.enqueue(touch({ kind: 'join', ref: 'down', at: '2026-03-01T00:00:00Z' }))).rejects.toThrow(/Redis is not reachable/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('exposes Prometheus metrics: events received, processed, failed, queue depth, latency', async () => {
    const { base, app } = await start();
    await app.touchQueue.enqueue(touch({ kind: 'join', ref: 'm1', at: '2026-03-01T00:00:00Z' }));
    const deadline = Date.now() + 10_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await (await fetch(`${base}/metrics`)).text();
      if (text.includes('midfunnel_events_processed_total{result="applied"} 1')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toContain('midfunnel_events_received_total{platform="telegram",kind="join"} 1');
    expect(text).toContain('midfunnel_events_processed_total{result="applied"} 1');
    expect(text).toContain('# TYPE midfunnel_events_failed_total counter');
    expect(text).toMatch(/midfunnel_queue_depth\{queue="touches",state="waiting"\} 0/);
    expect(text).toContain('midfunnel_processing_latency_seconds_count 1');
    // Answers are counted by route pattern, never by the raw path (no codes or ids in labels).
    await fetch(`${base}/l/SomeCode123`);
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(after).toMatch(/midfunnel_http_requests_total\{route="\/l\/:code",status="404"\} 1/);
    expect(after).toMatch(/midfunnel_http_requests_total\{route="\/metrics",status="200"\} \d+/);
    expect(after).not.toContain('SomeCode123');
  });

  it('answers unknown paths with 404 and wrong methods with 405, as JSON', async () => {
    const { base } = await start();
    const r404 = await fetch(`${base}/nope`);
    expect(r404.status).toBe(404);
    expect(await r404.json()).toEqual({ error: 'not found' });
    const r405 = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(r405.status).toBe(405);
  });

  it('serves health and metrics alone on HEALTH_PORT for a role without the HTTP server; the container health check reads it', async () => {
    const { base, app } = await start({ HEALTH_PORT: '0' }, ['workers']);
    expect(app.roles).toEqual(['workers']);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('# TYPE midfunnel_events_processed_total counter');
    // Only health: no product routes on this port.
    expect((await fetch(`${base}/l/abc`)).status).toBe(404);
    expect((await fetch(`${base}/v1/conversions`, { method: 'POST', body: '{}' })).status).toBe(404);
    const script = join(import.meta.dirname, '..', 'scripts', 'healthcheck.mjs');
    // Run it as a separate process (the server here must keep answering meanwhile).
    const check = (env: Record<string, string>): Promise<number | null> =>
      new Promise((resolve) => spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' }).on('exit', resolve));
    expect(await check({ PORT: '1', HEALTH_PORT: String(app.address?.port) })).toBe(0);
    expect(await check({ PORT: '1' })).toBe(1);
  });

  it('validates a route’s zod schemas and answers every bad field at once, as JSON with no stack trace', async () => {
    // The way later routes (report API, dashboard) declare their inputs.
    const app = createHttpApp({ log: createLogger('silent') });
    app.get('/v1/things/:name', { schema: { params: z.object({ name: z.string().regex(/^[a-z]+$/, 'lower-case letters') }), querystring: z.object({ workspace: z.string().min(1), limit: z.coerce.number().int().max(100, 'at most 100') }) } }, async (request) => ({
      params: request.params,
      query: request.query,
    }));
    app.get('/boom', async () => {
      throw new Error('secret internals');
    });
    const address = await listenHttpApp(app, 0, '127.0.0.1');
    const base = `http://127.0.0.1:${address.port}`;
    try {
      const ok = await fetch(`${base}/v1/things/abc?workspace=acme&limit=5`);
      expect(await ok.json()).toEqual({ params: { name: 'abc' }, query: { workspace: 'acme', limit: 5 } });
      const bad = await fetch(`${base}/v1/things/abc?limit=500`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'invalid request', fields: [{ field: 'query.workspace', message: 'required' }, { field: 'query.limit', message: 'at most 100' }] });
      const badParam = await fetch(`${base}/v1/things/ABC?workspace=acme&limit=1`);
      expect(await badParam.json()).toEqual({ error: 'invalid request', fields: [{ field: 'params.name', message: 'lower-case letters' }] });
      const boom = await fetch(`${base}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.text()).toBe('{"error":"internal error"}');
    } finally {
      await closeHttpApp(app);
    }
  });

  it('closing: idle keep-alive sockets close at once, an answer in progress finishes with Connection: close, one that hangs is cut after the grace period', async () => {
    const app = createHttpApp({ log: createLogger('silent') });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let slowStarted!: () => void;
    const slowInFlight = new Promise<void>((r) => (slowStarted = r));
    let hangStarted!: () => void;
    const hangInFlight = new Promise<void>((r) => (hangStarted = r));
    app.get('/slow', async () => {
      slowStarted();
      await gate;
      return { ok: true };
    });
    app.get('/hang', async () => {
      hangStarted();
      await new Promise(() => undefined);
    });
    app.get('/ping', async () => ({ status: 'ok' }));
    const { port } = await listenHttpApp(app, 0, '127.0.0.1');
    const open = (): { socket: Socket; data: () => string; closed: Promise<void> } => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('error', () => undefined);
      return { socket, data: () => data, closed: new Promise((r) => socket.on('close', () => r())) };
    };
    const idle = open();
    idle.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!idle.data().includes('{"status":"ok"}')) await new Promise((r) => setTimeout(r, 10));
    expect(idle.data()).toMatch(/connection: keep-alive/i);
    const busy = open();
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    const stuck = open();
    stuck.socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    // A request whose headers are still arriving when the close begins.
    const late = open();
    late.socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n');
    await Promise.all([slowInFlight, hangInFlight]);
    await new Promise((r) => setTimeout(r, 50));

    let done = false;
    const closing = closeHttpApp(app, 300).then(() => (done = true));
    await idle.closed;
    late.socket.write('\r\n');
    await late.closed;
    expect(late.data()).toMatch(/^HTTP\/1.1 503 Service Unavailable/);
    expect(late.data()).toMatch(/connection: close/i);
    release();
    await busy.closed;
    expect(busy.data()).toMatch(/^HTTP\/1.1 200 OK/);
    expect(busy.data()).toMatch(/connection: close/i);
    expect(done).toBe(false);
    // The hanging answer holds the close only until the grace period ends.
    await stuck.closed;
    await closing;
    expect(stuck.data()).toBe('');
    expect(done).toBe(true);
  });
});
