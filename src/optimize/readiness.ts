/**
 * Readiness (GRO's *R*): can this workspace's measurement be trusted? Checks per workspace,
 * bot and group, each red / amber / green with a one-line fix. {@link evaluateReadiness} is
 * pure (tested red and green check by check); {@link gatherReadiness} reads what it needs:
 * the store (groups, keywords, invite and tracked links, the day counters of the last 60 days,
 * profiles' identifiers) and each Telegram bot through the real Bot API client (`getMe`,
 * `getWebhookInfo`).
 *
 * Checks:
 * - group `bot-admin`: the bot is an admin (only admins see joins, leaves and every message);
 * - bot `privacy`: it can read group messages (`getMe.can_read_all_group_messages`, or admin
 *   in every group);
 * - group `member-updates`: joins or leaves (`chat_member` updates) counted in the last 14 days;
 * - bot `webhook`: `getWebhookInfo` shows no error in the last 24 hours and under 100 pending updates;
 * - workspace `keywords`: keywords are set;
 * - workspace `campaign-links`: every campaign has a tracked link, invite link, code or coupon;
 * - workspace `conversions`: conversions arrive (last one within 7 days);
 * - workspace `match-rate`: share of the last 30 days' conversions matched, and its trend
 *   against the 30 days before;
 * - workspace `cross-platform-ids`: share of profiles with a phone, email or shop customer id,
 *   or with both a Telegram and a WhatsApp id.
 */
import type { DayParts, RegisteredGroup, Store } from '../store/store.js';
import { dayBounds, dayFinder, previousDay } from '../reports/local-days.js';
import { readPeriod } from '../reports/read-counters.js';
import type { Lang } from '../i18n/index.js';
import type { ReadinessCheck, ReadinessReport, ReadinessStatus } from './optimize-types.js';

const DAY_MS = 86_400_000;

/** What readiness asks of a Telegram bot (telegraf's `Telegram` client has both). */
export interface BotProbe {
  botId: string;
  getMe(): Promise<{ username?: string; can_read_all_group_messages?: boolean }>;
  getWebhookInfo(): Promise<{ url?: string; pending_update_count: number; last_error_date?: number; last_error_message?: string }>;
}

/** What readiness knows of a workspace at one instant. */
export interface ReadinessFacts {
  workspace: string;
  now: Date;
  keywords: number;
  groups: ReadonlyArray<Pick<RegisteredGroup, 'platform' | 'chatId' | 'title' | 'account' | 'botIsAdmin' | 'registeredAt'> & {
    /** Last local day with a join or leave counted (within the last 60 days); null: none. */
    lastMemberUpdate: string | null;
  }>;
  bots: ReadonlyArray<{
    botId: string;
    /** getMe's answer, or the error it gave. */
    me: { canReadAll: boolean; username?: string } | { error: string };
    webhook: { url: string; pending: number; lastErrorAt: string | null; lastError: string | null } | { error: string };
  }>;
  /** Campaigns and how each can be recognised (invite link, tracked link, code, coupon). */
  campaigns: ReadonlyArray<{ name: string; handles: readonly string[] }>;
  /** The last local day with a conversion (within 60 days); null: none. */
  lastConversionDay: string | null;
  /** Conversions and matched ones in the last 30 days and the 30 before. */
  recent: { conversions: number; matched: number };
  previous: { conversions: number; matched: number };
  profiles: { total: number; crossPlatform: number };
  /** Today, in the workspace's time zone. */
  today: string;
}

const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** The figures and names a check's words are made from. */
type Facts = Record<string, string | number | null>;
type Words = (f: Facts) => [label: string, fix: string];
const str = (x: string | number | null | undefined): string => (x === null || x === undefined ? '' : String(x));
const num = (x: string | number | null | undefined): number => (typeof x === 'number' ? x : Number(x));

/** Each check's findings, `<check>:<finding>`, worded in English and Chinese: [label, fix]. */
const WORDS: Record<string, Record<Lang, Words>> = {
  'keywords:set': { en: (f) => [`${str(f.keywords)} keywords watched`, ''], zh: (f) => [`正在监测 ${str(f.keywords)} 个关键词`, ''] },
  'keywords:none': {
    en: () => ['no keywords are watched: keyword reports, lift and hints stay empty', 'add the words buyers ask about with /track <word> (or keywords: in the configuration)'],
    zh: () => ['没有监测任何关键词：关键词报表、关键词提升和提示都会是空的', '用 /track <关键词> 添加买家常问的词（或写进配置的 keywords:）'],
  },
  'campaign-links:none': {
    en: () => ['no campaigns yet: joins and clicks cannot be told apart by campaign', 'make a campaign invite link with /invite <campaign> or a tracked link with /link <url> campaign=<name>'],
    zh: () => ['还没有活动：无法按活动区分入群和点击', '用 /invite <活动> 创建活动邀请链接，或用 /link <网址> campaign=<名称> 创建可追踪链接'],
  },
  'campaign-links:bare': {
    en: (f) => [`${str(f.bare)} of ${str(f.campaigns)} campaigns have no link, invite link, code or coupon: ${str(f.names)}`, `give ${str(f.first)} an invite link (/invite ${str(f.first)}) or a tracked link`],
    zh: (f) => [`${str(f.campaigns)} 个活动中有 ${str(f.bare)} 个没有链接、邀请链接、代码或优惠券：${str(f.names)}`, `给 ${str(f.first)} 创建邀请链接（/invite ${str(f.first)}）或可追踪链接`],
  },
  'campaign-links:ok': {
    en: (f) => [`every campaign (${str(f.campaigns)}) has a link, invite link, code or coupon`, ''],
    zh: (f) => [`全部 ${str(f.campaigns)} 个活动都有链接、邀请链接、代码或优惠券`, ''],
  },
  'conversions:none': {
    en: () => ['no conversion received in the last 60 days', 'send orders by the signed webhook (POST /v1/conversions) or import them: midfunnel conversions import orders.csv'],
    zh: () => ['最近 60 天没有收到任何转化', '通过签名 webhook（POST /v1/conversions）发送订单，或导入：midfunnel conversions import orders.csv'],
  },
  'conversions:recent': { en: (f) => [`last conversion on ${str(f.day)}`, ''], zh: (f) => [`最近一次转化在 ${str(f.day)}`, ''] },
  'conversions:stale': {
    en: (f) => [`last conversion on ${str(f.day)}, ${str(f.age)} days ago`, 'check that the shop still sends orders to the conversion webhook (or import the latest CSV)'],
    zh: (f) => [`最近一次转化在 ${str(f.day)}，已过去 ${str(f.age)} 天`, '检查商店是否仍在向转化 webhook 发送订单（或导入最新的 CSV）'],
  },
  'match-rate:none': {
    en: () => ['no conversions in the last 30 days to match', 'send conversions with phone, email or the click id (mf_click) so they can be matched'],
    zh: () => ['最近 30 天没有可匹配的转化', '发送转化时附上手机号、邮箱或点击 ID（mf_click），以便匹配'],
  },
  'match-rate:rate': {
    en: (f) => [
      `${pct(num(f.rate))} of ${str(f.conversions)} conversions matched in the last 30 days (${f.before === null ? 'no earlier 30 days to compare' : `${pct(num(f.before))} the 30 days before`})`,
      'send phone, email or the click id (mf_click) with each order; post tracked links so clicks carry a click id',
    ],
    zh: (f) => [
      `最近 30 天 ${str(f.conversions)} 个转化中匹配了 ${pct(num(f.rate))}（${f.before === null ? '没有更早的 30 天可比较' : `之前 30 天为 ${pct(num(f.before))}`}）`,
      '每个订单都附上手机号、邮箱或点击 ID（mf_click）；发布可追踪链接，让点击带上点击 ID',
    ],
  },
  'cross-platform-ids:none': {
    en: () => ['no profiles yet', 'add the bot to a group and let members join through campaign links'],
    zh: () => ['还没有用户档案', '把机器人加入群组，并让成员通过活动链接入群'],
  },
  'cross-platform-ids:share': {
    en: (f) => [`${pct(num(f.share))} of ${str(f.profiles)} profiles carry a phone, email or shop id (or both chat ids)`, 'ask members to share their contact through a /start deep link, and send phone or email with conversions'],
    zh: (f) => [`${str(f.profiles)} 个用户档案中 ${pct(num(f.share))} 带有手机号、邮箱或商店客户 ID（或同时有两个平台的聊天 ID）`, '请成员通过 /start 深度链接分享联系方式，并在转化中附上手机号或邮箱'],
  },
  'privacy:error': {
    en: (f) => [`getMe failed: ${str(f.error)}`, 'check the bot token in the configuration (a revoked token gives 401)'],
    zh: (f) => [`getMe 调用失败：${str(f.error)}`, '检查配置中的机器人 token（已撤销的 token 会返回 401）'],
  },
  'privacy:off': { en: (f) => [`@${str(f.bot)} reads every group message (privacy mode off)`, ''], zh: (f) => [`@${str(f.bot)} 能读取所有群消息（隐私模式已关闭）`, ''] },
  'privacy:on-no-groups': {
    en: (f) => [`privacy mode is on: @${str(f.bot)} will see only commands in groups where it is no admin`, 'turn privacy mode off in @BotFather (/setprivacy → Disable) before adding it to groups'],
    zh: (f) => [`隐私模式已开启：在不是管理员的群里，@${str(f.bot)} 只能看到命令`, '加入群组之前，先在 @BotFather 中关闭隐私模式（/setprivacy → Disable）'],
  },
  'privacy:on-admin': {
    en: (f) => [`privacy mode is on; @${str(f.bot)} is an admin in all its groups, so it still reads messages`, 'turn privacy mode off in @BotFather (/setprivacy → Disable) so a group where it loses admin rights keeps working'],
    zh: (f) => [`隐私模式已开启；@${str(f.bot)} 在所有群里都是管理员，所以仍能读取消息`, '在 @BotFather 中关闭隐私模式（/setprivacy → Disable），这样即使它在某个群失去管理员权限也能继续工作'],
  },
  'privacy:on-not-admin': {
    en: (f) => [`privacy mode is on and @${str(f.bot)} is no admin in ${str(f.groups)} group(s): it sees no messages there`, 'in @BotFather: /setprivacy → Disable, then remove and add the bot again (or make it an admin)'],
    zh: (f) => [`隐私模式已开启，且 @${str(f.bot)} 在 ${str(f.groups)} 个群里不是管理员：在那些群里看不到任何消息`, '在 @BotFather 中执行 /setprivacy → Disable，然后把机器人移出群再重新加入（或设为管理员）'],
  },
  'webhook:error': {
    en: (f) => [`getWebhookInfo failed: ${str(f.error)}`, 'check the bot token and that the Bot API is reachable'],
    zh: (f) => [`getWebhookInfo 调用失败：${str(f.error)}`, '检查机器人 token，并确认能访问 Bot API'],
  },
  'webhook:polling': { en: () => ['no webhook: updates are fetched by polling', ''], zh: () => ['未设置 webhook：通过轮询获取更新', ''] },
  'webhook:failing': {
    en: (f) => [`webhook error at ${str(f.at)}: ${f.error === null ? 'unknown' : str(f.error)} (${str(f.pending)} updates pending)`, 'make PUBLIC_BASE_URL reachable over HTTPS from Telegram and check the http role is running'],
    zh: (f) => [`webhook 在 ${str(f.at)} 出错：${f.error === null ? '未知错误' : str(f.error)}（${str(f.pending)} 条更新待处理）`, '确保 Telegram 能通过 HTTPS 访问 PUBLIC_BASE_URL，并检查 http 角色是否在运行'],
  },
  'webhook:backlog': {
    en: (f) => [`${str(f.pending)} updates pending at Telegram`, 'the service is behind: check the http and telegram roles and Redis'],
    zh: (f) => [`Telegram 上有 ${str(f.pending)} 条更新待处理`, '服务处理滞后：检查 http 和 telegram 角色以及 Redis'],
  },
  'webhook:healthy': { en: (f) => [`webhook healthy (${str(f.pending)} pending, no error in 24 hours)`, ''], zh: (f) => [`webhook 正常（${str(f.pending)} 条待处理，24 小时内无错误）`, ''] },
  'bot-admin:admin': { en: (f) => [`${str(f.group)}: the bot is an admin`, ''], zh: (f) => [`${str(f.group)}：机器人是管理员`, ''] },
  'bot-admin:not-admin': {
    en: (f) => [`${str(f.group)}: the bot is not an admin`, `make the bot an admin of ${str(f.group)} (Telegram tells only admins about joins and leaves)`],
    zh: (f) => [`${str(f.group)}：机器人不是管理员`, `把机器人设为 ${str(f.group)} 的管理员（Telegram 只把入群和退群通知发给管理员）`],
  },
  'member-updates:recent': {
    en: (f) => [`${str(f.group)}: joins and leaves arrive (last on ${str(f.last)})`, ''],
    zh: (f) => [`${str(f.group)}：能收到入群和退群（最近一次在 ${str(f.last)}）`, ''],
  },
  'member-updates:new': {
    en: (f) => [`${str(f.group)}: no join or leave seen yet since the bot came on ${str(f.registered)}`, 'share a campaign invite link and check a join shows in /groupstats'],
    zh: (f) => [`${str(f.group)}：机器人自 ${str(f.registered)} 加入以来还没看到入群或退群`, '分享一个活动邀请链接，并在 /groupstats 中确认能看到入群'],
  },
  'member-updates:silent': {
    en: (f) => [`${str(f.group)}: no join or leave seen ${f.last === null ? 'in 60 days' : `since ${str(f.last)}`}`, 'check that chat_member updates are delivered (webhook or polling with allowed_updates)'],
    zh: (f) => [`${str(f.group)}：${f.last === null ? '60 天内' : `自 ${str(f.last)} 以来`}没有看到入群或退群`, '检查 chat_member 更新是否送达（webhook，或带 allowed_updates 的轮询）'],
  },
  'member-updates:silent-not-admin': {
    en: (f) => [`${str(f.group)}: no join or leave seen ${f.last === null ? 'in 60 days' : `since ${str(f.last)}`}`, `make the bot an admin of ${str(f.group)}: chat_member updates go to admins only`],
    zh: (f) => [`${str(f.group)}：${f.last === null ? '60 天内' : `自 ${str(f.last)} 以来`}没有看到入群或退群`, `把机器人设为 ${str(f.group)} 的管理员：chat_member 更新只发给管理员`],
  },
};

/** The checks' names in Chinese (English: the check ids as they are). */
const CHECK_NAMES_ZH: Record<string, string> = {
  keywords: '关键词',
  'campaign-links': '活动链接',
  conversions: '转化回传',
  'match-rate': '匹配率',
  'cross-platform-ids': '跨平台身份',
  privacy: '隐私模式',
  webhook: 'Webhook',
  'bot-admin': '机器人管理员',
  'member-updates': '成员变动',
};

/**
 * A check's name, finding and fix in `lang` (default English), worded from its `finding` and
 * `facts`; group titles, campaign names and bot usernames as written. A check without them
 * keeps the words it came with.
 */
export function readinessText(row: Pick<ReadinessCheck, 'check' | 'label' | 'fix' | 'status' | 'finding' | 'facts'>, lang: Lang = 'en'): { check: string; label: string; fix: string } {
  const name = lang === 'zh' ? (CHECK_NAMES_ZH[row.check] ?? row.check) : row.check;
  const words = row.finding !== undefined && row.facts !== undefined ? WORDS[`${row.check}:${row.finding}`]?.[lang] : undefined;
  if (!words) return { check: name, label: row.label, fix: row.fix };
  const [label, fix] = words(row.facts ?? {});
  return { check: name, label, fix: row.status === 'green' ? '' : fix };
}

function check(check: string, scope: ReadinessCheck['scope'], subject: string, status: ReadinessStatus, finding: string, facts: Facts = {}): ReadinessCheck {
  const { label, fix } = readinessText({ check, status, finding, facts, label: '', fix: '' });
  return { key: `${check}:${subject}`, check, scope, subject, label, status, fix, finding, facts };
}

/** Every check (see the header), workspace first, then bots, then groups. */
export function evaluateReadiness(f: ReadinessFacts): ReadinessCheck[] {
  const ws = f.workspace;
  const out: ReadinessCheck[] = [];
  out.push(f.keywords > 0 ? check('keywords', 'workspace', ws, 'green', 'set', { keywords: f.keywords }) : check('keywords', 'workspace', ws, 'red', 'none'));
  const bare = f.campaigns.filter((c) => c.handles.length === 0);
  if (f.campaigns.length === 0) {
    out.push(check('campaign-links', 'workspace', ws, 'amber', 'none'));
  } else if (bare.length > 0) {
    out.push(check('campaign-links', 'workspace', ws, 'red', 'bare', { bare: bare.length, campaigns: f.campaigns.length, names: bare.slice(0, 5).map((c) => c.name).join(', '), first: bare[0]?.name ?? null }));
  } else {
    out.push(check('campaign-links', 'workspace', ws, 'green', 'ok', { campaigns: f.campaigns.length }));
  }
  if (f.lastConversionDay === null) {
    out.push(check('conversions', 'workspace', ws, 'red', 'none'));
  } else {
    const age = daysBetween(f.lastConversionDay, f.today);
    out.push(age <= 7 ? check('conversions', 'workspace', ws, 'green', 'recent', { day: f.lastConversionDay }) : check('conversions', 'workspace', ws, age <= 30 ? 'amber' : 'red', 'stale', { day: f.lastConversionDay, age }));
  }
  if (f.recent.conversions === 0) {
    out.push(check('match-rate', 'workspace', ws, 'amber', 'none'));
  } else {
    const rate = f.recent.matched / f.recent.conversions;
    const before = f.previous.conversions > 0 ? f.previous.matched / f.previous.conversions : null;
    const drop = before === null ? 0 : before - rate;
    const status: ReadinessStatus = rate < 0.3 ? 'red' : rate < 0.6 || drop >= 0.1 ? 'amber' : 'green';
    out.push(check('match-rate', 'workspace', ws, status, 'rate', { rate, conversions: f.recent.conversions, before }));
  }
  if (f.profiles.total === 0) {
    out.push(check('cross-platform-ids', 'workspace', ws, 'amber', 'none'));
  } else {
    const share = f.profiles.crossPlatform / f.profiles.total;
    const status: ReadinessStatus = share >= 0.2 ? 'green' : share >= 0.05 ? 'amber' : 'red';
    out.push(check('cross-platform-ids', 'workspace', ws, status, 'share', { share, profiles: f.profiles.total }));
  }

  for (const b of f.bots) {
    const groups = f.groups.filter((g) => g.platform === 'telegram' && g.account === b.botId);
    if ('error' in b.me) {
      out.push(check('privacy', 'bot', b.botId, 'red', 'error', { error: b.me.error }));
    } else {
      const bot = b.me.username ?? b.botId;
      if (b.me.canReadAll) {
        out.push(check('privacy', 'bot', b.botId, 'green', 'off', { bot }));
      } else {
        const notAdmin = groups.filter((g) => !g.botIsAdmin);
        out.push(
          groups.length === 0
            ? check('privacy', 'bot', b.botId, 'amber', 'on-no-groups', { bot })
            : notAdmin.length === 0
            ? check('privacy', 'bot', b.botId, 'amber', 'on-admin', { bot })
            : check('privacy', 'bot', b.botId, 'red', 'on-not-admin', { bot, groups: notAdmin.length }),
        );
      }
    }
    if ('error' in b.webhook) {
      out.push(check('webhook', 'bot', b.botId, 'red', 'error', { error: b.webhook.error }));
    } else if (b.webhook.url === '') {
      out.push(check('webhook', 'bot', b.botId, 'green', 'polling'));
    } else {
      const w = b.webhook;
      const recentError = w.lastErrorAt !== null && f.now.getTime() - Date.parse(w.lastErrorAt) <= DAY_MS;
      if (recentError) out.push(check('webhook', 'bot', b.botId, 'red', 'failing', { at: w.lastErrorAt, error: w.lastError, pending: w.pending }));
      else if (w.pending > 100) out.push(check('webhook', 'bot', b.botId, 'amber', 'backlog', { pending: w.pending }));
      else out.push(check('webhook', 'bot', b.botId, 'green', 'healthy', { pending: w.pending }));
    }
  }

  for (const g of f.groups) {
    out.push(g.botIsAdmin ? check('bot-admin', 'group', g.chatId, 'green', 'admin', { group: g.title }) : check('bot-admin', 'group', g.chatId, 'red', 'not-admin', { group: g.title }));
    const registered = dayFinder('UTC')(Date.parse(g.registeredAt));
    const age = g.lastMemberUpdate === null ? null : daysBetween(g.lastMemberUpdate, f.today);
    if (age !== null && age <= 14) out.push(check('member-updates', 'group', g.chatId, 'green', 'recent', { group: g.title, last: g.lastMemberUpdate }));
    else if (age === null && daysBetween(registered, f.today) < 14) out.push(check('member-updates', 'group', g.chatId, 'amber', 'new', { group: g.title, registered }));
    else out.push(check('member-updates', 'group', g.chatId, g.botIsAdmin ? 'amber' : 'red', g.botIsAdmin ? 'silent' : 'silent-not-admin', { group: g.title, last: g.lastMemberUpdate }));
  }
  return out;
}

const RANK: Record<ReadinessStatus, number> = { green: 0, amber: 1, red: 2 };

/** The worst status of the checks (green when none). */
export function worstOf(checks: readonly ReadinessCheck[]): ReadinessStatus {
  return checks.reduce<ReadinessStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'green');
}

/** What {@link gatherReadiness} needs of a workspace's configuration. */
export interface ReadinessWorkspace {
  id: string;
  timezone?: string;
  keywords?: readonly string[];
  coupons?: ReadonlyArray<{ code: string; campaign?: string }>;
}

export interface GatherOptions {
  store: Store;
  workspace: ReadinessWorkspace;
  /** The workspace's Telegram bots. */
  probes: readonly BotProbe[];
  /** Campaign names from the campaign records, when they exist. */
  campaignNames?: (workspace: string) => Promise<readonly string[]>;
  now?: Date;
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // A network failure names the whole request URL (bot id included) before its reason: keep the reason.
  const reason = /^request to \S+ failed, reason: (.+)$/s.exec(message)?.[1];
  return (reason ?? message).slice(0, 160);
}

/** Reads the facts and evaluates them. */
export async function readReadiness(o: GatherOptions): Promise<ReadinessReport> {
  const facts = await gatherReadiness(o);
  const checks = evaluateReadiness(facts);
  return { workspace: o.workspace.id, at: facts.now.toISOString(), checks, worst: worstOf(checks) };
}

/** Reads what {@link evaluateReadiness} needs. */
export async function gatherReadiness(o: GatherOptions): Promise<ReadinessFacts> {
  const { store } = o;
  const ws = o.workspace.id;
  const now = o.now ?? new Date();
  const tz = o.workspace.timezone ?? 'UTC';
  const today = dayFinder(tz)(now.getTime());
  let from = today;
  for (let i = 0; i < 60; i++) from = previousDay(from);
  const cut30 = (() => {
    let d = today;
    for (let i = 0; i < 30; i++) d = previousDay(d);
    return d;
  })();
  const [tracked, groups, invites, links, days] = await Promise.all([
    store.community.keywords.list(ws),
    store.community.groups.list(ws, { status: 'active' }),
    store.community.inviteLinks.list(ws),
    (async () => {
      const all = [];
      let afterCode: string | undefined;
      for (;;) {
        const page = await store.links.list(ws, { limit: 1_000, ...(afterCode !== undefined ? { afterCode } : {}) });
        all.push(...page);
        const last = page[page.length - 1];
        if (page.length < 1_000 || !last) return all;
        afterCode = last.code;
      }
    })(),
    readPeriod(store, ws, tz, { from: new Date(dayBounds(from, tz).from).toISOString(), to: now.toISOString(), label: '60d' }, { parts: ['totals', 'groups', 'joins'], touches: true, conversions: true }).then((r) => r.days),
  ]);
  const lastMember = new Map<string, string>();
  let lastConversionDay: string | null = null;
  const recent = { conversions: 0, matched: 0 };
  const previous = { conversions: 0, matched: 0 };
  const joinCampaigns = new Set<string>();
  for (const d of days) {
    const p: Partial<DayParts> = d.parts;
    for (const g of p.groups ?? []) if (g.joins + g.leaves > 0) lastMember.set(g.chatId, d.day);
    for (const j of p.joins ?? []) if (j.campaign !== null && d.day > cut30) joinCampaigns.add(j.campaign);
    let conv = 0;
    let matched = 0;
    for (const t of p.totals?.byCurrency ?? []) {
      conv += t.conversions;
      matched += t.matched;
    }
    if (conv > 0) lastConversionDay = d.day;
    const bucket = d.day > cut30 ? recent : previous;
    bucket.conversions += conv;
    bucket.matched += matched;
  }
  const handles = new Map<string, Set<string>>();
  const handle = (campaign: string, kind: string): void => {
    let s = handles.get(campaign);
    if (!s) handles.set(campaign, (s = new Set()));
    if (kind !== '') s.add(kind);
  };
  for (const l of invites) if (l.revokedAt === null) handle(l.campaign, 'invite link');
  for (const l of links) if (l.campaign !== undefined) handle(l.campaign, 'tracked link');
  for (const c of o.workspace.coupons ?? []) if (c.campaign !== undefined) handle(c.campaign, 'coupon');
  // A campaign seen on joins came through an invite link or deep-link code carrying it.
  for (const c of joinCampaigns) handle(c, 'code');
  for (const name of (await o.campaignNames?.(ws)) ?? []) handle(name, '');

  let total = 0;
  let crossPlatform = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await store.profiles.list(ws, { limit: 1_000, ...(afterId !== undefined ? { afterId } : {}) });
    for (const p of page) {
      total++;
      const types = new Set(p.identifiers.map((i) => i.type));
      if (types.has('phone') || types.has('email') || types.has('external_id') || (types.has('tg_id') && types.has('wa_id'))) crossPlatform++;
    }
    const last = page[page.length - 1];
    if (page.length < 1_000 || !last) break;
    afterId = last.id;
  }

  const bots = await Promise.all(
    o.probes.map(async (p) => {
      const me = await p.getMe().then(
        (m) => ({ canReadAll: m.can_read_all_group_messages === true, ...(m.username !== undefined ? { username: m.username } : {}) }),
        (err: unknown) => ({ error: errorText(err) }),
      );
      const webhook = await p.getWebhookInfo().then(
        (w) => ({ url: w.url ?? '', pending: w.pending_update_count, lastErrorAt: w.last_error_date ? new Date(w.last_error_date * 1000).toISOString() : null, lastError: w.last_error_message ?? null }),
        (err: unknown) => ({ error: errorText(err) }),
      );
      return { botId: p.botId, me, webhook };
    }),
  );
  return {
    workspace: ws,
    now,
    today,
    keywords: new Set([...(o.workspace.keywords ?? []), ...tracked.map((k) => k.keyword)]).size,
    groups: groups.map((g) => ({ platform: g.platform, chatId: g.chatId, title: g.title, account: g.account, botIsAdmin: g.botIsAdmin, registeredAt: g.registeredAt, lastMemberUpdate: lastMember.get(g.chatId) ?? null })),
    bots,
    campaigns: [...handles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, s]) => ({ name, handles: [...s].sort() })),
    lastConversionDay,
    recent,
    previous,
    profiles: { total, crossPlatform },
  };
}
