/**
 * Every CLI command refuses an unknown workspace as a usage error (exit 2, one line), and
 * the CLI says plainly what it can and cannot see: with `MIDFUNNEL_STORE=memory` it has an
 * empty store of its own; without a MongoDB it never suggests the in-memory store.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mf-cli-ws-'));
writeFileSync(join(dir, 'ws.json'), JSON.stringify({ workspaces: [{ id: 'acme', allowedDomains: ['shop.example.com'] }, { id: 'beta' }] }));
writeFileSync(join(dir, 'orders.csv'), 'id,occurred_at,value,currency\n1,2026-03-01T10:00:00Z,10,CNY\n');

function io(env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, {
    stdout: (t: string) => void (o.out += t),
    stderr: (t: string) => void (o.err += t),
    readFile: (p: string) => readFile(p),
    cwd: dir,
    env: { MIDFUNNEL_STORE: 'memory', MIDFUNNEL_CONFIG: join(dir, 'ws.json'), MIDFUNNEL_DATA_DIR: join(dir, 'data'), MIDFUNNEL_HASH_KEY: 'cli-hash-key-0123456789', REDIS_URL: 'redis://127.0.0.1:1', ...env },
    isTTY: false,
  });
}

/** Lines of stderr other than the in-memory store note. */
const reasonLines = (err: string): string[] => err.split('\n').filter((l) => l !== '' && !l.includes('note: MIDFUNNEL_STORE=memory'));

describe('unknown workspaces on the command line', () => {
  it.each([
    [['report', '--workspace', 'nope']],
    [['report', 'funnel', '--workspace', 'nope']],
    [['report', 'export', '--workspace', 'nope', '--since', '7d']],
    [['report', 'journey', '@alice', '--workspace', 'nope']],
    [['conversions', 'import', 'orders.csv', '--workspace', 'nope']],
    [['conversions', 'refit', '--workspace', 'nope']],
    [['conversions', 'sweep', '--workspace', 'nope']],
    [['links', 'list', '--workspace', 'nope']],
    [['links', 'create', '--workspace', 'nope', '--url', 'https://shop.example.com/', '--platform', 'web']],
    [['invites', 'list', '--workspace', 'nope']],
  ])('%j exits 2 with a one-line reason naming the configured workspaces', async (argv) => {
    const c = io();
    expect(await main(argv, c)).toBe(2);
    expect(reasonLines(c.err)).toEqual([`midfunnel ${argv[0]}: workspace nope is not configured (MIDFUNNEL_CONFIG lists: acme, beta)`]);
    expect(c.out).toBe('');
  });
});

describe('what the CLI can see', () => {
  it('with MIDFUNNEL_STORE=memory a report says plainly that it sees an empty store of its own', async () => {
    const c = io();
    expect(await main(['report', '--workspace', 'acme'], c)).toBe(0);
    expect(c.err).toContain('note: MIDFUNNEL_STORE=memory gives this command its own empty store; it cannot see the data of a running `midfunnel start`');
    // attribute reads files, not the store: no note.
    const a = io();
    await main(['attribute', '--help'], a);
    expect(a.err).toBe('');
  });

  it('without a MongoDB, the CLI says to point it at the service’s MongoDB and never suggests MIDFUNNEL_STORE=memory', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'midfunnel.js'), 'report', '--workspace', 'acme'], {
      env: { PATH: process.env.PATH ?? '', MIDFUNNEL_CONFIG: join(dir, 'ws.json'), MIDFUNNEL_DATA_DIR: join(dir, 'data2'), MONGOMS_SYSTEM_BINARY: join(dir, 'no-such-mongod') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('midfunnel report: no MongoDB could be started');
    expect(err).toContain('The CLI reads the same MongoDB as the service: MONGO_URL=');
    expect(err).not.toContain('MIDFUNNEL_STORE');
  });
});
