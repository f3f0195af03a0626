import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateReadiness, readReadiness, telegramProbes, type ReadinessFacts } from '../../src/optimize/index.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { ConversionRecord, StoredTouch } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { BotApiStub } from '../support/bot-api-stub.js';

const NOW = new Date('2026-03-20T12:00:00Z');

/** A workspace where every check is green. */
function good(): ReadinessFacts {
  return {
    workspace: 'acme',
    now: NOW,
    today: '2026-03-20',
    keywords: 3,
    groups: [{ platform: 'telegram', chatId: '-1001', title: 'Deals', account: '111', botIsAdmin: true, registeredAt: '2026-01-01T00:00:00.000Z', lastMemberUpdate: '2026-03-19' }],
    bots: [{ botId: '111', me: { canReadAll: true, username: 'acme_bot' }, webhook: { url: 'https://x.example.com/tg', pending: 0, lastErrorAt: null, lastError: null } }],
    campaigns: [{ name: 'spring', handles: ['invite link'] }],
    lastConversionDay: '2026-03-18',
    recent: { conversions: 100, matched: 80 },
    previous: { conversions: 100, matched: 82 },
    profiles: { total: 100, crossPlatform: 40 },
  };
}

const statusOf = (f: ReadinessFacts, key: string): string | undefined => evaluateReadiness(f).find((c) => c.key === key)?.status;

describe('readiness checks (each red and green)', () => {
  it('is all green on a well set-up workspace, fixes empty', () => {
    const checks = evaluateReadiness(good());
    expect(checks.map((c) => c.key)).toEqual(['keywords:acme', 'campaign-links:acme', 'conversions:acme', 'match-rate:acme', 'cross-platform-ids:acme', 'privacy:111', 'webhook:111', 'bot-admin:-1001', 'member-updates:-1001']);
    expect(checks.every((c) => c.status === 'green' && c.fix === '')).toBe(true);
  });
  it('bot-admin: red when the bot is not an admin, with the fix', () => {
    const f = good();
    f.groups = [{ ...f.groups[0]!, botIsAdmin: false }];
    const c = evaluateReadiness(f).find((x) => x.key === 'bot-admin:-1001')!;
    expect(c.status).toBe('red');
    expect(c.fix).toMatch(/make the bot an admin of Deals/);
  });
  it('privacy: red with privacy mode on and a group where it is no admin; amber when admin everywhere', () => {
    const f = good();
    f.bots = [{ ...f.bots[0]!, me: { canReadAll: false, username: 'acme_bot' } }];
    expect(statusOf(f, 'privacy:111')).toBe('amber');
    f.groups = [{ ...f.groups[0]!, botIsAdmin: false }];
    expect(statusOf(f, 'privacy:111')).toBe('red');
  });
  it('member-updates: red when no join or leave arrived in 60 days and the bot is no admin; green within 14 days', () => {
    const f = good();
    f.groups = [{ ...f.groups[0]!, lastMemberUpdate: '2026-03-01', botIsAdmin: true }];
    expect(statusOf(f, 'member-updates:-1001')).toBe('amber');
    f.groups = [{ ...f.groups[0]!, lastMemberUpdate: null, botIsAdmin: false }];
    expect(statusOf(f, 'member-updates:-1001')).toBe('red');
  });
  it('webhook: red on an error within 24 hours, amber on a backlog, green when polling', () => {
    const f = good();
    f.bots = [{ ...f.bots[0]!, webhook: { url: 'https://x.example.com/tg', pending: 12, lastErrorAt: '2026-03-20T08:00:00.000Z', lastError: 'Connection refused' } }];
    const c = evaluateReadiness(f).find((x) => x.key === 'webhook:111')!;
    expect(c).toMatchObject({ status: 'red' });
    expect(c.label).toMatch(/Connection refused/);
    f.bots = [{ ...f.bots[0]!, webhook: { url: 'https://x.example.com/tg', pending: 500, lastErrorAt: '2026-03-10T08:00:00.000Z', lastError: 'old' } }];
    expect(statusOf(f, 'webhook:111')).toBe('amber');
    f.bots = [{ ...f.bots[0]!, webhook: { url: '', pending: 0, lastErrorAt: null, lastError: null } }];
    expect(statusOf(f, 'webhook:111')).toBe('green');
  });
  it('keywords: red when none are set', () => {
    expect(statusOf({ ...good(), keywords: 0 }, 'keywords:acme')).toBe('red');
  });
  it('campaign-links: red for a campaign without a link, invite link, code or coupon', () => {
    const f = { ...good(), campaigns: [{ name: 'spring', handles: ['invite link'] }, { name: 'kol_anna', handles: [] }] };
    const c = evaluateReadiness(f).find((x) => x.key === 'campaign-links:acme')!;
    expect(c.status).toBe('red');
    expect(c.label).toMatch(/kol_anna/);
  });
  it('conversions: red when none arrived, amber after 8–30 days', () => {
    expect(statusOf({ ...good(), lastConversionDay: null }, 'conversions:acme')).toBe('red');
    expect(statusOf({ ...good(), lastConversionDay: '2026-03-01' }, 'conversions:acme')).toBe('amber');
  });
  it('match-rate: red under 30%, amber when it fell 10 points or more', () => {
    expect(statusOf({ ...good(), recent: { conversions: 100, matched: 20 } }, 'match-rate:acme')).toBe('red');
    expect(statusOf({ ...good(), recent: { conversions: 100, matched: 65 }, previous: { conversions: 100, matched: 90 } }, 'match-rate:acme')).toBe('amber');
  });
  it('cross-platform-ids: red under 5% of profiles', () => {
    expect(statusOf({ ...good(), profiles: { total: 100, crossPlatform: 2 } }, 'cross-platform-ids:acme')).toBe('red');
  });
});

describe('readiness read from the store and the Bot API (real telegraf client, stubbed API)', () => {
  let stub: BotApiStub;
  beforeAll(async () => {
    stub = await BotApiStub.start();
  });
  afterAll(async () => {
    await stub.close();
  });

  it('asks getMe and getWebhookInfo, reads groups, links, counters and profiles', async () => {
    stub.addBot('111', { canReadAllGroupMessages: false });
    stub.webhookInfo.set('111', { url: 'https://mf.example.com/telegram/111', has_custom_certificate: false, pending_update_count: 3, last_error_date: Math.floor(NOW.getTime() / 1000) - 3600, last_error_message: 'Wrong response from the webhook: 502 Bad Gateway' });
    const store = createMemoryStore();
    const ws = 'acme';
    await store.community.groups.upsert(ws, { workspace: ws, platform: 'telegram', chatId: '-1001', title: 'Deals', account: '111', status: 'active', botIsAdmin: false, at: '2026-01-01T00:00:00.000Z' });
    await store.community.inviteLinks.insert(ws, { workspace: ws, platform: 'telegram', chatId: '-1001', url: 'https://t.me/+abc', campaign: 'spring', createsJoinRequest: false, createdBy: 'telegram:1', createdAt: '2026-01-02T00:00:00.000Z', revokedAt: null });
    const join = { ...touchEventSchema.parse({ id: 'j1', workspace: ws, account: '111', platform: 'telegram', chat: { id: '-1001', type: 'group', title: 'Deals' }, actor: { profileId: 'p1' }, kind: 'join', occurredAt: '2026-03-18T10:00:00.000Z', details: { via: 'invite_link', campaign: 'spring' } }), profileId: 'p1', applied: true } as StoredTouch;
    await store.touches.insert(ws, join);
    const conv = (id: string, at: string, matched: boolean): ConversionRecord => ({ workspace: ws, id, type: 'purchase', occurredAt: at, value: 10, currency: 'CNY', identifiers: [], fingerprint: id, source: 'webhook', receivedAt: at, status: matched ? 'matched' : 'unattributed', match: matched ? { rule: 'tg_id', profileId: 'p1', lowConfidence: false } : null, reconciledAt: at });
    await store.conversions.insertMany(ws, [conv('o1', '2026-03-15T10:00:00.000Z', true), conv('o2', '2026-03-16T10:00:00.000Z', false), conv('o3', '2026-03-17T10:00:00.000Z', false)]);

    const r = await readReadiness({ store, workspace: { id: ws, keywords: ['price'] }, probes: telegramProbes([{ token: '111:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }], stub.root), now: NOW });
    const by = new Map(r.checks.map((c) => [c.key, c]));
    expect(stub.calls.filter((c) => c.botId === '111').map((c) => c.method).sort()).toEqual(['getMe', 'getWebhookInfo']);
    expect(by.get('privacy:111')?.status).toBe('red');
    expect(by.get('webhook:111')).toMatchObject({ status: 'red' });
    expect(by.get('webhook:111')?.label).toMatch(/502 Bad Gateway/);
    expect(by.get('bot-admin:-1001')?.status).toBe('red');
    expect(by.get('member-updates:-1001')).toMatchObject({ status: 'green', label: 'Deals: joins and leaves arrive (last on 2026-03-18)' });
    expect(by.get('keywords:acme')?.status).toBe('green');
    expect(by.get('campaign-links:acme')?.status).toBe('green');
    expect(by.get('conversions:acme')).toMatchObject({ status: 'green', label: 'last conversion on 2026-03-17' });
    expect(by.get('match-rate:acme')).toMatchObject({ status: 'amber', label: '33% of 3 conversions matched in the last 30 days (no earlier 30 days to compare)' });
    expect(by.get('cross-platform-ids:acme')?.status).toBe('amber');
    expect(r.worst).toBe('red');
  });

  it('an unreachable Bot API is red with the network reason, not the request URL', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const r = await readReadiness({ store: createMemoryStore(), workspace: { id: 'acme', keywords: ['price'] }, probes: telegramProbes([{ token: '222:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }], `http://127.0.0.1:${closed}`), now: NOW });
    const me = r.checks.find((c) => c.key === 'privacy:222');
    expect(me?.status).toBe('red');
    expect(me?.label).toMatch(/^getMe failed: .*ECONNREFUSED/);
    expect(me?.label).not.toMatch(/request to|\/bot222/);
  });
});
