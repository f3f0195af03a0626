/**
 * MongoDB attribution repositories (see `attribution-repos.ts`) on the store's connection.
 * Thin: each method is one or two operations, every unique key and query backed by an
 * index created in `init()`. Times are BSON Dates, returned as canonical ISO text.
 *
 * Collections and indexes:
 * - `links`: unique `code` (global: the URL has no workspace); `workspace, code` for lists.
 * - `member_tokens`: unique `workspace, token`; unique `workspace, memberKey` (one token per
 *   member); `workspace, profileId` (a person's tokens, erasure).
 * - `clicks`: unique `workspace, clickId`; `workspace, profileId` (a person's clicks, erasure).
 * - `conversions`: unique `workspace, id`; `workspace, occurredAt, id` (periods, paging);
 *   `workspace, match.profileId, occurredAt, id` (a person's conversions);
 *   multikey `workspace, identifierKeys` (conversions of a profile's identifiers).
 * - `credits`: one document per conversion, unique `workspace, conversionId`;
 *   `workspace, conversionAt, conversionId` (report periods).
 * - `fits` + `fit_chunks`: a fit's Shapley coalitions are split into chunks of 5,000 so no
 *   document nears the 16 MB limit; unique `workspace, id` and `workspace, fitId, seq`.
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, FilterQuery, SchemaOptions } from 'mongoose';
import { identifierKey } from '../identity/identifier.js';
import type {
  AttributionRepos,
  ClickRecord,
  Coalition,
  ConversionInsert,
  ConversionRecord,
  CreditSet,
  MemberToken,
  StoredFit,
  TrackedLink,
} from './attribution-repos.js';
import { DEFAULT_LINK_LIMIT, DEFAULT_LIST_LIMIT, FITS_KEPT, canonicalTime, memberKeyOf } from './memory-attribution-repos.js';
import { assertSameWorkspace, instantOf, plainCopy, resolveLimit } from './memory-store.js';

const { Schema } = mongoose;
const HIDDEN = { _id: 0, __v: 0 } as const;
const DUPLICATE_KEY = 11000;
const CHUNK = 5_000;

const options = {
  strict: false,
  minimize: false,
  versionKey: false,
  id: false,
  autoIndex: false,
  autoCreate: false,
} satisfies SchemaOptions;

/** Stored shapes: times that are sorted or compared are BSON Dates. */
export type LinkDoc = TrackedLink;
export type TokenDoc = MemberToken & { memberKey: string };
export type ClickDoc = Omit<ClickRecord, 'at'> & { at: Date };
export type ConversionDoc = Omit<ConversionRecord, 'occurredAt'> & { occurredAt: Date; identifierKeys: string[] };
export type CreditDoc = Omit<CreditSet, 'conversionAt'> & { conversionAt: Date };
/** A fit without its coalitions; `chunks` says how many `fit_chunks` documents (seq 0..chunks-1) hold them. */
export type FitDoc = Omit<StoredFit, 'coalitions' | 'createdAt'> & { createdAt: Date; chunks: number };
export interface FitChunkDoc {
  workspace: string;
  fitId: string;
  seq: number;
  coalitions: Coalition[];
}

const linkSchema = new Schema<LinkDoc>({ workspace: String, code: String }, { ...options, collection: 'links' });
linkSchema.index({ code: 1 }, { unique: true, name: 'code_unique' });
linkSchema.index({ workspace: 1, code: 1 }, { name: 'workspace_code' });

const tokenSchema = new Schema<TokenDoc>({ workspace: String, token: String, memberKey: String, profileId: String }, { ...options, collection: 'member_tokens' });
tokenSchema.index({ workspace: 1, token: 1 }, { unique: true, name: 'workspace_token_unique' });
tokenSchema.index({ workspace: 1, memberKey: 1 }, { unique: true, name: 'workspace_member_unique' });
tokenSchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });

const clickSchema = new Schema<ClickDoc>({ workspace: String, clickId: String, at: Date, profileId: String }, { ...options, collection: 'clicks' });
clickSchema.index({ workspace: 1, clickId: 1 }, { unique: true, name: 'workspace_click_unique' });
clickSchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });

const conversionSchema = new Schema<ConversionDoc>(
  { workspace: String, id: String, occurredAt: Date, status: String, identifierKeys: { type: [String], default: undefined }, match: { type: Schema.Types.Mixed }, erasedAt: String },
  { ...options, collection: 'conversions' },
);
conversionSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
conversionSchema.index({ workspace: 1, occurredAt: 1, id: 1 }, { name: 'workspace_time' });
conversionSchema.index({ workspace: 1, 'match.profileId': 1, occurredAt: 1, id: 1 }, { name: 'workspace_profile_time' });
conversionSchema.index({ workspace: 1, identifierKeys: 1 }, { name: 'workspace_identifiers' });

const creditSchema = new Schema<CreditDoc>(
  { workspace: String, conversionId: String, conversionAt: Date, models: { type: Schema.Types.Mixed }, touches: { type: Schema.Types.Mixed } },
  { ...options, collection: 'credits' },
);
creditSchema.index({ workspace: 1, conversionId: 1 }, { unique: true, name: 'workspace_conversion_unique' });
creditSchema.index({ workspace: 1, conversionAt: 1, conversionId: 1 }, { name: 'workspace_time' });

const fitSchema = new Schema<FitDoc>({ workspace: String, id: String, createdAt: Date, markov: { type: Schema.Types.Mixed } }, { ...options, collection: 'fits' });
fitSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
fitSchema.index({ workspace: 1, createdAt: -1, id: -1 }, { name: 'workspace_latest' });

const fitChunkSchema = new Schema<FitChunkDoc>(
  { workspace: String, fitId: String, seq: Number, coalitions: { type: Schema.Types.Mixed } },
  { ...options, collection: 'fit_chunks' },
);
fitChunkSchema.index({ workspace: 1, fitId: 1, seq: 1 }, { unique: true, name: 'workspace_fit_seq_unique' });

function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; err?: { code?: unknown } };
  return (e.code ?? e.err?.code) === DUPLICATE_KEY;
}

/** Indexes of a bulk write's operations that failed on a duplicate key; throws any other failure. */
function duplicateIndexes(error: unknown): Set<number> {
  if (!(error instanceof mongoose.mongo.MongoBulkWriteError)) throw error;
  if (error.result.getWriteConcernError() !== undefined) throw error;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || !writeErrors.every(isDuplicateKey)) throw error;
  return new Set(writeErrors.map((w) => w.index));
}

/** A lean document without `_id`/`__v`. */
export function strip<T>(doc: object): T {
  const out = { ...doc } as Record<string, unknown>;
  delete out._id;
  delete out.__v;
  return out as T;
}

const iso = (d: Date): string => d.toISOString();

/** The document a conversion is stored as; throws like the memory adapter (workspace, time). */
export function toConversionDoc(workspace: string, c: ConversionRecord): ConversionDoc {
  assertSameWorkspace(`conversion ${c.id}`, workspace, c.workspace);
  const copy = plainCopy(c);
  return { ...copy, occurredAt: new Date(instantOf(c.occurredAt, `conversion ${c.id} occurredAt`)), identifierKeys: c.identifiers.map(identifierKey) };
}

/** The conversion a lean document stands for: `occurredAt` canonical ISO, no `identifierKeys`. */
export function fromConversionDoc(doc: ConversionDoc): ConversionRecord {
  const out = strip<ConversionDoc>(doc) as Partial<ConversionDoc>;
  delete out.identifierKeys;
  return { ...(out as ConversionDoc), occurredAt: iso(doc.occurredAt) };
}

/** The document a click is stored as. */
export function toClickDoc(workspace: string, click: ClickRecord): ClickDoc {
  assertSameWorkspace(`click ${click.clickId}`, workspace, click.workspace);
  return { ...plainCopy(click), at: new Date(instantOf(click.at, `click ${click.clickId} at`)) };
}

/** The click a lean document stands for. */
export function fromClickDoc(doc: ClickDoc): ClickRecord {
  return { ...strip<ClickDoc>(doc), at: iso(doc.at) };
}

/** The member token a lean document stands for (without the internal `memberKey`). */
export function fromTokenDoc(doc: TokenDoc): MemberToken {
  const out = strip<Partial<TokenDoc>>(doc);
  delete out.memberKey;
  return out as MemberToken;
}

/** The document one conversion's credits are stored as. */
export function toCreditDoc(workspace: string, set: CreditSet): CreditDoc {
  assertSameWorkspace(`credits of ${set.conversionId}`, workspace, set.workspace);
  return { ...plainCopy(set), conversionAt: new Date(instantOf(set.conversionAt, `credits of ${set.conversionId} conversionAt`)) };
}

/** The credit set a lean document stands for (`models` is `{}` when a projection left none). */
export function fromCreditDoc(doc: CreditDoc): CreditSet {
  return { ...strip<CreditDoc>(doc), models: doc.models ?? {}, conversionAt: iso(doc.conversionAt) };
}

/** The fit document and its coalition chunks (at most {@link CHUNK} coalitions each, so no document nears 16 MB). */
export function toFitDocs(workspace: string, fit: StoredFit): { fit: FitDoc; chunks: FitChunkDoc[] } {
  assertSameWorkspace(`fit ${fit.id}`, workspace, fit.workspace);
  const { coalitions, ...rest } = plainCopy(fit);
  const chunks: FitChunkDoc[] = [];
  for (let i = 0; i < coalitions.length; i += CHUNK) chunks.push({ workspace, fitId: fit.id, seq: chunks.length, coalitions: coalitions.slice(i, i + CHUNK) });
  return { fit: { ...rest, createdAt: new Date(canonicalTime(fit.createdAt, `fit ${fit.id} createdAt`)), chunks: chunks.length }, chunks };
}

/** The fit lean documents stand for; only chunks `0..fit.chunks-1`, in seq order, are read. */
export function fromFitDocs(doc: FitDoc, chunks: readonly FitChunkDoc[]): StoredFit {
  const { chunks: count, ...rest } = strip<FitDoc>(doc);
  const parts = chunks.filter((c) => c.seq < count).sort((a, b) => a.seq - b.seq);
  return { ...rest, createdAt: iso(doc.createdAt), coalitions: parts.flatMap((c) => c.coalitions) };
}

function timeRange(q: { from?: string; to?: string }): { $gte?: Date; $lt?: Date } | undefined {
  if (q.from === undefined && q.to === undefined) return undefined;
  const r: { $gte?: Date; $lt?: Date } = {};
  if (q.from !== undefined) r.$gte = new Date(instantOf(q.from, 'from'));
  if (q.to !== undefined) r.$lt = new Date(instantOf(q.to, 'to'));
  return r;
}

/** `(time, id) > after` as a filter on the given field names. */
function afterFilter(timeField: string, idField: string, after: { at: string; id: string }): Record<string, unknown> {
  const at = new Date(instantOf(after.at, 'after.at'));
  return { $or: [{ [timeField]: { $gt: at } }, { [timeField]: at, [idField]: { $gt: after.id } }] };
}

export function createMongoAttributionRepos(connection: Connection): { repos: AttributionRepos; init: () => Promise<void> } {
  const Link = connection.model<LinkDoc>('Link', linkSchema);
  const Token = connection.model<TokenDoc>('MemberToken', tokenSchema);
  const Click = connection.model<ClickDoc>('Click', clickSchema);
  const Conversion = connection.model<ConversionDoc>('Conversion', conversionSchema);
  const Credit = connection.model<CreditDoc>('Credit', creditSchema);
  const Fit = connection.model<FitDoc>('Fit', fitSchema);
  const FitChunk = connection.model<FitChunkDoc>('FitChunk', fitChunkSchema);

  const insertOne = async <D>(model: mongoose.Model<D>, doc: D): Promise<'inserted' | 'duplicate'> => {
    try {
      await model.collection.insertOne({ ...(doc as object) });
      return 'inserted';
    } catch (err) {
      if (isDuplicateKey(err)) return 'duplicate';
      throw err;
    }
  };

  const repos: AttributionRepos = {
    links: {
      async insert(workspace, link) {
        assertSameWorkspace(`link ${link.code}`, workspace, link.workspace);
        return insertOne(Link, plainCopy(link));
      },
      async get(workspace, code) {
        const doc = await Link.findOne({ workspace, code }, HIDDEN).lean<LinkDoc>();
        return doc ? strip<TrackedLink>(doc) : null;
      },
      async list(workspace, opts = {}) {
        const limit = resolveLimit(opts.limit, DEFAULT_LINK_LIMIT);
        if (limit === 0) return [];
        const filter: FilterQuery<LinkDoc> = { workspace };
        if (opts.afterCode !== undefined) filter.code = { $gt: opts.afterCode };
        const docs = await Link.find(filter, HIDDEN).sort({ code: 1 }).limit(limit).lean<LinkDoc[]>();
        return docs.map((d) => strip<TrackedLink>(d));
      },
      async workspaceOfCode(code) {
        const doc = await Link.findOne({ code }, { _id: 0, workspace: 1 }).lean<{ workspace: string }>();
        return doc?.workspace ?? null;
      },
    },

    memberTokens: {
      async issue(workspace, token) {
        assertSameWorkspace('member token', workspace, token.workspace);
        const memberKey = memberKeyOf(token);
        try {
          // The filter's equality fields (workspace, memberKey) are part of the inserted document.
          const { token: value, member, profileId, createdAt } = plainCopy(token);
          await Token.updateOne({ workspace, memberKey }, { $setOnInsert: { token: value, member, profileId, createdAt } }, { upsert: true });
        } catch (err) {
          // A concurrent issue for the same member inserted first (its token stands), or a token collision.
          if (!isDuplicateKey(err)) throw err;
        }
        const doc = await Token.findOne({ workspace, memberKey }, HIDDEN).lean<TokenDoc>();
        if (!doc) throw new Error('member token collision; issue a new random token');
        return fromTokenDoc(doc);
      },
      async get(workspace, token) {
        const doc = await Token.findOne({ workspace, token }, HIDDEN).lean<TokenDoc>();
        return doc ? fromTokenDoc(doc) : null;
      },
      async deleteByMember(workspace, person) {
        const or: Array<FilterQuery<TokenDoc>> = [];
        // A token's memberKey is its identifier's key when it has one (`memberKeyOf`).
        if (person.identifiers.length > 0) or.push({ memberKey: { $in: person.identifiers.map(identifierKey) } });
        if (person.profileIds.length > 0) or.push({ profileId: { $in: [...person.profileIds] } });
        if (or.length === 0) return 0;
        return (await Token.deleteMany({ workspace, $or: or })).deletedCount;
      },
    },

    clicks: {
      async insert(workspace, click) {
        return insertOne(Click, toClickDoc(workspace, click));
      },
      async get(workspace, clickId) {
        const doc = await Click.findOne({ workspace, clickId }, HIDDEN).lean<ClickDoc>();
        return doc ? fromClickDoc(doc) : null;
      },
      async count(workspace) {
        return Click.countDocuments({ workspace });
      },
      async deleteByProfile(workspace, profileId) {
        return (await Click.deleteMany({ workspace, profileId })).deletedCount;
      },
    },

    conversions: {
      async insert(workspace, conversion) {
        const [r] = await repos.conversions.insertMany(workspace, [conversion]);
        if (!r) throw new Error('insertMany returned no result');
        return r;
      },
      async insertMany(workspace, batch) {
        if (batch.length === 0) return [];
        const docs = batch.map((c) => toConversionDoc(workspace, c));
        const ops: Array<AnyBulkWriteOperation<ConversionDoc>> = docs.map((document) => ({ insertOne: { document } }));
        let dups = new Set<number>();
        try {
          // throwOnValidationError: without it mongoose skips a document it cannot cast and
          // resolves, and that conversion would be reported 'inserted' without being stored.
          await Conversion.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
        } catch (err) {
          dups = duplicateIndexes(err);
        }
        if (dups.size === 0) return batch.map(() => ({ status: 'inserted' as const }));
        const ids = [...dups].map((i) => (batch[i] as ConversionRecord).id);
        const existing = await Conversion.find({ workspace, id: { $in: ids } }, HIDDEN).lean<ConversionDoc[]>();
        const byId = new Map(existing.map((d) => [d.id, fromConversionDoc(d)]));
        return batch.map((c, i): ConversionInsert => {
          if (!dups.has(i)) return { status: 'inserted' };
          const e = byId.get(c.id);
          if (!e) throw new Error(`conversion ${c.id} was refused as a duplicate but is not stored`);
          return { status: 'duplicate', existing: e };
        });
      },
      async get(workspace, id) {
        const doc = await Conversion.findOne({ workspace, id }, HIDDEN).lean<ConversionDoc>();
        return doc ? fromConversionDoc(doc) : null;
      },
      async setOutcome(workspace, id, outcome) {
        // An erased conversion keeps its outcome: the filter leaves it out.
        // plainCopy: an undefined inside `match` is dropped (as the memory adapter does), not stored as null.
        const { status, match, reconciledAt } = plainCopy(outcome);
        const r = await Conversion.updateOne({ workspace, id, erasedAt: { $exists: false } }, { $set: { status, match, reconciledAt } });
        return r.matchedCount === 1;
      },
      async list(workspace, query) {
        const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
        if (limit === 0) return [];
        const filter: Record<string, unknown> = { workspace };
        const range = timeRange(query);
        if (range) filter.occurredAt = range;
        if (query.status !== undefined) filter.status = query.status;
        if (query.profileId !== undefined) filter['match.profileId'] = query.profileId;
        if (query.after) Object.assign(filter, afterFilter('occurredAt', 'id', query.after));
        const docs = await Conversion.find(filter, HIDDEN).sort({ occurredAt: 1, id: 1 }).limit(limit).lean<ConversionDoc[]>();
        return docs.map(fromConversionDoc);
      },
      async related(workspace, opts) {
        const limit = resolveLimit(opts.limit, DEFAULT_LIST_LIMIT);
        const or: Array<Record<string, unknown>> = [];
        if (opts.identifiers.length > 0) or.push({ identifierKeys: { $in: opts.identifiers.map(identifierKey) } });
        if (opts.profileIds.length > 0) or.push({ 'match.profileId': { $in: [...opts.profileIds] } });
        // Bad times reject before any early return, as on the memory adapter.
        const range = timeRange(opts);
        if (or.length === 0 || limit === 0) return [];
        const filter: Record<string, unknown> = { workspace, $or: or };
        if (range) filter.occurredAt = range;
        const docs = await Conversion.find(filter, HIDDEN).sort({ occurredAt: 1, id: 1 }).limit(limit).lean<ConversionDoc[]>();
        return docs.map(fromConversionDoc);
      },
      async count(workspace) {
        return Conversion.countDocuments({ workspace });
      },
      async unlinkRelated(workspace, person) {
        const at = canonicalTime(person.at, 'at');
        const or: Array<Record<string, unknown>> = [];
        if (person.identifiers.length > 0) or.push({ identifierKeys: { $in: person.identifiers.map(identifierKey) } });
        if (person.profileIds.length > 0) or.push({ 'match.profileId': { $in: [...person.profileIds] } });
        if (or.length === 0) return [];
        const found = await Conversion.find({ workspace, $or: or }, { _id: 0, id: 1 }).sort({ occurredAt: 1, id: 1 }).lean<Array<{ id: string }>>();
        const ids = found.map((d) => d.id);
        if (ids.length === 0) return [];
        await Conversion.updateMany(
          { workspace, id: { $in: ids } },
          {
            $set: { identifiers: [], identifierKeys: [], status: 'unattributed', match: null, reconciledAt: at, erasedAt: at },
            $unset: { telegramUsername: 1, clickId: 1 },
          },
        );
        return ids;
      },
    },

    credits: {
      async put(workspace, set) {
        const doc = toCreditDoc(workspace, set);
        // One document per conversion: the replace is atomic, so a report never sees half a re-reconcile.
        try {
          await Credit.replaceOne({ workspace, conversionId: set.conversionId }, doc, { upsert: true });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await Credit.replaceOne({ workspace, conversionId: set.conversionId }, doc, { upsert: true });
        }
      },
      async get(workspace, conversionId) {
        const doc = await Credit.findOne({ workspace, conversionId }, HIDDEN).lean<CreditDoc>();
        return doc ? fromCreditDoc(doc) : null;
      },
      async delete(workspace, conversionId) {
        return (await Credit.deleteOne({ workspace, conversionId })).deletedCount === 1;
      },
      async deleteMany(workspace, conversionIds) {
        if (conversionIds.length === 0) return 0;
        return (await Credit.deleteMany({ workspace, conversionId: { $in: [...conversionIds] } })).deletedCount;
      },
      async list(workspace, query) {
        const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
        if (limit === 0) return [];
        const filter: Record<string, unknown> = { workspace };
        const range = timeRange(query);
        if (range) filter.conversionAt = range;
        if (query.after) Object.assign(filter, afterFilter('conversionAt', 'conversionId', query.after));
        let projection: Record<string, 0 | 1> = HIDDEN;
        if (query.models !== undefined) {
          // Inclusion projection: every top-level field but `models`, and only the asked models.
          projection = { _id: 0 };
          for (const f of ['workspace', 'conversionId', 'conversionAt', 'value', 'currency', 'type', 'rule', 'profileId', 'lowConfidence', 'touches', 'fitId', 'computedAt']) projection[f] = 1;
          for (const m of query.models) projection[`models.${m}`] = 1;
        }
        const docs = await Credit.find(filter, projection).sort({ conversionAt: 1, conversionId: 1 }).limit(limit).lean<CreditDoc[]>();
        return docs.map(fromCreditDoc);
      },
      async count(workspace) {
        return Credit.countDocuments({ workspace });
      },
    },

    fits: {
      async put(workspace, fit) {
        const { fit: doc, chunks } = toFitDocs(workspace, fit);
        // A stored id stays: check before writing chunks, which would otherwise overwrite its coalitions.
        if ((await Fit.exists({ workspace, id: fit.id })) !== null) return;
        // Chunks first, the fit document last: a fit is visible only once it is whole.
        for (const c of chunks) {
          await FitChunk.replaceOne({ workspace, fitId: c.fitId, seq: c.seq }, c, { upsert: true });
        }
        // Chunks an interrupted earlier put of this id left beyond the new count.
        await FitChunk.deleteMany({ workspace, fitId: fit.id, seq: { $gte: chunks.length } });
        if ((await insertOne(Fit, doc)) === 'duplicate') return;
        const old = await Fit.find({ workspace }, { _id: 0, id: 1 }).sort({ createdAt: -1, id: -1 }).skip(FITS_KEPT).lean<Array<{ id: string }>>();
        if (old.length > 0) {
          const ids = old.map((o) => o.id);
          await Fit.deleteMany({ workspace, id: { $in: ids } });
          await FitChunk.deleteMany({ workspace, fitId: { $in: ids } });
        }
      },
      async latest(workspace) {
        const doc = await Fit.findOne({ workspace }, HIDDEN).sort({ createdAt: -1, id: -1 }).lean<FitDoc>();
        if (!doc) return null;
        const chunks = await FitChunk.find({ workspace, fitId: doc.id, seq: { $lt: doc.chunks } }, HIDDEN).sort({ seq: 1 }).lean<FitChunkDoc[]>();
        return fromFitDocs(doc, chunks);
      },
    },
  };

  return {
    repos,
    async init() {
      for (const model of [Link, Token, Click, Conversion, Credit, Fit, FitChunk] as const) await model.createIndexes();
    },
  };
}
