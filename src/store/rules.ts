/**
 * The rules both store adapters share: canonical times, limits, code-point order, workspace
 * checks, canonical copies and the store's error classes. The MongoDB adapter owns these
 * rules (they say how MongoDB behaves); the in-memory adapter follows them, so the two
 * cannot drift apart. Nothing here does I/O.
 */
import { identifierKey, type Identifier } from '../identity/identifier.js';

/** What inserting a record keyed by a unique id did. */
export type InsertResult = 'inserted' | 'duplicate';

/** Rows `list` methods return when the query gives no `limit`. */
export const DEFAULT_LIST_LIMIT = 10_000;
/** Links `links.list` returns when no `limit` is given. */
export const DEFAULT_LINK_LIMIT = 1_000;
/** Rows `audit.list` returns when no `limit` is given. */
export const DEFAULT_AUDIT_LIMIT = 1_000;

/** A fit month: `YYYY-MM`. */
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Throws a RangeError unless `month` is a `YYYY-MM` month. */
export function assertMonth(month: string, what = 'month'): string {
  if (!MONTH.test(month)) throw new RangeError(`${what} must be a month written YYYY-MM, got ${JSON.stringify(month)}`);
  return month;
}

/** Rows `touches.list` returns when the query gives no `limit`. */
export const DEFAULT_TOUCH_LIMIT = DEFAULT_LIST_LIMIT;

/** Thrown by every store method once `close()` has been called. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor(kind: string) {
    super(`the ${kind} store is closed; create a new store to keep working`);
  }
}

/** A write whose object names another workspace than the one the call is for. */
export class WorkspaceMismatchError extends Error {
  override name = 'WorkspaceMismatchError';
  constructor(what: string, argument: string, inObject: string) {
    super(`${what} belongs to workspace "${inObject}" but was written through workspace "${argument}"; pass the object's own workspace`);
  }
}

/**
 * Deep copy of JSON-like data as MongoDB would store it: object fields whose value is
 * `undefined` are dropped (the driver would otherwise write null), `undefined` array
 * items become null (as BSON stores them), Dates are copied. Returns a fresh object so
 * callers never share state with the store.
 */
export function plainCopy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : copyValue(v)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = copyValue(v);
  return out;
}

/**
 * Compares strings by Unicode code point, which is MongoDB's order for strings under the
 * default (binary UTF-8) collation. Plain `<` compares UTF-16 code units and puts
 * characters above U+FFFF before U+E000–U+FFFF; this does not.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUp(x) - fixUp(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800–U+DFFF) above U+E000–U+FFFF so code units sort by code point. */
function fixUp(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Milliseconds since the epoch of an ISO time (any offset). Throws a RangeError naming
 * `what` when the string is not a date.
 */
export function instantOf(iso: string, what: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be an ISO date-time such as 2026-03-01T10:00:00Z, got ${JSON.stringify(iso)}`);
  return ms;
}

/**
 * The row limit to apply: `fallback` when absent; 0 means no rows (unlike MongoDB's
 * `limit(0)`, which means no limit). Throws a RangeError for negative or fractional limits.
 */
export function resolveLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${String(limit)}`);
  return limit;
}

/** Throws a WorkspaceMismatchError when an object written through `workspace` names another one. */
export function assertSameWorkspace(what: string, workspace: string, objectWorkspace: string): void {
  if (objectWorkspace !== workspace) throw new WorkspaceMismatchError(what, workspace, objectWorkspace);
}

/** A touch as both adapters store and return it: undefined fields dropped, occurredAt canonical UTC. */
export function canonicalTouch<T extends { id: string; workspace: string; occurredAt: string }>(workspace: string, touch: T): T {
  assertSameWorkspace(`touch ${touch.id}`, workspace, touch.workspace);
  const at = instantOf(touch.occurredAt, `touch ${touch.id} occurredAt`);
  return plainCopy({ ...touch, occurredAt: new Date(at).toISOString() });
}

/** Distinct identifiers (by key), as `{ type, value }` only. */
export function distinctIdentifiers(identifiers: readonly Identifier[]): Identifier[] {
  const seen = new Map<string, Identifier>();
  for (const i of identifiers) {
    const key = identifierKey(i);
    if (!seen.has(key)) seen.set(key, { type: i.type, value: i.value });
  }
  return [...seen.values()];
}

/** Sorts identifiers by `identifierKey` in code-point order (in place) and returns them. */
export function sortIdentifiers(identifiers: Identifier[]): Identifier[] {
  return identifiers.sort((a, b) => compareCodePoints(identifierKey(a), identifierKey(b)));
}

/** Canonical UTC form of an ISO time, or a RangeError naming `what`. */
export function canonicalTime(iso: string, what: string): string {
  return new Date(instantOf(iso, what)).toISOString();
}

/** Orders by the given keys in turn (strings by code point, numbers numerically). */
export function compareBy<T>(...keys: Array<(x: T) => string | number>): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = k(a);
      const y = k(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareCodePoints(String(x), String(y));
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** The key a member token is unique on: its identifier, else its profile. */
export function memberKeyOf(t: { member: Identifier | null; profileId: string | null }): string {
  return t.member ? identifierKey(t.member) : `profile|${t.profileId}`;
}
