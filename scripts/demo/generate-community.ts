/**
 * The demo's community, generated from a fixed seed and a fixed "now": a brand's three
 * Telegram groups and two WhatsApp groups over 120 days, four campaigns with goals and
 * spend, about 5,000 members joining (campaign invite links, a WhatsApp group link, a
 * click-to-chat code, personal invite links from other members, public joins, adds),
 * talking (Chinese and English keyword mentions, @mentions, posted links), clicking tracked
 * links, leaving, and about 600 orders matched by click id, phone, Telegram id, a WhatsApp
 * linked id (`@lid`) resolved to a phone later, a coupon, and some matching nothing.
 *
 * Journeys are built so that the upper-funnel group matters: people who came through the
 * brand's official Telegram group (the `spring_launch` campaign, an awareness campaign) and
 * later joined the deals group buy far more often than people who joined the deals group
 * alone, yet their last touch before buying is almost always in the deals group or on its
 * shop link. Last touch undervalues the official group; the other models should not.
 *
 * The generator also computes its own truth (joins per campaign, matched orders, last-touch
 * revenue per group), which the demo's test checks the product's printed reports against.
 * Nothing here reads the clock or `Math.random`: the same seed gives the same community.
 */
import { createRng } from './prng.js';

export const DAY_S = 86_400;
/** The demo's fixed "now": 2026-07-01 00:00 in Asia/Shanghai (the workspace's time zone). */
export const DEMO_NOW = Date.UTC(2026, 5, 30, 16, 0, 0);
export const DEMO_DAYS = 120;
/** The 120 days in the workspace's time zone, as the report commands write a period. */
export const DEMO_PERIOD = '2026-03-03..2026-06-30';
export const DEFAULT_SEED = 20260301;

export type Platform = 'telegram' | 'whatsapp';
export type GroupKey = 'tg_official' | 'tg_deals' | 'tg_vip' | 'wa_new' | 'wa_care';

export interface DemoGroup {
  key: GroupKey;
  platform: Platform;
  /** Telegram: the chat id; WhatsApp: the serialized group id (`…@g.us`), which touches keep as it is. */
  chatId: string;
  title: string;
  /** WhatsApp: the group's current invite code (`chat.whatsapp.com/<code>`). */
  inviteCode?: string;
}

export type Goal = 'awareness' | 'engagement' | 'conversion';

export interface DemoCampaign {
  name: string;
  goal: Goal;
  /** What the campaign's traffic comes through. */
  instruments: string[];
  /** Telegram named invite link into this group (made with `/invite <name>`). */
  telegramInviteGroup?: GroupKey;
  /** WhatsApp group whose invite link is registered for the campaign (and its tracked group link `/g/<code>`). */
  whatsappGroup?: GroupKey;
  /** Click-to-chat code (`wa.me/<number>?text=ref:<code>`). */
  clickToChatCode?: string;
  coupon?: { code: string; chatGroup: GroupKey };
}

export interface SpendRow {
  campaign: string;
  /** Local date (Asia/Shanghai), `YYYY-MM-DD`. */
  date: string;
  amount: number;
  currency: 'CNY';
}

export interface DemoLink {
  key: 'kol_shop' | 'care_shop';
  destination: string;
  group: GroupKey;
  campaign?: string;
}

export interface Member {
  n: number;
  platform: Platform;
  firstName: string;
  /** Telegram user id. */
  tgId?: number;
  username?: string;
  /** WhatsApp phone, digits of the E.164 number without `+`. */
  phone?: string;
  /** WhatsApp linked id (digits of `<lid>@lid`) the member is first seen as. */
  lid?: string;
  /** When WhatsApp Web starts answering the linked id's phone (unix seconds). */
  lidResolvedAt?: number;
}

interface EventBase {
  /** Unix seconds. */
  t: number;
  member: number;
}

export type DemoEvent =
  | (EventBase & { kind: 'join'; group: GroupKey; via: 'campaign' | 'personal_invite' | 'public' | 'added'; campaign?: string; inviter?: number })
  | (EventBase & { kind: 'message'; group: GroupKey; text: string; mentions: number[] })
  | (EventBase & { kind: 'leave'; group: GroupKey })
  /** A WhatsApp private message starting with a click-to-chat code. */
  | (EventBase & { kind: 'dm_code'; code: string })
  /** A click on a tracked shop link; personal: through the member's own link (Telegram `/start <code>` first). */
  | (EventBase & { kind: 'click'; link: DemoLink['key']; personal: boolean; clickRef: number })
  /** A click on the campaign's tracked WhatsApp group link (`/g/<code>`), just before joining. */
  | (EventBase & { kind: 'group_link_click'; campaign: string });

/** Events in a group: joins, messages, leaves. */
export type GroupEvent = Extract<DemoEvent, { kind: 'join' | 'message' | 'leave' }>;
export const isGroupEvent = (e: DemoEvent): e is GroupEvent => e.kind === 'join' || e.kind === 'message' || e.kind === 'leave';

export type MatchBy = 'click_id' | 'telegram_id' | 'phone' | 'whatsapp' | 'lid_phone' | 'coupon' | 'none';

export interface DemoOrder {
  id: string;
  t: number;
  value: number;
  /** The member who bought (unmatched orders: none the product knows). */
  member: number | null;
  matchBy: MatchBy;
  /** Which click's id the order carries (`clickRef` of a click event). */
  clickRef?: number;
  /** Customer fields sent besides the click id. */
  alsoTelegramId?: boolean;
  alsoPhone?: boolean;
  coupon?: string;
  email?: string;
}

export interface DemoTruth {
  members: number;
  telegramMembers: number;
  whatsappMembers: number;
  /** Distinct people who joined through each campaign. */
  joinsByCampaign: Record<string, number>;
  orders: number;
  matchedOrders: number;
  unmatchedOrders: number;
  ordersByMatch: Record<MatchBy, number>;
  /** Revenue (CNY) credited by last touch per group key (link clicks count for the link's group; coupons for the coupon's group). */
  lastTouchRevenueByGroup: Record<string, number>;
  /** Revenue of the orders whose journey touched each group at all. */
  touchedRevenueByGroup: Record<string, number>;
  messages: number;
  clicks: number;
  leaves: number;
  referralJoins: number;
  lidMembers: number;
  spend: Record<string, number>;
}

export interface Community {
  seed: number;
  now: number;
  period: string;
  groups: Record<GroupKey, DemoGroup>;
  campaigns: DemoCampaign[];
  links: DemoLink[];
  brandPhone: string;
  /** The WhatsApp account's own phone (digits). */
  accountPhone: string;
  members: Member[];
  /** Every event, in time order. */
  events: DemoEvent[];
  orders: DemoOrder[];
  spend: SpendRow[];
  truth: DemoTruth;
}

export interface GenerateOptions {
  seed?: number;
  members?: number;
  /** Average messages per membership (the chatter volume). */
  chatter?: number;
}

export const GROUPS: Record<GroupKey, DemoGroup> = {
  tg_official: { key: 'tg_official', platform: 'telegram', chatId: '-1001700000001', title: '品牌官方群 Brand Official' },
  tg_deals: { key: 'tg_deals', platform: 'telegram', chatId: '-1001700000002', title: '团购群 Group Deals' },
  tg_vip: { key: 'tg_vip', platform: 'telegram', chatId: '-1001700000003', title: 'VIP 会员群 VIP Club' },
  wa_new: { key: 'wa_new', platform: 'whatsapp', chatId: '120363400000000001@g.us', title: '新品发布 New Arrivals', inviteCode: 'DemoNewArrivals2026' },
  wa_care: { key: 'wa_care', platform: 'whatsapp', chatId: '120363400000000002@g.us', title: '护肤交流 Skincare Talk', inviteCode: 'DemoSkincareTalk2026' },
};

export const CAMPAIGNS: DemoCampaign[] = [
  { name: 'spring_launch', goal: 'awareness', instruments: ['Telegram invite link into 品牌官方群 Brand Official'], telegramInviteGroup: 'tg_official' },
  { name: 'kol_deals', goal: 'conversion', instruments: ['Telegram invite link into 团购群 Group Deals', 'tracked shop link'], telegramInviteGroup: 'tg_deals' },
  { name: 'wa_new', goal: 'engagement', instruments: ['tracked WhatsApp group link into 新品发布 New Arrivals'], whatsappGroup: 'wa_new' },
  { name: 'vip_chat', goal: 'conversion', instruments: ['click-to-chat code ref:vip_chat', 'coupon VIP88'], clickToChatCode: 'vip_chat', coupon: { code: 'VIP88', chatGroup: 'wa_care' } },
];

export const LINKS: DemoLink[] = [
  { key: 'kol_shop', destination: 'https://shop.example.com/p/serum?color=rose', group: 'tg_deals', campaign: 'kol_deals' },
  { key: 'care_shop', destination: 'https://shop.example.com/p/night-cream', group: 'wa_care' },
];

/** Watched keywords of the demo workspace. */
export const KEYWORDS = ['price', '价格', '发货', 'discount', '优惠', 'restock', '正品', 'size'];

const FIRST_NAMES = ['Lily', '小雨', 'Kevin', '王芳', 'Mia', '李娜', 'Jason', '张伟', 'Chloe', '陈静', 'Ryan', '刘洋', 'Emma', '赵敏', 'Leo', '孙丽', 'Grace', '周杰', 'Ivy', '吴倩'];
const USER_PARTS = ['lily', 'yu', 'kev', 'fang', 'mia', 'nana', 'jay', 'wei', 'chloe', 'jing', 'ryan', 'yang', 'emma', 'min', 'leo', 'lili', 'grace', 'jie', 'ivy', 'qian'];
const KEYWORD_LINES = [
  '这个价格还有优惠吗?',
  'price for 2 bottles?',
  '什么时候发货?',
  'any discount code this week?',
  '是正品吗? 有防伪吗',
  'when is the restock?',
  'size 30ml 还是 50ml 划算',
  '价格比上次便宜了',
  'discount for members?',
  '今天下单明天发货吗',
];
const PLAIN_LINES = ['早上好 ☀️', 'thanks!', '收到，谢谢', 'love this community', '今天的直播几点?', '哈哈哈 太好用了', 'good night all', '用了一周 皮肤好多了', 'who tried the new one?', '👍👍'];
const SHOP_POSTS = ['看这个 https://shop.example.com/p/serum', 'found it here https://shop.example.com/p/night-cream', '链接 https://shop.example.com/c/new'];

type Entry = 'tg_spring' | 'tg_official_public' | 'tg_deals_kol' | 'tg_deals_public' | 'tg_referral' | 'wa_new_link' | 'wa_new_added' | 'wa_care_added' | 'wa_dm';
const ENTRIES: Array<[Entry, number]> = [
  ['tg_spring', 26],
  ['tg_official_public', 5],
  ['tg_deals_kol', 14],
  ['tg_deals_public', 6],
  ['tg_referral', 10],
  ['wa_new_link', 17],
  ['wa_new_added', 4],
  ['wa_care_added', 10],
  ['wa_dm', 8],
];

interface Membership {
  group: GroupKey;
  from: number;
  to: number;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
/** The Asia/Shanghai date of a unix time. */
export function localDate(t: number): string {
  const d = new Date((t + 8 * 3600) * 1000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

export function generateCommunity(options: GenerateOptions = {}): Community {
  const seed = options.seed ?? DEFAULT_SEED;
  const count = options.members ?? 5000;
  const chatter = options.chatter ?? 1.0;
  const rng = createRng(seed);
  const nowS = DEMO_NOW / 1000;
  const startS = nowS - DEMO_DAYS * DAY_S;
  const members: Member[] = [];
  const events: DemoEvent[] = [];
  const orders: DemoOrder[] = [];
  const memberships = new Map<number, Membership[]>();
  /** Telegram members by the group they are in (for referrals and mentions). */
  const inGroup = new Map<GroupKey, number[]>();
  let clickRef = 0;

  const addMembership = (m: number, group: GroupKey, from: number, to: number): void => {
    const list = memberships.get(m) ?? [];
    list.push({ group, from, to });
    memberships.set(m, list);
    const g = inGroup.get(group) ?? [];
    g.push(m);
    inGroup.set(group, g);
  };
  const dayTime = (day: number): number => startS + Math.floor(day * DAY_S) + rng.int(8 * 3600, 22 * 3600) - 8 * 3600;
  // Campaign spend is front-loaded, so are joins: day drawn with a falling density.
  const joinDay = (): number => Math.min(DEMO_DAYS - 8, Math.floor(Math.pow(rng.next(), 1.35) * (DEMO_DAYS - 8)));

  for (let n = 0; n < count; n++) {
    const entry = ENTRIES[rng.weighted(ENTRIES.map((e) => e[1]))]![0];
    const platform: Platform = entry.startsWith('tg_') ? 'telegram' : 'whatsapp';
    const nameIndex = rng.int(0, FIRST_NAMES.length - 1);
    const member: Member = { n, platform, firstName: FIRST_NAMES[nameIndex]! };
    if (platform === 'telegram') {
      member.tgId = 5_100_000_000 + n * 37 + rng.int(0, 30);
      if (rng.chance(0.7)) member.username = `${USER_PARTS[nameIndex]!}_${(n * 7919 + 13).toString(36)}`;
    } else {
      member.phone = `86138${String(10_000_000 + n * 1931).slice(-8)}`;
      if (rng.chance(0.12)) member.lid = `2098${String(n).padStart(11, '0')}`;
    }
    members.push(member);
    const join = dayTime(joinDay());
    let via: Extract<DemoEvent, { kind: 'join' }>['via'] = 'public';
    let group: GroupKey = 'tg_official';
    let campaign: string | undefined;
    let inviter: number | undefined;
    switch (entry) {
      case 'tg_spring':
        [group, via, campaign] = ['tg_official', 'campaign', 'spring_launch'];
        break;
      case 'tg_official_public':
        [group, via] = ['tg_official', 'public'];
        break;
      case 'tg_deals_kol':
        [group, via, campaign] = ['tg_deals', 'campaign', 'kol_deals'];
        break;
      case 'tg_deals_public':
        [group, via] = ['tg_deals', 'public'];
        break;
      case 'tg_referral': {
        group = rng.pick(['tg_official', 'tg_official', 'tg_deals', 'tg_vip'] as const);
        const candidates = (inGroup.get(group) ?? []).filter((c) => members[c]!.platform === 'telegram');
        if (candidates.length > 20) {
          // Super-spreaders: a few members bring most of the others (the earliest 60 invite most).
          const pool = rng.chance(0.6) ? candidates.slice(0, 60) : candidates;
          inviter = rng.pick(pool);
          via = 'personal_invite';
        } else via = 'public';
        break;
      }
      case 'wa_new_link':
        [group, via, campaign] = ['wa_new', 'campaign', 'wa_new'];
        break;
      case 'wa_new_added':
        [group, via] = ['wa_new', 'added'];
        break;
      case 'wa_care_added':
      case 'wa_dm': {
        group = 'wa_care';
        via = 'added';
        const candidates = inGroup.get('wa_care') ?? [];
        if (entry === 'wa_care_added' && candidates.length > 20 && rng.chance(0.5)) inviter = rng.pick(candidates.slice(0, 80));
        break;
      }
    }
    if (member.lid !== undefined) member.lidResolvedAt = join + rng.int(2, 20) * DAY_S + rng.int(0, DAY_S - 1);
    const evs: DemoEvent[] = [];
    if (entry === 'wa_dm') evs.push({ kind: 'dm_code', t: join - rng.int(600, 3 * DAY_S), member: n, code: 'vip_chat' });
    if (entry === 'wa_new_link') evs.push({ kind: 'group_link_click', t: join - rng.int(20, 600), member: n, campaign: 'wa_new' });
    evs.push({ kind: 'join', t: join, member: n, group, via, ...(campaign ? { campaign } : {}), ...(inviter !== undefined ? { inviter } : {}) });
    const spans: Membership[] = [];
    // A second group: the official group's people move on to the deals group (the upper funnel at work).
    let second: { group: GroupKey; at: number; via: 'campaign' | 'public'; campaign?: string } | undefined;
    if (group === 'tg_official' && rng.chance(0.42)) {
      const at = join + rng.int(3, 30) * DAY_S + rng.int(0, DAY_S - 1);
      if (at < nowS - 5 * DAY_S) second = rng.chance(0.55) ? { group: 'tg_deals', at, via: 'campaign', campaign: 'kol_deals' } : { group: 'tg_deals', at, via: 'public' };
    } else if (group === 'tg_deals' && rng.chance(0.1)) {
      const at = join + rng.int(2, 20) * DAY_S + rng.int(0, DAY_S - 1);
      if (at < nowS - 5 * DAY_S) second = { group: 'tg_official', at, via: 'public' };
    } else if (group === 'wa_new' && rng.chance(0.2)) {
      const at = join + rng.int(2, 25) * DAY_S + rng.int(0, DAY_S - 1);
      if (at < nowS - 5 * DAY_S) second = { group: 'wa_care', at, via: 'public' };
    }
    // Propensity to buy, by path: through the official group and on to deals buys most.
    let p = 0.05;
    if (entry === 'tg_spring' || entry === 'tg_official_public') p = second ? 0.28 : 0.05;
    else if (entry === 'tg_deals_kol' || entry === 'tg_deals_public') p = 0.055;
    else if (entry === 'tg_referral') p = 0.09;
    else if (entry === 'wa_new_link' || entry === 'wa_new_added') p = second ? 0.16 : 0.06;
    else if (entry === 'wa_dm') p = 0.22;
    else if (entry === 'wa_care_added') p = 0.04;
    const buys = rng.chance(p * 1.08);
    const leaves = !buys && rng.chance(0.13);
    const leaveAt = leaves ? Math.min(nowS - DAY_S, join + rng.int(5, 60) * DAY_S) : nowS;
    spans.push({ group, from: join, to: leaveAt });
    if (second && second.at < leaveAt) {
      evs.push({ kind: 'join', t: second.at, member: n, group: second.group, via: second.via === 'campaign' ? 'campaign' : platform === 'whatsapp' ? 'added' : 'public', ...(second.campaign ? { campaign: second.campaign } : {}) });
      spans.push({ group: second.group, from: second.at, to: leaveAt });
    }
    if (leaves) for (const s of spans) evs.push({ kind: 'leave', t: s.to, member: n, group: s.group });
    for (const s of spans) addMembership(n, s.group, s.from, s.to);

    // Chatter: messages spread over each membership.
    for (const s of spans) {
      const k = Math.floor(-Math.log(1 - rng.next()) * chatter);
      for (let i = 0; i < k; i++) {
        const t = s.from + rng.int(60, Math.max(120, s.to - s.from - 60));
        const r = rng.next();
        const mentionable = (inGroup.get(s.group) ?? []).slice(-200).filter((o) => o !== n && (members[o]!.platform === 'whatsapp' || members[o]!.username !== undefined));
        const mentions: number[] = [];
        let text: string;
        if (r < 0.42) text = rng.pick(KEYWORD_LINES);
        else if (r < 0.5) text = rng.pick(SHOP_POSTS);
        else text = rng.pick(PLAIN_LINES);
        if (mentionable.length > 0 && rng.chance(0.15)) mentions.push(rng.pick(mentionable));
        evs.push({ kind: 'message', t, member: n, group: s.group, text, mentions });
      }
    }

    // Browsing: some click a shop link without buying (Telegram members through their personal link).
    if (rng.chance(0.14)) {
      const s = spans[0]!;
      const t = s.from + rng.int(600, Math.max(1200, s.to - s.from - 600));
      evs.push({ kind: 'click', t, member: n, link: platform === 'telegram' ? 'kol_shop' : 'care_shop', personal: platform === 'telegram', clickRef: clickRef++ });
    }
    // Orders, each after a touch close to it (a click on a shop link, or a question in a group).
    if (buys) {
      const firstPossible = Math.max(spans[spans.length - 1]!.from, member.lidResolvedAt ?? 0) + 2 * DAY_S;
      const nOrders = rng.chance(0.2) ? 2 : 1;
      let after = firstPossible + rng.int(0, 25) * DAY_S;
      for (let k = 0; k < nOrders && after < nowS - 2 * DAY_S; k++) {
        const pre = after + rng.int(0, DAY_S - 1);
        const t = pre + rng.int(3600, 3 * DAY_S);
        if (t >= nowS - 3600) break;
        const value = rng.pick([59, 89, 129, 199, 259, 299, 399, 599]);
        const order: DemoOrder = { id: '', t, value, member: n, matchBy: 'telegram_id' };
        const lastGroup = spans[spans.length - 1]!.group;
        if (platform === 'telegram') {
          if (rng.chance(0.45)) {
            evs.push({ kind: 'click', t: pre, member: n, link: 'kol_shop', personal: true, clickRef });
            order.matchBy = 'click_id';
            order.clickRef = clickRef++;
            if (rng.chance(0.5)) order.alsoTelegramId = true;
          } else {
            evs.push({ kind: 'message', t: pre, member: n, group: lastGroup, text: rng.pick(KEYWORD_LINES), mentions: [] });
            order.matchBy = 'telegram_id';
          }
        } else if (entry === 'wa_dm' && k === 0 && rng.chance(0.3)) {
          order.matchBy = 'coupon';
          order.coupon = 'VIP88';
          order.member = null;
        } else if (rng.chance(0.3)) {
          evs.push({ kind: 'click', t: pre, member: n, link: 'care_shop', personal: false, clickRef });
          order.matchBy = 'click_id';
          order.clickRef = clickRef++;
          if (rng.chance(0.5)) order.alsoPhone = true;
        } else {
          evs.push({ kind: 'message', t: pre, member: n, group: lastGroup, text: rng.pick(KEYWORD_LINES), mentions: [] });
          order.matchBy = member.lid !== undefined ? 'lid_phone' : rng.chance(0.7) ? 'phone' : 'whatsapp';
        }
        orders.push(order);
        after = t + rng.int(10, 30) * DAY_S;
      }
    }
    // One member's events never share a second (so "the last thing they did" is unambiguous).
    evs.sort((a, b) => a.t - b.t);
    for (let i = 1; i < evs.length; i++) if (evs[i]!.t <= evs[i - 1]!.t) evs[i]!.t = evs[i - 1]!.t + 1;
    events.push(...evs);
  }
  // Orders nobody the product knows can be matched to (an email it never saw).
  for (let i = 0; i < 48; i++) {
    const t = dayTime(rng.int(5, DEMO_DAYS - 2));
    orders.push({ id: '', t: Math.min(t, nowS - 7200), value: rng.pick([59, 89, 129, 199, 299]), member: null, matchBy: 'none', email: `guest${i}@mail.example.com` });
  }
  // The order ids follow time; ties broken by generation order (a stable sort).
  const ordered = orders.map((o, i) => ({ o, i })).sort((a, b) => a.o.t - b.o.t || a.i - b.i);
  ordered.forEach(({ o }, i) => (o.id = `SO-${String(10001 + i)}`));
  orders.splice(0, orders.length, ...ordered.map((x) => x.o));
  const sortedEvents = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i).map((x) => x.e);

  const spend: SpendRow[] = [];
  const daily: Record<string, [number, number, number]> = { spring_launch: [0, 70, 900], kol_deals: [10, 100, 600], wa_new: [5, 90, 450], vip_chat: [30, 115, 300] };
  for (const [campaign, [from, to, base]] of Object.entries(daily)) {
    for (let d = from; d <= to; d++) spend.push({ campaign, date: localDate(startS + d * DAY_S + 8 * 3600), amount: base + rng.int(-base / 5, base / 5), currency: 'CNY' });
  }
  const community: Community = {
    seed,
    now: DEMO_NOW,
    period: DEMO_PERIOD,
    groups: GROUPS,
    campaigns: CAMPAIGNS,
    links: LINKS,
    brandPhone: '8613700137000',
    accountPhone: '8613700137000',
    members,
    events: sortedEvents,
    orders,
    spend,
    truth: undefined as unknown as DemoTruth,
  };
  community.truth = computeTruth(community);
  return community;
}

/** The group key a touch of this event is credited to, or null for events that are no touch. */
function creditKey(c: Community, e: DemoEvent): string | null {
  switch (e.kind) {
    case 'join':
    case 'message':
    case 'leave':
      return c.groups[e.group].chatId;
    case 'click':
      return c.groups[LINKS.find((l) => l.key === e.link)!.group].chatId;
    case 'dm_code':
      return 'private';
    case 'group_link_click':
      return null;
  }
}

/**
 * The generator's own truth, computed from its events the way the product is documented to
 * work: a journey is the person's touches in the 30 days before the order, after their
 * previous order; last touch credits the latest. A WhatsApp member first seen by linked id
 * is another person until WhatsApp Web resolves the id to a phone, so only their touches
 * from then on are in a phone-matched journey. A click on a shop link without a personal link
 * is anonymous: it is in a journey only when the order carries its click id (then, without
 * other identifiers, the journey is that click alone). A coupon is a journey of one coupon
 * touch in its group.
 */
export function computeTruth(c: Community): DemoTruth {
  const byMember = new Map<number, DemoEvent[]>();
  for (const e of c.events) {
    const list = byMember.get(e.member) ?? [];
    list.push(e);
    byMember.set(e.member, list);
  }
  const clickOf = new Map<number, Extract<DemoEvent, { kind: 'click' }>>();
  for (const e of c.events) if (e.kind === 'click') clickOf.set(e.clickRef, e);
  const joinsByCampaign: Record<string, Set<number>> = {};
  for (const e of c.events) {
    if (e.kind === 'join' && e.campaign !== undefined) (joinsByCampaign[e.campaign] ??= new Set()).add(e.member);
  }
  const lastTouch: Record<string, number> = {};
  const touched: Record<string, number> = {};
  const ordersByMatch = { click_id: 0, telegram_id: 0, phone: 0, whatsapp: 0, lid_phone: 0, coupon: 0, none: 0 } as Record<MatchBy, number>;
  const previous = new Map<number, number>();
  for (const o of c.orders) {
    ordersByMatch[o.matchBy]++;
    if (o.matchBy === 'none') continue;
    let journey: DemoEvent[];
    if (o.matchBy === 'coupon') {
      const key = c.groups['wa_care'].chatId;
      lastTouch[key] = (lastTouch[key] ?? 0) + o.value;
      touched[key] = (touched[key] ?? 0) + o.value;
      continue;
    }
    const click = o.clickRef !== undefined ? clickOf.get(o.clickRef) : undefined;
    if (click && !click.personal && !o.alsoPhone) {
      journey = [click];
    } else {
      const m = c.members[o.member!]!;
      const from = Math.max(o.t - 30 * DAY_S, previous.get(m.n) ?? -Infinity);
      // A guest's click (no personal link) is the person's only when the order carries its click id.
      const theirs = (e: DemoEvent): boolean => e.kind !== 'click' || e.personal || e.clickRef === o.clickRef;
      journey = (byMember.get(m.n) ?? []).filter((e) => e.t > from && e.t <= o.t && creditKey(c, e) !== null && theirs(e) && (m.lidResolvedAt === undefined || e.kind === 'click' || e.t >= m.lidResolvedAt));
      previous.set(m.n, o.t);
    }
    const last = journey[journey.length - 1];
    if (!last) continue;
    const key = creditKey(c, last)!;
    lastTouch[key] = (lastTouch[key] ?? 0) + o.value;
    for (const k of new Set(journey.map((e) => creditKey(c, e)!))) touched[k] = (touched[k] ?? 0) + o.value;
  }
  const spend: Record<string, number> = {};
  for (const s of c.spend) spend[s.campaign] = (spend[s.campaign] ?? 0) + s.amount;
  const matched = c.orders.filter((o) => o.matchBy !== 'none').length;
  return {
    members: c.members.length,
    telegramMembers: c.members.filter((m) => m.platform === 'telegram').length,
    whatsappMembers: c.members.filter((m) => m.platform === 'whatsapp').length,
    joinsByCampaign: Object.fromEntries(Object.entries(joinsByCampaign).map(([k, v]) => [k, v.size]).sort()),
    orders: c.orders.length,
    matchedOrders: matched,
    unmatchedOrders: c.orders.length - matched,
    ordersByMatch,
    lastTouchRevenueByGroup: Object.fromEntries(Object.entries(lastTouch).sort()),
    touchedRevenueByGroup: Object.fromEntries(Object.entries(touched).sort()),
    messages: c.events.filter((e) => e.kind === 'message').length,
    clicks: c.events.filter((e) => e.kind === 'click').length,
    leaves: c.events.filter((e) => e.kind === 'leave').length,
    referralJoins: c.events.filter((e) => e.kind === 'join' && e.via === 'personal_invite').length,
    lidMembers: c.members.filter((m) => m.lid !== undefined).length,
    spend,
  };
}
