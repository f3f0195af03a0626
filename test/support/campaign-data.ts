/**
 * A small, hand-checked community for the campaign, cohort and paths tests (every figure the
 * tests pin is worked out in `test/campaigns.test.ts` from these rows).
 *
 * Workspace `cw` (UTC, CNY). March 2026; 2026-03-02 is a Monday.
 * - p1: joins 深圳 VIP群 (-1001, Telegram) through `spring` 03-02 10:00, writes 03-03 (price),
 *   buys 300 on 03-05 10:00, leaves 03-20.
 * - p2: joins -1001 through `spring` 03-02 12:00, writes 03-10 (包邮), buys 100 on 03-12 12:00.
 * - p3: joins WA Fans (120363@g.us, WhatsApp) through `spring` 03-04, leaves 03-06.
 * - p4: joins Deals (-1002) through `kol` 03-10, writes 03-11 (price), clicks a `spring` link
 *   of Deals 03-12, buys 200 on 03-15.
 * - p5: joins Deals without a campaign 03-25, writes 03-26.
 * Credit sets: c1 (p1) and c2 (p2) are two steps in `spring`; c3 (p4) is kol join, kol message,
 * spring click, with different credit per model (see `C3`).
 */
import { MODEL_NAMES, type ModelName } from '../../src/attribution/index.js';
import type { ConversionRecord, CreditSet, CreditedTouch, StoredTouch, Store } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { conversionRecord, creditSet } from './credits.js';

export const CW = 'cw';
export const NOW = new Date('2026-04-30T00:00:00Z');
export const SETTINGS = { id: CW, timezone: 'UTC', currency: 'CNY' };

const G1 = { id: '-1001', title: '深圳 VIP群', type: 'group' as const };
const G2 = { id: '-1002', title: 'Deals', type: 'group' as const };
const W1 = { id: '120363@g.us', title: 'WA Fans', type: 'group' as const };

let n = 0;
function t(profileId: string, raw: Record<string, unknown>): StoredTouch {
  const e = touchEventSchema.parse({ id: `t${n++}`, workspace: CW, account: 'bot1', actor: { profileId }, platform: 'telegram', ...raw });
  return { ...e, profileId, applied: true } as StoredTouch;
}

export const TOUCHES: StoredTouch[] = [
  t('p1', { chat: G1, kind: 'join', occurredAt: '2026-03-02T10:00:00Z', details: { via: 'invite_link', campaign: 'spring' } }),
  t('p1', { chat: G1, kind: 'message', occurredAt: '2026-03-03T10:00:00Z', details: { keywords: ['price'] } }),
  t('p1', { chat: G1, kind: 'leave', occurredAt: '2026-03-20T10:00:00Z', details: { via: 'left' } }),
  t('p2', { chat: G1, kind: 'join', occurredAt: '2026-03-02T12:00:00Z', details: { via: 'invite_link', campaign: 'spring' } }),
  t('p2', { chat: G1, kind: 'message', occurredAt: '2026-03-10T12:00:00Z', details: { keywords: ['包邮'] } }),
  t('p3', { platform: 'whatsapp', chat: W1, kind: 'join', occurredAt: '2026-03-04T09:00:00Z', details: { via: 'invite_link', campaign: 'spring' } }),
  t('p3', { platform: 'whatsapp', chat: W1, kind: 'leave', occurredAt: '2026-03-06T09:00:00Z', details: { via: 'left' } }),
  t('p4', { chat: G2, kind: 'join', occurredAt: '2026-03-10T00:00:00Z', details: { via: 'invite_link', campaign: 'kol' } }),
  t('p4', { chat: G2, kind: 'message', occurredAt: '2026-03-11T00:00:00Z', details: { keywords: ['price'] } }),
  t('p4', { platform: 'web', chat: { id: '-1002', type: 'web' }, kind: 'link_click', occurredAt: '2026-03-12T00:00:00Z', details: { code: 'L1', clickId: 'ck1', campaign: 'spring' } }),
  t('p5', { chat: G2, kind: 'join', occurredAt: '2026-03-25T08:00:00Z', details: { via: 'public' } }),
  t('p5', { chat: G2, kind: 'message', occurredAt: '2026-03-26T08:00:00Z', details: {} }),
];

const matched = (id: string, pid: string, at: string, value: number): ConversionRecord => conversionRecord(CW, id, at, value, 'matched', { match: { rule: 'tg_id', profileId: pid, lowConfidence: false } });
export const CONVERSIONS: ConversionRecord[] = [matched('c1', 'p1', '2026-03-05T10:00:00Z', 300), matched('c2', 'p2', '2026-03-12T12:00:00Z', 100), matched('c3', 'p4', '2026-03-15T00:00:00Z', 200)];

const step = (at: string, kind: CreditedTouch['kind'], chat: { id: string; title?: string }, campaign: string, extra: Partial<CreditedTouch> = {}): CreditedTouch => ({
  touchId: `${kind}-${at}`,
  at,
  kind,
  platform: 'telegram',
  chatId: chat.id,
  ...(chat.title !== undefined ? { chatTitle: chat.title } : {}),
  campaign,
  channel: campaign,
  ...extra,
});

/** Credit shares per model of a two-step journey (first, second). */
const TWO: Record<ModelName, number[]> = { first_touch: [1, 0], last_touch: [0, 1], linear: [0.5, 0.5], position_based: [0.5, 0.5], time_decay: [0.4, 0.6], markov: [0.5, 0.5], shapley: [0.5, 0.5] };
/** c3: kol join, kol message, spring click. */
export const C3: Record<ModelName, number[]> = { first_touch: [1, 0, 0], last_touch: [0, 0, 1], linear: [1 / 3, 1 / 3, 1 / 3], position_based: [0.4, 0.2, 0.4], time_decay: [0.2, 0.3, 0.5], markov: [0.3, 0.3, 0.4], shapley: [1 / 3, 1 / 3, 1 / 3] };

function models(shares: Record<ModelName, number[]>, value: number): CreditSet['models'] {
  return Object.fromEntries(MODEL_NAMES.map((m) => [m, { conversions: shares[m], value: shares[m].map((s) => s * value) }]));
}

const [c1, c2, c3] = CONVERSIONS as [ConversionRecord, ConversionRecord, ConversionRecord];
export const CREDITS: CreditSet[] = [
  creditSet(c1, [step('2026-03-02T10:00:00.000Z', 'join', G1, 'spring'), step('2026-03-03T10:00:00.000Z', 'message', G1, 'spring', { keywords: ['price'] })], models(TWO, 300), { profileId: 'p1' }),
  creditSet(c2, [step('2026-03-02T12:00:00.000Z', 'join', G1, 'spring'), step('2026-03-10T12:00:00.000Z', 'message', G1, 'spring', { keywords: ['包邮'] })], models(TWO, 100), { profileId: 'p2' }),
  creditSet(
    c3,
    [step('2026-03-10T00:00:00.000Z', 'join', G2, 'kol'), step('2026-03-11T00:00:00.000Z', 'message', G2, 'kol', { keywords: ['price'] }), step('2026-03-12T00:00:00.000Z', 'link_click', { id: '-1002' }, 'spring', { platform: 'web', links: ['L1'] })],
    models(C3, 200),
    { profileId: 'p4' },
  ),
];

/** Stores the rows (touches, conversions, credits); the counters are left to the caller. */
export async function loadCampaignData(store: Store): Promise<void> {
  await store.touches.insertMany(CW, TOUCHES);
  await store.conversions.insertMany(CW, CONVERSIONS);
  for (const s of CREDITS) await store.credits.put(CW, s);
  await store.community.groups.upsert(CW, { workspace: CW, platform: 'whatsapp', chatId: W1.id, title: W1.title, account: 'wa1', status: 'active', botIsAdmin: true, at: '2026-03-01T00:00:00Z' });
}
