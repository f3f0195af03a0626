/**
 * Tracked group links: real HTTP against the real Fastify app (`GET /g/<code>`), the click and
 * invite state in the real Redis, and the library's own `GroupNotification` objects (invite
 * joins) through the account's real handler. A click followed by an `invite` join credits the
 * campaign; robots do not count; one click credits one join; clicks of two campaigns credit
 * none; a personal link's click credits its own member.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppHandler } from '../bots/whatsapp/event-handler.js';
import { createGroupLink, createGroupLinkState, type GroupLinkState } from '../src/group-links/group-links.js';
import { registerGroupLinkRoutes } from '../src/group-links/group-link-routes.js';
import { createHttpApp, listenHttpApp } from '../src/http/http-app.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { redisClickDedupe } from '../src/links/link-routes.js';
import { createLogger } from '../src/logger.js';
import { clickDedupeKey } from '../src/queue/keys.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { TouchEvent, TouchOf } from '../src/touch-event.js';
import { WA, waObject } from './fixtures/whatsapp/index.js';
import { deleteKeys, testRedis, uniquePrefix } from './support/redis.js';

const HASH_KEY = 'test-hash-key-0123456789abcdef';
const WS = 'acme';
const hash = makePseudonymizer(HASH_KEY, WS);
const INVITE = 'FxSpring24AbCdEf';
const BROWSER = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
const PREVIEW = 'WhatsApp/2.24.8.78 A';
/** The invite fixture's join time (2026-03-01T10:00:00Z). */
const JOIN_AT = Date.parse('2026-03-01T10:00:00.000Z');
const log = createLogger('silent');

let redis: Redis;
let prefix: string;
let app: FastifyInstance;
let base: string;
let state: GroupLinkState;
const store = createMemoryStore();
const clickTouches: TouchEvent[] = [];
let clock = JOIN_AT - 5 * 60_000;

beforeAll(async () => {
  redis = testRedis();
  prefix = uniquePrefix('glinks');
  state = createGroupLinkState(redis, prefix);
  app = createHttpApp({ log });
  registerGroupLinkRoutes(app, {
    store,
    enqueueTouch: async (t) => void clickTouches.push(t),
    dedupe: redisClickDedupe(redis),
    dedupeKey: (ws, code, visitor) => clickDedupeKey(prefix, ws, code, visitor),
    hashKey: HASH_KEY,
    log,
    now: () => new Date(clock),
    state,
  });
  const address: AddressInfo = await listenHttpApp(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app.close();
  await deleteKeys(redis, [`${prefix}*`]);
  await redis.quit();
});

const visit = (path: string, ua: string, ip = '203.0.113.7') => fetch(`${base}${path}`, { redirect: 'manual', headers: { 'user-agent': ua, 'x-forwarded-for': ip } });

/** The handler of one account, with the group-link state; returns the touches it queued. */
function account() {
  const touches: TouchEvent[] = [];
  const handler = createWhatsAppHandler({
    account: { id: 'wa1', workspace: WS },
    hashKey: HASH_KEY,
    touches: { enqueueMany: async (t) => void touches.push(...t) },
    community: { addMany: async () => undefined },
    // No invite link is registered for a campaign: only the group links can credit joins.
    capture: { matcher: () => compileKeywords([]), inviteLink: () => undefined },
    lookups: { selfIds: () => new Set([WA.me]), group: async () => ({ title: WA.groupTitle, selfIsAdmin: true }), phonesOfLids: async () => new Map(), inviteCode: async () => INVITE },
    groupLinks: state,
    log,
  });
  return { handler, touches };
}

/** An `invite` join of `who` (serialized phone id), `minutes` after the fixture's time. */
function inviteJoin(who: string, key: string, minutes = 0): Record<string, unknown> {
  return waObject('notification-invite', (d) => {
    const [user, server] = who.split('@') as [string, string];
    const wid = { server, user, _serialized: who };
    d.author = wid;
    d.recipients = [wid];
    d.t = Math.floor((JOIN_AT + minutes * 60_000) / 1000);
    d.id = { fromMe: false, remote: WA.group, id: key, participant: wid, _serialized: `false_${WA.group}_${key}_${who}` };
  });
}

const joinsOf = (touches: TouchEvent[]): Array<TouchOf<'join'>['details']> => touches.filter((t): t is TouchOf<'join'> => t.kind === 'join').map((t) => t.details);

describe('whatsapp tracked group links', () => {
  it('a click on the group link then an invite join credits the campaign; robots do not count; one click credits one join', async () => {
    const spring = await createGroupLink(store, { workspace: WS, chatId: WA.group, campaign: 'spring-ads', createdBy: 'test' });
    // Before the connector read the group's invite link, the link says so.
    expect((await visit(`/g/${spring.code}`, BROWSER)).status).toBe(503);
    await state.setInvite(WS, WA.group, INVITE);

    // The link preview WhatsApp fetches when the link is posted: redirected, not counted.
    const preview = await visit(`/g/${spring.code}`, PREVIEW);
    expect(preview.status).toBe(302);
    expect(preview.headers.get('location')).toBe(`https://chat.whatsapp.com/${INVITE}`);
    expect(clickTouches).toHaveLength(0);

    // A person clicks (twice: the repeat is the same click) and is sent to the current invite link.
    const click = await visit(`/g/${spring.code}`, BROWSER);
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe(`https://chat.whatsapp.com/${INVITE}`);
    await visit(`/g/${spring.code}`, BROWSER);
    expect(clickTouches.map((t) => [t.kind, (t as TouchOf<'link_click'>).details.campaign, t.chat.id])).toEqual([['link_click', 'spring-ads', WA.group]]);

    // Five minutes later Alice joins by invite: the join carries the campaign.
    const a = account();
    await a.handler.groupJoin(inviteJoin(WA.alice, 'J1'));
    expect(joinsOf(a.touches)).toEqual([{ via: 'invite_link', campaign: 'spring-ads' }]);
    // Carol joins too, without a click of her own: the one click was taken; no campaign.
    await a.handler.groupJoin(inviteJoin(WA.carol, 'J2', 1));
    expect(joinsOf(a.touches)[1]).toEqual({ via: 'invite_link' });
    // The invite code is kept for the link (read on each join).
    expect(await state.getInvite(WS, WA.group)).toBe(INVITE);
  });

  it('clicks of two campaigns before a join credit neither; a personal link credits its own member', async () => {
    clock = JOIN_AT + 55 * 60_000;
    const a1 = await createGroupLink(store, { workspace: WS, chatId: WA.group, campaign: 'kol-amy', createdBy: 'test' });
    const a2 = await createGroupLink(store, { workspace: WS, chatId: WA.group, campaign: 'kol-ben', createdBy: 'test' });
    await visit(`/g/${a1.code}`, BROWSER, '198.51.100.1');
    await visit(`/g/${a2.code}`, BROWSER, '198.51.100.2');
    // Bob clicks his personal link of kol-ben.
    await store.memberTokens.issue(WS, { workspace: WS, token: 'tokBobPersonal000000001', member: { type: 'wa_id', value: hash('wa_id', '+447700900123') }, profileId: null, createdAt: new Date(clock).toISOString() });
    await visit(`/g/${a2.code}/tokBobPersonal000000001`, BROWSER, '198.51.100.3');

    const a = account();
    // Bob joins: his own click says which campaign, whatever else was clicked.
    await a.handler.groupJoin(inviteJoin(WA.bob, 'J3', 60));
    // Then someone joins after clicks of two campaigns: no campaign is guessed.
    await a.handler.groupJoin(inviteJoin(WA.admin, 'J4', 61));
    expect(joinsOf(a.touches).map((d) => d.campaign ?? null)).toEqual(['kol-ben', null]);
  });

  it('answers 404 for unknown codes and for ordinary tracked links', async () => {
    expect((await visit('/g/nope1234', BROWSER)).status).toBe(404);
    await store.links.insert(WS, { workspace: WS, code: 'shopLnk', destination: 'https://shop.example.com/', platform: 'telegram', createdAt: new Date().toISOString() });
    expect((await visit('/g/shopLnk', BROWSER)).status).toBe(404);
  });
});
