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

function check(check: string, scope: ReadinessCheck['scope'], subject: string, status: ReadinessStatus, label: string, fix: string): ReadinessCheck {
  return { key: `${check}:${subject}`, check, scope, subject, label, status, fix: status === 'green' ? '' : fix };
}

/** Every check (see the header), workspace first, then bots, then groups. */
export function evaluateReadiness(f: ReadinessFacts): ReadinessCheck[] {
  const ws = f.workspace;
  const out: ReadinessCheck[] = [];
  out.push(
    f.keywords > 0
      ? check('keywords', 'workspace', ws, 'green', `${f.keywords} keywords watched`, '')
      : check('keywords', 'workspace', ws, 'red', 'no keywords are watched: keyword reports, lift and hints stay empty', 'add the words buyers ask about with /track <word> (or keywords: in the configuration)'),
  );
  const bare = f.campaigns.filter((c) => c.handles.length === 0);
  if (f.campaigns.length === 0) {
    out.push(check('campaign-links', 'workspace', ws, 'amber', 'no campaigns yet: joins and clicks cannot be told apart by campaign', 'make a campaign invite link with /invite <campaign> or a tracked link with /link <url> campaign=<name>'));
  } else if (bare.length > 0) {
    out.push(check('campaign-links', 'workspace', ws, 'red', `${bare.length} of ${f.campaigns.length} campaigns have no link, invite link, code or coupon: ${bare.slice(0, 5).map((c) => c.name).join(', ')}`, `give ${bare[0]?.name} an invite link (/invite ${bare[0]?.name}) or a tracked link`));
  } else {
    out.push(check('campaign-links', 'workspace', ws, 'green', `every campaign (${f.campaigns.length}) has a link, invite link, code or coupon`, ''));
  }
  if (f.lastConversionDay === null) {
    out.push(check('conversions', 'workspace', ws, 'red', 'no conversion received in the last 60 days', 'send orders by the signed webhook (POST /v1/conversions) or import them: midfunnel conversions import orders.csv'));
  } else {
    const age = daysBetween(f.lastConversionDay, f.today);
    out.push(
      age <= 7
        ? check('conversions', 'workspace', ws, 'green', `last conversion on ${f.lastConversionDay}`, '')
        : check('conversions', 'workspace', ws, age <= 30 ? 'amber' : 'red', `last conversion on ${f.lastConversionDay}, ${age} days ago`, 'check that the shop still sends orders to the conversion webhook (or import the latest CSV)'),
    );
  }
  if (f.recent.conversions === 0) {
    out.push(check('match-rate', 'workspace', ws, 'amber', 'no conversions in the last 30 days to match', 'send conversions with phone, email or the click id (mf_click) so they can be matched'));
  } else {
    const rate = f.recent.matched / f.recent.conversions;
    const before = f.previous.conversions > 0 ? f.previous.matched / f.previous.conversions : null;
    const drop = before === null ? 0 : before - rate;
    const trend = before === null ? 'no earlier 30 days to compare' : `${pct(before)} the 30 days before`;
    const status: ReadinessStatus = rate < 0.3 ? 'red' : rate < 0.6 || drop >= 0.1 ? 'amber' : 'green';
    out.push(check('match-rate', 'workspace', ws, status, `${pct(rate)} of ${f.recent.conversions} conversions matched in the last 30 days (${trend})`, 'send phone, email or the click id (mf_click) with each order; post tracked links so clicks carry a click id'));
  }
  if (f.profiles.total === 0) {
    out.push(check('cross-platform-ids', 'workspace', ws, 'amber', 'no profiles yet', 'add the bot to a group and let members join through campaign links'));
  } else {
    const share = f.profiles.crossPlatform / f.profiles.total;
    const status: ReadinessStatus = share >= 0.2 ? 'green' : share >= 0.05 ? 'amber' : 'red';
    out.push(check('cross-platform-ids', 'workspace', ws, status, `${pct(share)} of ${f.profiles.total} profiles carry a phone, email or shop id (or both chat ids)`, 'ask members to share their contact through a /start deep link, and send phone or email with conversions'));
  }

  for (const b of f.bots) {
    const groups = f.groups.filter((g) => g.platform === 'telegram' && g.account === b.botId);
    if ('error' in b.me) {
      out.push(check('privacy', 'bot', b.botId, 'red', `getMe failed: ${b.me.error}`, 'check the bot token in the configuration (a revoked token gives 401)'));
    } else if (b.me.canReadAll) {
      out.push(check('privacy', 'bot', b.botId, 'green', `@${b.me.username ?? b.botId} reads every group message (privacy mode off)`, ''));
    } else {
      const notAdmin = groups.filter((g) => !g.botIsAdmin);
      out.push(
        groups.length === 0
          ? check('privacy', 'bot', b.botId, 'amber', `privacy mode is on: @${b.me.username ?? b.botId} will see only commands in groups where it is no admin`, 'turn privacy mode off in @BotFather (/setprivacy → Disable) before adding it to groups')
          : notAdmin.length === 0
          ? check('privacy', 'bot', b.botId, 'amber', `privacy mode is on; @${b.me.username ?? b.botId} is an admin in all its groups, so it still reads messages`, 'turn privacy mode off in @BotFather (/setprivacy → Disable) so a group where it loses admin rights keeps working')
          : check('privacy', 'bot', b.botId, 'red', `privacy mode is on and @${b.me.username ?? b.botId} is no admin in ${notAdmin.length} group(s): it sees no messages there`, 'in @BotFather: /setprivacy → Disable, then remove and add the bot again (or make it an admin)'),
      );
    }
    if ('error' in b.webhook) {
      out.push(check('webhook', 'bot', b.botId, 'red', `getWebhookInfo failed: ${b.webhook.error}`, 'check the bot token and that the Bot API is reachable'));
    } else if (b.webhook.url === '') {
      out.push(check('webhook', 'bot', b.botId, 'green', 'no webhook: updates are fetched by polling', ''));
    } else {
      const w = b.webhook;
      const recentError = w.lastErrorAt !== null && f.now.getTime() - Date.parse(w.lastErrorAt) <= DAY_MS;
      if (recentError) out.push(check('webhook', 'bot', b.botId, 'red', `webhook error at ${w.lastErrorAt}: ${w.lastError ?? 'unknown'} (${w.pending} updates pending)`, 'make PUBLIC_BASE_URL reachable over HTTPS from Telegram and check the http role is running'));
      else if (w.pending > 100) out.push(check('webhook', 'bot', b.botId, 'amber', `${w.pending} updates pending at Telegram`, 'the service is behind: check the http and telegram roles and Redis'));
      else out.push(check('webhook', 'bot', b.botId, 'green', `webhook healthy (${w.pending} pending, no error in 24 hours)`, ''));
    }
  }

  for (const g of f.groups) {
    out.push(
      g.botIsAdmin
        ? check('bot-admin', 'group', g.chatId, 'green', `${g.title}: the bot is an admin`, '')
        : check('bot-admin', 'group', g.chatId, 'red', `${g.title}: the bot is not an admin`, `make the bot an admin of ${g.title} (Telegram tells only admins about joins and leaves)`),
    );
    const registered = dayFinder('UTC')(Date.parse(g.registeredAt));
    const age = g.lastMemberUpdate === null ? null : daysBetween(g.lastMemberUpdate, f.today);
    if (age !== null && age <= 14) out.push(check('member-updates', 'group', g.chatId, 'green', `${g.title}: joins and leaves arrive (last on ${g.lastMemberUpdate})`, ''));
    else if (age === null && daysBetween(registered, f.today) < 14) out.push(check('member-updates', 'group', g.chatId, 'amber', `${g.title}: no join or leave seen yet since the bot came on ${registered}`, 'share a campaign invite link and check a join shows in /groupstats'));
    else out.push(check('member-updates', 'group', g.chatId, g.botIsAdmin ? 'amber' : 'red', `${g.title}: no join or leave seen ${age === null ? 'in 60 days' : `since ${g.lastMemberUpdate}`}`, g.botIsAdmin ? 'check that chat_member updates are delivered (webhook or polling with allowed_updates)' : `make the bot an admin of ${g.title}: chat_member updates go to admins only`));
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
  return (err instanceof Error ? err.message : String(err)).slice(0, 160);
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
