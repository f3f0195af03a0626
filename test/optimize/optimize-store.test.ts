/** Alert settings, daily run claims and profile tags on the in-memory store (the MongoDB adapter type-checks to the same interface; it runs with MONGO_URL). */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { interestTags } from '../../src/optimize/daily-alerts.js';
import type { PersonFacts } from '../../src/store/store.js';

describe('optimize store (memory adapter)', () => {
  it('keeps an alert setting per workspace and claims each run once', async () => {
    const s = createMemoryStore();
    expect(await s.optimize.alertSettings.get('a')).toBeNull();
    await s.optimize.alertSettings.put('a', { workspace: 'a', enabled: false, changedBy: 'telegram:1', changedAt: '2026-03-01T00:00:00.000Z' });
    expect(await s.optimize.alertSettings.get('a')).toMatchObject({ enabled: false });
    expect(await s.optimize.alertSettings.get('b')).toBeNull();
    expect(await s.optimize.alertSettings.claimRun('a', '2026-03-01')).toBe(true);
    expect(await s.optimize.alertSettings.claimRun('a', '2026-03-01')).toBe(false);
    expect(await s.optimize.alertSettings.claimRun('b', '2026-03-01')).toBe(true);
    expect(await s.optimize.alertSettings.claimRun('a', '2026-03-02')).toBe(true);
  });

  it('replaces a source’s tags whole, one per profile and tag, per workspace', async () => {
    const s = createMemoryStore();
    const tag = (profileId: string, t: string) => ({ workspace: 'a', profileId, tag: t, source: 'lift', at: '2026-03-01T00:00:00.000Z' });
    expect(await s.optimize.profileTags.replaceSource('a', 'lift', [tag('p1', 'interest:price'), tag('p1', 'interest:price'), tag('p2', 'interest:price'), tag('p1', 'interest:包邮')])).toBe(3);
    expect((await s.optimize.profileTags.ofProfile('a', 'p1')).map((t) => t.tag)).toEqual(['interest:price', 'interest:包邮']);
    expect(await s.optimize.profileTags.withTag('a', 'interest:price')).toEqual(['p1', 'p2']);
    await s.optimize.profileTags.replaceSource('a', 'lift', [tag('p3', 'interest:price')]);
    expect(await s.optimize.profileTags.withTag('a', 'interest:price')).toEqual(['p3']);
    expect(await s.optimize.profileTags.ofProfile('b', 'p3')).toEqual([]);
    expect(await s.optimize.profileTags.deleteByProfile('a', 'p3')).toBe(1);
    await expect(s.optimize.profileTags.replaceSource('a', 'lift', [{ ...tag('p1', 'x'), workspace: 'b' }])).rejects.toThrow(/workspace b/);
  });

  it('tags everyone who mentioned a keyword whose lift interval is above 0, and nobody for a keyword without lift', () => {
    const now = new Date('2026-03-31T00:00:00Z');
    const facts = (id: string, mention: string | null, converts: boolean): PersonFacts => ({
      workspace: 'a', profileId: id, timeZone: 'UTC', version: 1, computedAt: now.toISOString(),
      activeDays: ['2026-03-02', '2026-03-05'], touchDays: ['2026-03-02', '2026-03-05'],
      conversions: converts ? [{ id: `o${id}`, at: '2026-03-10T00:00:00.000Z', value: 1, currency: 'CNY' }] : [],
      clicks: [],
      memberships: [{ chatId: 'g', activeDays: ['2026-03-02', '2026-03-05'], joins: [{ at: '2026-03-02T00:00:00.000Z', campaign: 'spring', engagedAt: null }], leaves: [] }],
      ...(mention ? { keywords: [{ keyword: mention, at: '2026-03-05T00:00:00.000Z' }] } : {}),
    });
    const people: PersonFacts[] = [];
    for (let i = 0; i < 40; i++) people.push(facts(`t${i}`, 'price', i < 20)); // 50% convert
    for (let i = 0; i < 40; i++) people.push(facts(`h${i}`, 'hello', i < 4)); // 10%: like the controls
    for (let i = 0; i < 80; i++) people.push(facts(`c${i}`, null, i < 8)); // 10%
    const tags = interestTags('a', people, now, 'UTC');
    expect(new Set(tags.map((t) => t.tag))).toEqual(new Set(['interest:price']));
    expect(tags.map((t) => t.profileId).sort()).toEqual(people.slice(0, 40).map((p) => p.profileId).sort());
  });
});
