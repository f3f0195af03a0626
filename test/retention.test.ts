/**
 * Retention through the running workers role: a `retention-sweep` job on the real community
 * queue deletes each workspace's touches and clicks older than its `retentionDays` (each
 * workspace its own), keeps the rest, and removes failed jobs older than the shortest retention.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { RETENTION_SWEEP_JOB } from '../src/queue/community-queue.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ClickRecord } from '../src/store/store.js';
import { touch } from './store-contract.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

const DAY = 86_400_000;
const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();
const click = (workspace: string, clickId: string, at: string): ClickRecord => ({ workspace, clickId, code: 'c', touchId: `t-${clickId}`, at, profileId: null, visitorHash: 'v', chatId: '-1001' });

describe('the retention sweep (workers role, real queue)', () => {
  it('deletes touches and clicks older than each workspace’s retentionDays and keeps the rest', async () => {
    const store = createMemoryStore();
    for (const ws of ['acme', 'brief']) {
      await store.touches.insertMany(ws, [touch({ id: 'old', workspace: ws, at: ago(500), profileId: 'p1' }), touch({ id: 'mid', workspace: ws, at: ago(100), profileId: 'p1' }), touch({ id: 'new', workspace: ws, at: ago(1), profileId: 'p1' })]);
      await store.clicks.insert(ws, click(ws, 'old', ago(500)));
      await store.clicks.insert(ws, click(ws, 'mid', ago(100)));
    }
    const prefix = uniquePrefix('retention');
    const config = loadConfig(
      { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-ret-')), MIDFUNNEL_HASH_KEY: 'retention-hash-key-0123456789', MIDFUNNEL_CONFIG: 'ws.json' },
      () => JSON.stringify({ workspaces: [{ id: 'acme' }, { id: 'brief', retentionDays: 60 }] }),
    );
    expect(config.workspaces.map((w) => w.retentionDays)).toEqual([400, 60]);
    const app = await startRoles({ config, roles: ['workers'], log: createLogger('silent'), store });
    running.push({ app, prefix });

    const job = await app.communityQueue.queue.add(RETENTION_SWEEP_JOB, {});
    for (let i = 0; i < 200 && !(await job.isCompleted()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await job.isCompleted()).toBe(true);

    const ids = async (ws: string) => (await store.touches.list(ws, {})).map((t) => t.id).sort();
    expect(await ids('acme')).toEqual(['mid', 'new']);
    expect(await ids('brief')).toEqual(['new']);
    expect([await store.clicks.get('acme', 'old'), await store.clicks.get('acme', 'mid')].map((c) => c?.clickId ?? null)).toEqual([null, 'mid']);
    expect([await store.clicks.get('brief', 'old'), await store.clicks.get('brief', 'mid')].map((c) => c?.clickId ?? null)).toEqual([null, null]);
  });
});
