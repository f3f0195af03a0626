/**
 * Fits of the data-driven models per calendar month of conversions: the window rules, fits
 * that depend only on their data (content-hash ids, canonical order), Shapley chunks and credit
 * sets that stay under MongoDB's 16 MB, marks that keep fits current, the fit cache, what
 * managers see, and the reconcile worker on real BullMQ crediting a March–May data set with
 * Markov and Shapley when "now" is December (refits re-credit in bulk inside their own job).
 */
import mongoose from 'mongoose';
import { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../bench/seeded-random.js';
import type { CliIo } from '../src/cli/io.js';
import { makeConversionsCommand } from '../src/cli/conversions-import.js';
import { workspaceConfigSchema, type WorkspaceConfig } from '../src/config.js';
import { JourneyTableBuilder, MODEL_NAMES, fitMarkov } from '../src/attribution/index.js';
import { createMemoryLocker } from '../src/lock.js';
import { createLogger } from '../src/logger.js';
import { recordTouch } from '../src/profile/record-touch.js';
import { reconcileQueueName } from '../src/queue/keys.js';
import { createProducerConnection, createWorkerConnection } from '../src/queue/redis.js';
import { buildFit, createFitCache, creditConversion, loadFit, type FitJourney } from '../src/reconcile/fit-models.js';
import { createFitMarks } from '../src/reconcile/fit-marks.js';
import { fitStatus, formatRefitMonths, missingFitNote, requestRefit, RefitRequestError } from '../src/reconcile/fit-status.js';
import { fitWindow, monthBounds, monthOf, monthsFedBy, monthsOfPeriod } from '../src/reconcile/fit-window.js';
import { MAX_JOURNEY_TOUCHES, reconcileConversion } from '../src/reconcile/reconcile-conversion.js';
import { ReconcileQueue } from '../src/reconcile/reconcile-queue.js';
import { recreditMonth, refitMonth } from '../src/reconcile/refit-month.js';
import { settingsLookup } from '../src/reconcile/workspace-settings.js';
import { createReports } from '../src/reports/index.js';
import { chunkCoalitions, toCreditDoc, toFitDocs } from '../src/store/conversions/mongo-conversions.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Coalition, ConversionRecord, CreditSet, Store, StoredTouch } from '../src/store/store.js';
import { makeTouchId } from '../src/touch-event.js';
import { createReconcileWorker, type ReconcileJobResult } from '../workers/reconcile.worker.js';
import { REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './support/redis.js';
import { touch } from './support/touches.js';

const { BSON } = mongoose.mongo;
const WS = 'acme';
const DAY = 86_400_000;
const MB16 = 16 * 2 ** 20;
const log = createLogger('silent');

/** A workspace as the configuration file would give it (schema defaults for everything not set). */
function workspace(extra: Partial<WorkspaceConfig> = {}): WorkspaceConfig {
  return { ...workspaceConfigSchema.parse({ id: WS, defaultRegion: 'CN' }), ...extra };
}

function conversion(id: string, at: string, tgId: string, value = 100): ConversionRecord {
  return { workspace: WS, id, type: 'purchase', occurredAt: at, value, currency: 'CNY', identifiers: [{ type: 'tg_id', value: tgId }], fingerprint: id, source: 'webhook', receivedAt: at, status: 'pending', match: null, reconciledAt: null };
}

describe('fit windows (UTC calendar months)', () => {
  it('a month’s fit reads the 90 days before it and the month; a journey feeds its own month and those starting up to 90 days later', () => {
    expect(monthOf('2026-03-31T23:59:59.999Z')).toBe('2026-03');
    expect(monthOf('2026-04-01T02:00:00+08:00')).toBe('2026-03');
    expect(monthBounds('2026-12')).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
    expect(fitWindow('2026-05')).toEqual({ from: '2026-01-31T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z' });
    expect(monthsFedBy('2026-03-15T00:00:00Z')).toEqual(['2026-03', '2026-04', '2026-05', '2026-06']);
    // 90 days after 2026-01-31 is 2026-05-01: May's window starts exactly then, so it is fed.
    expect(monthsFedBy('2026-01-31T00:00:00Z')).toEqual(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05']);
    expect(monthsFedBy('2026-01-30T23:59:59.999Z')).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
    for (const m of monthsFedBy('2026-01-31T00:00:00Z')) {
      const w = fitWindow(m);
      expect(Date.parse('2026-01-31T00:00:00Z')).toBeGreaterThanOrEqual(Date.parse(w.from));
      expect(Date.parse('2026-01-31T00:00:00Z')).toBeLessThan(Date.parse(w.to));
    }
    expect(monthsOfPeriod({ from: '2026-03-01T00:00:00Z', to: '2026-06-01T00:00:00Z' })).toEqual(['2026-03', '2026-04', '2026-05']);
    expect(monthsOfPeriod({ from: '2026-12-20T00:00:00Z', to: '2027-01-02T00:00:00Z' })).toEqual(['2026-12', '2027-01']);
    expect(monthsOfPeriod({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).toEqual([]);
  });
});

/** Journeys over `channels` channels (fixed seed), converting about one in five. */
function journeys(n: number, channels: number, seed = 7): FitJourney[] {
  const rand = seededRandom(seed);
  const out: FitJourney[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rand() * 6);
    const t0 = Date.parse('2026-02-01T00:00:00Z') + Math.floor(rand() * 80) * DAY;
    const names = Array.from({ length: len }, () => `telegram/-100${Math.floor(rand() * channels)}/message`);
    const times = names.map((_, k) => t0 + k * 3_600_000);
    const converts = rand() < 0.2;
    out.push({ channels: names, times, conversion: converts ? { at: t0 + len * 3_600_000, value: Math.round(rand() * 10_000) / 100 } : null });
  }
  return out;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rand = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('a fit depends on its data only', () => {
  const meta = { workspace: WS, month: '2026-04', createdAt: '2026-05-01T00:00:00.000Z', ...fitWindow('2026-04') };

  it('the same journeys in any order give the same fit, bit for bit, with the same content-hash id', () => {
    const data = journeys(3_000, 30);
    const a = buildFit(meta, data);
    const b = buildFit({ ...meta, createdAt: '2026-12-01T00:00:00.000Z' }, shuffled(data, 1));
    expect(a.id).toMatch(/^fit-2026-04-[A-Za-z0-9_-]{22}$/);
    expect({ ...b, createdAt: a.createdAt }).toStrictEqual(a);
    // The credits it gives are the same numbers too.
    const touches = [{ touchId: 't1', at: '2026-04-02T00:00:00.000Z', kind: 'message' as const, platform: 'telegram' as const, channel: 'telegram/-1003/message' }, { touchId: 't2', at: '2026-04-03T00:00:00.000Z', kind: 'message' as const, platform: 'telegram' as const, channel: 'telegram/-1007/message' }];
    expect(creditConversion(touches, { at: '2026-04-04T00:00:00.000Z', value: 80 }, loadFit(b))).toStrictEqual(creditConversion(touches, { at: '2026-04-04T00:00:00.000Z', value: 80 }, loadFit(a)));

    // Other data, another month or another window: another id.
    const changed = [...data];
    const j0 = data[0] as FitJourney;
    changed[0] = { ...j0, conversion: j0.conversion ? null : { at: (j0.times.at(-1) ?? 0) + 1, value: 1 } };
    expect(buildFit(meta, changed).id).not.toBe(a.id);
    expect(buildFit({ ...meta, month: '2026-05', ...fitWindow('2026-05') }, data).id).not.toBe(a.id);
    expect(buildFit({ ...meta, ...fitWindow('2026-04', 60) }, data).id).not.toBe(a.id);
  });

  it('the canonical order matters: fitted in arrival order, the floating-point results would differ', () => {
    // Why journeys are sorted first: without it, two arrival orders give different removal effects.
    const data = journeys(3_000, 30);
    const fitIn = (order: readonly FitJourney[]): number[] => {
      const b = new JourneyTableBuilder('journeys');
      for (const j of order) b.addJourneyArrays(j.channels, j.times, j.channels.length, j.conversion?.at ?? null, j.conversion?.value ?? 0);
      const m = fitMarkov(b.build());
      return [...m.valueRemovalEffect.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([, v]) => v);
    };
    const orders = [data, shuffled(data, 2), shuffled(data, 3), [...data].reverse()];
    const results = orders.map((o) => JSON.stringify(fitIn(o)));
    expect(new Set(results).size).toBeGreaterThan(1);
    const canonical = orders.map((o) => JSON.stringify(buildFit(meta, o).markov));
    expect(new Set(canonical).size).toBe(1);
  });
});

describe('no stored document nears 16 MB', () => {
  it('Shapley coalitions of a 100-channel fit are chunked by BSON size; a 5,000-coalition chunk (about 80 channels each) would not fit', () => {
    const rand = seededRandom(100);
    const channels = Array.from({ length: 100 }, (_, i) => `whatsapp/1203630000000000${String(i).padStart(3, '0')}@g.us/message`);
    const coalitions: Coalition[] = Array.from({ length: 20_000 }, (_, i) => {
      const size = 60 + Math.floor(rand() * 41);
      const picked = shuffled(channels, i).slice(0, size).sort();
      return { channels: picked, conversions: Math.floor(rand() * 50), nulls: Math.floor(rand() * 500) };
    });
    // The old rule (5,000 coalitions a chunk) fails at this size.
    expect(BSON.calculateObjectSize({ workspace: WS, fitId: 'f', seq: 0, coalitions: coalitions.slice(0, 5_000) })).toBeGreaterThan(MB16);
    const fit = { ...buildFit({ workspace: WS, month: '2026-04', createdAt: '2026-05-01T00:00:00.000Z', ...fitWindow('2026-04') }, journeys(10, 100)), coalitions };
    const { fit: doc, chunks } = toFitDocs(WS, fit);
    expect(chunks.length).toBeGreaterThan(4);
    expect(doc.chunks).toBe(chunks.length);
    for (const c of chunks) expect(BSON.calculateObjectSize(c as unknown as Record<string, unknown>)).toBeLessThan(MB16);
    expect(BSON.calculateObjectSize(doc as unknown as Record<string, unknown>)).toBeLessThan(MB16);
    expect(chunks.flatMap((c) => c.coalitions)).toStrictEqual(coalitions);
    // The budget is what each chunk's coalitions array holds, by size: small coalitions pack densely.
    expect(chunkCoalitions(coalitions.slice(0, 10), 1)).toHaveLength(10);
    expect(chunkCoalitions([], 1)).toEqual([]);
  });

  it('a 40,000-touch journey is cut to its first touch and latest ones, and its credit set stays far below 16 MB', async () => {
    const store = createMemoryStore();
    const locker = createMemoryLocker();
    const lockKey = (w: string, p: string): string => `lock:${w}:${p}`;
    const first = touch({ kind: 'join', ref: 'flood-join', at: '2026-03-01T00:00:00Z', chat: { id: '-1000', title: 'g', type: 'group' }, actor: { userId: '101' }, details: { via: 'invite_link', campaign: 'spring' } });
    await recordTouch({ store, locker, lockKey }, first);
    const profileId = (await store.identities.find(WS, [{ type: 'tg_id', value: '101' }])).get('tg_id|101') as string;
    // A message every 64 s, rotating over 40 groups: no two of one group within 30 minutes, so none collapse.
    const batch: StoredTouch[] = [];
    for (let i = 0; i < 40_000; i++) {
      const t = touch({ kind: 'message', ref: `flood-${i}`, at: new Date(Date.parse('2026-03-01T00:01:00Z') + i * 64_000).toISOString(), chat: { id: `-1${String(i % 40).padStart(3, '0')}`, title: `群 ${i % 40}`, type: 'group' }, actor: { userId: '101' } });
      batch.push({ ...t, profileId, applied: true });
    }
    await store.touches.insertMany(WS, batch);
    const at = '2026-03-31T00:00:00Z';
    await store.conversions.insert(WS, conversion('big', at, '101'));
    const deps = { store, locker, conversionLockKey: (w: string, k: string) => `c:${w}:${k}`, profileLockKey: lockKey, settings: settingsLookup([workspace({ lookbackDays: 31 })]), fit: createFitCache(store).forMonth };
    expect(await reconcileConversion(deps, WS, 'big')).toMatchObject({ status: 'matched', touches: MAX_JOURNEY_TOUCHES });
    const set = (await store.credits.get(WS, 'big')) as CreditSet;
    expect(set.touches).toHaveLength(MAX_JOURNEY_TOUCHES);
    expect(set.touches[0]?.touchId).toBe(first.id);
    expect(set.touches.at(-1)?.touchId).toBe(makeTouchId('telegram', 'flood-39999', 'message'));
    expect(set.touches[1]?.touchId).toBe(makeTouchId('telegram', `flood-${40_000 - MAX_JOURNEY_TOUCHES + 1}`, 'message'));
    expect(set.models.first_touch?.conversions[0]).toBe(1);
    expect(set.models.last_touch?.conversions.at(-1)).toBe(1);
    const size = BSON.calculateObjectSize(toCreditDoc(WS, set) as unknown as Record<string, unknown>);
    expect(size).toBeLessThan(MB16 / 4);
    // Uncut, the same journey's credits under all seven models come within a few MB of the limit
    // (longer group titles, campaigns or facets would pass it): hence the cut.
    const full = [set.touches[0] as CreditSet['touches'][number], ...Array.from({ length: 40_000 }, (_, i) => ({ ...(set.touches[1] as CreditSet['touches'][number]), touchId: `x${i}` }))];
    const fit = loadFit(buildFit({ workspace: WS, month: '2026-03', createdAt: at, ...fitWindow('2026-03') }, [{ channels: full.map((t) => t.channel), times: full.map((t) => Date.parse(t.at)), conversion: { at: Date.parse(at), value: 100 } }]));
    const uncut = { ...set, touches: full, models: creditConversion(full, { at, value: 100 }, fit) };
    expect(Object.keys(uncut.models)).toHaveLength(MODEL_NAMES.length);
    expect(BSON.calculateObjectSize(toCreditDoc(WS, uncut) as unknown as Record<string, unknown>)).toBeGreaterThan(0.8 * MB16);
  });
});

describe('marks and the fit cache', () => {
  it('marks are batched: months of touch times and of reconciles are written once per batch, then their refits queued', async () => {
    const store = createMemoryStore();
    const requested: Array<{ workspace: string; months: string[]; delayMs: number }> = [];
    const marks = createFitMarks({ store, log, refitDelayMs: 1234, batchMs: 20, queue: { requestMonthRefits: async (workspace, months, delayMs) => void requested.push({ workspace, months: [...months], delayMs }) } });
    marks.markFitsDirty(WS, ['2026-03-15T00:00:00Z', 'not a time']);
    marks.markFitsDirty(WS, ['2026-04-20T00:00:00Z']);
    marks.markFitsDirty('other', ['2026-06-01T00:00:00Z']);
    expect(requested).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(requested).toEqual([
      { workspace: WS, months: ['2026-03', '2026-04', '2026-05', '2026-06', '2026-07'], delayMs: 1234 },
      { workspace: 'other', months: ['2026-06', '2026-07', '2026-08'], delayMs: 1234 },
    ]);
    expect((await store.fits.months(WS)).map((m) => [m.month, m.marks])).toEqual([['2026-03', 1], ['2026-04', 1], ['2026-05', 1], ['2026-06', 1], ['2026-07', 1]]);
    // Reconciles await their marks; concurrent ones share one write.
    requested.length = 0;
    await Promise.all([marks.markMonths(WS, ['2026-03']), marks.markMonths(WS, ['2026-03', '2026-04']), marks.markMonths(WS, [])]);
    expect(requested).toEqual([{ workspace: WS, months: ['2026-03', '2026-04'], delayMs: 1234 }]);
    expect((await store.fits.month(WS, '2026-03'))?.marks).toBe(2);
    marks.markFitsDirty(WS, ['2026-08-01T00:00:00Z']);
    await marks.flush();
    expect((await store.fits.month(WS, '2026-10'))?.marks).toBe(1);
    expect(await store.fits.month(WS, '2026-11')).toBeNull();

    const failing = createFitMarks({ store, log, queue: { requestMonthRefits: async () => Promise.reject(new Error('redis down')) } });
    await expect(failing.markMonths(WS, ['2026-03'])).rejects.toThrow('redis down');
    failing.markFitsDirty(WS, ['2026-03-01T00:00:00Z']);
    await failing.flush();
  });

  it('the reconciler reads a month’s current fit id each time and loads the fit only when that id changed', async () => {
    const store = createMemoryStore();
    let loads = 0;
    const get = store.fits.get.bind(store.fits);
    store.fits.get = async (ws, id) => {
      loads++;
      return get(ws, id);
    };
    const meta = { workspace: WS, month: '2026-04', createdAt: '2026-05-01T00:00:00.000Z', ...fitWindow('2026-04') };
    const f1 = buildFit(meta, journeys(200, 10, 1));
    const f2 = buildFit(meta, journeys(200, 10, 2));
    await store.fits.put(WS, f1);
    const cache = createFitCache(store);
    expect(await cache.forMonth(WS, '2026-04')).toBeNull();
    await store.fits.setCurrent(WS, { month: '2026-04', fitId: f1.id, fittedAt: meta.createdAt, journeys: 1, conversions: 1, marks: 0 });
    for (let i = 0; i < 5; i++) expect((await cache.forMonth(WS, '2026-04'))?.id).toBe(f1.id);
    expect(loads).toBe(1);
    await store.fits.put(WS, f2);
    await store.fits.setCurrent(WS, { month: '2026-04', fitId: f2.id, fittedAt: meta.createdAt, journeys: 1, conversions: 1, marks: 0 });
    for (let i = 0; i < 5; i++) expect((await cache.forMonth(WS, '2026-04'))?.id).toBe(f2.id);
    expect(loads).toBe(2);
    expect(await cache.forMonth(WS, '2026-05')).toBeNull();
  });
});

describe('what managers see', () => {
  it('fitStatus lists each month’s fit and whether a refit is due; the report note says refit only when it helps', async () => {
    const store = createMemoryStore();
    await store.fits.markDirty(WS, ['2026-03', '2026-04']);
    await store.fits.setCurrent(WS, { month: '2026-03', fitId: 'fit-a', fittedAt: '2026-04-01T00:00:00Z', journeys: 40, conversions: 6, marks: 1 });
    await store.fits.setCredited(WS, '2026-03', 'fit-a');
    expect(await fitStatus(store, WS)).toEqual([
      { month: '2026-03', fitId: 'fit-a', fittedAt: '2026-04-01T00:00:00.000Z', journeys: 40, conversions: 6, dirty: false },
      { month: '2026-04', fitId: null, fittedAt: null, journeys: 0, conversions: 0, dirty: true },
    ]);
    const status = await fitStatus(store, WS);
    const march = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };
    const spring = { from: '2026-03-01T00:00:00Z', to: '2026-05-01T00:00:00Z' };
    expect(missingFitNote('markov', 0, status, spring)).toEqual([]);
    expect(missingFitNote('markov', 3, status, spring)).toEqual(['markov: 3 conversions not credited yet: the models of 2026-04 are being refitted after new data; the credits appear by themselves once that is done']);
    expect(missingFitNote('shapley', 1, status, march)).toEqual(['shapley: 1 conversion not credited yet: no fit covers them and none is queued; /refit (or midfunnel conversions refit) fits them now']);
    // A re-credit that did not finish leaves the month dirty too.
    await store.fits.setCurrent(WS, { month: '2026-03', fitId: 'fit-b', fittedAt: '2026-04-02T00:00:00Z', journeys: 41, conversions: 6, marks: 1 });
    expect((await fitStatus(store, WS, { to: '2026-04' }))[0]?.dirty).toBe(true);
  });

  it('requestRefit queues one job for the period’s months (or every month) and refuses an empty or huge period', async () => {
    const calls: Array<[string, string, readonly string[] | undefined]> = [];
    const queue = { requestRefit: async (ws: string, cause?: string, months?: readonly string[]) => (calls.push([ws, cause ?? '', months]), `f.${ws}.${cause ?? ''}`) };
    expect(await requestRefit(queue, WS, { from: '2026-03-01T00:00:00+08:00', to: '2026-06-01T00:00:00+08:00' }, 'c1')).toEqual({ jobId: 'f.acme.c1', months: ['2026-02', '2026-03', '2026-04', '2026-05'] });
    expect(await requestRefit(queue, WS, undefined, 'c2')).toEqual({ jobId: 'f.acme.c2', months: null });
    await expect(requestRefit(queue, WS, { from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).rejects.toThrow(RefitRequestError);
    await expect(requestRefit(queue, WS, { from: '2000-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).rejects.toThrow(/at most 120/);
    expect(calls).toHaveLength(2);
    expect(formatRefitMonths([])).toBe('no month to refit: no conversion has credits yet\n');
  });
});

describe('refitting a month re-credits its conversions in bulk', () => {
  it('fits, re-credits only sets of another fit, reports unchanged data as unchanged, and stops when a newer fit took over', async () => {
    const store = createMemoryStore();
    const locker = createMemoryLocker();
    const lockKey = (w: string, p: string): string => `lock:${w}:${p}`;
    const settings = settingsLookup([workspace()]);
    const fits = createFitCache(store);
    const deps = { store, locker, conversionLockKey: (w: string, k: string) => `c:${w}:${k}`, profileLockKey: lockKey, settings, fit: fits.forMonth, fits };
    const G = (n: number) => ({ id: `-100${n}`, title: `g${n}`, type: 'group' as const });
    for (let p = 0; p < 6; p++) {
      await recordTouch({ store, locker, lockKey }, touch({ kind: 'join', ref: `j${p}`, at: `2026-03-0${p + 1}T00:00:00Z`, chat: G(p % 3), actor: { userId: String(100 + p) }, details: { via: 'invite_link', campaign: `c${p % 2}` } }));
      await recordTouch({ store, locker, lockKey }, touch({ kind: 'message', ref: `m${p}`, at: `2026-03-1${p}T00:00:00Z`, chat: G((p + 1) % 3), actor: { userId: String(100 + p) } }));
    }
    for (let p = 0; p < 4; p++) {
      await store.conversions.insert(WS, conversion(`o${p}`, `2026-03-2${p}T00:00:00Z`, String(100 + p), 50 + p));
      expect(await reconcileConversion(deps, WS, `o${p}`)).toMatchObject({ status: 'matched', fitMissing: true, fitMonths: ['2026-03', '2026-04', '2026-05', '2026-06'] });
    }
    // A run that changes nothing asks for no refit.
    expect((await reconcileConversion(deps, WS, 'o0')).fitMonths).toEqual(['2026-03']);
    expect((await store.credits.get(WS, 'o0'))?.models.markov).toBeUndefined();

    const first = await refitMonth(deps, WS, '2026-03');
    expect(first).toMatchObject({ month: '2026-03', status: 'fitted', previousFitId: null, conversions: 4, journeys: 6, recredited: 4 });
    for (let p = 0; p < 4; p++) {
      const set = (await store.credits.get(WS, `o${p}`)) as CreditSet;
      expect(set.fitId).toBe(first.fitId);
      expect(Object.keys(set.models).sort()).toEqual([...MODEL_NAMES].sort());
    }
    expect((await reconcileConversion(deps, WS, 'o1')).fitMonths).toEqual([]);
    expect(await refitMonth(deps, WS, '2026-03')).toMatchObject({ status: 'unchanged', fitId: first.fitId, recredited: 0 });
    expect((await fitStatus(store, WS))[0]).toMatchObject({ month: '2026-03', fitId: first.fitId, dirty: false });
    expect(await refitMonth(deps, WS, '2026-07')).toMatchObject({ status: 'empty', fitId: null });

    // A lurker's touch in the window changes the fit: every conversion of March is re-credited.
    await recordTouch({ store, locker, lockKey }, touch({ kind: 'message', ref: 'lurk', at: '2026-03-05T00:00:00Z', chat: G(2), actor: { userId: '999' } }));
    const second = await refitMonth(deps, WS, '2026-03');
    expect(second).toMatchObject({ status: 'fitted', previousFitId: first.fitId, journeys: 7, recredited: 4 });
    expect(second.fitId).not.toBe(first.fitId);

    // A newer fit took over while an older one re-credits: the older one stops.
    const older = loadFit((await store.fits.get(WS, first.fitId as string)) as never);
    expect(await recreditMonth(deps, WS, '2026-03', older)).toEqual({ recredited: 0, complete: false });
    expect((await store.credits.get(WS, 'o2'))?.fitId).toBe(second.fitId);
  });
});

describe('the reconcile worker on real BullMQ, months fitted from their own data', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function harness(store: Store, now: Date) {
    const prefix = uniquePrefix('fits');
    const producer = createProducerConnection({ url: REDIS_URL });
    const conn = createWorkerConnection({ url: REDIS_URL });
    const queue = new ReconcileQueue({ connection: producer, prefix });
    const results: ReconcileJobResult[] = [];
    const w = createReconcileWorker({ connection: conn, store, locker: createMemoryLocker(), log, settings: settingsLookup([workspace()]), queue, prefix, refitDelayMs: 30, concurrency: 4, now: () => now, onProcessed: (r) => results.push(r) });
    cleanups.push(async () => {
      await w.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
      const r = testRedis();
      await deleteKeys(r, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([r.quit(), producer.quit(), conn.quit()]);
    });
    /** Until nothing waits, runs or is delayed (but the periodic jobs) for 300 ms. */
    const idle = async (): Promise<void> => {
      const deadline = Date.now() + 60_000;
      let quiet = 0;
      while (quiet < 6) {
        if (Date.now() > deadline) throw new Error('queue did not settle');
        const c = await queue.queue.getJobCounts('waiting', 'active', 'prioritized', 'failed');
        if ((c.failed ?? 0) > 0) throw new Error(`failed: ${(await queue.queue.getFailed()).map((j) => j.failedReason).join('; ')}`);
        const delayed = (await queue.queue.getDelayed()).filter((j) => !String(j.id).startsWith('repeat:'));
        quiet = (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) + delayed.length === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    return { queue, results, idle };
  }

  it('credits every matched order of March–May under Markov and Shapley when asked in December, and a refit re-credits in its own job', { timeout: 120_000 }, async () => {
    const store = createMemoryStore();
    const locker = createMemoryLocker();
    const lockKey = (w: string, p: string): string => `lock:${w}:${p}`;
    const rand = seededRandom(531);
    const groups = ['-1001', '-1002', '-1003'];
    for (let p = 0; p < 40; p++) {
      const t0 = Date.parse('2026-03-01T00:00:00Z') + Math.floor(rand() * 80) * DAY;
      const chat = { id: groups[p % 3] as string, title: `群${p % 3}`, type: 'group' as const };
      await recordTouch({ store, locker, lockKey }, touch({ kind: 'join', ref: `j${p}`, at: new Date(t0).toISOString(), chat, actor: { userId: String(500 + p) }, details: { via: 'invite_link', campaign: `c${p % 4}` } }));
      for (let m = 0; m < 1 + Math.floor(rand() * 4); m++) {
        const other = { id: groups[Math.floor(rand() * 3)] as string, title: 'x', type: 'group' as const };
        await recordTouch({ store, locker, lockKey }, touch({ kind: 'message', ref: `m${p}-${m}`, at: new Date(t0 + (m + 1) * DAY).toISOString(), chat: other, actor: { userId: String(500 + p) } }));
      }
    }
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const p = Math.floor(rand() * 40);
      const at = new Date(Date.parse('2026-03-10T00:00:00Z') + Math.floor(rand() * 80) * DAY).toISOString();
      await store.conversions.insert(WS, conversion(`o${i}`, at, String(500 + p), Math.round(rand() * 30_000) / 100));
      ids.push(`o${i}`);
    }
    const december = new Date('2026-12-15T00:00:00Z');
    const { queue, results, idle } = await harness(store, december);
    await queue.enqueue(WS, ids, 'in');
    await idle();

    const sets = (await store.credits.list(WS, {})) as CreditSet[];
    const matched = (await store.conversions.list(WS, { status: 'matched' })).length;
    expect(matched).toBe(sets.length);
    expect(matched).toBeGreaterThan(15);
    const status = new Map((await fitStatus(store, WS)).map((s) => [s.month, s]));
    for (const s of sets) {
      expect(s.fitId).toBe(status.get(monthOf(s.conversionAt))?.fitId);
      expect(s.models.markov?.conversions.reduce((a, b) => a + b, 0)).toBeCloseTo(s.touches.length > 0 ? 1 : 0, 12);
      expect(s.models.shapley?.conversions.reduce((a, b) => a + b, 0)).toBeCloseTo(s.touches.length > 0 ? 1 : 0, 12);
    }
    expect([...status.values()].every((s) => !s.dirty)).toBe(true);
    const period = { from: '2026-03-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z', label: '2026-03-01..2026-05-31' };
    for (const model of ['markov', 'shapley']) {
      const r = await createReports(store, [{ id: WS, timezone: 'UTC' }]).attribution(WS, { period, by: 'campaign', model });
      expect(r.rows.reduce((n, row) => n + row.credited.conversions, 0)).toBeCloseTo(r.totals.matched, 6);
      expect(r.totals.matched).toBe(sets.filter((s) => s.conversionAt < period.to).length);
    }
    // The months were refitted by the debounced jobs, each month once per burst of marks at most twice.
    const monthRuns = results.filter((r) => r.kind === 'refit-month');
    expect(new Set(monthRuns.map((r) => (r as { month: string }).month))).toEqual(new Set(['2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08']));

    // A new touch in April, and a refit of the spring asked for by the CLI: one job, per-month answers, no job per conversion.
    await recordTouch({ store, locker, lockKey }, touch({ kind: 'message', ref: 'late', at: '2026-04-10T00:00:00Z', chat: { id: '-1002', type: 'group' }, actor: { userId: '999' } }));
    const reconcileJobsBefore = (await queue.queue.getJobs(['completed', 'waiting', 'delayed', 'active'])).filter((j) => j.name === 'reconcile').length;
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readFile: async () => Buffer.from(''), cwd: '/', env: {}, isTTY: false };
    const cmd = makeConversionsCommand({ store, workspaces: [workspace()], hashKey: 'k'.repeat(32), reconcileQueue: queue, now: () => december });
    expect(await cmd(['refit', '--workspace', WS, '--period', '2026-03-01..2026-05-31', '--json'], io)).toBe(0);
    const months = JSON.parse(out.join('')) as Array<{ month: string; status: string; recredited: number; fitId: string }>;
    expect(months.map((m) => [m.month, m.status])).toEqual([
      ['2026-03', 'unchanged'],
      ['2026-04', 'fitted'],
      ['2026-05', 'fitted'],
    ]);
    const inMonth = (m: string): number => sets.filter((s) => monthOf(s.conversionAt) === m).length;
    expect(months.map((m) => m.recredited)).toEqual([0, inMonth('2026-04'), inMonth('2026-05')]);
    expect((await queue.queue.getJobs(['completed', 'waiting', 'delayed', 'active'])).filter((j) => j.name === 'reconcile').length).toBe(reconcileJobsBefore);
    for (const s of await store.credits.list(WS, { from: '2026-04-01T00:00:00Z', to: '2026-06-01T00:00:00Z' })) {
      expect(s.fitId).toBe(months.find((m) => m.month === monthOf(s.conversionAt))?.fitId);
    }
    // The text form, and clear answers for a bad period or workspace.
    out.length = 0;
    expect(await cmd(['refit', '--workspace', WS, '--period', '2026-04-01..2026-04-30'], io)).toBe(0);
    expect(out.join('')).toMatch(/^2026-04 {2}unchanged \(same data, same fit\) fit-2026-04-\S+, \d+ journeys, \d+ converting, 0 conversions re-credited\n$/);
    await expect(cmd(['refit', '--workspace', WS, '--period', 'March'], io)).rejects.toThrow(/--period/);
    await expect(cmd(['refit', '--workspace', 'nope'], io)).rejects.toThrow(/workspace nope is not configured/);
    await expect(cmd(['refit', '--workspace', WS, '--wait', 'soon'], io)).rejects.toThrow(/--wait soon/);
  });

  it('month refits are debounced per month: asking while one waits adds nothing, asking while one runs keeps exactly one more', { timeout: 30_000 }, async () => {
    const prefix = uniquePrefix('fitdedupe');
    const producer = createProducerConnection({ url: REDIS_URL });
    const conn = createWorkerConnection({ url: REDIS_URL });
    const queue = new ReconcileQueue({ connection: producer, prefix });
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const worker = new Worker(
      reconcileQueueName(prefix),
      async (job) => {
        ran.push(`${String(job.data.month)}#${ran.length}`);
        if (ran.length === 1) await gate;
      },
      { connection: conn, concurrency: 2 },
    );
    cleanups.push(async () => {
      await worker.close();
      await queue.queue.obliterate({ force: true });
      await queue.close();
      const r = testRedis();
      await deleteKeys(r, [`${prefix}*`, `bull:${prefix}*`]);
      await Promise.all([r.quit(), producer.quit(), conn.quit()]);
    });
    const until = async (cond: () => boolean | Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out; ran ${ran.join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    for (let i = 0; i < 3; i++) await queue.requestMonthRefits(WS, ['2026-03'], 150);
    expect(await queue.queue.getDelayedCount()).toBe(1);
    await until(() => ran.length === 1);
    for (let i = 0; i < 3; i++) await queue.requestMonthRefits(WS, ['2026-03'], 50);
    await queue.requestMonthRefits(WS, ['2026-04'], 50);
    await until(() => ran.length === 2);
    expect(ran[1]).toBe('2026-04#1');
    release();
    await until(() => ran.length === 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(ran).toEqual(['2026-03#0', '2026-04#1', '2026-03#2']);
  });
});
