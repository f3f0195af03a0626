/**
 * The MongoDB counters checked without a server (the contract suite runs them on one when
 * `MONGO_URL` is set): every method's driver call is recorded (the collections are replaced
 * by recorders on a connection that never connects) and checked for
 * - workspace isolation: every filter and written document names the workspace of the call;
 * - an index that serves it: every filter is backed by an index of its collection that starts
 *   with `workspace` and whose next field is in the filter (a range or `$elemMatch` on an
 *   array path counts; a filter on the workspace alone scans an index's prefix), and every
 *   sort by fields of that index;
 * - no `limit(0)` reaching the driver, `_id` hidden on reads;
 * and a round trip through real BSON (a person's facts and a day's counters written, stored
 * and read back) gives what the in-memory adapter gives.
 */
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/store/memory-store.js';
import { createMongoStoreOn } from '../src/store/mongo-store.js';
import { dayCounters, facts } from './counters-contract.js';

const { BSON } = mongoose.mongo;
type Doc = Record<string, unknown>;
interface Call {
  collection: string;
  method: string;
  args: unknown[];
}

const COUNTER_COLLECTIONS = ['counter_marks', 'counter_days', 'counter_people', 'counter_state'];

function recordingStore(replies: Map<string, (args: unknown[]) => unknown> = new Map()) {
  const connection = mongoose.createConnection();
  const store = createMongoStoreOn(connection);
  const calls: Call[] = [];
  for (const model of Object.values(connection.models)) {
    const name = model.collection.name;
    if (!COUNTER_COLLECTIONS.includes(name)) continue;
    const collection = model.collection as unknown as Record<string, unknown>;
    for (const method of ['find', 'findOne', 'countDocuments', 'bulkWrite', 'replaceOne', 'deleteMany', 'updateOne']) {
      collection[method] = (...args: unknown[]): unknown => {
        calls.push({ collection: name, method, args });
        const scripted = replies.get(`${name}.${method}`);
        const value = scripted ? scripted(args) : method === 'find' ? [] : method === 'findOne' ? null : method === 'countDocuments' ? 0 : method === 'bulkWrite' ? { modifiedCount: 0 } : { acknowledged: true, deletedCount: 0 };
        if (method === 'find') {
          const rows = value as Doc[];
          const cursor = {
            toArray: async () => rows,
            async *[Symbol.asyncIterator]() {
              yield* rows;
            },
          };
          return cursor;
        }
        return Promise.resolve(value);
      };
    }
  }
  const indexes = new Map<string, Array<Record<string, number>>>();
  for (const model of Object.values(connection.models)) indexes.set(model.collection.name, model.schema.indexes().map(([keys]) => keys as Record<string, number>));
  return { store, calls, indexes };
}

/** Field paths a filter constrains, `$elemMatch` paths joined on (`memberships.joins.at`). */
function paths(filter: Doc, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$')) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    if (v && typeof v === 'object' && !(v instanceof Date) && '$elemMatch' in (v as Doc)) {
      const inner = (v as Doc).$elemMatch as Doc;
      const innerPaths = paths(inner, path);
      out.push(...innerPaths);
    }
  }
  return out;
}

/** The filters of a call: a read's first argument, each bulk operation's filter, a replace's filter. */
function filtersOf(call: Call): Doc[] {
  if (call.method === 'bulkWrite') return (call.args[0] as Doc[]).map((op) => ((Object.values(op)[0] as Doc).filter as Doc));
  return [call.args[0] as Doc];
}

async function everyMethod(ws: string) {
  const rec = recordingStore();
  const c = rec.store.counters;
  await c.markDirty(ws, [{ kind: 'day', key: '2026-03-01' }, { kind: 'person', key: 'p1' }]);
  await c.dirty(ws, 'day', 5);
  await c.marks(ws, 'person', { afterKey: 'p0', limit: 5 });
  await c.markClean(ws, [{ kind: 'day', key: '2026-03-01', marks: 1 }]);
  await c.putDay(ws, dayCounters('2026-03-01', 5, {}, ws));
  await c.days(ws, { from: '2026-03-01', to: '2026-03-31' }, ['totals', 'credits.linear.group']);
  await c.dayList(ws);
  await c.putPerson(ws, facts('p1', {}, ws));
  await c.people(ws, ['p1', 'p2']);
  await c.personIds(ws, { afterId: 'p0', limit: 10 });
  for await (const _ of c.joinsIn(ws, { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', chatId: '-1001' })) void _;
  for await (const _ of c.leavesIn(ws, { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' })) void _;
  await c.countActive(ws, { from: '2026-03-01', to: '2026-03-31' });
  await c.countActive(ws, { from: '2026-03-01', to: '2026-03-31', chatId: '-1001' });
  await c.state(ws);
  await c.setState(ws, { workspace: ws, timeZone: 'UTC', builtAt: null, rebuildRequested: false });
  await c.clearDays(ws);
  return rec;
}

describe('mongo counters offline', () => {
  it('every filter names the workspace and is served by a workspace-first index; sorts too; no limit(0); _id hidden', async () => {
    const { calls, indexes } = await everyMethod('ws-x');
    const problems: string[] = [];
    const methods = new Set(calls.map((c) => `${c.collection}.${c.method}`));
    // Every collection is exercised.
    for (const col of COUNTER_COLLECTIONS) expect([...methods].some((m) => m.startsWith(`${col}.`)), col).toBe(true);
    for (const call of calls) {
      for (const f of filtersOf(call)) {
        const where = `${call.collection}.${call.method} ${JSON.stringify(f)}`;
        if (f.workspace !== 'ws-x') problems.push(`${where}: not scoped`);
        const constrained = paths(f);
        const served = (indexes.get(call.collection) ?? []).some((keys) => {
          const names = Object.keys(keys);
          return names[0] === 'workspace' && (names.length === 1 || constrained.includes(names[1] as string) || constrained.every((c) => c === 'workspace'));
        });
        if (!served) problems.push(`${where}: no index serves it`);
      }
      if (call.method === 'find') {
        const options = (call.args[1] ?? {}) as { sort?: Doc; limit?: number; projection?: Doc };
        if (options.limit === 0) problems.push(`${call.collection}.find sends limit(0)`);
        const sort = Object.keys(options.sort ?? {});
        const names = (indexes.get(call.collection) ?? []).map((k) => Object.keys(k));
        if (sort.length > 0 && !names.some((n) => n[0] === 'workspace' && sort.every((s) => n.includes(s)) && paths(call.args[0] as Doc).includes(n[1] as string))) problems.push(`${call.collection}.find sorts on ${sort.join(', ')} with no index holding them`);
        if (options.projection?._id !== 0) problems.push(`${call.collection}.find returns _id`);
      }
      if (call.method === 'bulkWrite' || call.method === 'replaceOne') {
        const docs = call.method === 'replaceOne' ? [call.args[1] as Doc] : (call.args[0] as Doc[]).map((op) => (Object.values(op)[0] as Doc).replacement as Doc | undefined).filter((d): d is Doc => d !== undefined);
        for (const d of docs) if (d.workspace !== 'ws-x') problems.push(`${call.collection}.${call.method} writes ${JSON.stringify(d).slice(0, 80)}`);
      }
    }
    expect(problems).toEqual([]);
    // Ranges over arrays hold both bounds on one element.
    const count = calls.find((c) => c.collection === 'counter_people' && c.method === 'countDocuments');
    expect(count?.args[0]).toEqual({ workspace: 'ws-x', activeDays: { $elemMatch: { $gte: '2026-03-01', $lte: '2026-03-31' } } });
    const joining = calls.find((c) => c.collection === 'counter_people' && c.method === 'find' && JSON.stringify(c.args[0]).includes('joins'));
    expect(joining?.args[0]).toEqual({ workspace: 'ws-x', 'memberships.joins': { $elemMatch: { at: { $gte: new Date('2026-03-01T00:00:00Z'), $lt: new Date('2026-04-01T00:00:00Z') } } } });
  });

  it('a person’s facts and a day’s counters come back from real BSON as the memory adapter gives them', async () => {
    const written: Doc[] = [];
    const capture = recordingStore(
      new Map<string, (args: unknown[]) => unknown>([
        ['counter_people.replaceOne', (args) => void written.push(BSON.deserialize(BSON.serialize({ _id: new mongoose.mongo.ObjectId(), ...(args[1] as Doc) })))],
        ['counter_days.bulkWrite', (args) => void (args[0] as Doc[]).forEach((op) => written.push(BSON.deserialize(BSON.serialize({ _id: new mongoose.mongo.ObjectId(), ...((op.replaceOne as Doc).replacement as Doc) }))))],
      ]),
    );
    const p = facts('p1');
    p.memberships[0]!.joins[0]!.at = '2026-03-01T18:00:00+08:00';
    await capture.store.counters.putPerson('a', p);
    await capture.store.counters.putDay('a', dayCounters('2026-03-01', 5));
    const person = written.find((d) => d.profileId === 'p1');
    const parts = written.filter((d) => d.day === '2026-03-01');
    const read = recordingStore(
      new Map<string, (args: unknown[]) => unknown>([
        ['counter_people.find', () => [person]],
        ['counter_days.find', () => parts.filter((d) => ['totals', 'credits.linear.keyword'].includes(d.part as string))],
      ]),
    );
    const memory = createMemoryStore();
    await memory.counters.putPerson('a', p);
    await memory.counters.putDay('a', dayCounters('2026-03-01', 5));
    expect(await read.store.counters.people('a', ['p1'])).toStrictEqual(await memory.counters.people('a', ['p1']));
    expect(await read.store.counters.days('a', { from: '2026-03-01', to: '2026-03-01' }, ['totals', 'credits.linear.keyword'])).toStrictEqual(await memory.counters.days('a', { from: '2026-03-01', to: '2026-03-01' }, ['totals', 'credits.linear.keyword']));
  });
});
