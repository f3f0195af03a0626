/**
 * SIGTERM under continuous keep-alive webhook traffic, as users run it: a real
 * `midfunnel start` process (all roles, memory store, webhook mode against the Bot API
 * stand-in) and a load loop of keep-alive connections posting updates without pause. On
 * SIGTERM the server stops accepting (503 with `Connection: close`), closes idle and
 * finishing keep-alive sockets, drains, and the process exits 0 within 10 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BotApiStub } from './support/bot-api-stub.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { BOT, HASH_KEY, OTHER_BOT, P, WORKSPACES, textUpdate } from './support/telegram-harness.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'midfunnel.js');
const SECRET = 'acme-secret-token_1';
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  at: number;
  status: number | 'error';
  connection: string | undefined;
}

describe('shutdown under load', () => {
  it('SIGTERM during continuous keep-alive webhook traffic: 503 + Connection: close while draining, exit 0 within 10 s', { timeout: 60_000 }, async () => {
    const stub = await BotApiStub.start();
    stub.addBot(BOT);
    stub.addBot(OTHER_BOT);
    cleanups.push(() => stub.close());
    const prefix = uniquePrefix('sigterm');
    cleanups.push(async () => {
      const redis = testRedis();
      await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
      await redis.quit();
    });
    const dir = mkdtempSync(join(tmpdir(), 'mf-sigterm-'));
    writeFileSync(join(dir, 'workspaces.json'), JSON.stringify(WORKSPACES));
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL,
        MIDFUNNEL_STORE: 'memory',
        MIDFUNNEL_DATA_DIR: dir,
        MIDFUNNEL_HASH_KEY: HASH_KEY,
        MIDFUNNEL_CONFIG: join(dir, 'workspaces.json'),
        QUEUE_PREFIX: prefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: 'https://bots.example.test',
        TELEGRAM_API_ROOT: stub.root,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
    const deadline = Date.now() + 40_000;
    while (!out.includes('midfunnel started')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    // Four keep-alive connections posting updates back to back until the process is gone.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => agent.destroy());
    const answers: Answer[] = [];
    let gone = false;
    void exited.then(() => (gone = true));
    const post = (): Promise<Answer> =>
      new Promise((resolve) => {
        const body = JSON.stringify(textUpdate('price?', { id: P.member }));
        const req = request(
          { host: '127.0.0.1', port, path: `/telegram/${BOT}`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-telegram-bot-api-secret-token': SECRET } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ at: Date.now(), status: res.statusCode ?? 0, connection: res.headers.connection }));
          },
        );
        req.on('error', () => resolve({ at: Date.now(), status: 'error', connection: undefined }));
        req.end(body);
      });
    const loop = async (): Promise<void> => {
      while (!gone) {
        const a = await post();
        answers.push(a);
        // Refused connections after the listener closed: keep trying, as a sender would.
        if (a.status === 'error') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = Promise.all([loop(), loop(), loop(), loop()]);
    while (answers.filter((a) => a.status === 200).length < 40) await new Promise((r) => setTimeout(r, 20));

    const termAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    await loops;
    expect(code, out).toBe(0);
    expect(at - termAt).toBeLessThan(10_000);
    expect(out).toContain('"msg":"stopped"');
    // Before the signal every update was taken; the traffic never paused.
    expect(answers.filter((a) => a.at < termAt).every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.at >= termAt).length).toBeGreaterThan(0);
    // While draining, refusals say 503 and close the connection.
    for (const a of answers.filter((x) => x.status === 503)) expect(a.connection).toBe('close');
    expect(answers.every((a) => a.status === 200 || a.status === 503 || a.status === 'error')).toBe(true);
  });
});
