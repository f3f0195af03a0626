/**
 * Erasure is crash-safe and scrubs the person from other people's touches.
 *
 * A workspace is seeded through the real profile code (`recordTouch`) and the store: Alice
 * (Telegram 101, @alice_shop, a shared phone) with touches, a personal-link click and token,
 * a credited order and an audit entry; Bob mentions her (@alice_shop, `id:101`), Carol was
 * added by her, Dave removed by her; Bob has his own credited order. An uninterrupted
 * erasure gives the reference end state. Then, for every point N between two store calls of
 * the erasure, a fresh copy is erased through a store that throws after N calls (the
 * process "crashes"), and the unfinished erasure is re-run the way the community worker
 * does (`resumeErasures`), or asked again when the crash came before the run was recorded.
 * Every time the end state is exactly the reference: nothing of Alice left, no credits of
 * her order, no mention of her, Bob's data intact.
 */
import { describe, expect, it } from 'vitest';
import { eraseMember, resumeErasures } from '../src/commands/erase-member.js';
import { createMemoryLocker } from '../src/lock.js';
import { recordTouch, type RecordTouchDeps } from '../src/profile/record-touch.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ConversionRecord, CreditSet, Store } from '../src/store/store.js';
import { touch } from './support/touches.js';

const WS = 'acme';
const NOW = new Date('2026-03-10T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 10 * 60_000);
const group = { id: '-1001', title: '团购群 Deals', type: 'group' as const };
const at = (h: number): string => `2026-03-0${h}T10:00:00.000Z`;

function conversion(id: string, tg: string, profileId: string, value: number): ConversionRecord {
  return {
    workspace: WS,
    id,
    type: 'purchase',
    occurredAt: at(9),
    value,
    currency: 'CNY',
    identifiers: [{ type: 'tg_id', value: tg }],
    fingerprint: `fp-${id}`,
    source: 'webhook',
    receivedAt: at(9),
    status: 'matched',
    match: { rule: 'tg_id', profileId, lowConfidence: false },
    reconciledAt: at(9),
  };
}

function credits(c: ConversionRecord, touchId: string): CreditSet {
  return {
    workspace: WS,
    conversionId: c.id,
    conversionAt: c.occurredAt,
    value: c.value,
    currency: c.currency,
    type: c.type,
    rule: 'tg_id',
    profileId: c.match?.profileId ?? null,
    lowConfidence: false,
    touches: [{ touchId, at: at(1), kind: 'message', platform: 'telegram', chatId: group.id, channel: 'telegram/-1001/keyword' }],
    models: { linear: { conversions: [1], value: [c.value] } },
    fitId: null,
    computedAt: at(9),
  };
}

/** A store seeded with Alice, Bob, Carol and Dave (see the module comment). */
async function seeded(): Promise<{ store: Store; alice: string; bob: string }> {
  const store = createMemoryStore();
  await store.init();
  let n = 0;
  const deps: RecordTouchDeps = { store, locker: createMemoryLocker(), lockKey: (ws, p) => `${ws}:${p}`, newProfileId: () => `p_${++n}`, now: () => NOW };
  const aliceMsg = touch({ kind: 'keyword', ref: 'alice-1', at: at(1), chat: group, actor: { userId: '101', username: 'alice_shop', phoneHash: 'ph-alice' } });
  for (const t of [
    aliceMsg,
    touch({ kind: 'dm_start', ref: 'alice-2', at: at(2), chat: { id: '101', type: 'private' }, actor: { userId: '101' }, details: { payload: 'vip', campaign: 'vip' } }),
    touch({ kind: 'message', ref: 'bob-1', at: at(3), chat: group, actor: { userId: '202', username: 'bob' }, details: { keywords: ['price'], mentioned: ['alice_shop', 'id:101', 'carol'] } }),
    touch({ kind: 'message', ref: 'bob-2', at: at(3), chat: group, actor: { userId: '202' }, details: { mentioned: ['alice_shop'] } }),
    touch({ kind: 'join', ref: 'carol-1', at: at(4), chat: group, actor: { userId: '303' }, details: { via: 'added', addedBy: '101' } }),
    touch({ kind: 'leave', ref: 'dave-1', at: at(5), chat: group, actor: { userId: '404' }, details: { via: 'removed', removedBy: '101' } }),
  ]) {
    await recordTouch(deps, t);
  }
  const owner = async (tg: string): Promise<string> => (await store.identities.find(WS, [{ type: 'tg_id', value: tg }])).get(`tg_id|${tg}`) ?? '';
  const alice = await owner('101');
  const bob = await owner('202');
  const oa = conversion('o-alice', '101', alice, 120);
  const ob = conversion('o-bob', '202', bob, 50);
  await store.conversions.insertMany(WS, [oa, ob]);
  await store.credits.put(WS, credits(oa, aliceMsg.id));
  await store.credits.put(WS, credits(ob, 'bob-touch'));
  await store.memberTokens.issue(WS, { workspace: WS, token: 'tok-alice', member: { type: 'tg_id', value: '101' }, profileId: alice, createdAt: at(6) });
  await store.clicks.insert(WS, { workspace: WS, clickId: 'clk-alice', code: 'deal1', touchId: 'tc', at: at(6), profileId: alice, visitorHash: 'vh', chatId: group.id });
  await store.clicks.insert(WS, { workspace: WS, clickId: 'clk-anon', code: 'deal1', touchId: 'tc2', at: at(6), profileId: null, visitorHash: 'vh2', chatId: group.id });
  await store.community.audit.append(WS, { workspace: WS, id: 'a1', at: at(7), actor: 'telegram:101', chat: { platform: 'telegram', id: '101', type: 'private' }, command: 'forgetme', outcome: 'answered' });
  await store.community.erasures.put(WS, { workspace: WS, subject: 'telegram:101', code: 'ABC123', expiresAt: LATER.toISOString() });
  return { store, alice, bob };
}

/** Everything an erasure may change, in a comparable form (erasure times, set by whichever run unlinked, left out). */
async function snapshot(store: Store): Promise<unknown> {
  const conversions = (await store.conversions.list(WS, {})).map(({ erasedAt, reconciledAt, ...c }) => ({ ...c, erased: erasedAt !== undefined, reconciled: reconciledAt !== null }));
  return {
    touches: await store.touches.list(WS, {}),
    profiles: await store.profiles.list(WS),
    identities: await store.identities.find(WS, [
      { type: 'tg_id', value: '101' },
      { type: 'phone', value: 'ph-alice' },
      { type: 'tg_id', value: '202' },
    ]),
    conversions,
    credits: await store.credits.list(WS, {}),
    clicks: [await store.clicks.get(WS, 'clk-alice'), await store.clicks.get(WS, 'clk-anon')],
    token: await store.memberTokens.get(WS, 'tok-alice'),
    optOuts: await Promise.all(['telegram:101', 'phone:ph-alice', 'telegram:202'].map((s) => store.community.optOuts.has(WS, s))),
    audit: await store.community.audit.list(WS),
    runs: await store.community.erasureRuns.list(WS),
  };
}

class CrashError extends Error {
  override name = 'CrashError';
}

/**
 * The store, with every repository call counted; from call `crashAfter` on, each throws
 * (the process died there; later calls never happen, as the erasure stops at the first).
 */
function crashing(store: Store, crashAfter: number): { store: Store; calls: () => number } {
  let calls = 0;
  const wrapRepo = (repo: object): object =>
    new Proxy(repo, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (calls++ >= crashAfter) return Promise.reject(new CrashError(`crashed before call ${calls}`));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const community = new Proxy(store.community, { get: (t, p, r) => wrapRepo(Reflect.get(t, p, r) as object) });
  const wrapped = new Proxy(store, {
    get(t, p, r) {
      if (p === 'community') return community;
      const v = Reflect.get(t, p, r) as unknown;
      return v !== null && typeof v === 'object' ? wrapRepo(v) : v;
    },
  });
  return { store: wrapped, calls: () => calls };
}

describe('erasure (eraseMember)', () => {
  it('removes the person from other people’s touches: addedBy, removedBy and mentions, nothing else', async () => {
    const { store, bob } = await seeded();
    const result = await eraseMember(store, WS, 'telegram', '101', NOW);
    expect(result).toMatchObject({ profiles: 1, touches: 2, conversions: 1, credits: 1, clicks: 1, tokens: 1, mentions: 4 });
    const touches = await store.touches.list(WS, {});
    expect(touches.map((t) => [t.actor.userId, t.kind, t.details])).toEqual([
      ['202', 'message', { keywords: ['price'], mentioned: ['carol'] }],
      ['202', 'message', {}],
      ['303', 'join', { via: 'added' }],
      ['404', 'leave', { via: 'removed' }],
    ]);
    const { audit, ...rest } = (await snapshot(store)) as { audit: Array<{ actor: string }> };
    expect(JSON.stringify(rest)).not.toMatch(/alice_shop|"101"|id:101|ph-alice/);
    expect(audit.map((a) => a.actor)).toEqual(['erased']);
    expect(await store.credits.get(WS, 'o-bob')).toMatchObject({ profileId: bob });
    expect(await store.community.erasureRuns.list(WS)).toEqual([]);
  });

  it('a crash between any two steps leaves an unfinished run that a re-run completes exactly', async () => {
    const reference = await seeded();
    const counted = crashing(reference.store, Number.POSITIVE_INFINITY);
    await eraseMember(counted.store, WS, 'telegram', '101', NOW);
    const expected = await snapshot(reference.store);
    const steps = counted.calls();
    expect(steps).toBeGreaterThan(20);

    for (let n = 0; n < steps; n++) {
      const { store } = await seeded();
      const crash = crashing(store, n);
      await expect(eraseMember(crash.store, WS, 'telegram', '101', NOW)).rejects.toThrow(CrashError);
      // The community worker's sweep re-runs unfinished erasures; before the run was
      // recorded (n < 2) there is none, and the person's /forgetme failed: they ask again.
      const resumed = await resumeErasures(store, WS, LATER);
      if (n >= 2) expect(resumed, `crash after ${n} calls`).toBe(1);
      else {
        expect(resumed).toBe(0);
        await eraseMember(store, WS, 'telegram', '101', NOW);
      }
      expect(await snapshot(store), `crash after ${n} of ${steps} calls`).toEqual(expected);
      // A further re-run changes nothing.
      await eraseMember(store, WS, 'telegram', '101', LATER);
      expect(await snapshot(store)).toEqual(expected);
    }
  });

  it('a run that may still be going is left alone by the re-run', async () => {
    const { store } = await seeded();
    await expect(eraseMember(crashing(store, 12).store, WS, 'telegram', '101', NOW)).rejects.toThrow(CrashError);
    expect(await resumeErasures(store, WS, new Date(NOW.getTime() + 30_000))).toBe(0);
    expect((await store.community.erasureRuns.list(WS)).map((r) => r.subject)).toEqual(['telegram:101']);
    expect(await resumeErasures(store, WS, LATER)).toBe(1);
    expect(await store.community.erasureRuns.list(WS)).toEqual([]);
  });
});
