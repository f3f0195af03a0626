/**
 * A conversion's journey from a person's touches (pure; no I/O):
 * - `leave` touches are left out (leaving a group is not a touch toward buying);
 * - touches are ordered by time, then id;
 * - repeated touches of the same kind in the same group (for link clicks: of the same link)
 *   within 30 minutes of the last one kept collapse into that one (keywords are merged);
 * - a touch without a campaign takes the campaign of the join that brought the person into
 *   that group (the latest join with a campaign at or before the touch), so engagement is
 *   credited to the campaign that recruited the person.
 * Each touch gets the channel the data-driven models see: platform, group and kind.
 */
import type { CreditedTouch } from '../store/store.js';
import type { WorkspaceConfig } from '../config.js';
import { touchCampaign, type TouchEvent } from '../touch-event.js';

/** Touches of one kind in one group closer than this to the last one kept collapse into it. */
export const COLLAPSE_MS = 30 * 60_000;

/** Channel name of a touch for the data-driven models: `telegram/-1001/keyword`. */
export function channelOf(t: { platform: string; chatId?: string | undefined; kind: string }): string {
  return `${t.platform}/${t.chatId ?? '-'}/${t.kind}`;
}

function collapseKey(t: TouchEvent): string {
  const link = t.kind === 'link_click' ? t.details.code : '';
  return `${t.kind}\u0000${t.platform}\u0000${t.chat.id}\u0000${link}`;
}

const at = (t: TouchEvent): number => Date.parse(t.occurredAt);

/** Orders touches by instant, then id (code units: ids are ASCII). */
export function compareTouches(a: TouchEvent, b: TouchEvent): number {
  return at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The campaign a group touch inherits from the person's joins into that group. */
function inheritedCampaign(t: TouchEvent, joinsByChat: Map<string, TouchEvent[]>): string | undefined {
  const joins = joinsByChat.get(`${t.platform}\u0000${t.chat.id}`);
  if (!joins) return undefined;
  const when = at(t);
  let found: string | undefined;
  for (const j of joins) {
    if (at(j) > when) break;
    const c = touchCampaign(j);
    if (c !== undefined) found = c;
  }
  return found;
}

/**
 * The journey of touches (any order, duplicates by id ignored). `joins` are the person's
 * join touches up to the conversion (any age), for campaign inheritance.
 */
export function assembleJourney(touches: readonly TouchEvent[], joins: readonly TouchEvent[] = []): CreditedTouch[] {
  const unique = new Map<string, TouchEvent>();
  for (const t of touches) if (t.kind !== 'leave' && !unique.has(t.id)) unique.set(t.id, t);
  const sorted = [...unique.values()].sort(compareTouches);

  const joinsByChat = new Map<string, TouchEvent[]>();
  for (const j of [...joins].sort(compareTouches)) {
    const key = `${j.platform}\u0000${j.chat.id}`;
    const list = joinsByChat.get(key) ?? [];
    list.push(j);
    joinsByChat.set(key, list);
  }

  const out: CreditedTouch[] = [];
  const lastKept = new Map<string, { at: number; credited: CreditedTouch }>();
  for (const t of sorted) {
    const key = collapseKey(t);
    const prev = lastKept.get(key);
    if (prev && at(t) - prev.at < COLLAPSE_MS) {
      if (t.kind === 'keyword') prev.credited.keywords = [...new Set([...(prev.credited.keywords ?? []), ...t.details.keywords])];
      continue;
    }
    const credited: CreditedTouch = {
      touchId: t.id,
      at: new Date(at(t)).toISOString(),
      kind: t.kind,
      platform: t.platform,
      chatId: t.chat.id,
      channel: channelOf({ platform: t.platform, chatId: t.chat.id, kind: t.kind }),
    };
    if (t.chat.title !== undefined) credited.chatTitle = t.chat.title;
    const own = touchCampaign(t);
    const campaign = own ?? (t.chat.type === 'group' || t.chat.type === 'channel' ? inheritedCampaign(t, joinsByChat) : undefined);
    if (campaign !== undefined) credited.campaign = campaign;
    if (t.kind === 'keyword') credited.keywords = [...new Set(t.details.keywords)];
    if (t.kind === 'link_click') credited.linkCode = t.details.code;
    out.push(credited);
    lastKept.set(key, { at: at(t), credited });
  }
  return out;
}

/** The touch a coupon stands for: its owning campaign / group, at the conversion's time. */
export function couponTouch(coupon: WorkspaceConfig['coupons'][number], conversionAt: string): CreditedTouch {
  const t: CreditedTouch = {
    touchId: `coupon:${coupon.code}`,
    at: new Date(Date.parse(conversionAt)).toISOString(),
    kind: 'coupon',
    platform: coupon.platform,
    channel: channelOf({ platform: coupon.platform, chatId: coupon.chatId ?? `coupon:${coupon.code}`, kind: 'coupon' }),
  };
  if (coupon.chatId !== undefined) t.chatId = coupon.chatId;
  if (coupon.campaign !== undefined) t.campaign = coupon.campaign;
  return t;
}
