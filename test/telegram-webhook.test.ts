/**
 * Webhook mode over real HTTP against the real server (`startRoles` with the http,
 * workers and telegram roles, a memory store, PORT 0) and the Bot API stand-in:
 * setWebhook with the secret and update types, secret checks, answering only once the
 * update is queued, duplicates, Redis down, and a failing handler that must not lose
 * the update nor stop the bot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles, type RunningRoles } from '../app/roles.js';
import { TelegramUpdateQueue } from '../bots/telegram/update-queue.js';
import { createLogger } from '../src/logger.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { listRejectedPayloads } from '../src/queue/rejected-payloads.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { BotApiStub } from './support/bot-api-stub.js';
import { BOT, commandUpdate, fixture, GROUP, OTHER_BOT, P, privateChat, testConfig, textUpdate } from './support/telegram-harness.js';
import { deleteKeys, REDIS_URL, testRedis } from './support/redis.js';

const SECRET = 'acme-secret-token_1';
const open: Array<{ app: RunningRoles; stub: BotApiStub; prefix: string }> = [];
afterEach(async () => {
  for (const { app, stub, prefix } of open.splice(0)) {
    await app.close();
    await stub.close();
    const redis = testRedis();
    await deleteKeys(redis, [`${prefix}*`, `bull:${prefix}*`]);
    await redis.quit();
  }
});

async function start(env: Record<string, string> = {}, roles: Array<'http' | 'workers' | 'telegram'> = ['http', 'workers', 'telegram']) {
  const stub = await BotApiStub.start();
  stub.addBot(BOT);
  stub.addBot(OTHER_BOT);
  const config = testConfig({ PUBLIC_BASE_URL: 'https://bots.example.test', TELEGRAM_API_ROOT: stub.root, ...env });
  const app = await startRoles({ config, roles, log: createLogger('silent'), store: createMemoryStore() });
  open.push({ app, stub, prefix: config.queuePrefix });
  await app.telegram?.ready;
  const base = `http://127.0.0.1:${app.address?.port}`;
  /** `secret: null` sends no secret header at all. */
  const post = (body: unknown, secret: string | null = SECRET, botId = BOT): Promise<Response> =>
    fetch(`${base}/telegram/${botId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const touches = () => app.store.touches.list('acme', {});
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { app, stub, post, touches, until, config };
}

describe('telegram webhook', () => {
  it('sets the webhook with the public URL, the secret token and the update types chat_member needs', async () => {
    const { stub } = await start();
    const [call] = stub.callsTo('setWebhook', BOT);
    expect(call?.payload).toMatchObject({ url: `https://bots.example.test/telegram/${BOT}`, secret_token: SECRET });
    expect(call?.payload.allowed_updates).toEqual(expect.arrayContaining(['message', 'chat_member', 'my_chat_member', 'chat_join_request']));
    // The other workspace's bot has no configured secret: it gets one derived from the hash key, never empty.
    const [other] = stub.callsTo('setWebhook', OTHER_BOT);
    expect(String(other?.payload.secret_token)).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(stub.callsTo('getUpdates')).toEqual([]);
  });

  it('answers 200 once the update is queued and records its touches through the workers', async () => {
    const { post, touches, until } = await start();
    const res = await post(fixture('message-group-entities'));
    expect(res.status).toBe(200);
    const got = await until(touches, (t) => t.length === 1);
    expect(got.map((t) => [t.kind, Object.keys(t.details).sort()])).toEqual([['message', ['keywords', 'mentioned', 'urls']]]);
  });

  it('refuses a wrong or missing secret with 401 and records nothing; an unknown bot is 404', async () => {
    const { post, touches, config } = await start();
    expect((await post(fixture('message-group-entities'), 'wrong-secret')).status).toBe(401);
    expect((await post(fixture('message-group-entities'), null)).status).toBe(401);
    expect((await post(fixture('message-group-entities'), SECRET, '123456')).status).toBe(404);
    expect((await post('not json')).status).toBe(400);
    expect((await post({ message: {} })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(await touches()).toEqual([]);
    const q = new TelegramUpdateQueue({ connection: createProducerConnection({ url: REDIS_URL }), prefix: config.queuePrefix });
    expect(await q.queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    await q.close();
    // Nothing was ever added: no update left a deduplication key behind.
    const redis = testRedis();
    expect(await redis.keys(`bull:${config.queuePrefix}-telegram-updates:de:*`)).toEqual([]);
    await redis.quit();
  });

  it('handles a redelivered update_id once: one set of touches, one answer', async () => {
    const { post, touches, until, stub } = await start();
    const msg = textUpdate('price and 发货?', { id: P.member });
    const help = commandUpdate('/help', { id: P.member }, privateChat(P.member));
    for (let i = 0; i < 3; i++) {
      expect((await post(msg)).status).toBe(200);
      expect((await post(help)).status).toBe(200);
    }
    const got = await until(touches, (t) => t.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect((await touches()).map((t) => t.kind)).toEqual(['message']);
    expect(got[0]?.profileId).not.toBeNull();
    expect(stub.callsTo('sendMessage').filter((c) => c.payload.chat_id === String(P.member))).toHaveLength(1);
  });

  it('answers 503 while Redis is down, so Telegram resends', async () => {
    const { post } = await start({ REDIS_URL: 'redis://127.0.0.1:1' }, ['http']);
    const res = await post(fixture('message-group-entities'));
    expect(res.status).toBe(503);
  });

  it('keeps an update whose handler failed (text redacted) and goes on with the next one', async () => {
    const { post, stub, until, touches, config } = await start();
    // Telegram refuses the answer: the handler throws; bot.catch keeps the update as a failed job.
    stub.failNext('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' });
    const bad = commandUpdate('/help secret words here', { id: P.member }, privateChat(P.member));
    expect((await post(bad)).status).toBe(200);
    const q = new TelegramUpdateQueue({ connection: createProducerConnection({ url: REDIS_URL }), prefix: config.queuePrefix });
    const failed = await until(() => q.queue.getFailed(), (f) => f.length === 1);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.id).toBe(`tg.${BOT}.${bad.update_id}`);
    expect(failed[0]?.failedReason).toMatch(/chat not found/);
    expect(failed[0]?.attemptsMade).toBe(1);
    const kept = JSON.stringify(failed[0]?.data);
    expect(kept).not.toContain('secret words');
    expect(kept).toContain('[redacted: 23 chars]');
    // The bot keeps going.
    expect((await post(textUpdate('discount?', { id: P.member }, GROUP))).status).toBe(200);
    expect((await until(touches, (t) => t.length === 1)).map((t) => [t.kind, t.details])).toEqual([['message', { keywords: ['discount'] }]]);
    await q.close();
  });

  it('answers 400 to updates that can never be queued (400,000 levels deep, not an object, not JSON) and keeps a redacted record of each; the queue stays empty', async () => {
    const { post, config } = await start({}, ['http']);
    const n = 400_000;
    // JSON.parse takes it; queueing it would overflow the stack in JSON.stringify (it used to answer 503 forever).
    const deep = `{"update_id":920000001,"message":{"text":"secret words here","chat":{"id":-100},"x":${'['.repeat(n)}${']'.repeat(n)}}}`;
    const r1 = await post(deep);
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as { error: string }).error).toMatch(/nested more than 64 levels deep/);
    const r2 = await post('[1, 2, 3]');
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as { error: string }).error).toMatch(/not a JSON object/);
    const r3 = await post('{"update_id": 7, "message": {"text": "secret words here"');
    expect(r3.status).toBe(400);
    expect(((await r3.json()) as { error: string }).error).toBe('the body is not JSON');

    const redis = testRedis();
    const kept = await listRejectedPayloads(redis, config.queuePrefix, 'telegram');
    expect(kept.map((k) => k.reason)).toEqual(['the body is not JSON', 'the body is not a Telegram update (not a JSON object)', 'the update cannot be queued: nested more than 64 levels deep']);
    expect(kept.every((k) => k.origin === `bot ${BOT}` && /^[0-9a-f]{64}$/.test(k.sha256))).toBe(true);
    expect(kept[2]?.bytes).toBe(Buffer.byteLength(deep));
    // Bounded and redacted: the deep record keeps the update's shape near the top, never the text.
    expect(kept[2]?.sample).toMatchObject({ update_id: 920000001, message: { text: '[redacted: 17 chars]', chat: { id: -100 } } });
    const all = JSON.stringify(kept);
    expect(all).not.toContain('secret words');
    expect(all.length).toBeLessThan(20_000);
    expect(await redis.ttl(`${config.queuePrefix}:rejected:telegram`)).toBeGreaterThan(13 * 24 * 3600);
    await redis.quit();
    const q = new TelegramUpdateQueue({ connection: createProducerConnection({ url: REDIS_URL }), prefix: config.queuePrefix });
    expect(await q.queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    await q.close();
  });
});
