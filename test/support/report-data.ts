/**
 * A generated community for report tests, and the reports recomputed from its raw rows the
 * straightforward way (one pass over every touch, conversion and credit set, no counters), to
 * hold the counter-based reports to. Seeded: every run generates the same rows.
 */
import { seededRandom } from '../../bench/seeded-random.js';
import { MODEL_NAMES, type ModelName } from '../../src/attribution/index.js';
import type { ClickRecord, ConversionRecord, CreditSet, CreditedTouch, StoredTouch, Store } from '../../src/store/store.js';
import { localDay } from '../../src/reports/period.js';
import { touchEventSchema } from '../../src/touch-event.js';

export const WS = 'gen';
export const GROUPS = [
  { id: '-1001', title: '团购群 Deals', type: 'group' as const },
  { id: '-1002', title: 'VIP 会员', type: 'group' as const },
  { id: '-1003', title: 'News', type: 'channel' as const },
  { id: '120363@g.us', title: 'WA Fans', type: 'group' as const },
];
const CAMPAIGNS = ['spring', 'vip.2026', '$promo'];
const KEYWORDS = ['price', '发货', 'a.b$c'];
/** The data covers 2026-02-20 .. 2026-04-10, across New York's daylight-saving switch (March 8). */
export const START = Date.parse('2026-02-20T00:00:00Z');
export const END = Date.parse('2026-04-10T00:00:00Z');

export interface GeneratedData {
  touches: StoredTouch[];
  conversions: ConversionRecord[];
  credits: CreditSet[];
  clicks: ClickRecord[];
}

/** Generates `people` people's touches, conversions (two currencies, every status), credit sets and clicks. */
export function generate(seed: number, people = 60): GeneratedData {
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const at = (): number => START + Math.floor(rand() * (END - START));
  const touches: StoredTouch[] = [];
  const add = (raw: Record<string, unknown>, profileId: string | null): StoredTouch => {
    const event = touchEventSchema.parse({ workspace: WS, account: 'bot1', actor: profileId ? { profileId } : {}, ...raw });
    const t = { ...event, profileId, applied: true } as StoredTouch;
    touches.push(t);
    return t;
  };
  let n = 0;
  const iso = (ms: number): string => new Date(ms).toISOString();
  for (let p = 0; p < people; p++) {
    const pid = `p${p}`;
    const groups = GROUPS.filter(() => rand() < 0.45);
    if (groups.length === 0) groups.push(pick(GROUPS));
    for (const g of groups) {
      const platform = g.id.endsWith('@g.us') ? 'whatsapp' : 'telegram';
      // One or two joins (a leave and a rejoin), then messages; sometimes the same instant as the join.
      const joins = rand() < 0.25 ? 2 : 1;
      let t0 = at();
      for (let j = 0; j < joins; j++) {
        const campaign = rand() < 0.7 ? pick(CAMPAIGNS) : undefined;
        add({ id: `t${n++}`, platform, chat: g, kind: 'join', occurredAt: iso(t0), details: { via: campaign ? 'invite_link' : 'public', ...(campaign ? { campaign } : {}) } }, pid);
        const messages = Math.floor(rand() * 6);
        for (let m = 0; m < messages; m++) {
          const when = rand() < 0.15 ? t0 : rand() < 0.2 ? t0 - Math.floor(rand() * 86_400_000) : t0 + Math.floor(rand() * 20 * 86_400_000);
          const details: Record<string, unknown> = {};
          if (rand() < 0.5) details.keywords = rand() < 0.3 ? [pick(KEYWORDS), 'price'].filter((k, i, a) => a.indexOf(k) === i) : [pick(KEYWORDS)];
          if (rand() < 0.2) details.urls = ['https://shop.example.com/p/1'];
          if (rand() < 0.1) details.mentioned = ['shop'];
          add({ id: `t${n++}`, platform, chat: g, kind: 'message', occurredAt: iso(Math.min(END - 1, Math.max(START, when))), details }, pid);
        }
        if (rand() < 0.4 || j < joins - 1) {
          t0 = Math.min(END - 1, t0 + Math.floor(rand() * 15 * 86_400_000));
          add({ id: `t${n++}`, platform, chat: g, kind: 'leave', occurredAt: iso(t0), details: { via: 'left' } }, pid);
          t0 = Math.min(END - 1, t0 + Math.floor(rand() * 3 * 86_400_000));
        }
      }
    }
    const clicks = Math.floor(rand() * 3);
    for (let c = 0; c < clicks; c++) {
      const g = pick(GROUPS);
      const campaign = rand() < 0.5 ? pick(CAMPAIGNS) : undefined;
      add({ id: `t${n++}`, platform: 'web', chat: { id: g.id, type: 'web' }, kind: 'link_click', occurredAt: iso(at()), details: { code: `L${g.id.length}`, clickId: `ck${n}`, ...(campaign ? { campaign } : {}) } }, pid);
    }
    if (rand() < 0.3) add({ id: `t${n++}`, platform: 'telegram', chat: { id: `${p}`, type: 'private' }, kind: 'dm_start', occurredAt: iso(at()), details: { payload: 'x', campaign: 'spring' } }, pid);
  }
  // Anonymous touches: leaves of nobody known, group-link clicks a conversion may tie to a buyer.
  const clicks: ClickRecord[] = [];
  for (let i = 0; i < 8; i++) add({ id: `t${n++}`, platform: 'telegram', chat: pick(GROUPS), kind: 'leave', occurredAt: iso(at()), details: { via: 'removed' } }, null);
  for (let i = 0; i < 10; i++) {
    const g = pick(GROUPS);
    const t = add({ id: `t${n++}`, platform: 'web', chat: { id: g.id, type: 'web' }, kind: 'link_click', occurredAt: iso(at()), details: { code: 'LG', clickId: `anon${i}` } }, null);
    clicks.push({ workspace: WS, clickId: `anon${i}`, code: 'LG', touchId: t.id, at: t.occurredAt, profileId: null, visitorHash: `v${i}`, chatId: g.id });
  }

  const conversions: ConversionRecord[] = [];
  const credits: CreditSet[] = [];
  for (let i = 0; i < Math.round(people * 0.8); i++) {
    const person = `p${Math.floor(rand() * people)}`;
    const when = at();
    const r = rand();
    const status: ConversionRecord['status'] = r < 0.7 ? 'matched' : r < 0.85 ? 'unattributed' : 'pending';
    const currency = rand() < 0.8 ? 'CNY' : 'USD';
    const value = Math.round(rand() * 50_000) / 100;
    const lowConfidence = status === 'matched' && rand() < 0.1;
    const tied = status === 'matched' && rand() < 0.3 ? clicks[i % clicks.length] : undefined;
    const c: ConversionRecord = {
      workspace: WS,
      id: `o${i}`,
      type: 'purchase',
      occurredAt: iso(when),
      value,
      currency,
      identifiers: [],
      fingerprint: `f${i}`,
      source: 'webhook',
      receivedAt: iso(when),
      status,
      match: status === 'matched' ? { rule: tied ? 'click_id' : lowConfidence ? 'tg_username' : 'tg_id', profileId: person, lowConfidence } : null,
      reconciledAt: status === 'pending' ? null : iso(when),
      ...(tied ? { clickId: tied.clickId } : {}),
    };
    conversions.push(c);
    if (status !== 'matched') continue;
    // The journey: some of the person's touches before the conversion, as credited steps.
    const steps: CreditedTouch[] = touches
      .filter((t) => t.profileId === person && t.kind !== 'leave' && Date.parse(t.occurredAt) <= when && rand() < 0.7)
      .slice(-6)
      .map((t) => {
        const s: CreditedTouch = { touchId: t.id, at: t.occurredAt, kind: t.kind, platform: t.platform, chatId: t.chat.id, channel: `${t.platform}/${t.chat.id}/${t.kind}` };
        if (t.chat.title !== undefined) s.chatTitle = t.chat.title;
        const campaign = t.kind === 'join' || t.kind === 'link_click' || t.kind === 'dm_start' ? t.details.campaign : undefined;
        if (campaign !== undefined) s.campaign = campaign;
        if (t.kind === 'message' && t.details.keywords) s.keywords = [...t.details.keywords];
        if (t.kind === 'message' && t.details.urls) s.links = ['shop.example.com/p/1'];
        if (t.kind === 'link_click') s.links = [t.details.code];
        return s;
      });
    const models: CreditSet['models'] = {};
    const withFit = rand() < 0.7;
    for (const m of MODEL_NAMES) {
      if (!withFit && (m === 'markov' || m === 'shapley')) continue;
      const weights = steps.map(() => rand());
      const sum = weights.reduce((a, b) => a + b, 0) || 1;
      const shares = weights.map((w) => w / sum);
      models[m] = { conversions: shares, value: shares.map((s) => s * value) };
    }
    credits.push({ workspace: WS, conversionId: c.id, conversionAt: c.occurredAt, value, currency, type: 'purchase', rule: c.match?.rule ?? 'tg_id', profileId: person, lowConfidence, touches: steps, models, fitId: withFit ? 'fit1' : null, computedAt: iso(when) });
  }
  return { touches, conversions, credits, clicks };
}

/** Writes generated rows into a store. */
export async function load(store: Store, d: GeneratedData): Promise<void> {
  await store.touches.insertMany(WS, d.touches);
  await store.conversions.insertMany(WS, d.conversions);
  for (const s of d.credits) await store.credits.put(WS, s);
  for (const c of d.clicks) await store.clicks.insert(WS, c);
}

const NONE = '(none)';

/** Credit rows of one step under one dimension, each with its share (written out again here, on purpose). */
function keysOf(t: CreditedTouch, by: string): Array<[string, number]> {
  const split = (list: readonly string[] | undefined): Array<[string, number]> => (list && list.length > 0 ? list.map((k) => [k, 1 / list.length]) : [[NONE, 1]]);
  if (by === 'group') return [[t.kind === 'dm_start' ? '(direct)' : (t.chatId ?? NONE), 1]];
  if (by === 'campaign') return [[t.campaign ?? NONE, 1]];
  if (by === 'keyword') return split(t.keywords);
  if (by === 'link') return split(t.links);
  if (by === 'referrer') return [[t.referrer ?? NONE, 1]];
  return [[t.platform, 1]];
}

const inPeriod = (iso: string, p: { from: string; to: string }): boolean => Date.parse(iso) >= Date.parse(p.from) && Date.parse(iso) < Date.parse(p.to);

/** Credited conversions and value per row key under `model`, straight from the credit sets. */
export function rawCredit(d: GeneratedData, p: { from: string; to: string }, by: string, model: ModelName): Map<string, { conversions: number; value: number }> {
  const out = new Map<string, { conversions: number; value: number }>();
  const addTo = (k: string, c: number, v: number): void => {
    const e = out.get(k) ?? { conversions: 0, value: 0 };
    e.conversions += c;
    e.value += v;
    out.set(k, e);
  };
  for (const s of d.credits) {
    if (!inPeriod(s.conversionAt, p)) continue;
    if (s.touches.length === 0) {
      addTo(NONE, 1, s.value);
      continue;
    }
    const credit = s.models[model];
    if (!credit) continue;
    s.touches.forEach((t, i) => {
      for (const [k, share] of keysOf(t, by)) addTo(k, (credit.conversions[i] ?? 0) * share, (credit.value[i] ?? 0) * share);
    });
  }
  return out;
}

/** Every conversion of the period, straight from the conversions. */
export function rawTotals(d: GeneratedData, p: { from: string; to: string }): { conversions: number; value: number; matched: number; unattributed: number; unattributedValue: number; pending: number; lowConfidence: number } {
  const t = { conversions: 0, value: 0, matched: 0, unattributed: 0, unattributedValue: 0, pending: 0, lowConfidence: 0 };
  for (const c of d.conversions) {
    if (!inPeriod(c.occurredAt, p)) continue;
    t.conversions++;
    t.value += c.value;
    if (c.status === 'matched') {
      t.matched++;
      if (c.match?.lowConfidence) t.lowConfidence++;
    } else {
      t.unattributed++;
      t.unattributedValue += c.value;
      if (c.status === 'pending') t.pending++;
    }
  }
  return t;
}

export interface RawFunnelRow {
  joined: number;
  engaged: number;
  clicked: number;
  converted: number;
  value: number;
  days: number[];
}

/**
 * The funnel straight from the rows, person by person, as documented: a person's joining into a
 * cohort is their first join in the period into that group (or through that campaign); engaged
 * when they wrote in a group they joined (after that group's first join in the period into the
 * cohort); clicked (own or tied clicks) and converted after joining and before the end; `all`:
 * first join in the period over every cohort.
 */
export function rawFunnel(d: GeneratedData, p: { from: string; to: string }, by: 'group' | 'campaign'): Map<string, RawFunnelRow> {
  const from = Date.parse(p.from);
  const to = Date.parse(p.to);
  const ms = (iso: string): number => Date.parse(iso);
  const people = new Set(d.touches.filter((t) => t.profileId !== null).map((t) => t.profileId as string));
  const rows = new Map<string, RawFunnelRow>();
  const row = (k: string): RawFunnelRow => {
    let r = rows.get(k);
    if (!r) {
      r = { joined: 0, engaged: 0, clicked: 0, converted: 0, value: 0, days: [] };
      rows.set(k, r);
    }
    return r;
  };
  const clickById = new Map(d.clicks.map((c) => [c.clickId, c]));
  // The all row is there even when nobody joined.
  row('all');
  for (const pid of people) {
    const own = d.touches.filter((t) => t.profileId === pid);
    const convs = d.conversions.filter((c) => c.status === 'matched' && c.match?.profileId === pid);
    const clickTimes = [...own.filter((t) => t.kind === 'link_click').map((t) => ms(t.occurredAt)), ...convs.flatMap((c) => (c.clickId && clickById.get(c.clickId) ? [ms((clickById.get(c.clickId) as ClickRecord).at)] : []))];
    // Cohort key → { joinAt, engaged }.
    const entries = new Map<string, { joinAt: number; engaged: boolean }>();
    for (const g of new Set(own.filter((t) => t.kind === 'join').map((t) => t.chat.id))) {
      const joins = own.filter((t) => t.kind === 'join' && t.chat.id === g && ms(t.occurredAt) >= from && ms(t.occurredAt) < to).sort((a, b) => ms(a.occurredAt) - ms(b.occurredAt));
      const firstByKey = new Map<string, number>();
      for (const j of joins) {
        const key = by === 'group' ? g : ((j.kind === 'join' ? j.details.campaign : undefined) ?? NONE);
        if (!firstByKey.has(key)) firstByKey.set(key, ms(j.occurredAt));
      }
      for (const [key, joinAt] of firstByKey) {
        const engaged = own.some((t) => t.kind === 'message' && t.chat.id === g && ms(t.occurredAt) >= joinAt && ms(t.occurredAt) < to);
        const e = entries.get(key);
        if (!e) entries.set(key, { joinAt, engaged });
        else entries.set(key, { joinAt: Math.min(e.joinAt, joinAt), engaged: e.engaged || engaged });
      }
    }
    if (entries.size === 0) continue;
    const count = (key: string, joinAt: number, engaged: boolean): void => {
      const r = row(key);
      r.joined++;
      if (engaged) r.engaged++;
      if (clickTimes.some((c) => c >= joinAt && c < to)) r.clicked++;
      const after = convs.filter((c) => ms(c.occurredAt) >= joinAt && ms(c.occurredAt) < to);
      if (after.length > 0) {
        r.converted++;
        r.days.push((Math.min(...after.map((c) => ms(c.occurredAt))) - joinAt) / 86_400_000);
      }
      r.value += after.reduce((s, c) => s + c.value, 0);
    };
    for (const [key, e] of entries) count(key, e.joinAt, e.engaged);
    count('all', Math.min(...[...entries.values()].map((e) => e.joinAt)), [...entries.values()].some((e) => e.engaged));
  }
  return rows;
}

/** Group stats straight from the touches (`chatId`: one group). */
export function rawGroupStats(d: GeneratedData, p: { from: string; to: string }, timeZone: string, chatId?: string) {
  const inGroup = (t: StoredTouch): boolean => (t.chat.type === 'group' || t.chat.type === 'channel') && (chatId === undefined || t.chat.id === chatId);
  const touches = d.touches.filter((t) => inPeriod(t.occurredAt, p));
  const days = new Map<string, { messages: number; keywordHits: number; joins: number; leaves: number }>();
  const active = new Set<string>();
  const campaigns = new Map<string, { joins: number; leaves: number }>();
  const tally = (c: string | null) => {
    const k = c ?? '\u0000null';
    const e = campaigns.get(k) ?? { joins: 0, leaves: 0 };
    campaigns.set(k, e);
    return e;
  };
  const keywords = new Map<string, number>();
  let clicks = 0;
  for (const t of touches) {
    if (t.kind === 'link_click' && (chatId === undefined || t.chat.id === chatId)) clicks++;
    if (!inGroup(t)) continue;
    if (t.profileId !== null) active.add(t.profileId);
    const day = localDay(t.occurredAt, timeZone);
    const e = days.get(day) ?? { messages: 0, keywordHits: 0, joins: 0, leaves: 0 };
    days.set(day, e);
    if (t.kind === 'message') {
      e.messages++;
      for (const k of t.details.keywords ?? []) {
        e.keywordHits++;
        keywords.set(k, (keywords.get(k) ?? 0) + 1);
      }
    } else if (t.kind === 'join') {
      e.joins++;
      tally(t.details.campaign ?? null).joins++;
    } else if (t.kind === 'leave') {
      e.leaves++;
      // The campaign of their latest join into that group at or before the leave (any time).
      const joins = t.profileId === null ? [] : d.touches.filter((j) => j.profileId === t.profileId && j.kind === 'join' && j.chat.id === t.chat.id && Date.parse(j.occurredAt) <= Date.parse(t.occurredAt));
      joins.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
      const last = joins[joins.length - 1];
      tally(last && last.kind === 'join' ? (last.details.campaign ?? null) : null).leaves++;
    }
  }
  return { days, active: active.size, campaigns, keywords, clicks };
}
