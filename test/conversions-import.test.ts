/**
 * `midfunnel conversions import`: shop CSV exports with broken lines and odd encodings
 * (UTF-8 with BOM, GBK with Chinese headers and names, UTF-16), a summary with line numbers
 * and reasons, nothing valid lost, and a stop half way that a re-run repairs.
 */
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { makeConversionsCommand } from '../src/cli/conversions-import.js';
import type { WorkspaceConfig } from '../src/config.js';
import { importConversionsCsv } from '../src/conversions/import-conversions.js';
import { decodeCsv, readCsv } from '../src/conversions/read-csv.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const WS = 'acme';
const HASH_KEY = 'import-hash-key-0123456789';
const WORKSPACES = [{ id: WS, defaultRegion: 'CN', timezone: 'Asia/Shanghai', lookbackDays: 30, creditMode: 'consume', coupons: [], allowedDomains: [] }] as unknown as WorkspaceConfig[];
const deps = (store: Store) => ({ store, settings: settingsLookup(WORKSPACES), hashKey: HASH_KEY });

/** A shop export with one of each problem; physical line numbers in the comments. */
const MESSY = [
  'id,occurred_at,value,currency,customer.phone,Customer_Email,coupon,姓名', // 1
  'SO-1,2026-03-01 10:00,99.00,CNY,138 0013 8000,A@X.com,SPRING10,张三', // 2
  'SO-2,2026-03-01T10:00:00+08:00,"1,299.00",CNY,,,,李四', // 3: not a number
  'SO-3,2026-03-02 09:30,50,cny,,"b@x.com",,"王', // 4: a name with a line break…
  '五"', // 5
  'SO-4,2026-03-02,abc,CNY,,,,x', // 6: not a number
  '"SO-5,2026-03-03,10,CNY,,,,x', // 7: a quote never closed
  'SO-6,2026-03-03 12:00,10,CNY,,,,x', // 8
  'SO-7,2026-03-03 12:00,10', // 9: fields missing
  '', // 10: blank
  'SO-1,2026-03-01 10:00,99.00,CNY,138 0013 8000,a@x.com ,SPRING10,张三', // 11: the same order again
  'SO-6,2026-03-03 12:00,11,CNY,,,,x', // 12: same id, other value
].join('\r\n');

const EXPECTED_REJECTED = [
  { line: 3, id: 'SO-2', reason: 'value: expected a number ≥ 0 like 12.50' },
  { line: 6, id: 'SO-4', reason: 'value: expected a number ≥ 0 like 12.50' },
  { line: 7, reason: 'a quoted field is never closed (a " is missing)' },
  { line: 9, reason: 'has 3 fields, the header has 8 (a broken or shifted line)' },
  { line: 12, id: 'SO-6', reason: 'id SO-6 was already received with other values (value); the first one is kept' },
];

describe('reading CSV', () => {
  it('decodes a BOM, GBK, UTF-16LE; splits quoted fields and resumes after a broken record', () => {
    expect(decodeCsv(Buffer.from('\uFEFFa,b', 'utf8'))).toEqual({ text: 'a,b', encoding: 'utf-8 (BOM)' });
    expect(decodeCsv(iconv.encode('订单号,金额', 'gbk'))).toEqual({ text: '订单号,金额', encoding: 'gbk' });
    expect(decodeCsv(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('id;值', 'utf16le')]))).toEqual({ text: 'id;值', encoding: 'utf-16le' });
    expect([...readCsv('a;b\n"x;1";2\n')]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x;1', '2'] },
    ]);
    expect([...readCsv('a,b\n"x"y,1\nc,"d ""q"""\n')]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'unexpected text after a closing quote (quote the whole field)' },
      { line: 3, fields: ['c', 'd "q"'] },
    ]);
  });
});

describe('importing conversions from CSV', () => {
  it('stores every valid row, reports the rest with line numbers and reasons, ignores unknown columns', async () => {
    const store = createMemoryStore();
    const summary = await importConversionsCsv(deps(store), Buffer.from(`\uFEFF${MESSY}`, 'utf8'), { workspace: WS });
    expect(summary).toEqual({ encoding: 'utf-8 (BOM)', rows: 9, accepted: 3, duplicate: 1, rejected: EXPECTED_REJECTED, ignoredColumns: ['姓名'] });
    const hash = makePseudonymizer(HASH_KEY, WS);
    const so1 = await store.conversions.get(WS, 'SO-1');
    expect(so1).toMatchObject({ occurredAt: '2026-03-01T02:00:00.000Z', value: 99, currency: 'CNY', type: 'purchase', coupon: 'SPRING10', source: 'csv', status: 'pending' });
    expect(so1?.identifiers).toEqual([
      { type: 'email', value: hash('email', 'a@x.com') },
      { type: 'phone', value: hash('phone', '+8613800138000') },
    ]);
    expect(await store.conversions.get(WS, 'SO-3')).toMatchObject({ occurredAt: '2026-03-02T01:30:00.000Z', value: 50, currency: 'CNY' });
    expect((await store.conversions.get(WS, 'SO-6'))?.value).toBe(10);
    // Names are never stored.
    expect(JSON.stringify(await store.conversions.list(WS, {}))).not.toMatch(/张三|王|李四|13800138000|a@x\.com/);
    // A second run changes nothing: the stored rows are duplicates now.
    const again = await importConversionsCsv(deps(store), Buffer.from(`\uFEFF${MESSY}`, 'utf8'), { workspace: WS });
    expect(again).toMatchObject({ accepted: 0, duplicate: 4, rejected: EXPECTED_REJECTED });
    expect(await store.conversions.count(WS)).toBe(3);
  });

  it('reads a GBK export with Chinese headers and campaign names', async () => {
    const store = createMemoryStore();
    const text = ['订单号,下单时间,实付金额,币种,手机号,姓名,utm_campaign', 'DD-88,2026/3/5 20:15:00,128.8,CNY,13800138000,赵六,春季促销', 'DD-89,2026/3/5 21:00,35,CNY,,钱七,'].join('\n');
    const summary = await importConversionsCsv(deps(store), iconv.encode(text, 'gbk'), { workspace: WS });
    expect(summary).toEqual({ encoding: 'gbk', rows: 2, accepted: 2, duplicate: 0, rejected: [], ignoredColumns: ['姓名'] });
    expect(await store.conversions.get(WS, 'DD-88')).toMatchObject({ occurredAt: '2026-03-05T12:15:00.000Z', value: 128.8, utm: { campaign: '春季促销' } });
    expect((await store.conversions.get(WS, 'DD-89'))?.utm).toBeUndefined();
  });

  it('reads a UTF-8 file with one invalid byte as UTF-8 and rejects only the line holding it (not the whole file as GBK)', async () => {
    const store = createMemoryStore();
    const good = (row: string): Buffer => Buffer.from(`${row}\n`, 'utf8');
    const bytes = Buffer.concat([
      good('订单号,下单时间,实付金额,币种,姓名'),
      good('U-1,2026-03-05 20:15,128.8,CNY,赵六'),
      Buffer.from('U-2,2026-03-05 21:00,35,CNY,钱', 'utf8'),
      Buffer.from([0xff]),
      good('七'),
      good('U-3,2026-03-06 09:00,12,CNY,孙八'),
    ]);
    expect(decodeCsv(bytes)).toMatchObject({ encoding: 'utf-8', invalidLines: [3] });
    const summary = await importConversionsCsv(deps(store), bytes, { workspace: WS });
    expect(summary).toEqual({
      encoding: 'utf-8',
      rows: 3,
      accepted: 2,
      duplicate: 0,
      rejected: [{ line: 3, reason: 'has bytes that are not valid UTF-8 (the file was read as utf-8); fix the line, or pass --encoding gbk if the whole file is GBK' }],
      ignoredColumns: ['姓名'],
    });
    expect((await store.conversions.list(WS, {})).map((c) => c.id)).toEqual(['U-1', 'U-3']);
    // A real GBK file (mostly broken as UTF-8) is still read as GBK.
    expect(decodeCsv(iconv.encode('订单号,金额\nDD-1,5\n张三,李四\n', 'gbk'))).toEqual({ text: '订单号,金额\nDD-1,5\n张三,李四\n', encoding: 'gbk' });
  });

  it('loses nothing when it stops half way: a re-run stores the rest and reports the stored rows as duplicates', async () => {
    const store = createMemoryStore();
    const rows = ['id,occurred_at,value,currency', ...Array.from({ length: 7 }, (_, i) => `R-${i},2026-03-0${i + 1}T00:00:00Z,${i + 1},CNY`)].join('\n');
    let batches = 0;
    const flaky: Store = {
      ...store,
      conversions: {
        ...store.conversions,
        insertMany: async (ws, list) => {
          if (++batches === 3) throw new Error('connection reset by the store');
          return store.conversions.insertMany(ws, list);
        },
      },
    };
    await expect(importConversionsCsv(deps(flaky), Buffer.from(rows), { workspace: WS, batchSize: 2 })).rejects.toThrow('connection reset');
    expect(await store.conversions.count(WS)).toBe(4);
    const rerun = await importConversionsCsv(deps(store), Buffer.from(rows), { workspace: WS, batchSize: 2 });
    expect(rerun).toMatchObject({ accepted: 3, duplicate: 4, rejected: [] });
    expect((await store.conversions.list(WS, {})).map((c) => [c.id, c.value])).toEqual(Array.from({ length: 7 }, (_, i) => [`R-${i}`, i + 1]));
  });

  it('refuses a header without the needed columns before storing anything', async () => {
    const store = createMemoryStore();
    await expect(importConversionsCsv(deps(store), Buffer.from('ref,when\n1,2026-03-01\n'), { workspace: WS })).rejects.toThrow(
      'the header has no column for: id, occurred_at, value, currency (or pass --currency); found: ref, when',
    );
    await expect(importConversionsCsv(deps(store), Buffer.from('id,occurred_at,value,currency\n'), {})).rejects.toThrow(/workspace \(or pass --workspace\)/);
    await expect(importConversionsCsv(deps(store), Buffer.from(''), { workspace: WS })).rejects.toThrow(/the file is empty/);
    expect(await store.conversions.count(WS)).toBe(0);
  });
});

function io(files: Record<string, Buffer>, isTTY = false): CliIo & { out: string; err: string } {
  const o = { out: '', err: '' };
  return Object.assign(o, {
    stdout: (t: string) => void (o.out += t),
    stderr: (t: string) => void (o.err += t),
    readFile: async (p: string) => {
      const f = files[p];
      if (!f) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return f;
    },
    cwd: '/data',
    env: {},
    isTTY,
  });
}

describe('midfunnel conversions import (CLI)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function queue(): Promise<ReconcileQueue> {
    const prefix = uniquePrefix('imp');
    const producer = createProducerConnection({ url: REDIS_URL });
    const q = new ReconcileQueue({ connection: producer, prefix });
    cleanups.push(async () => {
      await q.queue.obliterate({ force: true });
      await q.close();
      const r = testRedis();
      await deleteKeys(r, [`bull:${prefix}*`]);
      await Promise.all([r.quit(), producer.quit()]);
    });
    return q;
  }

  it('prints the summary with line numbers, draws progress on a terminal, queues the accepted rows, and exits 1 when rows were rejected', async () => {
    const store = createMemoryStore();
    const reconcileQueue = await queue();
    const cmd = makeConversionsCommand({ store, workspaces: WORKSPACES, hashKey: HASH_KEY, reconcileQueue });
    const c = io({ '/data/orders.csv': Buffer.from(`\uFEFF${MESSY}`) }, true);
    expect(await cmd(['import', 'orders.csv', '--workspace', WS], c)).toBe(1);
    expect(c.out).toBe(
      [
        'orders.csv (utf-8 (BOM)): 9 rows: 3 accepted, 1 duplicate, 5 rejected',
        'ignored columns (not stored): 姓名',
        '  line 3 (id SO-2): value: expected a number ≥ 0 like 12.50',
        '  line 6 (id SO-4): value: expected a number ≥ 0 like 12.50',
        '  line 7: a quoted field is never closed (a " is missing)',
        '  line 9: has 3 fields, the header has 8 (a broken or shifted line)',
        '  line 12 (id SO-6): id SO-6 was already received with other values (value); the first one is kept',
        '',
      ].join('\n'),
    );
    // Drawn by cli-progress (terminal control sequences around it); ends with a line break.
    expect(c.err).toContain('importing [##############################] 9/9 rows');
    expect(c.err.endsWith('\n')).toBe(true);
    const jobs = await reconcileQueue.queue.getJobs(['waiting', 'prioritized']);
    expect(jobs.map((j) => (j.data as { conversionId: string }).conversionId).sort()).toEqual(['SO-1', 'SO-3', 'SO-6']);

    const j = io({ '/data/ok.csv': Buffer.from('id,occurred_at,value\nX-1,2026-03-01T00:00:00Z,5\n') });
    expect(await cmd(['import', 'ok.csv', '--workspace', WS, '--currency', 'usd', '--json'], j)).toBe(0);
    expect(JSON.parse(j.out)).toEqual({ file: 'ok.csv', encoding: 'utf-8', rows: 1, accepted: 1, duplicate: 0, rejected: [], ignoredColumns: [] });
    expect((await store.conversions.get(WS, 'X-1'))?.currency).toBe('USD');
  });

  it('answers a missing file, a bad header, a bad encoding and an unknown workspace clearly', async () => {
    const store = createMemoryStore();
    const cmd = makeConversionsCommand({ store, workspaces: WORKSPACES, hashKey: HASH_KEY, reconcileQueue: await queue() });
    const missing = io({});
    expect(await cmd(['import', 'nope.csv', '--workspace', WS], missing)).toBe(1);
    expect(missing.err).toBe('midfunnel conversions: cannot read nope.csv (ENOENT)\n');
    const header = io({ '/data/h.csv': Buffer.from('a,b\n1,2\n') });
    expect(await cmd(['import', 'h.csv', '--workspace', WS], header)).toBe(1);
    expect(header.err).toMatch(/^midfunnel conversions: h.csv: the header has no column for: id, occurred_at, value/);
    await expect(cmd(['import', 'h.csv', '--workspace', WS, '--encoding', 'latin9'], io({}))).rejects.toThrow(/--encoding latin9: use one of auto, utf8, gbk, utf16le/);
    await expect(cmd(['import', 'h.csv', '--workspace', 'other'], io({ '/data/h.csv': Buffer.from('x') }))).rejects.toThrow(/workspace other is not configured/);
    expect(await store.conversions.count(WS)).toBe(0);
  });
});
