/**
 * What every MongoDB adapter of the store uses: schema options, the projection that hides
 * `_id`, duplicate-key handling for inserts, upserts and bulk writes, and time filters.
 * MongoDB-only; the rules shared with the in-memory adapter are in `rules.ts`.
 */
import mongoose from 'mongoose';
import type { SchemaOptions } from 'mongoose';
import { instantOf } from './rules.js';

/** Fields never returned: MongoDB's `_id` and a `__v` that older writers may have left. */
export const HIDDEN = { _id: 0, __v: 0 } as const;

/** MongoDB's duplicate-key error code. */
export const DUPLICATE_KEY = 11000;

/**
 * Options of every schema: `strict: false` (a field added to the domain types is kept, never
 * silently dropped), `minimize: false` (an empty `{}` comes back), no `__v`, no `id` virtual,
 * and indexes and collections created by the store's `init()`, never implicitly.
 */
export const SCHEMA_OPTIONS = {
  strict: false,
  minimize: false,
  versionKey: false,
  id: false,
  autoIndex: false,
  autoCreate: false,
} satisfies SchemaOptions;

/** Whether an error (or a bulk write error's item) is a duplicate-key error. */
export function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The driver's WriteError exposes `code` as a getter over `err`; copies of it keep only `err`.
  const e = error as { code?: unknown; err?: { code?: unknown } };
  return (e.code ?? e.err?.code) === DUPLICATE_KEY;
}

/**
 * For a bulk write that failed only with duplicate-key errors: how many operations
 * succeeded and how many were duplicates. Null for any other error, which the caller
 * rethrows (validation errors, write-concern errors, network errors, …).
 */
export function duplicatesOnly(error: unknown): { result: mongoose.mongo.BulkWriteResult; duplicates: number; indexes: Set<number> } | null {
  if (!(error instanceof mongoose.mongo.MongoBulkWriteError)) return null;
  const validationErrors = (error as { mongoose?: { validationErrors?: unknown[] } }).mongoose?.validationErrors;
  if (validationErrors && validationErrors.length > 0) return null;
  const result = error.result;
  if (result.getWriteConcernError() !== undefined) return null;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || !writeErrors.every(isDuplicateKey)) return null;
  return { result, duplicates: writeErrors.length, indexes: new Set(writeErrors.map((w) => w.index)) };
}

/** Indexes of a bulk write's operations that failed on a duplicate key; throws any other failure. */
export function duplicateIndexes(error: unknown): Set<number> {
  const dup = duplicatesOnly(error);
  if (!dup) throw error;
  return dup.indexes;
}

/**
 * Runs an upsert; on a duplicate-key error (two first writes of one key racing: the loser's
 * insert hits the unique index) runs it once more, when the document exists and it matches.
 */
export async function retryOnDuplicate<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return write();
  }
}

/** Inserts one document; `duplicate` when a unique index already holds its key. */
export async function insertOnce<D>(model: mongoose.Model<D>, doc: D): Promise<'inserted' | 'duplicate'> {
  try {
    await model.collection.insertOne({ ...(doc as object) });
    return 'inserted';
  } catch (err) {
    if (isDuplicateKey(err)) return 'duplicate';
    throw err;
  }
}

/** A lean document without `_id`/`__v`. */
export function strip<T>(doc: object): T {
  const out = { ...doc } as Record<string, unknown>;
  delete out._id;
  delete out.__v;
  return out as T;
}

/** Copies a lean document without `_id`/`__v`, turning the named Date fields into ISO text (null stays null). */
export function fromDoc<T>(doc: Record<string, unknown>, dateFields: readonly string[]): T {
  const out: Record<string, unknown> = strip(doc);
  for (const f of dateFields) if (out[f] instanceof Date) out[f] = (out[f] as Date).toISOString();
  return out as T;
}

/** `{ $gte, $lt }` on Dates for an ISO `from` (inclusive) and `to` (exclusive); undefined when neither is given. */
export function timeRange(q: { from?: string | undefined; to?: string | undefined }): { $gte?: Date; $lt?: Date } | undefined {
  if (q.from === undefined && q.to === undefined) return undefined;
  const r: { $gte?: Date; $lt?: Date } = {};
  if (q.from !== undefined) r.$gte = new Date(instantOf(q.from, 'from'));
  if (q.to !== undefined) r.$lt = new Date(instantOf(q.to, 'to'));
  return r;
}

/** `(time, id) > after` as a filter on the given field names (keyset paging). */
export function afterFilter(timeField: string, idField: string, after: { at: string; id: string }): Record<string, unknown> {
  const at = new Date(instantOf(after.at, 'after.at'));
  return { $or: [{ [timeField]: { $gt: at } }, { [timeField]: at, [idField]: { $gt: after.id } }] };
}
