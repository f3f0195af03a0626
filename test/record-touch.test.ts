/**
 * Recording touches, without the queue:
 * - identity resolution under concurrency: many `recordTouch` calls interleaved at random
 *   (each store call delayed a random few ms) end in the same profiles as a sequential run, and
 *   a claim lost to a profile being created at that very moment leads to a merge;
 * - what a touch costs in store calls and locks (counted), alone and batched;
 * - a crash at every store call of four kinds of touch converges on retry to the profiles of a
 *   run without a crash;
 * - a worker paused past its lock (a short TTL, a delayed store call) cannot write over what
 *   another worker wrote, nor count a touch twice;
 * - conversions noted on the people they name, so the touch trigger reads nothing for others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryLocker, createRedisLocker, type Locker } from '../src/lock.js';
import { emptyStats, statsOfTouches } from '../src/profile/profile-stats.js';
import { linkIdentifiers, recordTouch, type RecordTouchDeps } from '../src/profile/record-touch.js';
import { conversionsAffectedByTouch } from '../src/reconcile/touch-trigger.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { batchStoreCalls } from '../src/store/batch-calls.js';
import { countStoreCalls } from '../src/store/count-calls.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import type { TouchEvent } from '../src/touch-event.js';
import { deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const G1 = { id: '-1001', title: 'g', type: 'group' as const };
const G2 = { id: '120363000000000001@g.us', title: 'VIP', type: 'group' as const };
const A = { userId: '101', username: 'a' };
const journey = [
  touch({ kind: 'join', ref: 'w1', at: '2026-02-28T09:00:00Z', platform: 'whatsapp', chat: G2, actor: { userId: 'W', phoneHash: 'H' } }),
  touch({ kind: 'join', ref: 'a1', at: '2026-03-01T10:00:00Z', chat: G1, actor: A }),
  touch({ kind: 'message', ref: 'a2', at: '2026-03-02T10:00:00Z', chat: G1, actor: A, details: { keywords: ['price'], mentioned: ['shopbot'] } }),
  touch({ kind: 'message', ref: 'a5', at: '2026-03-03T08:00:00Z', chat: { id: '101', type: 'private' }, actor: { ...A, phoneHash: 'H' } }),
  touch({ kind: 'keyword', ref: 'w2', at: '2026-03-04T01:00:00Z', platform: 'whatsapp', chat: G2, actor: { userId: 'W', phoneHash: 'H' } }),
  touch({ kind: 'message', ref: 'b1', at: '2026-03-04T02:00:00Z', chat: G1, actor: { userId: '202' } }),
];

function deps(store: Store): RecordTouchDeps {
  return { store, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` };
}

/** The same store with every repository call delayed by a random 0-3 ms. */
function jittered(store: Store, rnd: () => number): Store {
  const wrap = <T extends object>(repo: T): T =>
    new Proxy(repo, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          await new Promise((r) => setTimeout(r, rnd() * 3));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { ...store, touches: wrap(store.touches), identities: wrap(store.identities), profiles: wrap(store.profiles) } as Store;
}

async function contents(store: Store) {
  return (await store.profiles.list('acme'))
    .map((p) => ({ identifiers: p.identifiers, stats: p.stats }))
    .sort((a, b) => JSON.stringify(a.identifiers).localeCompare(JSON.stringify(b.identifiers)));
}

describe('recordTouch under concurrency', () => {
  it('ends in the same profiles as a sequential run, for 150 random interleavings', async () => {
    const sequential = createMemoryStore();
    for (const t of journey) await recordTouch(deps(sequential), t);
    const expected = await contents(sequential);
    expect(expected).toHaveLength(2);
    expect(expected[0]?.identifiers.map((i) => i.type)).toEqual(['phone', 'tg_id', 'wa_id']);

    for (let seed = 1; seed <= 150; seed++) {
      let s = seed;
      const rnd = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const base = createMemoryStore();
      const d = deps(jittered(base, rnd));
      const order = [...journey].sort(() => rnd() - 0.5);
      await Promise.all(order.map(async (t) => new Promise((r) => setTimeout(r, rnd() * 4)).then(() => recordTouch(d, t))));
      expect(await contents(base), `seed ${seed}`).toEqual(expected);
    }
  });

  it('merges when the phone it claims is taken at that moment by a profile being created', async () => {
    const base = createMemoryStore();
    const d = deps(base);
    await recordTouch(d, journey[1]!); // a1: Alice's Telegram profile exists
    // Between resolving and claiming, WhatsApp's profile for the same phone is created.
    let raced = false;
    const racing: Store = {
      ...base,
      identities: new Proxy(base.identities, {
        get(target, key) {
          const v = Reflect.get(target, key) as unknown;
          if (key !== 'claim' || typeof v !== 'function') return v;
          return async (ws: string, ids: Array<{ type: string; value: string }>, pid: string) => {
            if (!raced && ids.some((i) => i.value === 'H')) {
              raced = true;
              await target.claim(ws, [{ type: 'wa_id', value: 'W' }, { type: 'phone', value: 'H' }], 'p_wa');
              await base.profiles.put(ws, { id: 'p_wa', workspace: ws, identifiers: [], usernames: [], stats: emptyStats(), createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z' });
            }
            return (v as typeof target.claim).call(target, ws, ids as never, pid);
          };
        },
      }),
    };
    const r = await recordTouch({ ...d, store: racing }, journey[3]!); // a5 links Telegram id and phone
    expect(raced).toBe(true);
    expect(r.merged).toHaveLength(1);
    const profiles = await base.profiles.list('acme');
    expect(profiles).toHaveLength(1);
    expect(profiles[0]?.identifiers.map((i) => `${i.type}|${i.value}`)).toEqual(['phone|H', 'tg_id|101', 'wa_id|W']);
    expect(profiles[0]?.stats.touchCount).toBe(2);
  });
});

/** Every stored touch applied, and each profile's statistics the pure fold of its touches. */
async function expectConsistent(store: Store): Promise<void> {
  const touches = await store.touches.list('acme', {});
  for (const t of touches) expect(t.applied, `touch ${t.id} applied`).toBe(true);
  for (const p of await store.profiles.list('acme')) {
    expect(p.stats, `profile ${p.id}`).toStrictEqual(statsOfTouches(touches.filter((t) => t.profileId === p.id)));
  }
}

/** `store` with every repository call counted in `calls`, and `hook` run before each one (it may throw or wait). */
function instrumented(store: Store, hook: (name: string, n: number) => Promise<void> | void): Store {
  let n = 0;
  const wrap = <T extends object>(repo: T, repoName: string): T =>
    new Proxy(repo, {
      get(target, key) {
        const v = Reflect.get(target, key) as unknown;
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          await hook(`${repoName}.${String(key)}`, ++n);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { ...store, touches: wrap(store.touches, 'touches'), identities: wrap(store.identities, 'identities'), profiles: wrap(store.profiles, 'profiles') } as Store;
}

class Crash extends Error {}

describe('what a touch costs', () => {
  it('a known person’s touch is one identity read, one insert, one partial update and one mark, with no lock', async () => {
    const base = createMemoryStore();
    const counted = countStoreCalls(base);
    let locks = 0;
    const memory = createMemoryLocker();
    const locker: Locker = { withLocks: (keys, fn) => (locks++, memory.withLocks(keys, fn)) };
    const d: RecordTouchDeps = { store: counted.store, locker, lockKey: (w, p) => `${w}:${p}` };
    await recordTouch(d, journey[1]!);
    counted.reset();
    locks = 0;
    const r = await recordTouch(d, journey[2]!);
    expect(r).toMatchObject({ status: 'applied', person: { identifiers: [{ type: 'tg_id', value: '101' }], hasConversions: false, identitiesChanged: false } });
    expect(counted.counts()).toEqual({ 'identities.find': 1, 'profiles.applyTouch': 1, 'touches.insert': 1, 'touches.markApplied': 1 });
    expect(locks).toBe(0);
    await expectConsistent(base);
  });

  it('a new person is one identity read, one claim, one insert, one create and one mark, with no lock', async () => {
    const base = createMemoryStore();
    const counted = countStoreCalls(base);
    const d: RecordTouchDeps = { store: counted.store, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` };
    const r = await recordTouch(d, journey[1]!);
    expect(r).toMatchObject({ status: 'applied', person: { hasConversions: false, identitiesChanged: true } });
    expect(counted.counts()).toEqual({ 'identities.claim': 1, 'identities.find': 1, 'profiles.create': 1, 'touches.insert': 1, 'touches.markApplied': 1 });
  });

  it('concurrent touches share bulk round trips through the batching store', async () => {
    const base = createMemoryStore();
    const people = Array.from({ length: 16 }, (_, i) => ({ userId: String(500 + i) }));
    const seed: RecordTouchDeps = { store: base, locker: createMemoryLocker(), lockKey: (w, p) => `${w}:${p}` };
    for (const actor of people) await recordTouch(seed, touch({ kind: 'join', ref: `j${actor.userId}`, at: '2026-03-01T00:00:00Z', chat: G1, actor }));
    const counted = countStoreCalls(base);
    const batching = batchStoreCalls(counted.store);
    const d: RecordTouchDeps = { ...seed, store: batching.store };
    const results = await Promise.all(people.map((actor) => recordTouch(d, touch({ kind: 'keyword', ref: `k${actor.userId}`, at: '2026-03-02T00:00:00Z', chat: G1, actor }))));
    expect(results.every((r) => r.status === 'applied')).toBe(true);
    // 16 touches: the identity reads, inserts and marks each went as one bulk call; the updates are one per person.
    expect(counted.counts()).toEqual({ 'identities.find': 1, 'profiles.applyTouch': 16, 'touches.insertEach': 1, 'touches.markAppliedMany': 1 });
    expect(batching.batches()['touches.insert']).toEqual({ batches: 1, calls: 16 });
    await expectConsistent(base);
  });
});

describe('a crash between any two steps converges on retry', () => {
  const at = (h: number): string => `2026-03-0${1 + Math.floor(h / 24)}T${String(h % 24).padStart(2, '0')}:00:00Z`;
  const alice = { userId: '101', username: 'alice' };
  const scenarios: Array<{ name: string; before: TouchEvent[]; touch: TouchEvent }> = [
    { name: 'a known person', before: [touch({ kind: 'join', ref: 's1', at: at(1), chat: G1, actor: alice })], touch: touch({ kind: 'keyword', ref: 's2', at: at(2), chat: G1, actor: alice }) },
    { name: 'a new person', before: [], touch: touch({ kind: 'join', ref: 's3', at: at(3), chat: G1, actor: alice }) },
    {
      name: 'a new identifier of a known person',
      before: [touch({ kind: 'join', ref: 's4', at: at(4), chat: G1, actor: alice })],
      touch: touch({ kind: 'message', ref: 's5', at: at(5), chat: { id: '101', type: 'private' }, actor: { ...alice, phoneHash: 'H' } }),
    },
    {
      name: 'a merge',
      before: [touch({ kind: 'join', ref: 's6', at: at(6), chat: G1, actor: alice }), touch({ kind: 'join', ref: 's7', at: at(1), platform: 'whatsapp', chat: G2, actor: { userId: 'W', phoneHash: 'H' } })],
      touch: touch({ kind: 'message', ref: 's8', at: at(8), chat: { id: '101', type: 'private' }, actor: { ...alice, phoneHash: 'H' } }),
    },
  ];

  for (const s of scenarios) {
    it(`for ${s.name}, at every store call`, async () => {
      const clean = createMemoryStore();
      for (const t of [...s.before, s.touch]) await recordTouch(deps(clean), t);
      const expected = await contents(clean);
      let calls = 0;
      for (let crashAt = 1; ; crashAt++) {
        const base = createMemoryStore();
        for (const t of s.before) await recordTouch(deps(base), t);
        let n = 0;
        const crashing = instrumented(base, () => {
          if (++n === crashAt) throw new Crash(`crash at call ${crashAt}`);
        });
        const first = await recordTouch(deps(crashing), s.touch).then(
          () => 'done',
          (err: unknown) => {
            if (!(err instanceof Crash)) throw err;
            return 'crashed';
          },
        );
        // The retry (BullMQ's), then a redelivery: the same profiles as a run without a crash.
        await recordTouch(deps(base), s.touch);
        expect((await recordTouch(deps(base), s.touch)).status).toBe('duplicate');
        expect(await contents(base), `crash at call ${crashAt}`).toEqual(expected);
        await expectConsistent(base);
        if (first === 'done') {
          calls = crashAt - 1;
          break;
        }
      }
      expect(calls).toBeGreaterThanOrEqual(4);
    });
  }
});

describe('a worker paused past its lock', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('pause');
  afterAll(async () => {
    await deleteKeys(redis, [`${prefix}*`]);
    await redis.quit();
  });
  const alice = { userId: '101', username: 'alice' };
  const lockKey = (w: string, p: string): string => `${prefix}:${w}:${p}`;

  /** Alice with two applied touches, and a third stored but not applied (a crash cut its job short). */
  async function aliceWithAnUnappliedTouch(store: Store): Promise<{ pid: string; stranded: TouchEvent }> {
    const d: RecordTouchDeps = { store, locker: createMemoryLocker(), lockKey };
    await recordTouch(d, touch({ kind: 'join', ref: 'p1', at: '2026-03-01T00:00:00Z', chat: G1, actor: alice }));
    await recordTouch(d, touch({ kind: 'keyword', ref: 'p2', at: '2026-03-02T00:00:00Z', chat: G1, actor: alice }));
    const pid = (await store.identities.find('acme', [{ type: 'tg_id', value: '101' }])).get('tg_id|101') as string;
    const stranded = touch({ kind: 'message', ref: 'p3', at: '2026-03-03T00:00:00Z', chat: G1, actor: alice });
    await store.touches.insert('acme', { ...stranded, profileId: pid, applied: false });
    return { pid, stranded };
  }

  it('cannot write its rewrite over what another worker wrote after the lock ran out', async () => {
    const base = createMemoryStore();
    const { pid, stranded } = await aliceWithAnUnappliedTouch(base);
    // Worker A recovers the stranded touch; its write reaches the store 600 ms late (a paused
    // process: its lock, 150 ms, is not extended meanwhile).
    const replaced: Array<unknown> = [];
    let delayed = false;
    const slow = instrumented(base, async (name) => {
      if (name === 'profiles.replace' && !delayed) {
        delayed = true;
        await new Promise((r) => setTimeout(r, 600));
      }
    });
    const slowStore: Store = { ...slow, profiles: { ...slow.profiles, replace: async (...args) => { const r = await slow.profiles.replace(...args); replaced.push(r); return r; } } };
    const paused = createRedisLocker(redis, { ttlMs: 150, extendEveryMs: 60_000 });
    const a = recordTouch({ store: slowStore, locker: paused, lockKey }, stranded).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 50));
    // Worker B, meanwhile: Alice shares her phone, a new identifier (locked path); it waits for the lock.
    const share = touch({ kind: 'message', ref: 'p4', at: '2026-03-04T00:00:00Z', chat: { id: '101', type: 'private' }, actor: { ...alice, phoneHash: 'H' } });
    const b = await recordTouch({ store: base, locker: createRedisLocker(redis), lockKey }, share);
    expect(b.status).toBe('applied');
    const afterB = await base.profiles.get('acme', pid);
    expect(afterB?.stats.touchCount).toBe(4);
    expect(afterB?.identifiers.map((i) => i.type)).toEqual(['phone', 'tg_id']);
    const outcome = await a;
    // A's late write (three touches, no phone) was refused: the fence on the profile is B's now.
    expect(delayed).toBe(true);
    expect(replaced[0]).toBeNull();
    // A resolved again (or its job is retried) and converges on the same profile.
    if (outcome instanceof Error) await recordTouch({ store: base, locker: createRedisLocker(redis), lockKey }, stranded);
    const final = await base.profiles.get('acme', pid);
    expect(final?.stats).toStrictEqual(afterB?.stats);
    expect(final?.identifiers).toEqual(afterB?.identifiers);
    await expectConsistent(base);
  });

  it('cannot count a touch twice when its partial update lands after a rewrite folded the touch in', async () => {
    const base = createMemoryStore();
    const { pid, stranded } = await aliceWithAnUnappliedTouch(base);
    // Worker A: a new touch of Alice on the hot path, paused between storing it and updating the profile.
    const late = touch({ kind: 'keyword', ref: 'p5', at: '2026-03-05T00:00:00Z', chat: G1, actor: alice });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let stored!: () => void;
    const isStored = new Promise<void>((r) => (stored = r));
    const slow = instrumented(base, async (name) => {
      if (name === 'profiles.applyTouch') {
        stored();
        await held;
      }
    });
    const a = recordTouch({ store: slow, locker: createMemoryLocker(), lockKey }, late);
    await isStored;
    // Worker B recovers the stranded touch: its rewrite folds every stored touch, A's included.
    const b = await recordTouch({ store: base, locker: createRedisLocker(redis), lockKey }, stranded);
    expect(b.status).toBe('recovered');
    expect((await base.profiles.get('acme', pid))?.stats.touchCount).toBe(4);
    release();
    // A's partial update is refused (the rewrite adopted its touch): A takes the locked path.
    expect((await a).status).toBe('recovered');
    expect((await base.profiles.get('acme', pid))?.stats.touchCount).toBe(4);
    await expectConsistent(base);
  });
});

describe('conversions noted on the people they name', () => {
  it('linkIdentifiers marks the owner, a new touchless person and a conflicting owner; the trigger reads nothing for the others', async () => {
    const base = createMemoryStore();
    const d = deps(base);
    await recordTouch(d, journey[1]!); // Alice, Telegram 101
    await recordTouch(d, journey[5]!); // Bob, Telegram 202
    const owner = async (type: 'tg_id' | 'phone', value: string): Promise<string> => (await base.identities.find('acme', [{ type, value }])).get(`${type}|${value}`) as string;
    const alice = await owner('tg_id', '101');
    const bob = await owner('tg_id', '202');
    expect((await base.profiles.get('acme', alice))?.hasConversions).toBe(false);
    // An order naming Alice's Telegram id.
    expect(await linkIdentifiers(d, 'acme', [{ type: 'tg_id', value: '101' }], 'conversion o1')).toBe(alice);
    expect((await base.profiles.get('acme', alice))?.hasConversions).toBe(true);
    // An order naming nobody known yet: a touchless person, noted from the start.
    const stranger = await linkIdentifiers(d, 'acme', [{ type: 'phone', value: 'H9' }], 'conversion o2');
    expect((await base.profiles.get('acme', stranger as string))?.hasConversions).toBe(true);
    // An order naming both Alice's and Bob's Telegram ids: they never merge (a conflict), both are noted.
    await linkIdentifiers(d, 'acme', [{ type: 'tg_id', value: '101' }, { type: 'tg_id', value: '202' }], 'conversion o3');
    expect((await base.profiles.get('acme', bob))?.hasConversions).toBe(true);

    const counted = countStoreCalls(base);
    const settings = settingsLookup([]);
    // Carol: no order names her.
    await recordTouch(d, touch({ kind: 'keyword', ref: 'n1', at: '2026-03-05T00:00:00Z', chat: G1, actor: { userId: '303' } }));
    const carol = touch({ kind: 'keyword', ref: 'n2', at: '2026-03-06T00:00:00Z', chat: G1, actor: { userId: '303' } });
    const r = await recordTouch(d, carol);
    counted.reset();
    expect(await conversionsAffectedByTouch(counted.store, settings, carol, r)).toEqual([]);
    expect(counted.total()).toBe(0);
    const aliceTouch = touch({ kind: 'keyword', ref: 'n3', at: '2026-03-06T00:00:00Z', chat: G1, actor: { userId: '101' } });
    const ra = await recordTouch(d, aliceTouch);
    expect(ra.person?.hasConversions).toBe(true);
    counted.reset();
    await conversionsAffectedByTouch(counted.store, settings, aliceTouch, ra);
    expect(counted.counts()).toEqual({ 'conversions.related': 1 });
  });
});
