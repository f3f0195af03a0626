/**
 * The hints' ROAS rule and readiness's campaign check read the campaign reports as the service
 * wires them (`campaignOptimizeOptions`): a campaign whose spend outweighs what it earned under
 * every model gets the "cut or change it" hint; without the campaign reports the rule is skipped.
 */
import { describe, expect, it } from 'vitest';
import { campaignOptimizeOptions } from '../../src/campaigns/index.js';
import { setSpend } from '../../src/campaigns/spend.js';
import { MODEL_NAMES } from '../../src/attribution/index.js';
import { createReports, parsePeriod } from '../../src/reports/index.js';
import { rebuildCounters } from '../../src/reports/rollup.js';
import { createMemoryStore } from '../../src/store/memory-store.js';
import type { CreditedTouch, Store } from '../../src/store/store.js';
import { conversionRecord, creditSet } from '../support/credits.js';

const WS = 'acme';
const TZ = 'Asia/Shanghai';
const settings = [{ id: WS, timezone: TZ, currency: 'CNY', campaigns: [{ name: 'kol', goal: 'conversion' as const }, { name: 'launch', goal: 'awareness' as const }] }];
const MARCH = parsePeriod('2026-03-01..2026-03-31', new Date('2026-04-02T00:00:00Z'), TZ);

/** 40 orders of ¥10, each credited wholly to one click of the `kol` campaign under every model; ¥1,000 spent on kol. */
async function seeded(): Promise<Store> {
  const store = createMemoryStore();
  for (let i = 0; i < 40; i++) {
    const at = `2026-03-${String(2 + (i % 25)).padStart(2, '0')}T04:00:00.000Z`;
    const c = conversionRecord(WS, `o${i}`, at, 10, 'matched');
    const step: CreditedTouch = { touchId: `t${i}`, at, kind: 'link_click', platform: 'telegram', chatId: '-1001', chatTitle: 'Deals', channel: 'telegram/-1001/link_click', campaign: 'kol', links: ['kolA'] };
    const whole = { conversions: [1], value: [10] };
    await store.conversions.insert(WS, c);
    await store.credits.put(WS, creditSet(c, [step], Object.fromEntries(MODEL_NAMES.map((m) => [m, whole]))));
  }
  await setSpend(store, { workspace: WS, campaign: 'kol', amount: 1000, currency: 'CNY', days: ['2026-03-10'], source: 'test', at: new Date('2026-03-10T00:00:00Z') });
  await rebuildCounters({ store, timeZoneOf: () => TZ }, WS);
  return store;
}

describe('hints and readiness with the campaign reports wired', () => {
  it('a campaign with ROAS 0.4 under every model is told to cut or change; unwired, the rule is skipped', async () => {
    const store = await seeded();
    const wired = createReports(store, settings, campaignOptimizeOptions(store, (ws) => settings.find((w) => w.id === ws)));
    const hints = await wired.hints?.(WS, { period: MARCH });
    const roas = hints?.hints.filter((h) => h.rule === 'roas-below-one') ?? [];
    expect(roas.map((h) => [h.subject, h.n])).toEqual([['kol', 40]]);
    expect(roas[0]?.label).toMatch(/kol.*0\.4.*cut or change/);

    const bare = await createReports(store, settings).hints?.(WS, { period: MARCH });
    expect(bare?.hints.some((h) => h.rule === 'roas-below-one')).toBe(false);
  });

  it('readiness reads the planned campaigns (configured and stored records) for its campaign-links check', async () => {
    const store = await seeded();
    const names = campaignOptimizeOptions(store, (ws) => settings.find((w) => w.id === ws)).campaignNames;
    expect(await names?.(WS)).toEqual(['kol', 'launch']);
  });
});
