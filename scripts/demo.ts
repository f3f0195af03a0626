/**
 * `npm run demo`: the whole product on this machine in one minute, with the in-memory
 * store and the local Redis. Three people meet the brand in two Telegram groups and a
 * WhatsApp group, one clicks a tracked link, the shop sends three signed orders, and the
 * report shows what each group earned under every model beside last touch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRoles } from '../app/roles.js';
import { loadConfig } from '../src/config.js';
import { signBody } from '../src/conversions/verify-signature.js';
import { createLink } from '../src/links/index.js';
import { createLogger } from '../src/logger.js';
import { createReports, formatModelComparison, formatFunnelReport, parsePeriod } from '../src/reports/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../src/touch-event.js';

const WS = 'demo';
const SECRET = 'demo-webhook-secret-0123456789';
const DAY = 86_400_000;
const now = Date.now();
const at = (days: number): string => new Date(now - days * DAY).toISOString();

const config = loadConfig(
  {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: `demo-${process.pid}`,
    // Fit the months' models as soon as data lands (a service waits a few minutes for more).
    REFIT_DELAY_MS: '0',
    MIDFUNNEL_DATA_DIR: mkdtempSync(join(tmpdir(), 'midfunnel-demo-')),
    MIDFUNNEL_HASH_KEY: 'demo-hash-key-0123456789abcdef',
    MIDFUNNEL_CONFIG: 'demo.json',
  },
  () => JSON.stringify({ workspaces: [{ id: WS, secret: SECRET, allowedDomains: ['shop.example.com'], defaultRegion: 'CN', timezone: 'Asia/Shanghai', keywords: ['price', '发货'] }] }),
);
const store = createMemoryStore();
const app = await startRoles({ config, roles: ['http', 'workers'], log: createLogger('warn'), store });
const base = `http://127.0.0.1:${app.address?.port}`;

const G1 = { id: '-1001', title: '团购群 Deals', type: 'group' as const };
const G2 = { id: '-1002', title: '品牌 VIP', type: 'group' as const };
const WA = { id: 'wag_demo', title: 'WhatsApp 新品群', type: 'group' as const };
function touch(ref: string, kind: TouchEvent['kind'], days: number, chat: TouchEvent['chat'], actor: TouchEvent['actor'], details: object, platform: TouchEvent['platform'] = 'telegram'): TouchEvent {
  return parseTouchEvent({ id: makeTouchId(platform, ref, kind), workspace: WS, platform, account: 'demo-bot', chat, actor, kind, details, occurredAt: at(days) });
}
await app.touchQueue.enqueueMany([
  touch('a1', 'join', 9, G1, { userId: '101', username: 'alice' }, { via: 'invite_link', campaign: 'spring' }),
  touch('a2', 'message', 6, G1, { userId: '101' }, { keywords: ['price'] }),
  touch('a3', 'join', 4, G2, { userId: '101' }, { via: 'invite_link', campaign: 'vip' }),
  touch('b1', 'join', 8, G1, { userId: '202', username: 'bob' }, { via: 'public' }),
  touch('b2', 'message', 2, G1, { userId: '202' }, { keywords: ['发货'] }),
  touch('c1', 'join', 7, WA, { userId: 'wa-carol-hash', phoneHash: 'phone-carol-hash' }, { via: 'invite_link', campaign: 'wa-launch' }, 'whatsapp'),
]);

const link = await createLink(store, { allowedDomains: ['shop.example.com'] }, { workspace: WS, destination: 'https://shop.example.com/p/42?color=red', platform: 'telegram', campaign: 'vip', chatId: G2.id, chatTitle: G2.title });
const clicked = await fetch(`${base}/l/${link.code}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (iPhone) demo' } });
const location = new URL(clicked.headers.get('location') ?? '');
console.log(`click on ${base}/l/${link.code} → ${clicked.status} ${location.href}`);

async function order(body: object): Promise<void> {
  const text = JSON.stringify(body);
  const res = await fetch(`${base}/v1/conversions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-midfunnel-signature': signBody(SECRET, text, Math.floor(Date.now() / 1000)) }, body: text });
  console.log(`POST /v1/conversions ${(body as { id: string }).id} → ${res.status} ${await res.text()}`);
}
await order({ id: 'o-1', workspace: WS, occurred_at: new Date().toISOString(), value: 199, currency: 'CNY', type: 'purchase', customer: { telegram_id: '101' }, click_id: location.searchParams.get('mf_click') });
await order({ id: 'o-2', workspace: WS, occurred_at: new Date().toISOString(), value: 59, currency: 'CNY', type: 'purchase', customer: { telegram_id: 202 } });
await order({ id: 'o-3', workspace: WS, occurred_at: new Date().toISOString(), value: 88, currency: 'CNY', type: 'purchase', customer: { email: 'someone@example.com' } });

// Let the queues drain (touches, then reconciling, then the months' model fits, then the report counters' rollup).
for (let idle = 0; idle < 10; ) {
  const counts = await Promise.all([app.touchQueue.queue, app.reconcileQueue.queue, app.rollupQueue.queue].map((q) => q.getJobCounts('waiting', 'active', 'prioritized')));
  await app.counterMarks.flush();
  const dirty = (await store.counters.dirty(WS, 'day', 1)).length + (await store.counters.dirty(WS, 'person', 1)).length;
  idle = counts.every((c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0) && dirty === 0 ? idle + 1 : 0;
  await new Promise((r) => setTimeout(r, 100));
}

const reports = createReports(store, config.workspaces);
const period = parsePeriod('30d');
console.log('\n' + formatModelComparison(await reports.compareModels(WS, { period, by: 'group' })));
console.log(formatFunnelReport(await reports.funnel(WS, { period, by: 'campaign' })));
await app.touchQueue.queue.obliterate({ force: true });
await app.reconcileQueue.queue.obliterate({ force: true });
await app.rollupQueue.queue.obliterate({ force: true });
await app.close();
