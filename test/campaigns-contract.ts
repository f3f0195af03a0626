/**
 * The campaigns' contract (records and spend): what every adapter must do, as one `describe`
 * suite. `test/store.test.ts` runs it on the in-memory adapter always and on MongoDB when one
 * is reachable. The heart of it: a spend write REPLACES that day and campaign (a re-import
 * never adds up), records upsert by name, lists keep their order, workspaces never mix, and
 * bad rows are refused before anything is written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRecord, SpendRow, Store } from '../src/store/store.js';

const A = 'a';
const B = 'b';
const AT = '2026-03-10T08:00:00+08:00';

const record = (name: string, extra: Partial<CampaignRecord> = {}, workspace = A): CampaignRecord => ({ workspace, name, goal: 'awareness', updatedBy: 'cli', updatedAt: AT, ...extra });
const spend = (day: string, campaign: string, amount: number, extra: Partial<SpendRow> = {}, workspace = A): SpendRow => ({ workspace, day, campaign, amount, currency: 'CNY', source: 'import', updatedAt: AT, ...extra });

export function campaignsContract(name: Store['kind'], makeStore: () => Promise<Store>, cleanup?: (store: Store) => Promise<void>, options: { skipReason?: string } = {}): void {
  const title = options.skipReason ? `campaigns contract: ${name} (skipped: ${options.skipReason})` : `campaigns contract: ${name}`;
  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.(store);
    });

    it('puts, replaces, lists (by code point) and removes records, per workspace', async () => {
      await store.campaigns.records.put(A, record('spring', { target: { metric: 'joins', value: 500 }, from: '2026-03-01', to: '2026-03-31' }));
      await store.campaigns.records.put(A, record('Zed'));
      await store.campaigns.records.put(A, record('双十一', { goal: 'conversion', target: { metric: 'roas', value: 3 } }));
      await store.campaigns.records.put(B, record('spring', { goal: 'engagement' }, B));
      await store.campaigns.records.put(A, record('spring', { goal: 'engagement', target: { metric: 'retention', value: 0.2, day: 28 } }));
      const list = await store.campaigns.records.list(A);
      expect(list.map((r) => r.name)).toEqual(['Zed', 'spring', '双十一']);
      const spring = await store.campaigns.records.get(A, 'spring');
      expect(spring).toEqual({ workspace: A, name: 'spring', goal: 'engagement', target: { metric: 'retention', value: 0.2, day: 28 }, updatedBy: 'cli', updatedAt: '2026-03-10T00:00:00.000Z' });
      expect((await store.campaigns.records.get(B, 'spring'))?.goal).toBe('engagement');
      expect(await store.campaigns.records.get(B, 'Zed')).toBeNull();
      expect(await store.campaigns.records.remove(A, 'Zed')).toBe(true);
      expect(await store.campaigns.records.remove(A, 'Zed')).toBe(false);
      expect((await store.campaigns.records.list(A)).map((r) => r.name)).toEqual(['spring', '双十一']);
    });

    it('refuses bad records: unknown goal, days out of order, a share above 1, another workspace', async () => {
      await expect(store.campaigns.records.put(A, record('x', { goal: 'fame' as never }))).rejects.toThrow(/goal/);
      await expect(store.campaigns.records.put(A, record('x', { from: '2026-03-31', to: '2026-03-01' }))).rejects.toThrow(/after/);
      await expect(store.campaigns.records.put(A, record('x', { target: { metric: 'retention', value: 20 } }))).rejects.toThrow(/share/);
      await expect(store.campaigns.records.put(A, record('x', {}, B))).rejects.toThrow();
      expect(await store.campaigns.records.list(A)).toEqual([]);
    });

    it('spend: a write replaces that day and campaign; lists by day then campaign, in ranges', async () => {
      expect(await store.campaigns.spend.put(A, [spend('2026-03-02', 'spring', 100), spend('2026-03-01', 'spring', 50), spend('2026-03-01', 'kol', 30)])).toBe(3);
      await store.campaigns.spend.put(A, [spend('2026-03-02', 'spring', 80, { source: 'command' })]);
      await store.campaigns.spend.put(B, [spend('2026-03-02', 'spring', 999, {}, B)]);
      const all = await store.campaigns.spend.list(A);
      expect(all.map((r) => [r.day, r.campaign, r.amount, r.source])).toEqual([
        ['2026-03-01', 'kol', 30, 'import'],
        ['2026-03-01', 'spring', 50, 'import'],
        ['2026-03-02', 'spring', 80, 'command'],
      ]);
      expect((await store.campaigns.spend.list(A, { from: '2026-03-02', to: '2026-03-02' })).map((r) => r.amount)).toEqual([80]);
      expect((await store.campaigns.spend.list(A, { campaign: 'kol' })).map((r) => r.day)).toEqual(['2026-03-01']);
      expect(await store.campaigns.spend.remove(A, 'spring', ['2026-03-01', '2026-03-05'])).toBe(1);
      expect((await store.campaigns.spend.list(A)).length).toBe(2);
      expect((await store.campaigns.spend.list(B)).map((r) => r.amount)).toEqual([999]);
    });

    it('spend: zero is kept as an entry; a negative amount, a bad day or currency is refused and nothing of that call is written', async () => {
      await store.campaigns.spend.put(A, [spend('2026-03-01', 'spring', 0)]);
      expect((await store.campaigns.spend.list(A)).map((r) => r.amount)).toEqual([0]);
      await expect(store.campaigns.spend.put(A, [spend('2026-03-03', 'spring', 10), spend('2026-03-04', 'spring', -1)])).rejects.toThrow(/≥ 0/);
      await expect(store.campaigns.spend.put(A, [spend('2026-02-30', 'spring', 10)])).rejects.toThrow(/YYYY-MM-DD/);
      await expect(store.campaigns.spend.put(A, [spend('2026-03-05', 'spring', 10, { currency: 'yuan' })])).rejects.toThrow(/ISO 4217/);
      expect((await store.campaigns.spend.list(A)).map((r) => r.day)).toEqual(['2026-03-01']);
    });
  });
}
