/**
 * One WhatsApp person across their two ids: the library's own `Message` objects go through the
 * account's real handler (mapping, lookups stubbed like WhatsApp Web answers them) into the
 * real profile processor (identity resolution, evidence) on a memory store; a conversion by
 * the person's WhatsApp number is then reconciled. A person seen first by `@lid` only, later by
 * phone, ends as one profile holding both, their conversion credits the touches of both, the
 * journey shows why (masked ids, evidence), and an owner's split re-credits it.
 */
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createWhatsAppHandler, type WhatsAppLookups } from '../bots/whatsapp/event-handler.js';
import { createCommandHandler } from '../src/commands/index.js';
import { renderJourney } from '../src/commands/render-reports.js';
import { workspaceConfigSchema } from '../src/config.js';
import { formatStitchRates, stitchRates } from '../src/identity/stitch-rate.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createUnmergePort } from '../src/profile/unmerge-profile.js';
import type { TouchJobData } from '../src/queue/touch-queue.js';
import { createFitCache, reconcileConversion, settingsLookup, type ReconcileDeps } from '../src/reconcile/index.js';
import { journeyReport } from '../src/reports/journey-report.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, Profile, Store } from '../src/store/store.js';
import type { TouchEvent } from '../src/touch-event.js';
import { makeProfileProcessor } from '../workers/profile.worker.js';
import { CLEAR_LIDS, CLEAR_PHONES, WA, waObject } from './fixtures/whatsapp/index.js';

const HASH_KEY = 'test-hash-key-0123456789abcdef';
const WS = 'acme';
const hash = makePseudonymizer(HASH_KEY, WS);
const BOB = { wa: hash('wa_id', '+447700900123'), phone: hash('phone', '+447700900123'), lid: hash('wa_id', WA.bobLid) };
const log = createLogger('silent');

function setup() {
  const store: Store = createMemoryStore();
  const locker = createMemoryLocker();
  const lockKey = (w: string, p: string): string => `lock:${w}:${p}`;
  const process = makeProfileProcessor({ store, locker, log, metrics: createMetrics(), batch: false });
  let seq = 0;
  const record = async (touches: readonly TouchEvent[]): Promise<void> => {
    for (const touch of touches) {
      const job = { id: `j${seq++}`, data: { touch }, timestamp: Date.now(), attemptsMade: 0, opts: {} } as unknown as Job<TouchJobData>;
      await process(job);
    }
  };
  /** What WhatsApp Web knows of Bob's linked id: nothing at first. */
  const known = new Map<string, string>();
  const lookups: WhatsAppLookups = {
    selfIds: () => new Set([WA.me, WA.meLid]),
    group: async () => ({ title: WA.groupTitle, selfIsAdmin: true }),
    phonesOfLids: async (lids) => new Map(lids.filter((l) => known.has(l)).map((l) => [l, known.get(l) as string])),
    inviteCode: async () => undefined,
  };
  const handler = createWhatsAppHandler({
    account: { id: 'wa1', workspace: WS },
    hashKey: HASH_KEY,
    touches: { enqueueMany: record },
    community: { addMany: async () => undefined },
    capture: { matcher: () => compileKeywords(['price', '发货']), inviteLink: () => undefined },
    lookups,
    log,
  });
  const settings = workspaceConfigSchema.parse({ id: WS, defaultRegion: 'GB', lookbackDays: 30 });
  const reconcileDeps: ReconcileDeps = { store, locker, conversionLockKey: (w, k) => `conv:${w}:${k}`, profileLockKey: lockKey, settings: settingsLookup([settings]), fit: createFitCache(store).forMonth };
  return { store, locker, lockKey, handler, known, reconcileDeps };
}

const profiles = (store: Store): Promise<Profile[]> => store.profiles.list(WS);

/** Bob's message as his phone id. */
const bobByPhone = () =>
  waObject('message-group-text', (d) => {
    d.author = { server: 'c.us', user: '447700900123', _serialized: WA.bob };
    d.id = { fromMe: false, remote: WA.group, id: '3EB0AAAA0000BOBPHONE', participant: d.author, _serialized: `false_${WA.group}_3EB0AAAA0000BOBPHONE_${WA.bob}` };
    d.t = 1772450000;
  });
/** Bob's message as his linked id (the fixture), at a given time and key. */
const bobByLid = (key: string, t: number) =>
  waObject('message-group-bob-lid', (d) => {
    const id = d.id as Record<string, unknown>;
    d.id = { ...id, id: key, _serialized: `false_${WA.group}_${key}_${WA.bobLid}` };
    d.t = t;
  });

async function convert(store: Store, id: string, at: string): Promise<void> {
  // What the intake stores for an order carrying `whatsapp: +447700900123` (that number is in a
  // fictional range libphonenumber refuses, so its hashes are written as `customerIdentifiers` makes them).
  const identifiers = [
    { type: 'phone' as const, value: BOB.phone },
    { type: 'wa_id' as const, value: BOB.wa },
  ];
  const c: ConversionRecord = { workspace: WS, id, type: 'purchase', occurredAt: at, value: 250, currency: 'GBP', identifiers, fingerprint: id, source: 'webhook', receivedAt: at, status: 'pending', match: null, reconciledAt: null };
  await store.conversions.insert(WS, c);
}

describe('whatsapp identities: @lid and phone are one person', () => {
  it('a person seen first by @lid, then by phone, then with the pair revealed ends as one profile holding both ids; their conversion credits every touch', async () => {
    const h = setup();
    // 1. Bob writes as his linked id; WhatsApp Web does not know his phone yet: a lid-only person.
    await h.handler.message(bobByLid('3A0BLID000000000FIRST', 1772400000));
    let all = await profiles(h.store);
    expect(all.map((p) => p.identifiers)).toEqual([[{ type: 'wa_lid', value: BOB.lid }]]);
    // 2. Bob writes by phone: a second profile for now (nothing says they are one).
    await h.handler.message(bobByPhone());
    expect(await h.store.profiles.count(WS)).toBe(2);
    // 3. WhatsApp Web reveals the pair (getContactLidAndPhone): the next message carries both, and the two merge.
    h.known.set(WA.bobLid, WA.bob);
    await h.handler.message(bobByLid('3A0BLID00000000SECOND', 1772500000));
    all = await profiles(h.store);
    expect(all).toHaveLength(1);
    const bob = all[0] as Profile;
    expect(bob.identifiers).toEqual([
      { type: 'phone', value: BOB.phone },
      { type: 'wa_id', value: BOB.wa },
      { type: 'wa_lid', value: BOB.lid },
    ]);
    expect(bob.stats.counts).toEqual({ message: 3 });
    // 4. Later a touch arrives with only the linked id again (the lookup failed): still Bob, no second person.
    h.known.clear();
    await h.handler.message(bobByLid('3A0BLID000000000THIRD', 1772600000));
    expect(await h.store.profiles.count(WS)).toBe(1);
    expect((await h.store.profiles.get(WS, bob.id))?.stats.counts).toEqual({ message: 4 });

    // The evidence: the linked id is Bob's because WhatsApp Web gave its phone, on that touch, merging the lid-only profile.
    const evidence = await h.store.identityEvidence.ofIdentifiers(WS, [{ type: 'wa_lid', value: BOB.lid }]);
    expect(evidence).toEqual([expect.objectContaining({ rule: 'wa_lid_pair', confidence: 0.99, profileId: bob.id, linkedTo: { type: 'wa_id', value: BOB.wa }, merged: [expect.stringMatching(/^p_/)] })]);

    // A conversion by Bob's WhatsApp number matches the one profile and credits the linked-id touches too.
    await convert(h.store, 'order-1', '2026-03-06T12:00:00.000Z');
    const r = await reconcileConversion(h.reconcileDeps, WS, 'order-1');
    expect(r).toMatchObject({ status: 'matched', match: { profileId: bob.id } });
    const credits = await h.store.credits.get(WS, 'order-1');
    const credited = new Set(credits?.touches.map((t) => t.touchId));
    const stored = await h.store.touches.list(WS, { profileId: bob.id });
    const lidOnly = stored.filter((t) => t.actor.userId === BOB.lid).map((t) => t.id);
    expect(lidOnly.length).toBe(2);
    expect(lidOnly.some((id) => credited.has(id))).toBe(true);

    // The journey shows the ids masked and why they are one person; nothing in clear.
    const j = await journeyReport(h.store, WS, bob.id);
    expect(j?.identities?.map((i) => i.type)).toEqual(['phone', 'wa_id', 'wa_lid']);
    expect(j?.identities?.find((i) => i.type === 'wa_lid')?.evidence[0]).toMatchObject({ rule: 'wa_lid_pair', why: 'WhatsApp Web gave the phone of this linked id' });
    const text = renderJourney(j as NonNullable<typeof j>, { timeZone: 'UTC', charts: false } as never).map((a) => (a.type === 'text' ? a.text : '')).join('\n');
    expect(text).toContain('wa_lid:');
    expect(text).toContain('WhatsApp Web gave the phone of this linked id (99%');
    expect(text).not.toContain(BOB.lid);
    const everything = JSON.stringify({ touches: stored, profiles: await profiles(h.store), evidence, j });
    for (const clear of [...CLEAR_PHONES, ...CLEAR_LIDS]) expect(everything).not.toContain(clear);

    // Stitch rate: Bob is a WhatsApp member (not stitched: no second platform, no shop id); his order is matched.
    const rates = await stitchRates(h.store, WS);
    expect(rates.rows.find((x) => x.platform === 'whatsapp')).toEqual({ platform: 'whatsapp', members: 1, stitched: 0, memberShare: 0, conversions: 1, matched: 1, matchedShare: 1 });
    expect(rates.rows.find((x) => x.platform === 'telegram')).toMatchObject({ members: 0, memberShare: null, matched: 0 });
    expect(formatStitchRates(rates)).toContain('whatsapp: 0/1 members stitched (0%); 1/1 conversions matched (100%)');
  });

  it('an owner splits a wrong merge with /unmerge: touches and ids move to a new profile and the conversion is credited again', async () => {
    const h = setup();
    await h.handler.message(bobByPhone());
    h.known.set(WA.bobLid, WA.bob);
    await h.handler.message(bobByLid('3A0BLID00000000SECOND', 1772500000));
    h.known.clear();
    await h.handler.message(bobByLid('3A0BLID000000000THIRD', 1772600000));
    const [bob] = await profiles(h.store);
    expect(bob?.identifiers.map((i) => i.type)).toEqual(['phone', 'wa_id', 'wa_lid']);
    await convert(h.store, 'order-1', '2026-03-06T12:00:00.000Z');
    await reconcileConversion(h.reconcileDeps, WS, 'order-1');
    expect((await h.store.credits.get(WS, 'order-1'))?.touches).toHaveLength(3);

    // The owner (a Telegram owner here; on WhatsApp the same command) splits the linked id off.
    const queued: string[] = [];
    const unmerge = createUnmergePort({
      store: h.store,
      locker: h.locker,
      lockKey: h.lockKey,
      enqueue: async (_ws, ids) => {
        queued.push(...ids);
        for (const id of ids) await reconcileConversion(h.reconcileDeps, WS, id);
      },
    });
    const settings = workspaceConfigSchema.parse({ id: WS, roles: { owners: ['telegram:42'] } });
    const commands = createCommandHandler({
      store: h.store,
      settings: () => settings,
      unmerge,
      platform: { botUsername: 'b', isChatAdmin: async () => false, createInviteLink: async () => ({ url: '' }), revokeInviteLink: async () => undefined },
      log,
    });
    const ask = (args: string[], user = '42') =>
      commands.handle({ workspace: WS, platform: 'telegram', account: 'b', user: { id: user }, chat: { id: user, type: 'private' }, name: 'unmerge', args, now: new Date('2026-03-07T00:00:00Z') });
    // A member may not; a bad identifier gets the usage line; nothing changed.
    expect((await ask([bob?.id as string, `wa_lid:${BOB.lid.slice(0, 6)}`], '7')).answers).toEqual([{ type: 'text', text: 'This command is for owners, in a private chat with me.' }]);
    expect(((await ask([bob?.id as string, 'wa_lid:zz'])).answers[0] as { text: string }).text).toMatch(/at least 4 characters/);
    expect(await h.store.profiles.count(WS)).toBe(1);

    const done = await ask([bob?.id as string, `wa_lid:${BOB.lid.slice(0, 6)}…${BOB.lid.slice(-2)}`]);
    expect((done.answers[0] as { text: string }).text).toMatch(/^Split: wa_lid:\S+ and 2 touches moved to a new profile p_\w+\. 1 conversion will be credited again\.$/);
    const after = await profiles(h.store);
    expect(after).toHaveLength(2);
    const kept = after.find((p) => p.id === bob?.id) as Profile;
    const split = after.find((p) => p.id !== bob?.id) as Profile;
    expect(kept.identifiers.map((i) => i.type)).toEqual(['phone', 'wa_id']);
    expect(split.identifiers).toEqual([{ type: 'wa_lid', value: BOB.lid }]);
    expect(kept.stats.counts).toEqual({ message: 1 });
    expect(split.stats.counts).toEqual({ message: 2 });
    expect((await h.store.touches.list(WS, { profileId: split.id })).every((t) => t.actor.lidHash === BOB.lid)).toBe(true);
    // Re-credited: the order (by phone) now credits only the phone touch.
    expect(queued).toEqual(['order-1']);
    const credits = await h.store.credits.get(WS, 'order-1');
    expect(credits?.profileId).toBe(kept.id);
    expect(credits?.touches).toHaveLength(1);
    // The split is on record with the journey's evidence.
    const ev = await h.store.identityEvidence.ofIdentifiers(WS, [{ type: 'wa_lid', value: BOB.lid }]);
    expect(ev.map((e) => e.rule)).toContain('manual_split');
  });
});
