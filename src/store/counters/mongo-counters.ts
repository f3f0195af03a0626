/**
 * MongoDB counters (see `counter-repo.ts`). Thin: each method is one or two operations, every
 * unique key and every query backed by an index created in `init()`.
 *
 * Collections and indexes:
 * - `counter_marks`: one document per unit ever marked; unique `workspace, kind, key`
 *   (markDirty, markClean, marks); `workspace, kind, dirty, key` (dirty units in key order).
 * - `counter_days`: one document per day and part (`data` holds the part), so a report reads
 *   only the parts it needs; unique `workspace, day, part` (putDay); `workspace, part, day`
 *   (days, dayList).
 * - `counter_people`: one document per person, memberships embedded, so replacing a person's
 *   facts is one atomic write; join and leave times are BSON Dates. Unique `workspace,
 *   profileId` (putPerson, people, personIds); multikey `workspace, memberships.joins.at`
 *   (joinsIn), `workspace, memberships.leaves.at` (leavesIn), `workspace,
 *   activeDays` and `workspace, memberships.activeDays` (countActive).
 * - `counter_state`: unique `workspace`.
 *
 * Range queries on array elements use `$elemMatch`, so both bounds hold for one element.
 * A versioned replace (`putDay`, `putPerson`) filters on `version ≤ new`; when a newer
 * version is stored the filter matches nothing, the upsert's insert hits the unique index,
 * and the write is refused.
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, Model } from 'mongoose';
import { HIDDEN, SCHEMA_OPTIONS, duplicatesOnly, isDuplicateKey, strip } from '../mongo-support.js';
import { assertSameWorkspace, canonicalTime, instantOf, resolveLimit } from '../rules.js';
import type { CounterMark, CounterRepo, CounterState, DayCounters, DayParts, PersonFacts } from './counter-repo.js';
import { DAY_PARTS, PEOPLE_PAGE, emptyPart, joinsOfFacts, leavesOfFacts } from './counter-repo.js';
import { DEFAULT_COUNTER_LIST_LIMIT, DEFAULT_DIRTY_LIMIT, assertDay, canonicalDay, canonicalFacts, distinctUnits } from './counter-rules.js';

const { Schema } = mongoose;

export interface MarkDoc {
  workspace: string;
  kind: string;
  key: string;
  marks: number;
  dirty: boolean;
}

export interface DayPartDoc {
  workspace: string;
  day: string;
  part: string;
  timeZone: string;
  version: number;
  computedAt: string;
  data: unknown;
}

/** A person's facts as stored: join and leave times as BSON Dates. */
export type PersonDoc = Omit<PersonFacts, 'memberships'> & {
  memberships: Array<Omit<PersonFacts['memberships'][number], 'joins' | 'leaves'> & { joins: Array<{ at: Date; campaign: string | null; engagedAt: string | null }>; leaves: Array<{ at: Date; campaign: string | null }> }>;
};

const markSchema = new Schema<MarkDoc>({ workspace: String, kind: String, key: String, marks: Number, dirty: Boolean }, { ...SCHEMA_OPTIONS, collection: 'counter_marks' });
markSchema.index({ workspace: 1, kind: 1, key: 1 }, { unique: true, name: 'workspace_unit_unique' });
markSchema.index({ workspace: 1, kind: 1, dirty: 1, key: 1 }, { name: 'workspace_dirty' });

const daySchema = new Schema<DayPartDoc>(
  { workspace: String, day: String, part: String, timeZone: String, version: Number, computedAt: String, data: { type: Schema.Types.Mixed } },
  { ...SCHEMA_OPTIONS, collection: 'counter_days' },
);
daySchema.index({ workspace: 1, day: 1, part: 1 }, { unique: true, name: 'workspace_day_part_unique' });
daySchema.index({ workspace: 1, part: 1, day: 1 }, { name: 'workspace_part_day' });

const personSchema = new Schema<PersonDoc>(
  { workspace: String, profileId: String, version: Number, activeDays: { type: [String], default: undefined }, memberships: { type: Schema.Types.Mixed } },
  { ...SCHEMA_OPTIONS, collection: 'counter_people' },
);
personSchema.index({ workspace: 1, profileId: 1 }, { unique: true, name: 'workspace_profile_unique' });
personSchema.index({ workspace: 1, 'memberships.joins.at': 1 }, { name: 'workspace_joins' });
personSchema.index({ workspace: 1, 'memberships.leaves.at': 1 }, { name: 'workspace_leaves' });
personSchema.index({ workspace: 1, activeDays: 1 }, { name: 'workspace_active_days' });
personSchema.index({ workspace: 1, 'memberships.activeDays': 1 }, { name: 'workspace_group_active_days' });

const stateSchema = new Schema<CounterState>({ workspace: String, timeZone: String, builtAt: String, rebuildRequested: Boolean }, { ...SCHEMA_OPTIONS, collection: 'counter_state' });
stateSchema.index({ workspace: 1 }, { unique: true, name: 'workspace_unique' });

/** The document a person's facts are stored as. */
export function toPersonDoc(workspace: string, facts: PersonFacts): PersonDoc {
  const f = canonicalFacts(workspace, facts);
  return {
    ...f,
    memberships: f.memberships.map((m) => ({
      ...m,
      joins: m.joins.map((j) => ({ ...j, at: new Date(j.at) })),
      leaves: m.leaves.map((l) => ({ ...l, at: new Date(l.at) })),
    })),
  };
}

/** The facts a lean document stands for. */
export function fromPersonDoc(doc: PersonDoc): PersonFacts {
  const d = strip<PersonDoc>(doc);
  return {
    ...d,
    memberships: d.memberships.map((m) => ({
      ...m,
      joins: m.joins.map((j) => ({ at: j.at.toISOString(), campaign: j.campaign ?? null, engagedAt: j.engagedAt ?? null })),
      leaves: m.leaves.map((l) => ({ at: l.at.toISOString(), campaign: l.campaign ?? null })),
    })),
  };
}

/** `{ $gte, $lt }` of BSON Dates for an ISO [from, to). */
function dateRange(q: { from: string; to: string }): { $gte: Date; $lt: Date } {
  return { $gte: new Date(instantOf(q.from, 'from')), $lt: new Date(instantOf(q.to, 'to')) };
}

/** Rows of facts streamed per batch from a cursor. */
const BATCH = PEOPLE_PAGE;

/** The MongoDB counters on `connection`. */
export function createMongoCounters(connection: Connection): { counters: CounterRepo; models: Array<Model<never>> } {
  const Mark = connection.model<MarkDoc>('CounterMark', markSchema);
  const Day = connection.model<DayPartDoc>('CounterDay', daySchema);
  const Person = connection.model<PersonDoc>('CounterPerson', personSchema);
  const State = connection.model<CounterState>('CounterState', stateSchema);

  /**
   * Rows of `field` (joins or leaves) in [from, to) (in `chatId` when given), from the facts
   * (without their day lists, which can be long) of the people who have one, in pages.
   */
  async function* eventsIn<R extends { at: string; chatId: string }>(workspace: string, field: 'joins' | 'leaves', query: { from: string; to: string; chatId?: string }, rowsOf: (f: PersonFacts) => R[]): AsyncGenerator<R[]> {
    const range = dateRange(query);
    const from = range.$gte.toISOString();
    const to = range.$lt.toISOString();
    const projection = { ...HIDDEN, activeDays: 0, touchDays: 0, 'memberships.activeDays': 0 };
    const cursor = Person.collection.find({ workspace, [`memberships.${field}`]: { $elemMatch: { at: range } } }, { projection, batchSize: BATCH });
    let page: R[] = [];
    let people = 0;
    for await (const doc of cursor) {
      const d = doc as unknown as PersonDoc;
      const facts = fromPersonDoc({ ...d, activeDays: [], touchDays: [], memberships: d.memberships.map((m) => ({ ...m, activeDays: [] })) });
      for (const r of rowsOf(facts)) if (r.at >= from && r.at < to && (query.chatId === undefined || r.chatId === query.chatId)) page.push(r);
      if (++people >= PEOPLE_PAGE) {
        if (page.length > 0) yield page;
        page = [];
        people = 0;
      }
    }
    if (page.length > 0) yield page;
  }

  const counters: CounterRepo = {
    async markDirty(workspace, units) {
      const list = distinctUnits(units);
      if (list.length === 0) return;
      const ops: Array<AnyBulkWriteOperation<MarkDoc>> = list.map((u) => ({
        updateOne: { filter: { workspace, kind: u.kind, key: u.key }, update: { $inc: { marks: 1 }, $set: { dirty: true } }, upsert: true },
      }));
      try {
        await Mark.bulkWrite(ops, { ordered: false });
      } catch (err) {
        // Two first marks of one unit racing: the loser's upsert hit the unique index; run those again (they now update).
        const dup = duplicatesOnly(err);
        if (!dup) throw err;
        await Mark.bulkWrite([...dup.indexes].map((i) => ops[i] as AnyBulkWriteOperation<MarkDoc>), { ordered: false });
      }
    },
    async dirty(workspace, kind, limit) {
      const n = resolveLimit(limit, DEFAULT_DIRTY_LIMIT);
      if (n === 0) return [];
      const docs = await Mark.find({ workspace, kind, dirty: true }, HIDDEN).sort({ key: 1 }).limit(n).lean<MarkDoc[]>();
      return docs.map((d) => ({ kind, key: d.key, marks: d.marks }));
    },
    async marks(workspace, kind, options = {}) {
      const n = resolveLimit(options.limit, DEFAULT_COUNTER_LIST_LIMIT);
      if (n === 0) return [];
      const filter: Record<string, unknown> = { workspace, kind };
      if (options.afterKey !== undefined) filter.key = { $gt: options.afterKey };
      const docs = await Mark.find(filter, HIDDEN).sort({ key: 1 }).limit(n).lean<MarkDoc[]>();
      return docs.map((d) => ({ kind, key: d.key, marks: d.marks }));
    },
    async markClean(workspace, list: readonly CounterMark[]) {
      if (list.length === 0) return 0;
      const ops: Array<AnyBulkWriteOperation<MarkDoc>> = list.map((m) => ({
        updateOne: { filter: { workspace, kind: m.kind, key: m.key, marks: m.marks, dirty: true }, update: { $set: { dirty: false } } },
      }));
      const res = await Mark.bulkWrite(ops, { ordered: false });
      return res.modifiedCount;
    },

    async putDay(workspace, input) {
      const c = canonicalDay(workspace, input);
      const ops: Array<AnyBulkWriteOperation<DayPartDoc>> = DAY_PARTS.map((part) => ({
        replaceOne: {
          filter: { workspace, day: c.day, part, version: { $lte: c.version } },
          replacement: { workspace, day: c.day, part, timeZone: c.timeZone, version: c.version, computedAt: c.computedAt, data: c.parts[part] },
          upsert: true,
        },
      }));
      try {
        await Day.bulkWrite(ops, { ordered: false });
        return true;
      } catch (err) {
        // A part stored with a newer version: the filter matched nothing and the upsert hit the unique index.
        if (!duplicatesOnly(err)) throw err;
        return false;
      }
    },
    async days(workspace, range, parts) {
      assertDay(range.from, 'from');
      assertDay(range.to, 'to');
      if (parts.length === 0) return [];
      const docs = await Day.find({ workspace, part: { $in: [...parts] }, day: { $gte: range.from, $lte: range.to } }, HIDDEN).lean<DayPartDoc[]>();
      const byDay = new Map<string, DayCounters>();
      for (const d of docs) {
        let c = byDay.get(d.day);
        if (!c) {
          c = { workspace, timeZone: d.timeZone, day: d.day, version: d.version, computedAt: d.computedAt, parts: {} };
          byDay.set(d.day, c);
        }
        c.version = Math.max(c.version, d.version);
        (c.parts as Record<string, unknown>)[d.part] = d.data;
      }
      const out = [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : 1));
      for (const c of out) for (const p of parts) if ((c.parts as Partial<DayParts>)[p] === undefined) (c.parts as Record<string, unknown>)[p] = emptyPart(p);
      return out;
    },
    async dayList(workspace) {
      // Every put writes every part: the totals part lists the stored days.
      const docs = await Day.find({ workspace, part: 'totals' }, { _id: 0, day: 1 }).sort({ day: 1 }).lean<Array<{ day: string }>>();
      return docs.map((d) => d.day);
    },

    async putPerson(workspace, facts) {
      const doc = toPersonDoc(workspace, facts);
      try {
        await Person.replaceOne({ workspace, profileId: doc.profileId, version: { $lte: doc.version } }, doc, { upsert: true });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return false;
      }
    },
    async people(workspace, profileIds) {
      const ids = [...new Set(profileIds)];
      if (ids.length === 0) return [];
      const out: PersonFacts[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const docs = await Person.find({ workspace, profileId: { $in: ids.slice(i, i + BATCH) } }, HIDDEN).lean<PersonDoc[]>();
        for (const d of docs) out.push(fromPersonDoc(d));
      }
      return out;
    },
    async personIds(workspace, options = {}) {
      const n = resolveLimit(options.limit, DEFAULT_COUNTER_LIST_LIMIT);
      if (n === 0) return [];
      const filter: Record<string, unknown> = { workspace };
      if (options.afterId !== undefined) filter.profileId = { $gt: options.afterId };
      const docs = await Person.find(filter, { _id: 0, profileId: 1 }).sort({ profileId: 1 }).limit(n).lean<Array<{ profileId: string }>>();
      return docs.map((d) => d.profileId);
    },
    joinsIn(workspace, query) {
      return eventsIn(workspace, 'joins', query, joinsOfFacts);
    },
    leavesIn(workspace, query) {
      return eventsIn(workspace, 'leaves', query, leavesOfFacts);
    },
    async countActive(workspace, range) {
      assertDay(range.from, 'from');
      assertDay(range.to, 'to');
      const days = { $elemMatch: { $gte: range.from, $lte: range.to } };
      const filter = range.chatId === undefined ? { workspace, activeDays: days } : { workspace, memberships: { $elemMatch: { chatId: range.chatId, activeDays: days } } };
      return Person.countDocuments(filter);
    },

    async state(workspace) {
      const doc = await State.findOne({ workspace }, HIDDEN).lean<CounterState>();
      return doc ? { workspace, timeZone: doc.timeZone, builtAt: doc.builtAt ?? null, rebuildRequested: doc.rebuildRequested === true } : null;
    },
    async setState(workspace, state) {
      assertSameWorkspace('counter state', workspace, state.workspace);
      const doc: CounterState = { workspace, timeZone: state.timeZone, builtAt: state.builtAt === null ? null : canonicalTime(state.builtAt, 'builtAt'), rebuildRequested: state.rebuildRequested };
      try {
        await State.replaceOne({ workspace }, doc, { upsert: true });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        await State.replaceOne({ workspace }, doc, { upsert: true });
      }
    },
    async clearDays(workspace) {
      await Day.deleteMany({ workspace });
      await Mark.deleteMany({ workspace, kind: 'day' });
    },
  };
  return { counters, models: [Mark, Day, Person, State] as unknown as Array<Model<never>> };
}
