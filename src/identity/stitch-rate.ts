/**
 * Stitch rate: how far identity resolution joins people across platforms and to the shop,
 * per platform (for `/readiness`, `/stitch` and the dashboard).
 *
 * For each chat platform (`telegram`, `whatsapp`) and for everyone (`all`):
 * - `members`: profiles with an identity on that platform (`tg_id`; `wa_id` or `wa_lid`);
 * - `stitched`: of them, those with more than one platform, or a shop identifier (`email`,
 *   `external_id`, which only orders and imports carry), so an order can find them;
 * - `conversions`: the conversions of the period (all of them, the denominator of every row);
 * - `matched`: of them, those matched to a person with an identity on that platform (`all`:
 *   matched to anyone, clicks and coupons included).
 * Shares are null when their denominator is 0. Reads profiles and conversions in pages.
 */
import type { Profile, Store } from '../store/store.js';
import type { Identifier } from './identifier.js';

export type StitchPlatform = 'telegram' | 'whatsapp' | 'all';

export interface StitchRow {
  platform: StitchPlatform;
  members: number;
  stitched: number;
  /** stitched / members. */
  memberShare: number | null;
  conversions: number;
  matched: number;
  /** matched / conversions. */
  matchedShare: number | null;
}

export interface StitchRates {
  rows: StitchRow[];
}

const PAGE = 1_000;
const SHOP_TYPES = new Set(['email', 'external_id']);

/** The chat platforms a profile's identifiers put it on. */
export function platformsOf(identifiers: readonly Identifier[]): Set<'telegram' | 'whatsapp'> {
  const out = new Set<'telegram' | 'whatsapp'>();
  for (const i of identifiers) {
    if (i.type === 'tg_id') out.add('telegram');
    if (i.type === 'wa_id' || i.type === 'wa_lid') out.add('whatsapp');
  }
  return out;
}

/** Whether a profile is stitched: more than one platform, or a shop identifier. */
export function isStitched(identifiers: readonly Identifier[]): boolean {
  return platformsOf(identifiers).size > 1 || identifiers.some((i) => SHOP_TYPES.has(i.type));
}

const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** Stitch rates of a workspace; conversions of `[from, to)` when given (ISO), else all. */
export async function stitchRates(store: Store, workspace: string, options: { from?: string; to?: string } = {}): Promise<StitchRates> {
  const platforms = ['telegram', 'whatsapp'] as const;
  const members = { telegram: 0, whatsapp: 0, all: 0 };
  const stitched = { telegram: 0, whatsapp: 0, all: 0 };
  const onPlatform = new Map<string, Set<'telegram' | 'whatsapp'>>();
  let afterId: string | undefined;
  for (;;) {
    const page: Profile[] = await store.profiles.list(workspace, { limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
    for (const p of page) {
      const on = platformsOf(p.identifiers);
      if (on.size > 0) onPlatform.set(p.id, on);
      if (on.size === 0) continue;
      const s = isStitched(p.identifiers);
      members.all++;
      if (s) stitched.all++;
      for (const k of on) {
        members[k]++;
        if (s) stitched[k]++;
      }
    }
    const last = page.at(-1);
    if (page.length < PAGE || !last) break;
    afterId = last.id;
  }
  const matched = { telegram: 0, whatsapp: 0, all: 0 };
  let conversions = 0;
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const page = await store.conversions.list(workspace, { limit: PAGE, ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}), ...(after ? { after } : {}) });
    for (const c of page) {
      conversions++;
      if (c.status !== 'matched') continue;
      matched.all++;
      const pid = c.match?.profileId;
      for (const k of (pid ? onPlatform.get(pid) : undefined) ?? []) matched[k]++;
    }
    const last = page.at(-1);
    if (page.length < PAGE || !last) break;
    after = { at: last.occurredAt, id: last.id };
  }
  const row = (platform: StitchPlatform): StitchRow => ({
    platform,
    members: members[platform],
    stitched: stitched[platform],
    memberShare: share(stitched[platform], members[platform]),
    conversions,
    matched: matched[platform],
    matchedShare: share(matched[platform], conversions),
  });
  return { rows: [...platforms.map(row), row('all')] };
}

/** One line per platform, as `/stitch` and `/journey`'s identity part show them. */
export function formatStitchRates(r: StitchRates): string {
  const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 1000) / 10}%`);
  return r.rows.map((x) => `${x.platform}: ${x.stitched}/${x.members} members stitched (${pct(x.memberShare)}); ${x.matched}/${x.conversions} conversions matched (${pct(x.matchedShare)})`).join('\n');
}
