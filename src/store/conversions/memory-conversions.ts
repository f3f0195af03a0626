/**
 * In-memory conversions, credits and fits (see `conversion-repo.ts`). Like MongoDB: unique
 * keys with first-write-wins, canonical UTC times, ordering by instant then id in code-point
 * order, and real indexes (conversions and credits sorted by time, conversions by profile
 * and by identifier), so the benchmark measures indexed reads rather than scans.
 *
 * Conversions and credit sets, the bulk of the data, are kept deep-frozen and handed out as
 * they are (no copy per read): a caller can never change what the store holds (a write to a
 * returned object throws), and reports over 100,000 conversions do not spend their time
 * copying. Fits are copied on the way out.
 */
import { identifierKey } from '../../identity/identifier.js';
import { TimeIndex, afterKey, bucket, compareTimed, frozenCopy, timeBounds, type TimedRow } from '../memory-tables.js';
import { DEFAULT_LIST_LIMIT, assertMonth, assertSameWorkspace, canonicalTime, instantOf, plainCopy, resolveLimit } from '../rules.js';
import { FITS_KEPT_PER_MONTH, type ConversionInsert, type ConversionRecord, type ConversionRepo, type CreditRepo, type CreditSet, type FitMonth, type FitRepo, type StoredFit } from './conversion-repo.js';

/** A stored conversion: what its indexes need, and the frozen document. */
interface ConversionDoc {
  status: ConversionRecord['status'];
  profileId: string | null;
  doc: ConversionRecord;
}

function conversionDoc(workspace: string, c: ConversionRecord): ConversionDoc {
  assertSameWorkspace(`conversion ${c.id}`, workspace, c.workspace);
  const doc = frozenCopy({ ...c, occurredAt: canonicalTime(c.occurredAt, `conversion ${c.id} occurredAt`) });
  return { status: doc.status, profileId: doc.match?.profileId ?? null, doc };
}

const thawConversion = (d: ConversionDoc): ConversionRecord => d.doc;

/** A credit set with only the requested models (all when absent); frozen, shared with the store. */
function thawCredits(set: CreditSet, models: readonly string[] | undefined): CreditSet {
  if (models === undefined) return set;
  const picked: CreditSet['models'] = {};
  for (const m of models) {
    const credit = set.models[m as keyof CreditSet['models']];
    if (credit) picked[m as keyof CreditSet['models']] = credit;
  }
  return Object.freeze({ ...set, models: Object.freeze(picked) });
}

/** In-memory conversion repositories plus `scanCredits`, an unindexed read the benchmark compares against. */
export interface MemoryConversions {
  conversions: ConversionRepo;
  credits: CreditRepo;
  fits: FitRepo;
  /**
   * Every credit set of a workspace (with the given models only) in storage order, read
   * without the time index: the benchmark's baseline.
   */
  scanCredits(workspace: string, models?: readonly string[]): CreditSet[];
}

export function createMemoryConversions(): MemoryConversions {
  const conversionRows = new Map<string, TimeIndex<ConversionDoc>>();
  const byProfile = new Map<string, Map<string, Set<string>>>();
  const byIdentifier = new Map<string, Map<string, Set<string>>>();
  const creditRows = new Map<string, TimeIndex<CreditSet>>();
  const fitRows = new Map<string, Map<string, StoredFit>>();
  const fitMonths = new Map<string, Map<string, FitMonth>>();

  const indexOf = <T>(all: Map<string, TimeIndex<T>>, workspace: string): TimeIndex<T> => {
    let idx = all.get(workspace);
    if (!idx) {
      idx = new TimeIndex<T>();
      all.set(workspace, idx);
    }
    return idx;
  };
  const addTo = (all: Map<string, Map<string, Set<string>>>, workspace: string, key: string, id: string): void => {
    const b = bucket(all, workspace);
    let s = b.get(key);
    if (!s) {
      s = new Set();
      b.set(key, s);
    }
    s.add(id);
  };

  const insertConversion = (workspace: string, id: string, at: number, doc: ConversionDoc, identifiers: ConversionRecord['identifiers']): ConversionInsert => {
    const idx = indexOf(conversionRows, workspace);
    const existing = idx.byId.get(id);
    if (existing) return { status: 'duplicate', existing: thawConversion(existing.value) };
    idx.set(id, at, doc);
    for (const i of identifiers) addTo(byIdentifier, workspace, identifierKey(i), id);
    if (doc.profileId) addTo(byProfile, workspace, doc.profileId, id);
    return { status: 'inserted' };
  };

  const conversions: ConversionRepo = {
    async insert(workspace, conversion) {
      const [r] = await conversions.insertMany(workspace, [conversion]);
      return r as ConversionInsert;
    },
    async insertMany(workspace, batch) {
      // Validate the whole batch first, so a bad conversion rejects it before anything is written.
      const docs = batch.map((c) => conversionDoc(workspace, c));
      return batch.map((c, i) => insertConversion(workspace, c.id, instantOf(c.occurredAt, 'occurredAt'), docs[i] as ConversionDoc, c.identifiers));
    },
    async get(workspace, id) {
      const row = conversionRows.get(workspace)?.byId.get(id);
      return row ? thawConversion(row.value) : null;
    },
    async setOutcome(workspace, id, outcome) {
      const idx = conversionRows.get(workspace);
      const row = idx?.byId.get(id);
      if (!idx || !row || row.value.doc.erasedAt !== undefined) return false;
      const before = row.value.profileId;
      const next = { ...thawConversion(row.value), status: outcome.status, match: outcome.match, reconciledAt: outcome.reconciledAt };
      idx.set(id, row.at, conversionDoc(workspace, next));
      if (before) byProfile.get(workspace)?.get(before)?.delete(id);
      if (next.match?.profileId) addTo(byProfile, workspace, next.match.profileId, id);
      return true;
    },
    async list(workspace, query) {
      const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(query);
      const after = afterKey(query.after);
      const idx = conversionRows.get(workspace);
      if (!idx || limit === 0) return [];
      const out: ConversionRecord[] = [];
      if (query.profileId !== undefined) {
        const ids = byProfile.get(workspace)?.get(query.profileId) ?? new Set<string>();
        const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined);
        rows.sort(compareTimed);
        for (const r of rows) {
          if (r.at < from || r.at >= to || (after && compareTimed(r, after) <= 0)) continue;
          if (query.status !== undefined && r.value.status !== query.status) continue;
          out.push(thawConversion(r.value));
          if (out.length >= limit) break;
        }
        return out;
      }
      for (const r of idx.range(from, to, after)) {
        if (query.status !== undefined && r.value.status !== query.status) continue;
        out.push(thawConversion(r.value));
        if (out.length >= limit) break;
      }
      return out;
    },
    async related(workspace, options) {
      const limit = resolveLimit(options.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(options);
      const idx = conversionRows.get(workspace);
      if (!idx || limit === 0) return [];
      const ids = new Set<string>();
      for (const i of options.identifiers) for (const id of byIdentifier.get(workspace)?.get(identifierKey(i)) ?? []) ids.add(id);
      for (const p of options.profileIds) for (const id of byProfile.get(workspace)?.get(p) ?? []) ids.add(id);
      const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined && r.at >= from && r.at < to);
      rows.sort(compareTimed);
      return rows.slice(0, limit).map((r) => thawConversion(r.value));
    },
    async count(workspace) {
      return conversionRows.get(workspace)?.byId.size ?? 0;
    },
    async unlinkRelated(workspace, person) {
      const at = canonicalTime(person.at, 'at');
      const idx = conversionRows.get(workspace);
      if (!idx) return [];
      const ids = new Set<string>();
      for (const i of person.identifiers) for (const id of byIdentifier.get(workspace)?.get(identifierKey(i)) ?? []) ids.add(id);
      for (const p of person.profileIds) for (const id of byProfile.get(workspace)?.get(p) ?? []) ids.add(id);
      const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined);
      rows.sort(compareTimed);
      for (const row of rows) {
        const { telegramUsername: _username, clickId: _clickId, ...kept } = thawConversion(row.value);
        void _username;
        void _clickId;
        for (const i of row.value.doc.identifiers) byIdentifier.get(workspace)?.get(identifierKey(i))?.delete(row.id);
        if (row.value.profileId) byProfile.get(workspace)?.get(row.value.profileId)?.delete(row.id);
        const next: ConversionRecord = { ...kept, identifiers: [], status: 'unattributed', match: null, reconciledAt: at, erasedAt: at };
        idx.set(row.id, row.at, conversionDoc(workspace, next));
      }
      return rows.map((r) => r.id);
    },
  };

  const storedCredits = (workspace: string, set: CreditSet): { at: number; doc: CreditSet } => {
    assertSameWorkspace(`credits of ${set.conversionId}`, workspace, set.workspace);
    const conversionAt = canonicalTime(set.conversionAt, `credits of ${set.conversionId} conversionAt`);
    return { at: Date.parse(conversionAt), doc: frozenCopy({ ...set, conversionAt }) };
  };

  const credits: CreditRepo = {
    async put(workspace, set) {
      const { at, doc } = storedCredits(workspace, set);
      indexOf(creditRows, workspace).set(set.conversionId, at, doc);
    },
    async replaceExisting(workspace, sets) {
      // Validate every set first, so a bad one rejects the batch before anything is written.
      const docs = sets.map((set) => storedCredits(workspace, set));
      const idx = creditRows.get(workspace);
      let replaced = 0;
      docs.forEach(({ at, doc }) => {
        if (!idx?.byId.has(doc.conversionId)) return;
        idx.set(doc.conversionId, at, doc);
        replaced++;
      });
      return replaced;
    },
    async get(workspace, conversionId) {
      const row = creditRows.get(workspace)?.byId.get(conversionId);
      return row ? thawCredits(row.value, undefined) : null;
    },
    async getMany(workspace, conversionIds) {
      const idx = creditRows.get(workspace);
      const out: CreditSet[] = [];
      for (const id of new Set(conversionIds)) {
        const row = idx?.byId.get(id);
        if (row) out.push(thawCredits(row.value, undefined));
      }
      return out;
    },
    async delete(workspace, conversionId) {
      return creditRows.get(workspace)?.delete(conversionId) ?? false;
    },
    async deleteMany(workspace, conversionIds) {
      const idx = creditRows.get(workspace);
      let deleted = 0;
      for (const id of new Set(conversionIds)) if (idx?.delete(id)) deleted++;
      return deleted;
    },
    async list(workspace, query) {
      const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(query);
      const idx = creditRows.get(workspace);
      if (!idx || limit === 0) return [];
      const out: CreditSet[] = [];
      for (const r of idx.range(from, to, afterKey(query.after))) {
        out.push(thawCredits(r.value, query.models));
        if (out.length >= limit) break;
      }
      return out;
    },
    async count(workspace) {
      return creditRows.get(workspace)?.byId.size ?? 0;
    },
  };

  const monthsOf = (workspace: string): Map<string, FitMonth> => {
    let m = fitMonths.get(workspace);
    if (!m) {
      m = new Map();
      fitMonths.set(workspace, m);
    }
    return m;
  };
  const emptyMonth = (workspace: string, month: string): FitMonth => ({ workspace, month, fitId: null, fittedAt: null, journeys: 0, conversions: 0, marks: 0, fittedMarks: -1, creditedFitId: null });

  const fits: FitRepo = {
    async put(workspace, fit) {
      assertSameWorkspace(`fit ${fit.id}`, workspace, fit.workspace);
      assertMonth(fit.month, `fit ${fit.id} month`);
      const stored = plainCopy({ ...fit, createdAt: canonicalTime(fit.createdAt, `fit ${fit.id} createdAt`) });
      const byId = fitRows.get(workspace) ?? new Map<string, StoredFit>();
      fitRows.set(workspace, byId);
      if (!byId.has(fit.id)) byId.set(fit.id, stored);
    },
    async get(workspace, id) {
      const f = fitRows.get(workspace)?.get(id);
      return f ? plainCopy(f) : null;
    },
    async setCurrent(workspace, current) {
      assertMonth(current.month);
      const fittedAt = canonicalTime(current.fittedAt, 'fittedAt');
      const months = monthsOf(workspace);
      const before = months.get(current.month) ?? emptyMonth(workspace, current.month);
      if (before.fittedMarks > current.marks) return false;
      months.set(current.month, { ...before, fitId: current.fitId, fittedAt, journeys: current.journeys, conversions: current.conversions, fittedMarks: current.marks });
      const keep = new Set([current.fitId, before.fitId].filter((x): x is string => x !== null).slice(0, FITS_KEPT_PER_MONTH));
      const byId = fitRows.get(workspace);
      for (const [id, f] of byId ?? []) if (f.month === current.month && !keep.has(id)) byId?.delete(id);
      return true;
    },
    async setCredited(workspace, month, fitId) {
      assertMonth(month);
      const m = fitMonths.get(workspace)?.get(month);
      if (m && m.fitId === fitId) fitMonths.get(workspace)?.set(month, { ...m, creditedFitId: fitId });
    },
    async month(workspace, month) {
      assertMonth(month);
      const m = fitMonths.get(workspace)?.get(month);
      return m ? { ...m } : null;
    },
    async months(workspace, range = {}) {
      if (range.from !== undefined) assertMonth(range.from, 'from');
      if (range.to !== undefined) assertMonth(range.to, 'to');
      const out = [...(fitMonths.get(workspace)?.values() ?? [])].filter((m) => (range.from === undefined || m.month >= range.from) && (range.to === undefined || m.month < range.to));
      return out.sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0)).map((m) => ({ ...m }));
    },
    async markDirty(workspace, list) {
      for (const month of list) assertMonth(month);
      const months = monthsOf(workspace);
      for (const month of new Set(list)) {
        const m = months.get(month) ?? emptyMonth(workspace, month);
        months.set(month, { ...m, marks: m.marks + 1 });
      }
    },
  };
  return {
    conversions,
    credits,
    fits,
    scanCredits(workspace, models) {
      return [...(creditRows.get(workspace)?.all() ?? [])].map((r) => thawCredits(r.value, models));
    },
  };
}
