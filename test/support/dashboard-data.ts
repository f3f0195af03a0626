/**
 * A small community for dashboard tests, dated relative to now so the date presets (7d, 30d,
 * 90d) cut it differently: conversions 2, 12, 20 and 60 days ago in two groups (one with a
 * Chinese name), each credited differently under each model; one unattributed, one pending;
 * and (for the Overview's alerts) a keyword spike yesterday.
 */
import type { Store } from '../../src/store/store.js';
import type { CreditSet, CreditedTouch, StoredTouch } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { conversionRecord, creditSet } from './credits.js';

export const DEALS = { id: '-1001', title: '团购群 Deals' };
export const VIP = { id: '-1002', title: 'VIP 会员' };

const DAY = 86_400_000;

function touch(id: string, at: number, g: { id: string; title: string }, kind: 'join' | 'message' | 'link_click', campaign: string): CreditedTouch {
  return { touchId: id, at: new Date(at).toISOString(), kind, platform: kind === 'link_click' ? 'web' : 'telegram', chatId: g.id, chatTitle: g.title, campaign, channel: `telegram/${g.id}/${kind}`, ...(kind === 'message' ? { keywords: ['price'] } : {}) } as CreditedTouch;
}

/** Shares of [join in DEALS, message in DEALS, click in VIP] per model. */
const SHARES: Record<string, [number, number, number]> = {
  first_touch: [1, 0, 0],
  last_touch: [0, 0, 1],
  linear: [1 / 3, 1 / 3, 1 / 3],
  position_based: [0.4, 0.2, 0.4],
  time_decay: [0.2, 0.3, 0.5],
  markov: [0.25, 0.25, 0.5],
  shapley: [0.5, 0, 0.5],
};

export async function seedDashboard(store: Store, workspace: string, now = Date.now()): Promise<void> {
  const convs = [
    { id: 'c2d', days: 2, value: 100 },
    { id: 'c12d', days: 12, value: 60 },
    { id: 'c20d', days: 20, value: 240 },
    { id: 'c60d', days: 60, value: 500 },
  ];
  const records = convs.map((c) => conversionRecord(workspace, c.id, new Date(now - c.days * DAY).toISOString(), c.value, 'matched'));
  records.push(conversionRecord(workspace, 'u5d', new Date(now - 5 * DAY).toISOString(), 30, 'unattributed'));
  records.push(conversionRecord(workspace, 'u25d', new Date(now - 25 * DAY).toISOString(), 45, 'unattributed'));
  await store.conversions.insertMany(workspace, records);
  for (const c of records.filter((r) => r.status === 'matched')) {
    const at = Date.parse(c.occurredAt);
    const touches = [touch(`${c.id}-j`, at - 3 * DAY, DEALS, 'join', 'spring'), touch(`${c.id}-m`, at - 2 * DAY, DEALS, 'message', 'spring'), touch(`${c.id}-c`, at - DAY, VIP, 'link_click', 'vip')];
    const models = Object.fromEntries(
      Object.entries(SHARES).map(([m, s]) => [m, { conversions: s, value: s.map((x) => x * c.value) }]),
    ) as CreditSet['models'];
    await store.credits.put(workspace, creditSet(c, touches, models));
  }
}

/**
 * Talk in DEALS for the Overview's alerts: 2 mentions of 面膜 a day for five weeks, then 30
 * yesterday (a keyword spike the alerts report lists for yesterday).
 */
export async function seedKeywordSpike(store: Store, workspace: string, now = Date.now()): Promise<void> {
  const touches: StoredTouch[] = [];
  const noon = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T12:00:00Z`);
  for (let d = 1; d <= 35; d++) {
    for (let k = 0; k < (d === 1 ? 30 : 2); k++) {
      const id = `kw-${d}-${k}`;
      const event = touchEventSchema.parse({ id, workspace, account: '111', platform: 'telegram', chat: { id: DEALS.id, type: 'group', title: DEALS.title }, actor: { profileId: `kw${k}` }, kind: 'message', occurredAt: new Date(noon - d * DAY + k * 60_000).toISOString(), details: { keywords: ['面膜'] } });
      touches.push({ ...event, profileId: `kw${k}`, applied: true } as StoredTouch);
    }
  }
  await store.touches.insertMany(workspace, touches);
}
