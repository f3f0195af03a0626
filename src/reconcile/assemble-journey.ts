/**
 * A conversion's journey from a person's touches (pure; no I/O):
 * - `leave` touches are left out (leaving a group is not a touch toward buying);
 * - a message is one step whatever it contained: its keywords and links (tracked-link codes
 *   or the URLs it carried) are facets of that step;
 * - touches are ordered by `compareTouches` (`touch-event.ts`): by instant, then the
 *   platform's event order, then kind, then chat — never by a hash;
 * - repeated touches of the same kind in the same group (for link clicks: of the same link)
 *   within 30 minutes of the last one kept collapse into that one (facets are merged);
 * - a touch without a campaign takes the campaign of the join that brought the person into
 *   that group (the latest join with a campaign at or before the touch), so engagement is
 *   credited to the campaign that recruited the person.
 * Each step gets the channel the data-driven models see: platform, group and kind, where a
 * message that matched a watched keyword is the `keyword` channel of its group.
 */
import type { CreditedTouch } from '../store/store.js';
import type { WorkspaceConfig } from '../config.js';
import { compareTouches, touchCampaign, touchKeywords, type TouchEvent } from '../touch-event.js';

export { compareTouches };

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

/** A tracked link's path on any host: `/l/<code>` or `/l/<code>/<member token>`. */
const TRACKED_PATH = /^\/l\/([0-9A-Za-z]{4,32})(?:\/[0-9A-Za-z]{8,64})?\/?$/;

/**
 * The link facets of a touch: a click's tracked-link code; for a message, each URL it carried
 * as the tracked-link code when it is one of ours (`…/l/<code>`), else as host and path.
 */
export function touchLinks(t: TouchEvent): string[] {
  if (t.kind === 'link_click') return [t.details.code];
  if (t.kind !== 'message') return [];
  const out: string[] = [];
  for (const raw of t.details.urls ?? []) {
    let key = raw;
    try {
      const u = new URL(raw);
      const tracked = TRACKED_PATH.exec(u.pathname);
      key = tracked?.[1] ?? `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    } catch {
      // Not parseable as a URL: kept as carried.
    }
    if (!out.includes(key)) out.push(key);
  }
  return out;
}

const union = (a: readonly string[] | undefined, b: readonly string[]): string[] => [...new Set([...(a ?? []), ...b])];

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
    const keywords = touchKeywords(t);
    const links = touchLinks(t);
    const prev = lastKept.get(key);
    if (prev && at(t) - prev.at < COLLAPSE_MS) {
      if (keywords.length > 0) prev.credited.keywords = union(prev.credited.keywords, keywords);
      if (links.length > 0) prev.credited.links = union(prev.credited.links, links);
      continue;
    }
    const credited: CreditedTouch = {
      touchId: t.id,
      at: new Date(at(t)).toISOString(),
      kind: t.kind,
      platform: t.platform,
      chatId: t.chat.id,
      channel: '',
    };
    if (t.chat.title !== undefined) credited.chatTitle = t.chat.title;
    const own = touchCampaign(t);
    const campaign = own ?? (t.chat.type === 'group' || t.chat.type === 'channel' ? inheritedCampaign(t, joinsByChat) : undefined);
    if (campaign !== undefined) credited.campaign = campaign;
    if (keywords.length > 0) credited.keywords = [...new Set(keywords)];
    if (links.length > 0) credited.links = links;
    out.push(credited);
    lastKept.set(key, { at: at(t), credited });
  }
  // Channels once facets are merged: a step with a watched keyword is its group's keyword channel.
  for (const c of out) c.channel = channelOf({ platform: c.platform, ...(c.chatId !== undefined ? { chatId: c.chatId } : {}), kind: c.kind === 'message' && (c.keywords?.length ?? 0) > 0 ? 'keyword' : c.kind });
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
