/**
 * Identity resolution under concurrency, without the queue: many `recordTouch` calls
 * interleaved at random (each store call delayed a random few ms) must end in the same
 * profiles as a sequential run, and a claim lost to a profile being created at that
 * very moment must lead to a merge, not to two halves of one person.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLocker } from '../src/lock.js';
import { emptyStats } from '../src/profile/profile-stats.js';
import { recordTouch, type RecordTouchDeps } from '../src/profile/record-touch.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
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
