/**
 * `TRUST_PROXY`: without it the socket address is the client and `X-Forwarded-For` is never
 * read, so one connection sending 200 different XFF values is one visitor (one click, one
 * dedupe key); behind a configured proxy (address list or hop count) XFF is read.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLink } from '../src/links/create-link.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const WS = 'acme';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

async function start(env: Record<string, string>): Promise<{ port: number; store: Store; prefix: string }> {
  const prefix = uniquePrefix('xff');
  const config = loadConfig(
    { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-xff-')), MIDFUNNEL_HASH_KEY: 'xff-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json', ...env },
    () => JSON.stringify({ workspaces: [{ id: WS, allowedDomains: ['shop.example.com'] }] }),
  );
  const store = createMemoryStore();
  const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
  running.push({ app, prefix });
  await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, code: 'xff1', destination: 'https://shop.example.com/', platform: 'telegram' });
  return { port: app.address?.port ?? 0, store, prefix };
}

/** Sends one request per XFF value, one after the other, on a single keep-alive connection; returns the local ports used. */
async function clicksOnOneConnection(port: number, forwardedFor: string[]): Promise<Set<number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set<number>();
  try {
    for (const xff of forwardedFor) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/l/xff1', agent, headers: { 'user-agent': CHROME, 'x-forwarded-for': xff } }, (res) => {
          if (res.statusCode !== 302) reject(new Error(`status ${res.statusCode}`));
          ports.add(res.socket.localPort ?? 0);
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
  return ports;
}

const spoofed = Array.from({ length: 200 }, (_, i) => `198.51.100.${i % 250}, 203.0.${Math.floor(i / 250)}.${i}`);

describe('TRUST_PROXY', () => {
  it('unset: 200 requests on one connection with 200 different X-Forwarded-For values are one visitor: one click, one dedupe key', async () => {
    const { port, store, prefix } = await start({});
    const ports = await clicksOnOneConnection(port, spoofed);
    expect(ports.size).toBe(1);
    expect(await store.clicks.count(WS)).toBe(1);
    const redis = testRedis();
    expect(await redis.keys(`${prefix}:click:*`)).toHaveLength(1);
    await redis.quit();
  });

  it('a trusted proxy address list: X-Forwarded-For is read, each client a visitor (dedupe keys expire within the hour)', async () => {
    const { port, store, prefix } = await start({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' });
    await clicksOnOneConnection(port, spoofed);
    expect(await store.clicks.count(WS)).toBe(200);
    const redis = testRedis();
    const keys = await redis.keys(`${prefix}:click:*`);
    expect(keys).toHaveLength(200);
    // Memory stays bounded: every key carries its one-hour expiry.
    for (const k of keys.slice(0, 20)) expect(await redis.ttl(k)).toBeGreaterThan(3500);
    await redis.quit();
  });

  it('a hop count: the client is the address the nearest proxy saw', async () => {
    const { port, store } = await start({ TRUST_PROXY: '1' });
    // The nearest proxy appends the address it saw last; whatever the client wrote before it is not trusted.
    await clicksOnOneConnection(port, ['1.1.1.1, 203.0.113.9', '2.2.2.2, 203.0.113.9', '3.3.3.3, 203.0.113.10']);
    expect(await store.clicks.count(WS)).toBe(2);
  });

  it('a proxy list that does not include the peer: X-Forwarded-For is ignored', async () => {
    const { port, store } = await start({ TRUST_PROXY: '10.0.0.0/8' });
    await clicksOnOneConnection(port, spoofed.slice(0, 20));
    expect(await store.clicks.count(WS)).toBe(1);
  });

  it('is validated at start with an example', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example.com', '1.2.3.4/8/9']) {
      let message = '';
      try {
        loadConfig({ TRUST_PROXY: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toContain(`TRUST_PROXY="${bad}" is not valid`);
      expect(message).toContain('example: TRUST_PROXY=false');
    }
  });
});
