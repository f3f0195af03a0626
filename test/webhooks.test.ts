/**
 * Outgoing webhooks: events with deterministic ids, signed deliveries through the real BullMQ
 * queue on Redis to a local HTTP receiver (signature verifies, a 500 is retried, a 4xx is
 * kept as failed, one delivery per event id), the `midfunnel webhooks deliveries` listing,
 * and a conversion credited end to end (signed order in → conversion.credited out).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { main } from '../src/cli/main.js';
import { loadConfig } from '../src/config.js';
import { signBody, verifySignature } from '../src/conversions/verify-signature.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { CreditSet } from '../src/store/store.js';
import { conversionCreditedEvent, WebhookQueue, type WebhookSubscription } from '../src/webhooks/index.js';
import { createWebhookWorker } from '../workers/webhook.worker.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const SECRET = 'receiver-secret-0123456789';
const WS = 'acme';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local subscriber: answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, server };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function credits(conversionId: string, value: number, shares: [number, number]): CreditSet {
  return {
    workspace: WS,
    conversionId,
    conversionAt: '2026-03-10T00:00:00.000Z',
    value,
    currency: 'CNY',
    type: 'purchase',
    rule: 'tg_id',
    profileId: 'p_alice',
    lowConfidence: false,
    touches: [
      { touchId: 't1', at: '2026-03-01T00:00:00.000Z', kind: 'join', platform: 'telegram', chatId: '-1001', campaign: 'spring', channel: 'telegram/-1001/join' },
      { touchId: 't2', at: '2026-03-02T00:00:00.000Z', kind: 'message', platform: 'telegram', chatId: '-1001', campaign: 'spring', keywords: ['price'], channel: 'telegram/-1001/keyword' },
    ],
    models: { linear: { conversions: shares, value: shares.map((s) => s * value) }, last_touch: { conversions: [0, 1], value: [0, value] } },
    fitId: null,
    computedAt: '2026-03-10T00:00:01.000Z',
  };
}

async function pipeline(subscriptions: WebhookSubscription[]) {
  const prefix = uniquePrefix('wh');
  const producer = createProducerConnection({ url: REDIS_URL });
  const conn = createWorkerConnection({ url: REDIS_URL });
  const metrics = createMetrics();
  const lookup = (ws: string) => (ws === WS ? subscriptions : []);
  const queue = new WebhookQueue({ connection: producer, prefix, subscriptions: lookup });
  const worker = createWebhookWorker({ connection: conn, subscriptions: lookup, log: createLogger('silent'), metrics, prefix, timeoutMs: 2_000 });
  cleanups.push(async () => {
    await worker.close();
    await queue.close();
    const redis = testRedis();
    await deleteKeys(redis, [`bull:${prefix}*`]);
    await redis.quit();
    await producer.quit();
    await conn.quit();
  });
  return { prefix, queue, worker, metrics };
}

async function until<T>(what: string, read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('conversion.credited events', () => {
  it('sum credits per model by channel and campaign, with an id that changes only when the credits do', () => {
    const a = conversionCreditedEvent(credits('o1', 100, [0.5, 0.5]));
    expect(a.type).toBe('conversion.credited');
    expect(a.data.credits).toEqual({ linear: { 'telegram/-1001/join': 50, 'telegram/-1001/keyword': 50 }, last_touch: { 'telegram/-1001/join': 0, 'telegram/-1001/keyword': 100 } });
    expect(a.data.campaigns).toEqual({ linear: { spring: 100 }, last_touch: { spring: 100 } });
    expect(a.data.match).toEqual({ rule: 'tg_id', profileId: 'p_alice', lowConfidence: false });
    // Recomputed at another time with the same numbers: the same event.
    expect(conversionCreditedEvent({ ...credits('o1', 100, [0.5, 0.5]), computedAt: '2026-04-01T00:00:00.000Z' }).id).toBe(a.id);
    expect(conversionCreditedEvent(credits('o1', 100, [0.25, 0.75])).id).not.toBe(a.id);
    expect(conversionCreditedEvent(credits('o2', 100, [0.5, 0.5])).id).not.toBe(a.id);
    expect(JSON.stringify(a)).not.toMatch(/price/);
  });
});

describe('webhook deliveries (real BullMQ on Redis, local receiver)', () => {
  it('signs each delivery so it verifies, retries after a 500, and delivers one event once however often it is published', async () => {
    const sub = await receiver([500]);
    const { queue, metrics } = await pipeline([{ id: 'crm', url: sub.url, secret: SECRET, events: ['conversion.credited'] }]);
    const event = conversionCreditedEvent(credits('o1', 100, [0.5, 0.5]));
    expect(await queue.publish([event])).toBe(1);
    expect(await queue.publish([event])).toBe(1); // queued again: the same job id, a no-op in Redis
    await until('two attempts (a 500, then a 200)', () => sub.got.length, (n) => n >= 2);
    await until('the job completed', () => queue.queue.getJobCounts('completed'), (c) => c.completed === 1);
    await queue.publish([event]); // after delivery: still one
    await new Promise((r) => setTimeout(r, 500));
    expect(sub.got).toHaveLength(2);
    for (const r of sub.got) {
      const check = verifySignature(String(r.headers['x-midfunnel-signature']), Buffer.from(r.body), SECRET, new Date());
      expect(check).toEqual({ ok: true });
      expect(r.headers['x-midfunnel-event-id']).toBe(event.id);
      expect(r.headers['x-midfunnel-event']).toBe('conversion.credited');
      expect(JSON.parse(r.body)).toEqual(event);
    }
    // A wrong secret does not verify: the signature is really over the body.
    expect(verifySignature(String(sub.got[1]?.headers['x-midfunnel-signature']), Buffer.from(sub.got[1]?.body ?? ''), 'another-secret-0123456789', new Date()).ok).toBe(false);
    const scraped = await metrics.registry.getSingleMetricAsString('midfunnel_webhook_deliveries_total');
    expect(scraped).toMatch(/result="retry"} 1/);
    expect(scraped).toMatch(/result="delivered"} 1/);
  });

  it('keeps a delivery the endpoint refuses (4xx) as failed without retrying, and sends events only to subscriptions that want them', async () => {
    const refusing = await receiver([404]);
    const referrals = await receiver();
    const { queue } = await pipeline([
      { id: 'gone', url: refusing.url, secret: SECRET, events: ['conversion.credited'] },
      { id: 'affiliates', url: referrals.url, secret: SECRET, events: ['referral.joined'] },
    ]);
    expect(await queue.publish([conversionCreditedEvent(credits('o9', 30, [1, 0]))])).toBe(1);
    const failed = await until('the refused delivery failed', () => queue.queue.getFailed(), (f) => f.length === 1);
    expect(failed[0]?.attemptsMade).toBe(1);
    expect(failed[0]?.failedReason).toMatch(/HTTP 404/);
    expect(refusing.got).toHaveLength(1);
    expect(referrals.got).toHaveLength(0);
  });

  it('a slow subscriber never blocks publishing, and a dead one is retried with backoff', async () => {
    const dead = 'http://127.0.0.1:9/hooks'; // the discard port: connection refused
    const { queue } = await pipeline([{ id: 'dead', url: dead, secret: SECRET, events: ['conversion.credited'] }]);
    const started = Date.now();
    const events = Array.from({ length: 50 }, (_, i) => conversionCreditedEvent(credits(`o${i}`, 10 + i, [0.5, 0.5])));
    expect(await queue.publish(events)).toBe(50);
    expect(Date.now() - started).toBeLessThan(5_000);
    const delayed = await until('failed attempts backing off', () => queue.queue.getJobCounts('delayed'), (c) => (c.delayed ?? 0) >= 1);
    expect(delayed.delayed).toBeGreaterThan(0);
  });

  it('midfunnel webhooks deliveries lists what was delivered and what failed, per workspace', async () => {
    const ok = await receiver();
    const bad = await receiver([410]);
    const subs: WebhookSubscription[] = [
      { id: 'crm', url: ok.url, secret: SECRET, events: ['conversion.credited'] },
      { id: 'old', url: bad.url, secret: SECRET, events: ['conversion.credited'] },
    ];
    const { prefix, queue } = await pipeline(subs);
    const event = conversionCreditedEvent(credits('o1', 100, [0.5, 0.5]));
    await queue.publish([event]);
    await until('both settled', async () => (await queue.queue.getJobCounts('completed', 'failed')) as Record<string, number>, (c) => c.completed === 1 && c.failed === 1);
    const dir = mkdtempSync(join(tmpdir(), 'mf-wh-'));
    const file = join(dir, 'ws.json');
    writeFileSync(file, JSON.stringify({ workspaces: [{ id: WS, webhooks: subs }, { id: 'other' }] }));
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), readFile: async () => Buffer.alloc(0), cwd: dir, env: { REDIS_URL, QUEUE_PREFIX: prefix, MIDFUNNEL_CONFIG: file }, isTTY: false };
    expect(await main(['webhooks', 'deliveries', '--workspace', WS, '--json'], io)).toBe(0);
    const lines = JSON.parse(out.join('')) as Array<{ event: string; subscription: string; state: string; lastError: string | null }>;
    expect(lines.map((l) => [l.subscription, l.state, l.event]).sort()).toEqual([
      ['crm', 'delivered', event.id],
      ['old', 'failed', event.id],
    ]);
    expect(lines.find((l) => l.state === 'failed')?.lastError).toMatch(/HTTP 410/);
    out.length = 0;
    expect(await main(['webhooks', 'deliveries', '--workspace', 'other'], io)).toBe(0);
    expect(out.join('')).toMatch(/no webhook deliveries kept for other \(it has no webhooks configured\)/);
    expect(await main(['webhooks', 'deliveries', '--workspace', 'nope'], io)).toBe(2);
    expect(err.join('')).toMatch(/workspace nope is not configured/);
    expect(await main(['webhooks', 'deliveries', '--workspace', WS, '--state', 'lost'], io)).toBe(2);
  });
});

describe('conversion.credited end to end', () => {
  let app: RunningRoles | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a signed order that matches a member is delivered to the subscriber as conversion.credited', async () => {
    const sub = await receiver();
    const prefix = uniquePrefix('whe2e');
    const workspaces = { workspaces: [{ id: WS, secret: 'acme-webhook-secret-0123456789', defaultRegion: 'CN', webhooks: [{ id: 'crm', url: sub.url, secret: SECRET, events: ['conversion.credited'] }] }] };
    const config = loadConfig(
      { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-whe2e-')), MIDFUNNEL_HASH_KEY: 'whe2e-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json' },
      () => JSON.stringify(workspaces),
    );
    app = await startRoles({ config, roles: ['http', 'workers'], log: createLogger('silent'), store: createMemoryStore() });
    cleanups.push(async () => {
      const redis = testRedis();
      await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
      await redis.quit();
    });
    const now = Date.now();
    await app.touchQueue.enqueueMany([
      touch({ kind: 'join', ref: 'j', at: new Date(now - 3 * 86_400_000).toISOString(), actor: { userId: '101' }, details: { via: 'invite_link', campaign: 'spring' } }),
      touch({ kind: 'keyword', ref: 'k', at: new Date(now - 86_400_000).toISOString(), actor: { userId: '101' }, details: { keywords: ['price'] } }),
    ]);
    await until('touches stored', () => app?.store.touches.count(WS) ?? 0, (n) => n === 2);
    const body = JSON.stringify({ id: 'order-1', workspace: WS, occurred_at: new Date(now).toISOString(), value: 88, currency: 'CNY', type: 'purchase', customer: { telegram_id: '101' } });
    const res = await fetch(`http://127.0.0.1:${app.address?.port}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-midfunnel-signature': signBody('acme-webhook-secret-0123456789', body, Math.floor(now / 1000)) }, body });
    expect(res.status, await res.clone().text()).toBe(202);
    await until('a conversion.credited delivery', () => sub.got.length, (n) => n >= 1);
    const event = JSON.parse(sub.got[0]?.body ?? '{}') as { type: string; data: { conversion: { id: string; value: number }; campaigns: Record<string, Record<string, number>> } };
    expect(event.type).toBe('conversion.credited');
    expect(event.data.conversion).toMatchObject({ id: 'order-1', value: 88 });
    expect(event.data.campaigns.linear).toEqual({ spring: 88 });
  });
});
