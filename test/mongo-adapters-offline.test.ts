/**
 * The MongoDB adapters checked without a server (none runs on these machines; the
 * contract suites in `store.test.ts` run them when `MONGO_URL` is set).
 *
 * The store is built on a mongoose connection that never connects, and each model's
 * collection is replaced by a recorder: it records every driver call after mongoose has
 * cast it, and answers from a per-test script (a read returns what the test queued; it
 * never matches filters, so this is no MongoDB double). That checks:
 * - round trips: a contract fixture written through the adapter (mongoose's real casting:
 *   `strict`, `minimize`, Date/String paths), stored as real BSON (serialize/deserialize, as
 *   the server would hand it back, `_id` included), then read through the adapter, equals
 *   what the memory adapter returns for the same calls (`toStrictEqual`);
 * - workspace isolation: every filter, update filter and written document of every method
 *   names the workspace of the call (the one exception, `links.workspaceOfCode`, is asserted
 *   to be the only one);
 * - query shape: no `limit(0)` reaches the driver, every read hides `_id`, upserts return the
 *   document after the write, TTL fields are stored as BSON Dates, and every filter+sort is
 *   backed by an index of that collection starting with `workspace`.
 */
import mongoose from 'mongoose';
import { afterEach, describe, expect, it } from 'vitest';
import { deltaOfTouch } from '../src/profile/profile-stats.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { createMongoStoreOn } from '../src/store/mongo-store.js';
import type { Store } from '../src/store/store.js';
import { plainProfile, richProfile, touch, touchesOfEveryKind } from './store-contract.js';
import { click, conversion, credits, fit, link } from './links-conversions-contract.js';
import { audit, group, link as inviteLink } from './community-contract.js';

const { BSON } = mongoose.mongo;
const A = 'a';

type Doc = Record<string, unknown>;
interface Call {
  collection: string;
  method: string;
  args: unknown[];
}
type Reply = (args: unknown[]) => unknown;

const METHODS = ['find', 'findOne', 'countDocuments', 'insertOne', 'bulkWrite', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete'] as const;

/** What an acknowledged write answers when the test scripted nothing: a first write that matched nothing. */
function defaultReply(method: string, args: unknown[]): unknown {
  switch (method) {
    case 'find':
      return [];
    case 'findOne':
    case 'findOneAndUpdate':
    case 'findOneAndDelete':
      return null;
    case 'countDocuments':
      return 0;
    case 'bulkWrite': {
      const ops = args[0] as Doc[];
      return { insertedCount: ops.filter((o) => 'insertOne' in o).length, matchedCount: 0, modifiedCount: 0, upsertedCount: ops.filter((o) => 'updateOne' in o).length };
    }
    case 'deleteOne':
    case 'deleteMany':
      return { acknowledged: true, deletedCount: 0 };
    default:
      return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1 };
  }
}

/** A Mongo store on a connection that never connects, its collections replaced by recorders. */
function recordingStore(): { store: Store; connection: mongoose.Connection; calls: Call[]; reply: (collection: string, method: string, r: Reply) => void } {
  const connection = mongoose.createConnection();
  const store = createMongoStoreOn(connection);
  const calls: Call[] = [];
  const queued = new Map<string, Reply[]>();
  for (const model of Object.values(connection.models)) {
    const name = model.collection.name;
    const collection = model.collection as unknown as Record<string, unknown>;
    for (const method of METHODS) {
      collection[method] = async (...args: unknown[]): Promise<unknown> => {
        calls.push({ collection: name, method, args });
        const scripted = queued.get(`${name}.${method}`)?.shift();
        const value = scripted ? scripted(args) : defaultReply(method, args);
        return method === 'find' ? { toArray: async () => value } : value;
      };
    }
  }
  const reply = (collection: string, method: string, r: Reply): void => {
    const list = queued.get(`${collection}.${method}`) ?? [];
    list.push(r);
    queued.set(`${collection}.${method}`, list);
  };
  return { store, connection, calls, reply };
}

/**
 * The error the driver throws for an unordered bulk write whose operations at `duplicates`
 * hit a unique index (E11000) while the `inserted` others went through: the shape
 * `handleWriteError` builds (its WriteError items carry `code` and `index` over `err`).
 */
function duplicateKeyError(duplicates: number[], inserted: number): Error {
  const writeErrors = duplicates.map((index) => {
    const err = { code: 11000, index, errmsg: 'E11000 duplicate key error' };
    return { err, code: err.code, index };
  });
  return new mongoose.mongo.MongoBulkWriteError({ message: 'E11000 duplicate key error', code: 11000, writeErrors } as never, bulkResult(inserted));
}

/** The parts of the driver's BulkWriteResult the adapters read (the class itself is not exported). */
function bulkResult(inserted: number): never {
  return { insertedCount: inserted, getWriteConcernError: () => undefined } as never;
}

/** A document as MongoDB stores and returns it: real BSON, with an `_id`. */
function stored(value: unknown): Doc {
  const v = value as { toBSON?: () => Doc };
  const plain = typeof v.toBSON === 'function' ? v.toBSON() : (value as Doc);
  return BSON.deserialize(BSON.serialize({ _id: new mongoose.mongo.ObjectId(), ...plain }));
}

/** What an upsert that matched nothing inserts: the filter's equality fields, then $setOnInsert and $set (top-level fields only). */
function upserted(filter: Doc, update: Doc): Doc {
  const eq = Object.fromEntries(Object.entries(filter).filter(([k, v]) => !k.startsWith('$') && (v === null || typeof v !== 'object')));
  return stored({ ...eq, ...(update.$setOnInsert as Doc | undefined), ...(update.$set as Doc | undefined) });
}

const last = (calls: Call[], collection: string, method: string): Call => {
  const c = calls.filter((x) => x.collection === collection && x.method === method).at(-1);
  if (!c) throw new Error(`no ${collection}.${method} call recorded`);
  return c;
};
const bulkInserts = (call: Call): Doc[] => (call.args[0] as Array<{ insertOne: { document: Doc } }>).map((o) => stored(o.insertOne.document));

let open: Store[] = [];
const track = <S extends Store>(s: S): S => {
  open.push(s);
  return s;
};
afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
});

describe('mongo adapters offline: round trips through mongoose casting and BSON equal the memory adapter', () => {
  it('touches of every kind, and one with undefined fields, come back as written', async () => {
    const { store, calls, reply } = recordingStore();
    const memory = track(createMemoryStore());
    track(store);
    const all = [...touchesOfEveryKind(A), touch({ id: 'u1', at: '2026-03-01T18:00:00+08:00', actor: { userId: '101', username: undefined }, chat: { id: '-1', title: undefined, type: 'group' } })];
    for (const t of all) {
      await memory.touches.insert(A, t);
      expect(await store.touches.insert(A, t)).toBe('inserted');
      const [doc] = bulkInserts(last(calls, 'touches', 'bulkWrite'));
      expect(doc?.occurredAt).toBeInstanceOf(Date);
      reply('touches', 'findOne', () => doc);
      expect(await store.touches.get(A, t.id)).toStrictEqual(await memory.touches.get(A, t.id));
    }
    const expected = await memory.touches.list(A, {});
    const docs = calls.filter((c) => c.method === 'bulkWrite').flatMap(bulkInserts);
    const byId = new Map(docs.map((d) => [d.id as string, d]));
    reply('touches', 'find', () => expected.map((t) => byId.get(t.id)));
    expect(await store.touches.list(A, {})).toStrictEqual(expected);
  });

  it('profiles (rich stats, empty counts, no usernames) and identities come back as written', async () => {
    const { store, calls, reply } = recordingStore();
    const memory = track(createMemoryStore());
    track(store);
    for (const p of [richProfile(A, 'p1'), plainProfile(A, 'p0')]) {
      await memory.profiles.put(A, p);
      await store.profiles.put(A, p);
      const call = last(calls, 'profiles', 'replaceOne');
      expect(call.args[2]).toMatchObject({ upsert: true });
      const doc = stored(call.args[1]);
      reply('profiles', 'findOne', () => doc);
      expect(await store.profiles.get(A, p.id)).toStrictEqual(await memory.profiles.get(A, p.id));
    }
    const ids = [
      { type: 'tg_id' as const, value: '101' },
      { type: 'email' as const, value: 'h:a.b$c' },
    ];
    const owners = await memory.identities.claim(A, ids, 'p1');
    const claimOps = (): Array<{ filter: Doc; update: Doc; upsert: boolean }> =>
      (last(calls, 'identities', 'bulkWrite').args[0] as Array<{ updateOne: { filter: Doc; update: Doc; upsert: boolean } }>).map((o) => o.updateOne);
    // The claim's upserts, as stored, are what its read-back returns.
    reply('identities', 'find', () => claimOps().map((o) => upserted(o.filter, o.update)));
    expect(await store.identities.claim(A, ids, 'p1')).toStrictEqual(owners);
    expect(claimOps().every((o) => o.upsert && Object.keys(o.update).join() === '$setOnInsert')).toBe(true);
    const docs = claimOps().map((o) => upserted(o.filter, o.update));
    reply('identities', 'find', () => docs);
    expect(await store.identities.find(A, ids)).toStrictEqual(owners);
    reply('identities', 'find', () => [...docs].reverse());
    expect(await store.identities.ofProfile(A, 'p1')).toStrictEqual(await memory.identities.ofProfile(A, 'p1'));
  });

  it('attribution records (links, tokens, clicks, conversions, credits, fits) come back as written', async () => {
    const { store, calls, reply } = recordingStore();
    const memory = track(createMemoryStore());
    track(store);
    const m = memory;
    const r = store;

    const l = link('abc', A, { campaign: 'spring.2026', chatId: '-1001', chatTitle: '团购群', createdBy: undefined });
    await m.links.insert(A, l);
    await r.links.insert(A, l);
    const linkDoc = stored(last(calls, 'links', 'insertOne').args[0]);
    reply('links', 'findOne', () => linkDoc);
    expect(await r.links.get(A, 'abc')).toStrictEqual(await m.links.get(A, 'abc'));

    for (const token of [
      { workspace: A, token: 'tk1', member: { type: 'tg_id' as const, value: '101' }, profileId: 'p1', createdAt: '2026-03-01T00:00:00.000Z' },
      { workspace: A, token: 'tk2', member: null, profileId: null, createdAt: '2026-03-01T00:00:00+08:00' },
    ]) {
      const want = await m.memberTokens.issue(A, token);
      reply('member_tokens', 'findOne', (args) => upserted(args[0] as Doc, last(calls, 'member_tokens', 'updateOne').args[1] as Doc));
      expect(await r.memberTokens.issue(A, token)).toStrictEqual(want);
    }

    const c = click('k1');
    await m.clicks.insert(A, c);
    await r.clicks.insert(A, c);
    const clickDoc = stored(last(calls, 'clicks', 'insertOne').args[0]);
    reply('clicks', 'findOne', () => clickDoc);
    expect(await r.clicks.get(A, 'k1')).toStrictEqual(await m.clicks.get(A, 'k1'));

    const conv = conversion('o1', '2026-03-01T18:00:00+08:00', {
      identifiers: [{ type: 'email', value: 'h:e' }],
      telegramUsername: 'alice',
      clickId: 'k1',
      coupon: 'SPRING',
      utm: { source: 'tg', campaign: 'spring.2026' },
      value: 0.1 + 0.2,
      match: { rule: 'email', profileId: 'p1', lowConfidence: false },
      status: 'matched',
      reconciledAt: '2026-03-02T00:00:00.000Z',
    });
    const empty = conversion('o2', '2026-03-01T00:00:00Z', { utm: {} });
    for (const x of [conv, empty]) {
      await m.conversions.insert(A, x);
      expect(await r.conversions.insert(A, x)).toEqual({ status: 'inserted' });
      const [doc] = bulkInserts(last(calls, 'conversions', 'bulkWrite'));
      expect(doc?.identifierKeys).toEqual(x.identifiers.map((i) => `${i.type}|${i.value}`));
      reply('conversions', 'findOne', () => doc);
      expect(await r.conversions.get(A, x.id)).toStrictEqual(await m.conversions.get(A, x.id));
    }

    const cs = credits('o1', '2026-03-01T18:00:00+08:00');
    await m.credits.put(A, cs);
    await r.credits.put(A, cs);
    const creditDoc = stored(last(calls, 'credits', 'replaceOne').args[1]);
    reply('credits', 'findOne', () => creditDoc);
    expect(await r.credits.get(A, 'o1')).toStrictEqual(await m.credits.get(A, 'o1'));
    // With chosen models the read is an inclusion projection: it must name every field the set has.
    await r.credits.list(A, { models: ['linear'] });
    const projection = (last(calls, 'credits', 'find').args[1] as { projection: Record<string, number> }).projection;
    for (const k of Object.keys(cs).filter((k) => k !== 'models')) expect(projection[k], `credits field ${k} projected`).toBe(1);
    expect(projection['models.linear']).toBe(1);
    expect(projection._id).toBe(0);

    // 5,000 coalitions of 100 long channel names: about 20 MB of BSON, so several chunks by size.
    const channels = Array.from({ length: 100 }, (_, i) => `telegram/-100${String(i).padStart(10, '0')}/message`);
    const f = { ...fit('f1', '2026-03-03T08:00:00+08:00', 0), coalitions: Array.from({ length: 5_000 }, (_, i) => ({ channels: [...channels.slice(0, 99), `c${String(i).padStart(5, '0')}`], conversions: i % 3, nulls: 1 })) };
    await m.fits.put(A, f);
    await r.fits.put(A, f);
    const chunkDocs = calls.filter((x) => x.collection === 'fit_chunks' && x.method === 'replaceOne').map((x) => stored(x.args[1]));
    expect(chunkDocs.length).toBeGreaterThanOrEqual(3);
    for (const doc of chunkDocs) expect(BSON.calculateObjectSize(doc)).toBeLessThan(16 * 2 ** 20);
    const fitDoc = stored(last(calls, 'fits', 'insertOne').args[0]);
    // A leftover chunk beyond the fit's count (an interrupted earlier put) must not be read.
    const stale = stored({ workspace: A, fitId: 'f1', seq: chunkDocs.length, coalitions: [{ channels: ['stale'], conversions: 9, nulls: 9 }] });
    reply('fits', 'findOne', () => fitDoc);
    reply('fit_chunks', 'find', () => [...chunkDocs, stale]);
    expect(await r.fits.get(A, 'f1')).toStrictEqual(await m.fits.get(A, 'f1'));
    expect((last(calls, 'fit_chunks', 'find').args[0] as Doc).seq).toEqual({ $lt: chunkDocs.length });

    // Month records: marks upsert with $inc; a current fit is set with the marks it read.
    await m.fits.markDirty(A, ['2026-03']);
    await r.fits.markDirty(A, ['2026-03']);
    const markOp = (last(calls, 'fit_months', 'bulkWrite').args[0] as Array<{ updateOne: { filter: Doc; update: Doc; upsert: boolean } }>)[0]?.updateOne;
    expect(markOp?.upsert).toBe(true);
    expect(markOp?.update.$inc).toEqual({ marks: 1 });
    const monthDoc = stored({ ...upserted(markOp?.filter ?? {}, markOp?.update ?? {}), marks: 1 });
    reply('fit_months', 'findOne', () => monthDoc);
    expect(await r.fits.month(A, '2026-03')).toStrictEqual(await m.fits.month(A, '2026-03'));
    const current = { month: '2026-03', fitId: 'f1', fittedAt: '2026-03-04T00:00:00Z', journeys: 5_000, conversions: 12, marks: 1 };
    expect(await m.fits.setCurrent(A, current)).toBe(true);
    reply('fit_months', 'findOneAndUpdate', () => ({ fitId: null }));
    expect(await r.fits.setCurrent(A, current)).toBe(true);
    const setCall = last(calls, 'fit_months', 'findOneAndUpdate');
    expect(setCall.args[0]).toEqual({ workspace: A, month: '2026-03', fittedMarks: { $lte: 1 } });
    const set = (setCall.args[1] as { $set: Doc }).$set;
    expect(set.fittedAt).toBeInstanceOf(Date);
    reply('fit_months', 'find', () => [stored({ ...monthDoc, ...set })]);
    expect(await r.fits.months(A)).toStrictEqual(await m.fits.months(A));
  });

  it('a fit id already stored is left as it is: no chunk of it is overwritten', async () => {
    const { store, calls, reply } = recordingStore();
    track(store);
    reply('fits', 'findOne', () => stored({ workspace: A, id: 'f1' }));
    await store.fits.put(A, fit('f1', '2026-03-03T00:00:00Z', 3));
    expect(calls.filter((c) => c.collection === 'fit_chunks')).toEqual([]);
    expect(calls.filter((c) => c.collection === 'fits' && c.method !== 'findOne')).toEqual([]);
  });

  it('duplicates in a batch (E11000 write errors) are counted, and a duplicate conversion carries the stored one', async () => {
    const { store, calls, reply } = recordingStore();
    const memory = track(createMemoryStore());
    track(store);
    const t1 = touch({ id: 't1', at: '2026-03-01T00:00:00Z' });
    const t2 = touch({ id: 't2', at: '2026-03-01T00:00:00Z' });
    await memory.touches.insert(A, t1);
    reply('touches', 'bulkWrite', () => {
      throw duplicateKeyError([0, 2], 1);
    });
    expect(await store.touches.insertMany(A, [t1, t2, t2])).toEqual(await memory.touches.insertMany(A, [t1, t2, t2]));

    const first = conversion('o1', '2026-03-01T18:00:00+08:00', { value: 10 });
    const resent = conversion('o1', '2026-03-01T18:00:00+08:00', { value: 99 });
    const fresh = conversion('o2', '2026-03-01T00:00:00Z');
    await memory.conversions.insert(A, first);
    await store.conversions.insert(A, first);
    const firstDoc = bulkInserts(last(calls, 'conversions', 'bulkWrite'))[0];
    reply('conversions', 'bulkWrite', () => {
      throw duplicateKeyError([0], 1);
    });
    reply('conversions', 'find', () => [firstDoc]);
    expect(await store.conversions.insertMany(A, [resent, fresh])).toStrictEqual(await memory.conversions.insertMany(A, [resent, fresh]));
    expect(last(calls, 'conversions', 'find').args[0]).toEqual({ workspace: A, id: { $in: ['o1'] } });

    // Any other bulk failure (here a network error the driver wraps) is thrown, never counted.
    reply('touches', 'bulkWrite', () => {
      throw new mongoose.mongo.MongoBulkWriteError(new Error('connection reset'), bulkResult(0));
    });
    await expect(store.touches.insertMany(A, [t2])).rejects.toThrow(/connection reset/);
  });

  it('community records (groups, invite links, grants, audit, keywords, digests, join requests) come back as written', async () => {
    const { store, calls, reply } = recordingStore();
    const memory = track(createMemoryStore());
    track(store);
    const m = memory.community;
    const r = store.community;

    const g = group('-1001', { addedBy: 'telegram:7', migratedTo: undefined, at: '2026-03-01T18:00:00+08:00' });
    const wantGroup = await m.groups.upsert(A, g);
    reply('community_groups', 'findOneAndUpdate', (args) => upserted(args[0] as Doc, args[1] as Doc));
    expect(await r.groups.upsert(A, g)).toStrictEqual(wantGroup);
    const upsert = last(calls, 'community_groups', 'findOneAndUpdate');
    expect(upsert.args[2]).toMatchObject({ upsert: true, returnDocument: 'after', projection: { _id: 0 } });
    // The filter's fields are not $set again (MongoDB retries a racing upsert only then).
    expect(Object.keys((upsert.args[1] as { $set: Doc }).$set).sort()).toEqual(['account', 'addedBy', 'botIsAdmin', 'status', 'title', 'updatedAt']);

    for (const l of [inviteLink('https://t.me/+a', { createdAt: '2026-03-01T18:00:00+08:00' }), inviteLink('https://t.me/+b', { revokedAt: '2026-03-02T00:00:00+08:00' })]) {
      await m.inviteLinks.insert(A, l);
      await r.inviteLinks.insert(A, l);
      const doc = stored(last(calls, 'community_invite_links', 'insertOne').args[0]);
      reply('community_invite_links', 'findOne', () => doc);
      expect(await r.inviteLinks.findByUrl(A, 'telegram', l.url)).toStrictEqual(await m.inviteLinks.findByUrl(A, 'telegram', l.url));
    }

    const grant = { workspace: A, subject: 'telegram:7', role: 'manager' as const, grantedBy: 'cli', grantedAt: '2026-03-01T18:00:00+08:00' };
    await m.grants.grant(A, grant);
    await r.grants.grant(A, grant);
    const grantDoc = stored(last(calls, 'community_grants', 'insertOne').args[0]);
    reply('community_grants', 'find', () => [grantDoc]);
    expect(await r.grants.list(A)).toStrictEqual(await m.grants.list(A));

    const entries = [audit('e1', '2026-03-01T18:00:00+08:00', { outcome: 'refused', detail: 'member' }), audit('e2', '2026-03-01T11:00:00Z', { detail: undefined })];
    for (const e of entries) {
      await m.audit.append(A, e);
      await r.audit.append(A, e);
    }
    const auditDocs = calls.filter((c) => c.collection === 'community_audit' && c.method === 'insertOne').map((c) => stored(c.args[0]));
    reply('community_audit', 'find', () => auditDocs);
    expect(await r.audit.list(A)).toStrictEqual(await m.audit.list(A));

    const kw = { workspace: A, keyword: 'Price ', key: 'price', addedBy: 'telegram:7', addedAt: '2026-03-01T18:00:00+08:00' };
    await m.keywords.add(A, kw);
    await r.keywords.add(A, kw);
    const kwDoc = stored(last(calls, 'community_keywords', 'insertOne').args[0]);
    reply('community_keywords', 'find', () => [kwDoc]);
    expect(await r.keywords.list(A)).toStrictEqual(await m.keywords.list(A));

    // A caller handing over a whole subscription (lastRunKey included) must not break the upsert.
    const sub = { workspace: A, platform: 'telegram' as const, chatId: '7', account: '111', frequency: 'daily' as const, subscribedBy: 'telegram:7', subscribedAt: '2026-03-01T08:00:00+08:00', lastRunKey: '2026-02-28' };
    await m.digests.put(A, sub);
    await r.digests.put(A, sub);
    const digestUpdate = last(calls, 'community_digests', 'updateOne');
    const update = digestUpdate.args[1] as { $set: Doc; $setOnInsert: Doc };
    expect(Object.keys(update.$set).filter((k) => k in update.$setOnInsert)).toEqual([]);
    const digestDoc = upserted(digestUpdate.args[0] as Doc, update);
    reply('community_digests', 'findOne', () => digestDoc);
    expect(await r.digests.get(A, 'telegram', '7')).toStrictEqual(await m.digests.get(A, 'telegram', '7'));

    const req = { workspace: A, platform: 'telegram' as const, chatId: '-1001', userId: '7', touchId: 't1', requestedAt: '2026-03-01T08:00:00+08:00', expiresAt: '2026-03-03T00:00:00Z' };
    await m.joinRequests.put(A, req);
    await r.joinRequests.put(A, req);
    const reqDoc = stored(last(calls, 'community_join_requests', 'replaceOne').args[1]);
    // TTL indexes only expire BSON Dates.
    expect(reqDoc.expiresAt).toBeInstanceOf(Date);
    reply('community_join_requests', 'findOneAndDelete', () => reqDoc);
    expect(await r.joinRequests.take(A, 'telegram', '-1001', '7', '2026-03-02T00:00:00Z')).toStrictEqual(await m.joinRequests.take(A, 'telegram', '-1001', '7', '2026-03-02T00:00:00Z'));

    await r.erasures.put(A, { workspace: A, subject: 'telegram:7', code: '123456', expiresAt: '2026-03-01T00:10:00Z' });
    expect(stored(last(calls, 'community_erasures', 'replaceOne').args[1]).expiresAt).toBeInstanceOf(Date);
  });
});

/** Calls every store method with workspace `ws`, scripting replies so multi-step methods reach their later operations. */
async function callEverything(ws: string, rec: ReturnType<typeof recordingStore>): Promise<void> {
  const { store: s, reply } = rec;
  const tg = { type: 'tg_id' as const, value: '101' };
  const settle = async (p: Promise<unknown>): Promise<void> => {
    await p.catch(() => undefined);
  };
  const t = touch({ id: 't1', at: '2026-03-01T00:00:00Z', workspace: ws });
  await settle(s.touches.insert(ws, t));
  await settle(s.touches.insertMany(ws, [t]));
  await settle(s.touches.get(ws, 't1'));
  await settle(s.touches.list(ws, { profileId: 'p1', chatId: '-1', kinds: ['join'], from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z', limit: 5 }));
  await settle(s.touches.list(ws, {}));
  await settle(s.touches.markApplied(ws, 't1'));
  await settle(s.touches.insertEach(ws, [t]));
  await settle(s.touches.markAppliedMany(ws, ['t1']));
  await settle(s.touches.assign(ws, 't1', 'p2'));
  await settle(s.touches.reassign(ws, 'p1', 'p2'));
  await settle(s.touches.count(ws));
  await settle(s.touches.deleteByProfile(ws, 'p1'));
  await settle(s.identities.find(ws, [tg]));
  reply('identities', 'find', () => [{ workspace: ws, type: 'tg_id', value: '101', profileId: 'p1' }]);
  await settle(s.identities.claim(ws, [tg], 'p1'));
  await settle(s.identities.reassign(ws, 'p1', 'p2'));
  await settle(s.identities.ofProfile(ws, 'p1'));
  await settle(s.identities.deleteByProfile(ws, 'p1'));
  const p = plainProfile(ws, 'p1', ['alice']);
  await settle(s.profiles.put(ws, p));
  await settle(s.profiles.create(ws, p));
  await settle(s.profiles.applyTouch(ws, 'p1', deltaOfTouch(t), { at: '2026-03-01T00:00:00Z', username: 'alice', identifiers: [tg] }));
  await settle(s.profiles.fence(ws, 'p1', 'tok'));
  await settle(s.profiles.replace(ws, p, { token: 'tok', adopted: ['t1'] }));
  await settle(s.profiles.noteConversion(ws, 'p1'));
  await settle(s.profiles.addIdentifiers(ws, 'p1', [tg]));
  await settle(s.profiles.get(ws, 'p1'));
  await settle(s.profiles.delete(ws, 'p1'));
  await settle(s.profiles.findByUsername(ws, 'alice'));
  await settle(s.profiles.list(ws, { afterId: 'p0', limit: 10 }));
  await settle(s.profiles.list(ws));
  await settle(s.profiles.count(ws));

  const a = s;
  await settle(a.links.insert(ws, link('c1', ws)));
  await settle(a.links.get(ws, 'c1'));
  await settle(a.links.list(ws, { afterCode: 'c0', limit: 5 }));
  await settle(a.memberTokens.issue(ws, { workspace: ws, token: 'tk', member: tg, profileId: 'p1', createdAt: '2026-03-01T00:00:00Z' }));
  await settle(a.memberTokens.get(ws, 'tk'));
  await settle(a.memberTokens.deleteByMember(ws, { identifiers: [tg], profileIds: ['p1'] }));
  await settle(a.clicks.insert(ws, click('k1', ws)));
  await settle(a.clicks.get(ws, 'k1'));
  await settle(a.clicks.count(ws));
  await settle(a.clicks.deleteByProfile(ws, 'p1'));
  const conv = { ...conversion('o1', '2026-03-01T00:00:00Z'), workspace: ws, identifiers: [tg] };
  reply('conversions', 'bulkWrite', () => {
    throw duplicateKeyError([0], 0);
  });
  reply('conversions', 'find', () => [stored({ ...conv, occurredAt: new Date('2026-03-01T00:00:00Z'), identifierKeys: ['tg_id|101'] })]);
  await settle(a.conversions.insertMany(ws, [conv]));
  await settle(a.conversions.get(ws, 'o1'));
  await settle(a.conversions.setOutcome(ws, 'o1', { status: 'matched', match: { rule: 'tg_id', profileId: 'p1', lowConfidence: false }, reconciledAt: '2026-03-02T00:00:00Z' }));
  await settle(a.conversions.list(ws, { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z', status: 'matched', profileId: 'p1', after: { at: '2026-01-01T00:00:00Z', id: 'o0' }, limit: 5 }));
  await settle(a.conversions.related(ws, { identifiers: [tg], profileIds: ['p1'], from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }));
  await settle(a.conversions.count(ws));
  reply('conversions', 'find', () => [{ id: 'o1' }]);
  await settle(a.conversions.unlinkRelated(ws, { identifiers: [tg], profileIds: ['p1'], at: '2026-03-05T00:00:00Z' }));
  await settle(a.credits.put(ws, credits('o1', '2026-03-01T00:00:00Z', ws)));
  await settle(a.credits.get(ws, 'o1'));
  await settle(a.credits.delete(ws, 'o1'));
  await settle(a.credits.deleteMany(ws, ['o1', 'o2']));
  await settle(a.credits.list(ws, { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z', models: ['linear'], after: { at: '2026-01-01T00:00:00Z', id: 'o0' }, limit: 5 }));
  await settle(a.credits.count(ws));
  await settle(a.credits.getMany(ws, ['o1', 'o2']));
  await settle(a.credits.replaceExisting(ws, [credits('o1', '2026-03-01T00:00:00Z', ws)]));
  await settle(a.fits.put(ws, { ...fit('f1', '2026-03-01T00:00:00Z', 3), workspace: ws }));
  reply('fits', 'findOne', () => stored({ workspace: ws, id: 'f1', month: '2026-03', createdAt: new Date(), chunks: 1 }));
  await settle(a.fits.get(ws, 'f1'));
  await settle(a.fits.markDirty(ws, ['2026-03', '2026-04']));
  reply('fits', 'find', () => [{ id: 'old' }]);
  await settle(a.fits.setCurrent(ws, { month: '2026-03', fitId: 'f1', fittedAt: '2026-03-02T00:00:00Z', journeys: 3, conversions: 1, marks: 2 }));
  reply('fit_months', 'insertOne', () => {
    throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
  });
  await settle(a.fits.setCurrent(ws, { month: '2026-04', fitId: null, fittedAt: '2026-03-02T00:00:00Z', journeys: 0, conversions: 0, marks: 0 }));
  await settle(a.fits.setCredited(ws, '2026-03', 'f1'));
  await settle(a.fits.month(ws, '2026-03'));
  await settle(a.fits.months(ws, { from: '2026-01', to: '2026-04' }));

  const c = s.community;
  await settle(c.groups.upsert(ws, { ...group('-1001'), workspace: ws }));
  await settle(c.groups.get(ws, 'telegram', '-1001'));
  await settle(c.groups.list(ws, { platform: 'telegram', status: 'active' }));
  await settle(c.inviteLinks.insert(ws, { ...inviteLink('https://t.me/+a'), workspace: ws }));
  await settle(c.inviteLinks.findByUrl(ws, 'telegram', 'https://t.me/+a'));
  await settle(c.inviteLinks.list(ws, { platform: 'telegram', chatId: '-1001', campaign: 'spring' }));
  await settle(c.inviteLinks.list(ws, { campaign: 'spring', includeRevoked: true }));
  await settle(c.inviteLinks.markRevoked(ws, 'telegram', 'https://t.me/+a', '2026-03-02T00:00:00Z'));
  await settle(c.grants.grant(ws, { workspace: ws, subject: 'telegram:7', role: 'manager', grantedBy: 'cli', grantedAt: '2026-03-01T00:00:00Z' }));
  await settle(c.grants.revoke(ws, 'telegram:7', 'manager'));
  await settle(c.grants.ofSubject(ws, 'telegram:7'));
  await settle(c.grants.list(ws));
  await settle(c.audit.append(ws, { ...audit('e1', '2026-03-01T00:00:00Z'), workspace: ws }));
  await settle(c.audit.list(ws, { actor: 'telegram:7', from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z', limit: 5 }));
  await settle(c.audit.eraseActor(ws, 'telegram:7'));
  await settle(c.keywords.add(ws, { workspace: ws, keyword: 'x', key: 'x', addedBy: 'cli', addedAt: '2026-03-01T00:00:00Z' }));
  await settle(c.keywords.remove(ws, 'x'));
  await settle(c.keywords.list(ws));
  await settle(c.digests.put(ws, { workspace: ws, platform: 'telegram', chatId: '7', account: '111', frequency: 'daily', subscribedBy: 'cli', subscribedAt: '2026-03-01T00:00:00Z' }));
  await settle(c.digests.remove(ws, 'telegram', '7'));
  await settle(c.digests.get(ws, 'telegram', '7'));
  await settle(c.digests.list(ws));
  await settle(c.digests.claimRun(ws, 'telegram', '7', '2026-03-01'));
  await settle(c.erasures.put(ws, { workspace: ws, subject: 'telegram:7', code: '1', expiresAt: '2026-03-01T00:00:00Z' }));
  await settle(c.erasures.take(ws, 'telegram:7', '1', '2026-03-01T00:00:00Z'));
  await settle(c.erasures.clear(ws, 'telegram:7'));
  await settle(c.optOuts.add(ws, 'telegram:7', '2026-03-01T00:00:00Z'));
  await settle(c.optOuts.has(ws, 'telegram:7'));
  await settle(c.optOuts.remove(ws, 'telegram:7'));
  await settle(c.joinRequests.put(ws, { workspace: ws, platform: 'telegram', chatId: '-1001', userId: '7', touchId: 't1', requestedAt: '2026-03-01T00:00:00Z', expiresAt: '2026-03-02T00:00:00Z' }));
  await settle(c.joinRequests.take(ws, 'telegram', '-1001', '7', '2026-03-01T00:00:00Z'));
  await settle(c.joinRequests.removeUser(ws, 'telegram', '7'));
}

/** Every filter a call sends and every document it writes. */
function filtersAndDocs(call: Call): { filters: Doc[]; docs: Doc[] } {
  const [first, second] = call.args as [Doc, Doc | undefined];
  switch (call.method) {
    case 'insertOne':
      return { filters: [], docs: [first] };
    case 'bulkWrite': {
      const ops = call.args[0] as Array<{ insertOne?: { document: { toBSON?: () => Doc } & Doc }; updateOne?: { filter: Doc }; replaceOne?: { filter: Doc; replacement: Doc } }>;
      return {
        filters: ops.flatMap((o) => (o.updateOne ? [o.updateOne.filter] : o.replaceOne ? [o.replaceOne.filter] : [])),
        docs: ops.flatMap((o) => (o.insertOne ? [stored(o.insertOne.document)] : o.replaceOne ? [stored(o.replaceOne.replacement)] : [])),
      };
    }
    case 'replaceOne':
      return { filters: [first], docs: [second ?? {}] };
    default:
      return { filters: [first], docs: [] };
  }
}

describe('mongo adapters offline: every operation is scoped to the workspace of the call', () => {
  it('every filter and written document of every method names the workspace', async () => {
    const rec = recordingStore();
    track(rec.store);
    await callEverything('ws-x', rec);
    const collections = new Set(rec.calls.map((c) => c.collection));
    // Each of the 20 collections was reached, so no method escaped the sweep silently.
    expect([...collections].sort()).toEqual(
      [
        'clicks', 'community_audit', 'community_digests', 'community_erasures', 'community_grants', 'community_groups', 'community_invite_links',
        'community_join_requests', 'community_keywords', 'community_opt_outs', 'conversions', 'credits', 'fit_chunks', 'fit_months', 'fits', 'identities',
        'links', 'member_tokens', 'profiles', 'touches',
      ].sort(),
    );
    const unscoped: string[] = [];
    for (const call of rec.calls) {
      const { filters, docs } = filtersAndDocs(call);
      for (const f of filters) if (f.workspace !== 'ws-x') unscoped.push(`${call.collection}.${call.method} ${JSON.stringify(f)}`);
      for (const d of docs) if (d.workspace !== 'ws-x') unscoped.push(`${call.collection}.${call.method} writes ${JSON.stringify(d)}`);
    }
    expect(unscoped).toEqual([]);
    // The one read without a workspace: a tracked link's URL carries only its code.
    await rec.store.links.workspaceOfCode('c1');
    expect(last(rec.calls, 'links', 'findOne').args[0]).toEqual({ code: 'c1' });
  });

  it('reads hide _id, never send limit(0), and every filter+sort is backed by a workspace-first index', async () => {
    const rec = recordingStore();
    track(rec.store);
    await callEverything('ws-x', rec);
    for (const limit of [0]) {
      expect(await rec.store.touches.list('ws-x', { limit })).toEqual([]);
      expect(await rec.store.profiles.list('ws-x', { limit })).toEqual([]);
      expect(await rec.store.links.list('ws-x', { limit })).toEqual([]);
      expect(await rec.store.conversions.list('ws-x', { limit })).toEqual([]);
      expect(await rec.store.credits.list('ws-x', { limit })).toEqual([]);
      expect(await rec.store.community.audit.list('ws-x', { limit })).toEqual([]);
    }
    const indexes = new Map<string, Array<Record<string, number>>>();
    for (const model of Object.values(rec.connection.models)) indexes.set(model.collection.name, model.schema.indexes().map(([keys]) => keys as Record<string, number>));
    const problems: string[] = [];
    for (const call of rec.calls.filter((c) => c.method === 'find' || c.method === 'findOne' || c.method === 'findOneAndUpdate' || c.method === 'findOneAndDelete')) {
      const options = (call.method === 'findOneAndUpdate' ? call.args[2] : call.args[1]) as { projection?: Doc; sort?: Record<string, number>; limit?: number } | undefined;
      const where = `${call.collection}.${call.method}`;
      if (options?.limit === 0) problems.push(`${where} sends limit(0)`);
      const projection = options?.projection;
      // exists() asks for _id only, which is all it reads.
      const onlyId = projection !== undefined && Object.keys(projection).length === 1 && projection._id === 1;
      if (!onlyId && projection?._id !== 0) problems.push(`${where} returns _id (projection ${JSON.stringify(projection)})`);
      const filter = call.args[0] as Doc;
      if (filter.workspace === undefined) continue;
      const sort = Object.keys(options?.sort ?? {});
      const backed = (indexes.get(call.collection) ?? []).some((keys) => {
        const names = Object.keys(keys);
        return names[0] === 'workspace' && sort.every((s) => names.includes(s));
      });
      if (!backed) problems.push(`${where} sorts on ${sort.join(', ')} with no index holding them`);
    }
    expect(problems).toEqual([]);
  });

  it('TTL indexes are on Date paths', () => {
    const { connection, store } = recordingStore();
    track(store);
    for (const model of Object.values(connection.models)) {
      for (const [keys, options] of model.schema.indexes()) {
        if ((options as { expireAfterSeconds?: number }).expireAfterSeconds === undefined) continue;
        const [path] = Object.keys(keys);
        expect(Object.keys(keys)).toHaveLength(1);
        expect(model.schema.path(path ?? '')?.instance, `${model.collection.name}.${path}`).toBe('Date');
      }
    }
  });
});
