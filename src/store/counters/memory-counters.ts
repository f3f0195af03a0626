/**
 * In-memory counters (see `counter-repo.ts`): a test and demo double that behaves like the
 * MongoDB adapter (replace-by-version, marks compared on clean, days in order, keys by code
 * point) and keeps real indexes, so benchmarks measure indexed reads: people by join and by
 * leave time (sorted lazily after writes, like `TimeIndex`), and by active day. Day counters and facts are kept
 * deep-frozen and handed out without a copy.
 */
import { assertSameWorkspace, canonicalTime, compareCodePoints, resolveLimit } from '../rules.js';
import { deepFreeze } from '../memory-tables.js';
import type { CounterMark, CounterRepo, CounterState, CounterUnitKind, DayCounters, DayParts, MemberJoin, MemberLeave, PersonFacts } from './counter-repo.js';
import { PEOPLE_PAGE, emptyPart, joinsOfFacts, leavesOfFacts } from './counter-repo.js';
import { DEFAULT_COUNTER_LIST_LIMIT, DEFAULT_DIRTY_LIMIT, assertDay, canonicalDay, canonicalFacts, distinctUnits, lowerBound } from './counter-rules.js';

interface MarkRow {
  marks: number;
  dirty: boolean;
}

/**
 * One kind of membership event (joins or leaves) of every person as compact rows, sorted by
 * time, built lazily after writes: a range is a binary search and a contiguous walk.
 */
class EventIndex<R extends { at: string; chatId: string }> {
  #rows: R[] = [];
  #stale = true;
  constructor(private readonly rowsOf: (f: PersonFacts) => R[]) {}

  invalidate(): void {
    this.#stale = true;
  }

  /** Rows in [from, to) (ISO; in `chatId` when given). */
  between(people: Map<string, PersonFacts>, from: string, to: string, chatId: string | undefined): R[] {
    if (this.#stale) {
      this.#rows = [];
      for (const f of people.values()) for (const r of this.rowsOf(f)) this.#rows.push(deepFreeze(r));
      this.#rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      this.#stale = false;
    }
    const out: R[] = [];
    for (let i = lowerBound(this.#rows, { at: from } as R, (a, b) => a.at < b.at); i < this.#rows.length; i++) {
      const r = this.#rows[i] as R;
      if (r.at >= to) break;
      if (chatId === undefined || r.chatId === chatId) out.push(r);
    }
    return out;
  }
}

/**
 * People by active day, for `countActive`: each person gets an ordinal, and each day (of all
 * groups, or of one group) lists the ordinals active on it; a count ORs the days of a range
 * into a bitmap. Built lazily, dropped on a write.
 */
class ActiveIndex {
  #people = 0;
  #all: Map<string, number[]> | undefined;
  #byChat: Map<string, Map<string, number[]>> | undefined;

  invalidate(): void {
    this.#all = undefined;
    this.#byChat = undefined;
  }

  #build(people: Map<string, PersonFacts>): void {
    const all = new Map<string, number[]>();
    const byChat = new Map<string, Map<string, number[]>>();
    const push = (m: Map<string, number[]>, day: string, n: number): void => {
      const list = m.get(day);
      if (list) list.push(n);
      else m.set(day, [n]);
    };
    let n = 0;
    for (const f of people.values()) {
      for (const d of f.activeDays) push(all, d, n);
      for (const m of f.memberships) {
        let days = byChat.get(m.chatId);
        if (!days) {
          days = new Map();
          byChat.set(m.chatId, days);
        }
        for (const d of m.activeDays) push(days, d, n);
      }
      n++;
    }
    this.#people = n;
    this.#all = all;
    this.#byChat = byChat;
  }

  count(people: Map<string, PersonFacts>, from: string, to: string, chatId: string | undefined): number {
    if (!this.#all) this.#build(people);
    const days = chatId === undefined ? this.#all : this.#byChat?.get(chatId);
    if (!days) return 0;
    const seen = new Uint8Array(this.#people);
    let n = 0;
    for (const [day, ordinals] of days) {
      if (day < from || day > to) continue;
      for (const o of ordinals) {
        if (seen[o] === 0) {
          seen[o] = 1;
          n++;
        }
      }
    }
    return n;
  }
}

interface WorkspaceCounters {
  marks: Record<CounterUnitKind, Map<string, MarkRow>>;
  days: Map<string, DayCounters>;
  people: Map<string, PersonFacts>;
  joins: EventIndex<MemberJoin>;
  leaves: EventIndex<MemberLeave>;
  active: ActiveIndex;
  state: CounterState | null;
}

/** A list in pages of {@link PEOPLE_PAGE} rows. */
function* pages<T>(list: readonly T[]): Generator<T[]> {
  for (let i = 0; i < list.length; i += PEOPLE_PAGE) yield list.slice(i, i + PEOPLE_PAGE);
}

/** Creates empty in-memory counters; `open()` throws once the store is closed. */
export function createMemoryCounters(open: () => void): CounterRepo {
  const all = new Map<string, WorkspaceCounters>();
  const of = (workspace: string): WorkspaceCounters => {
    let w = all.get(workspace);
    if (!w) {
      w = {
        marks: { day: new Map(), person: new Map() },
        days: new Map(),
        people: new Map(),
        joins: new EventIndex(joinsOfFacts),
        leaves: new EventIndex(leavesOfFacts),
        active: new ActiveIndex(),
        state: null,
      };
      all.set(workspace, w);
    }
    return w;
  };
  const sortedKeys = (keys: Iterable<string>): string[] => [...keys].sort(compareCodePoints);

  const repo: CounterRepo = {
    async markDirty(workspace, units) {
      open();
      const w = of(workspace);
      for (const u of distinctUnits(units)) {
        const row = w.marks[u.kind].get(u.key);
        w.marks[u.kind].set(u.key, { marks: (row?.marks ?? 0) + 1, dirty: true });
      }
    },
    async dirty(workspace, kind, limit) {
      open();
      const n = resolveLimit(limit, DEFAULT_DIRTY_LIMIT);
      const marks = all.get(workspace)?.marks[kind];
      if (!marks || n === 0) return [];
      const keys = sortedKeys([...marks].filter(([, r]) => r.dirty).map(([k]) => k)).slice(0, n);
      return keys.map((key) => ({ kind, key, marks: (marks.get(key) as MarkRow).marks }));
    },
    async marks(workspace, kind, options = {}) {
      open();
      const n = resolveLimit(options.limit, DEFAULT_COUNTER_LIST_LIMIT);
      const marks = all.get(workspace)?.marks[kind];
      if (!marks || n === 0) return [];
      const after = options.afterKey;
      const keys = sortedKeys([...marks.keys()].filter((k) => after === undefined || compareCodePoints(k, after) > 0)).slice(0, n);
      return keys.map((key) => ({ kind, key, marks: (marks.get(key) as MarkRow).marks }));
    },
    async markClean(workspace, list: readonly CounterMark[]) {
      open();
      const w = all.get(workspace);
      let n = 0;
      for (const m of list) {
        const row = w?.marks[m.kind]?.get(m.key);
        if (row && row.dirty && row.marks === m.marks) {
          row.dirty = false;
          n++;
        }
      }
      return n;
    },

    async putDay(workspace, counters) {
      open();
      const doc = canonicalDay(workspace, counters);
      const w = of(workspace);
      const stored = w.days.get(doc.day);
      if (stored && stored.version > doc.version) return false;
      w.days.set(doc.day, deepFreeze(doc));
      return true;
    },
    async days(workspace, range, parts) {
      open();
      assertDay(range.from, 'from');
      assertDay(range.to, 'to');
      const w = all.get(workspace);
      if (!w) return [];
      const out: DayCounters[] = [];
      for (const day of [...w.days.keys()].filter((d) => d >= range.from && d <= range.to).sort()) {
        const stored = w.days.get(day) as DayCounters;
        const picked: Partial<DayParts> = {};
        for (const p of parts) (picked as Record<string, unknown>)[p] = stored.parts[p] ?? emptyPart(p);
        out.push({ workspace, timeZone: stored.timeZone, day, version: stored.version, computedAt: stored.computedAt, parts: picked });
      }
      return out;
    },
    async dayList(workspace) {
      open();
      return [...(all.get(workspace)?.days.keys() ?? [])].sort();
    },

    async putPerson(workspace, facts) {
      open();
      const doc = canonicalFacts(workspace, facts);
      const w = of(workspace);
      const stored = w.people.get(doc.profileId);
      if (stored && stored.version > doc.version) return false;
      w.people.set(doc.profileId, deepFreeze(doc));
      w.joins.invalidate();
      w.leaves.invalidate();
      w.active.invalidate();
      return true;
    },
    async people(workspace, profileIds) {
      open();
      const w = all.get(workspace);
      if (!w) return [];
      const out: PersonFacts[] = [];
      for (const id of new Set(profileIds)) {
        const f = w.people.get(id);
        if (f) out.push(f);
      }
      return out;
    },
    async personIds(workspace, options = {}) {
      open();
      const n = resolveLimit(options.limit, DEFAULT_COUNTER_LIST_LIMIT);
      const after = options.afterId;
      const ids = [...(all.get(workspace)?.people.keys() ?? [])].filter((k) => after === undefined || compareCodePoints(k, after) > 0);
      return sortedKeys(ids).slice(0, n);
    },
    async *joinsIn(workspace, query) {
      open();
      const w = all.get(workspace);
      if (!w) return;
      yield* pages(w.joins.between(w.people, canonicalTime(query.from, 'from'), canonicalTime(query.to, 'to'), query.chatId));
    },
    async *leavesIn(workspace, query) {
      open();
      const w = all.get(workspace);
      if (!w) return;
      yield* pages(w.leaves.between(w.people, canonicalTime(query.from, 'from'), canonicalTime(query.to, 'to'), query.chatId));
    },
    async countActive(workspace, range) {
      open();
      assertDay(range.from, 'from');
      assertDay(range.to, 'to');
      const w = all.get(workspace);
      return w ? w.active.count(w.people, range.from, range.to, range.chatId) : 0;
    },

    async state(workspace) {
      open();
      const s = all.get(workspace)?.state;
      return s ? { ...s } : null;
    },
    async setState(workspace, state) {
      open();
      assertSameWorkspace('counter state', workspace, state.workspace);
      of(workspace).state = { workspace, timeZone: state.timeZone, builtAt: state.builtAt === null ? null : canonicalTime(state.builtAt, 'builtAt'), rebuildRequested: state.rebuildRequested };
    },
    async clearDays(workspace) {
      open();
      const w = all.get(workspace);
      if (!w) return;
      w.days.clear();
      w.marks.day.clear();
    },
  };
  return repo;
}
