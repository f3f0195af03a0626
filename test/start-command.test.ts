/** `midfunnel start` as users run it: a real process, real signals, real HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REDIS_URL, uniquePrefix } from './support/redis.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'midfunnel.js');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', REDIS_URL, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-start-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(cond: () => boolean, what: string, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('midfunnel start', () => {
  it('refuses a bad setting, naming it with a valid example, before starting anything', async () => {
    const p = run(['start'], { PORT: 'eighty', MIDFUNNEL_STORE: 'memory' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('PORT="eighty" is not valid');
    expect(p.output()).toContain('example: PORT=8080');
  });

  it('refuses an unknown role with the list of roles', async () => {
    const p = run(['start', '--role', 'painter'], { MIDFUNNEL_STORE: 'memory' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain("unknown role 'painter'");
  });

  it('runs all roles in one process, serves /healthz, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const p = run(['start'], { PORT: port, HOST: '127.0.0.1', MIDFUNNEL_STORE: 'memory', QUEUE_PREFIX: uniquePrefix('start') });
    await until(() => p.output().includes('midfunnel started'), 'the start-up log line');
    expect(p.output()).toMatch(/"roles":\["http","workers"/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited, p.output()).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');
  });

  it('refuses split roles on the in-memory store, saying why and what to run instead', { timeout: 60_000 }, async () => {
    const runs = ['workers', 'http,workers', 'http,workers,whatsapp'].map((role) => run(['start', '--role', role], { MIDFUNNEL_STORE: 'memory', QUEUE_PREFIX: uniquePrefix('start') }));
    for (const p of runs) {
      expect(await p.exited).toBe(1);
      expect(p.output()).toContain('MIDFUNNEL_STORE=memory keeps every record inside one process, so all roles must run in it');
      expect(p.output()).toMatch(/without (http, )?telegram/);
      expect(p.output()).toContain('To run roles apart, use MongoDB');
      expect(p.output()).not.toContain('midfunnel started');
    }
  });

  // One role alone needs a shared store: MongoDB (the in-memory store refuses split roles, above).
  it.skipIf(!process.env.MONGO_URL)(
    `runs one role alone: workers without an HTTP server${process.env.MONGO_URL ? '' : ' (skipped: needs MONGO_URL, a MongoDB the role can share)'}`,
    { timeout: 60_000 },
    async () => {
      const p = run(['start', '--role', 'workers'], { MONGO_URL: process.env.MONGO_URL ?? '', QUEUE_PREFIX: uniquePrefix('start') });
      await until(() => p.output().includes('midfunnel started'), 'the start-up log line');
      expect(p.output()).toContain('"roles":["workers"]');
      expect(p.output()).not.toContain('http listening');
      p.child.kill('SIGTERM');
      expect(await p.exited, p.output()).toBe(0);
    },
  );
});
