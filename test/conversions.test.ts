/**
 * Conversion intake: `POST /v1/conversions` over real HTTP (signatures, idempotency, field
 * errors, body limits), and the normalization behind it (E.164 phones in the workspace's
 * region, lower-cased emails, WhatsApp numbers), stored only as keyed hashes.
 */
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { parseConversion } from '../src/conversions/parse-conversion.js';
import { signBody, verifySignature } from '../src/conversions/verify-signature.js';
import { toE164, whatsAppToE164 } from '../src/conversions/customer-identifiers.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const WS = 'acme';
const SECRET = 'acme-webhook-secret-0123456789';
const HASH_KEY = 'conversions-hash-key-0123456789';
const hash = makePseudonymizer(HASH_KEY, WS);

const running: Array<{ app: RunningRoles; prefix: string }> = [];
afterEach(async () => {
  const redis = testRedis();
  for (const { app, prefix } of running.splice(0)) {
    await app.close();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
  }
  await redis.quit();
});

async function start(store: Store): Promise<{ base: string; port: number; app: RunningRoles }> {
  const prefix = uniquePrefix('conv');
  const config = loadConfig(
    { REDIS_URL, PORT: '0', HOST: '127.0.0.1', QUEUE_PREFIX: prefix, MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'mf-conv-')), MIDFUNNEL_HASH_KEY: HASH_KEY, MIDFUNNEL_CONFIG: 'ws.json' },
    () => JSON.stringify({ workspaces: [{ id: WS, secret: SECRET, defaultRegion: 'CN' }, { id: 'nosecret' }] }),
  );
  const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store });
  running.push({ app, prefix });
  const port = app.address?.port ?? 0;
  return { base: `http://127.0.0.1:${port}`, port, app };
}

const now = (): number => Math.floor(Date.now() / 1000);

async function post(base: string, body: string, header: string | undefined): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (header !== undefined) headers['x-midfunnel-signature'] = header;
  const res = await fetch(`${base}/v1/conversions`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const signed = (base: string, value: unknown, secret = SECRET, t = now()): Promise<{ status: number; json: Record<string, unknown> }> => {
  const body = JSON.stringify(value);
  return post(base, body, signBody(secret, body, t));
};

const ORDER = {
  id: 'SO-1001',
  workspace: WS,
  occurred_at: '2026-03-05T10:00:00+08:00',
  value: 199.5,
  currency: 'CNY',
  type: 'purchase',
  customer: { phone: '138 0013 8000', email: ' Alice@Example.COM ', telegram_id: '101', telegram_username: '@Alice_Shop', whatsapp: '+44 7911 123456', external_id: 'crm-77' },
  click_id: 'AbCdEfGh12345678',
  coupon: 'SPRING10',
  utm: { source: 'telegram', campaign: '春季' },
};

describe('normalizing a conversion', () => {
  const opts = { pseudonymize: hash, region: 'CN', source: 'webhook' as const, now: new Date('2026-03-06T00:00:00Z') };

  it('normalizes phones to E.164 in the workspace region, emails to lower case, and keeps only keyed hashes', () => {
    expect(toE164('138 0013 8000', 'CN')).toBe('+8613800138000');
    expect(toE164('+86 138-0013-8000', 'US')).toBe('+8613800138000');
    expect(toE164('0086 13800138000', 'US')).toBe('+8613800138000');
    expect(toE164('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(toE164('12345', 'CN')).toBeNull();
    expect(whatsAppToE164('8613800138000@c.us', 'US')).toBe('+8613800138000');

    const r = parseConversion(ORDER, opts);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.warnings).toEqual([]);
    expect(r.conversion).toEqual({
      workspace: WS,
      id: 'SO-1001',
      type: 'purchase',
      occurredAt: '2026-03-05T02:00:00.000Z',
      value: 199.5,
      currency: 'CNY',
      identifiers: [
        { type: 'email', value: hash('email', 'alice@example.com') },
        { type: 'external_id', value: hash('external_id', 'crm-77') },
        { type: 'phone', value: hash('phone', '+447911123456') },
        { type: 'phone', value: hash('phone', '+8613800138000') },
        { type: 'tg_id', value: '101' },
        { type: 'wa_id', value: hash('wa_id', '+447911123456') },
      ].sort((a, b) => (`${a.type}|${a.value}` < `${b.type}|${b.value}` ? -1 : 1)),
      telegramUsername: 'alice_shop',
      clickId: 'AbCdEfGh12345678',
      coupon: 'SPRING10',
      utm: { source: 'telegram', campaign: '春季' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      source: 'webhook',
      receivedAt: '2026-03-06T00:00:00.000Z',
      status: 'pending',
      match: null,
      reconciledAt: null,
    });
    expect(JSON.stringify(r.conversion)).not.toMatch(/13800138000|7911|alice@|Alice@|crm-77/);
  });

  it('refuses text that is not well-formed Unicode (a lone surrogate) in every text field, naming each field', () => {
    const r = parseConversion({ ...ORDER, id: 'SO-\ud800', coupon: 'X\udc00', customer: { external_id: 'crm-\ud83d' }, utm: { campaign: '\udfff' } }, opts);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.errors.filter((e) => /lone surrogate/.test(e.message)).map((e) => e.field).sort();
    expect(fields).toEqual(['coupon', 'customer.external_id', 'id', 'utm.campaign']);
    // The same order with well-formed text (a real surrogate pair) passes.
    expect(parseConversion({ ...ORDER, id: 'SO-\ud83d\ude00' }, opts).ok).toBe(true);
  });

  it('reads flattened customer fields ("customer.phone") like nested ones', () => {
    const { customer, ...rest } = ORDER as typeof ORDER & { customer: Record<string, unknown> };
    const flat = { ...rest, ...Object.fromEntries(Object.entries(customer).map(([k, v]) => [`customer.${k}`, v])) };
    const nested = parseConversion(ORDER, opts);
    const flattened = parseConversion(flat, opts);
    if (!nested.ok || !flattened.ok) throw new Error('both forms must parse');
    expect(flattened.conversion).toEqual(nested.conversion);
    expect(flattened.conversion.identifiers.length).toBeGreaterThan(0);
  });

  it('leaves out a customer value it cannot normalize, with a warning, and keeps the sale', () => {
    const r = parseConversion({ ...ORDER, customer: { phone: '12', email: 'not-an-email', telegram_id: 'alice' } }, opts);
    expect(r.ok && r.conversion.identifiers).toEqual([]);
    expect(r.ok && r.warnings).toEqual([
      'customer.phone: not a valid phone number (national numbers are read in region CN); left out',
      'customer.telegram_id: expected the numeric Telegram user id; left out',
      'customer.email: not an email address; left out',
    ]);
  });

  it('accepts numeric ids and amounts as decimal strings; reads local CSV times in the workspace zone', () => {
    const r = parseConversion({ ...ORDER, id: 4501, value: '12.50', occurred_at: '2026-03-05 10:00' }, { ...opts, localTimeZone: 'Asia/Shanghai' });
    expect(r.ok && [r.conversion.id, r.conversion.value, r.conversion.occurredAt]).toEqual(['4501', 12.5, '2026-03-05T02:00:00.000Z']);
    // Without a local zone (a webhook), a time needs its offset.
    const w = parseConversion({ ...ORDER, occurred_at: '2026-03-05 10:00' }, opts);
    expect(w.ok ? null : w.errors).toEqual([{ field: 'occurred_at', message: 'expected an ISO 8601 time with its offset, like 2026-03-01T10:00:00+08:00 or 2026-03-01T02:00:00Z' }]);
  });
});

describe('webhook signatures', () => {
  const body = Buffer.from('{"id":"1"}');
  const at = new Date('2026-03-05T00:00:00Z');
  const t = Math.floor(at.getTime() / 1000);

  it('accepts a signature of "<t>.<body>", also among several v1 values (secret rotation)', () => {
    expect(verifySignature(signBody(SECRET, body, t), body, SECRET, at)).toEqual({ ok: true });
    const other = signBody('another-secret-0123456789', body, t).split(',')[1];
    expect(verifySignature(`${signBody(SECRET, body, t)},${other}`, body, SECRET, at)).toEqual({ ok: true });
    expect(verifySignature(`t=${t},${other},${signBody(SECRET, body, t).split(',')[1]}`, body, SECRET, at)).toEqual({ ok: true });
  });

  it('refuses a missing, malformed, stale, future or wrong signature, saying which', () => {
    const check = (h: string | undefined, b = body, when = at): string => {
      const r = verifySignature(h, b, SECRET, when);
      return r.ok ? 'ok' : r.reason;
    };
    expect(check(undefined)).toMatch(/^missing X-Midfunnel-Signature/);
    expect(check('sha256=abc')).toMatch(/^malformed/);
    expect(check(signBody(SECRET, body, t - 301))).toMatch(/^signature timestamp is 301 s away from now/);
    expect(check(signBody(SECRET, body, t + 301))).toMatch(/^signature timestamp is 301 s away/);
    expect(check(signBody(SECRET, body, t - 300))).toBe('ok');
    expect(check(signBody(SECRET, body, t), Buffer.from('{"id":"2"}'))).toMatch(/does not match the body/);
    expect(check(signBody('wrong-secret-0123456789', body, t))).toMatch(/does not match the body/);
  });
});

describe('POST /v1/conversions (real HTTP)', () => {
  it('stores a signed conversion once: 202 accepted, then 200 duplicate; the same id with other values is a 409 conflict', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    expect(await signed(base, ORDER)).toEqual({ status: 202, json: { status: 'accepted', id: 'SO-1001' } });
    const stored = await store.conversions.get(WS, 'SO-1001');
    expect(stored?.status).toBe('pending');
    expect(stored?.identifiers).toContainEqual({ type: 'phone', value: hash('phone', '+8613800138000') });
    expect(JSON.stringify(stored)).not.toMatch(/13800138000|alice@|Alice@/);

    // Re-sent (even re-serialized with other key order and whitespace): a duplicate, nothing changes.
    const { type, ...rest } = ORDER;
    const reordered = JSON.stringify({ type, ...rest }, null, 2);
    expect(await post(base, reordered, signBody(SECRET, reordered, now()))).toEqual({ status: 200, json: { status: 'duplicate', id: 'SO-1001' } });
    expect(await store.conversions.get(WS, 'SO-1001')).toEqual(stored);

    const changed = await signed(base, { ...ORDER, value: 250, currency: 'USD' });
    expect(changed).toEqual({
      status: 409,
      json: { status: 'conflict', id: 'SO-1001', fields: ['value', 'currency'], error: 'conversion SO-1001 was already received with other values (value, currency); the first one is kept' },
    });
    expect(await store.conversions.get(WS, 'SO-1001')).toEqual(stored);
    expect(await store.conversions.count(WS)).toBe(1);
  });

  it('says which customer values were left out, and stores the sale', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    const r = await signed(base, { ...ORDER, id: 'SO-2', customer: { phone: '000', telegram_id: '202' } });
    expect(r).toEqual({ status: 202, json: { status: 'accepted', id: 'SO-2', warnings: ['customer.phone: not a valid phone number (national numbers are read in region CN); left out'] } });
    expect((await store.conversions.get(WS, 'SO-2'))?.identifiers).toEqual([{ type: 'tg_id', value: '202' }]);
  });

  it('refuses bad, stale and missing signatures and unknown workspaces with 401, storing nothing', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    const body = JSON.stringify(ORDER);
    const cases: Array<[string, Promise<{ status: number; json: Record<string, unknown> }>, RegExp]> = [
      ['wrong secret', signed(base, ORDER, 'not-the-secret-0123456789'), /does not match the body/],
      ['stale', signed(base, ORDER, SECRET, now() - 400), /away from now \(at most 300 s\)/],
      ['from the future', signed(base, ORDER, SECRET, now() + 400), /away from now/],
      ['no header', post(base, body, undefined), /missing X-Midfunnel-Signature/],
      ['malformed header', post(base, body, 'v1=abc'), /malformed X-Midfunnel-Signature/],
      ['tampered body', post(base, body.replace('199.5', '1.5'), signBody(SECRET, body, now())), /does not match the body/],
      ['unknown workspace', signed(base, { ...ORDER, workspace: 'other' }), /unknown workspace 'other'/],
      ['workspace without a secret', signed(base, { ...ORDER, workspace: 'nosecret' }), /unknown workspace 'nosecret', or it has no webhook secret/],
    ];
    for (const [what, p, message] of cases) {
      const r = await p;
      expect([what, r.status]).toEqual([what, 401]);
      expect(String(r.json.error)).toMatch(message);
    }
    expect(await store.conversions.count(WS)).toBe(0);
  });

  it('answers invalid payloads with 400 and one message per bad field', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    const missing = await signed(base, { workspace: WS, customer: { phone: '13800138000' } });
    expect(missing).toEqual({
      status: 400,
      json: {
        error: 'invalid conversion',
        fields: [
          { field: 'id', message: 'required' },
          { field: 'occurred_at', message: 'required' },
          { field: 'value', message: 'required' },
          { field: 'currency', message: 'required' },
          { field: 'type', message: 'required' },
        ],
      },
    });
    const wrong = await signed(base, { ...ORDER, id: { x: 1 }, value: true, currency: 'yuan', occurred_at: 1741140000, customer: 'alice', click_id: 42, utm: ['x'] });
    expect(wrong.status).toBe(400);
    expect(wrong.json.fields).toEqual([
      { field: 'id', message: 'expected the order id as a string or a whole number' },
      { field: 'occurred_at', message: 'expected an ISO 8601 time like 2026-03-01T10:00:00+08:00' },
      { field: 'value', message: 'expected a number ≥ 0 like 12.50' },
      { field: 'currency', message: 'expected an ISO 4217 currency code like CNY' },
      { field: 'customer', message: 'expected an object like {"phone": "+8613800138000"}' },
      { field: 'click_id', message: 'expected the mf_click value as a string' },
      { field: 'utm', message: 'expected an object like {"source": "telegram", "campaign": "spring"}' },
    ]);
    // Every bad field in one answer (a sender fixing the value must not then learn about the time).
    const negative = await signed(base, { ...ORDER, value: -5, occurred_at: '2099-01-01T00:00:00Z' });
    expect(negative.json.fields).toEqual([
      { field: 'occurred_at', message: 'is more than 24 hours in the future; send the time the order was placed' },
      { field: 'value', message: 'expected a number between 0 and 1,000,000,000,000' },
    ]);
    const future = await signed(base, { ...ORDER, occurred_at: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    expect(future.json.fields).toEqual([{ field: 'occurred_at', message: 'is more than 24 hours in the future; send the time the order was placed' }]);
    expect(await post(base, '{"id": ', undefined)).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^body is not JSON/) } });
    expect(await post(base, '[1,2]', undefined)).toEqual({ status: 400, json: { error: 'body must be one JSON object (a conversion)' } });
    expect(await post(base, '{"id":"x"}', undefined)).toEqual({ status: 400, json: { error: 'invalid conversion', fields: [{ field: 'workspace', message: 'required: the workspace id the conversion belongs to' }] } });
    expect(await store.conversions.count(WS)).toBe(0);
  });

  it('reads occurred_at strictly on both intakes: an impossible date or an out-of-range year is refused with its reason, never shifted', async () => {
    const store = createMemoryStore();
    const { base } = await start(store);
    const cases: Array<[string, string]> = [
      ['2026-02-30T10:00:00Z', 'not a calendar date: 2026-02 has 28 days'],
      ['2024-02-30T10:00:00+08:00', 'not a calendar date: 2024-02 has 29 days'],
      ['0001-03-01T10:00:00Z', 'the year 0001 is out of range (1970–9999)'],
      ['2026-13-01T10:00:00Z', 'not a calendar date: there is no month 13'],
      ['2026-03-01T24:00:00Z', 'not a valid time of day (00:00:00 to 23:59:59)'],
      ['2026-03-01T10:00:00+15:00', 'not a valid offset (from -14:00 to +14:00)'],
    ];
    for (const [occurredAt, message] of cases) {
      const r = await signed(base, { ...ORDER, id: `bad-${occurredAt}`, occurred_at: occurredAt });
      expect(r, occurredAt).toEqual({ status: 400, json: { error: 'invalid conversion', fields: [{ field: 'occurred_at', message }] } });
    }
    // Leap day and fractions are real times.
    expect((await signed(base, { ...ORDER, id: 'leap', occurred_at: '2024-02-29T23:59:59.5+08:00' })).status).toBe(202);
    expect((await store.conversions.get(WS, 'leap'))?.occurredAt).toBe('2024-02-29T15:59:59.500Z');
    // The CSV intake reads the same way (with local times in the workspace's zone).
    const hash = makePseudonymizer('k'.repeat(32), WS);
    const csv = (t: string) => parseConversion({ ...ORDER, occurred_at: t }, { pseudonymize: hash, region: 'CN', source: 'csv', now: new Date('2026-06-01T00:00:00Z'), localTimeZone: 'Asia/Shanghai' });
    expect(csv('2026-02-30 10:00')).toEqual({ ok: false, errors: [{ field: 'occurred_at', message: 'not a calendar date: 2026-02 has 28 days' }] });
    expect(csv('2026-02-30T10:00:00Z')).toEqual({ ok: false, errors: [{ field: 'occurred_at', message: 'not a calendar date: 2026-02 has 28 days' }] });
    expect(csv('0001-01-01')).toEqual({ ok: false, errors: [{ field: 'occurred_at', message: 'the year 0001 is out of range (1970–9999)' }] });
    expect(csv('2026/3/1 10:00')).toMatchObject({ ok: true, conversion: { occurredAt: '2026-03-01T02:00:00.000Z' } });
    expect(await store.conversions.count(WS)).toBe(1);
  });

  it('refuses bodies over 64 KiB with 413, whether announced by content-length or streamed', async () => {
    const store = createMemoryStore();
    const { base, port } = await start(store);
    const huge = JSON.stringify({ ...ORDER, note: 'x'.repeat(70_000) });
    expect((await post(base, huge, signBody(SECRET, huge, now()))).status).toBe(413);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/conversions', method: 'POST', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8_192));
      req.end();
    });
    expect(streamed).toBe(413);
    // Exactly 64 KiB is still read (and then judged on its content).
    const edge = `{"workspace":"acme","pad":"${'x'.repeat(65_536 - 29)}"}`;
    expect(Buffer.byteLength(edge)).toBe(65_536);
    expect((await post(base, edge, signBody(SECRET, edge, now()))).status).toBe(400);
    expect(await store.conversions.count(WS)).toBe(0);
  });
});
