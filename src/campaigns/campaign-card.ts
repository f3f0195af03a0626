/**
 * Campaign cards: per campaign, over the people who joined through it in the period (the
 * funnel's campaign cohort: each person once, from their first join through it in the period):
 * joins (distinct people) by platform; of them, the share still in the group they joined at day
 * 7 and day 30 (among those whose day 7 / day 30 has passed); engaged, clicked, converted
 * (distinct people, as `/funnel by=campaign`); revenue credited to the campaign under each of the
 * seven models (conversions of the period, as `/models by=campaign`); spend entered for the
 * period's local days (null when none was entered: never 0); CAC (spend over conversions
 * credited under the model) and ROAS (revenue under the model over spend, a ratio) per model;
 * the median days from joining to converting; and the goal's own headline against its target.
 *
 * Everything is read from the counters (`store.counters`: people's facts and day counters) and
 * the spend rows, never from raw touches at scale.
 */
import { MODEL_NAMES, type ModelName } from '../attribution/index.js';
import { compareModels } from '../reports/attribution-report.js';
import { NONE_KEY } from '../reports/day-counters.js';
import { funnelReport } from '../reports/funnel-report.js';
import { dayFinder } from '../reports/local-days.js';
import type { Period } from '../reports/period.js';
import type { Amount, AttributionReport } from '../reports/report-types.js';
import type { CampaignGoal, CampaignTarget, MemberJoin, Store } from '../store/store.js';
import type { Platform } from '../touch-event.js';
import { campaignPlans, currencyOf, timeZoneOf, type CampaignPlan, type CampaignSettings } from './campaign-settings.js';
import type { Lang } from '../i18n/index.js';
import { DEFAULT_RETENTION_DAY, describeTarget, money, percent, ratio, round } from './campaign-target.js';
import { isMemberAt } from './membership.js';

const DAY_MS = 86_400_000;

export interface Retention {
  /** Share 0..1 of `people` still in the group they joined at that day; null when nobody's day has passed. */
  share: number | null;
  /** Joiners whose day has passed (the share's base). */
  people: number;
}

export interface CampaignCard {
  key: string;
  label: string;
  goal: CampaignGoal | null;
  from: string | null;
  to: string | null;
  target: CampaignTarget | null;
  /** Distinct people who joined through it in the period. */
  joins: number;
  joinsByPlatform: Partial<Record<Platform, number>>;
  retainedD7: Retention;
  retainedD30: Retention;
  /** At the target's day, when the target is a retention share. */
  retainedTarget: Retention | null;
  engaged: number;
  clicked: number;
  converted: number;
  medianDaysToConvert: number | null;
  /** Per model: conversions credited and revenue (workspace currency). */
  credited: Record<ModelName, number>;
  revenue: Record<ModelName, number>;
  /** Spend entered for the period's days; null when none was. */
  spend: number | null;
  /** spend ÷ conversions credited, per model; null without spend or conversions. */
  cac: Record<ModelName, number | null>;
  /** revenue ÷ spend, per model; null without spend (or with zero spend). */
  roas: Record<ModelName, number | null>;
  costPerJoin: number | null;
  /** The goal's own line against the target. */
  headline: string;
  /** Whether the target is met; null without a target or while it cannot be measured. */
  targetMet: boolean | null;
}

export interface CampaignReport {
  workspace: string;
  period: Period;
  currency: string;
  /** The model the headline quotes (CAC, ROAS). */
  model: ModelName;
  rows: CampaignCard[];
  /** Conversions of the period, matched or not (as the attribution report's). */
  totals: AttributionReport['totals'];
  notes: string[];
}

export interface CampaignCardOptions {
  period: Period;
  /** Only this campaign (its card is shown even with nothing in the period). */
  campaign?: string;
  /** The headline's model; default linear. */
  model?: ModelName;
  /** When retention is measured (days 7 and 30 must have passed); default now. */
  now?: Date;
}

/** Platform of a group: the registered group's, else WhatsApp for `…@g.us` ids, else Telegram. */
async function platformLookup(store: Store, workspace: string): Promise<(chatId: string) => Platform> {
  const groups = new Map((await store.community.groups.list(workspace)).map((g) => [g.chatId, g.platform as Platform]));
  return (chatId) => groups.get(chatId) ?? (chatId.endsWith('@g.us') ? 'whatsapp' : 'telegram');
}

/** Each campaign's cohort: per person, their first join through it in the period. */
export async function campaignCohorts(store: Store, workspace: string, period: Period, only?: string): Promise<Map<string, Map<string, MemberJoin>>> {
  const out = new Map<string, Map<string, MemberJoin>>();
  for await (const page of store.counters.joinsIn(workspace, { from: period.from, to: period.to })) {
    for (const j of page) {
      const key = j.campaign ?? NONE_KEY;
      if (only !== undefined && key !== only) continue;
      let people = out.get(key);
      if (!people) {
        people = new Map();
        out.set(key, people);
      }
      const e = people.get(j.profileId);
      if (!e || j.at < e.at) people.set(j.profileId, j);
    }
  }
  return out;
}

/** Share of joiners still in at `days` after joining, among those whose day has passed by `now`. */
export function retentionAt(joins: Iterable<MemberJoin>, days: number, now: number): Retention {
  let people = 0;
  let kept = 0;
  for (const j of joins) {
    const at = Date.parse(j.at) + days * DAY_MS;
    if (at > now) continue;
    people++;
    if (isMemberAt(j, at)) kept++;
  }
  return { share: people === 0 ? null : round(kept / people, 4), people };
}

const perModel = <T>(f: (m: ModelName) => T): Record<ModelName, T> => Object.fromEntries(MODEL_NAMES.map((m) => [m, f(m)])) as Record<ModelName, T>;

/** Value of an amount in `currency` (a report in one currency: all of it when that is the one). */
function valueIn(a: Amount | undefined, currency: string, currencies: readonly string[]): number {
  if (!a) return 0;
  if (a.byCurrency) return a.byCurrency[currency] ?? 0;
  return currencies.length === 0 || currencies[0] === currency ? a.value : 0;
}

/** Spend per campaign over the period's local days (the days it touches); campaigns without entries are absent. */
export async function spendOf(store: Store, workspace: string, timeZone: string, period: Period): Promise<Map<string, number>> {
  const dayOf = dayFinder(timeZone);
  const from = dayOf(Date.parse(period.from));
  const to = dayOf(Math.max(Date.parse(period.from), Date.parse(period.to) - 1));
  const out = new Map<string, number>();
  for (const r of await store.campaigns.spend.list(workspace, { from, to })) out.set(r.campaign, (out.get(r.campaign) ?? 0) + r.amount);
  for (const [k, v] of out) out.set(k, round(v, 6));
  return out;
}

/**
 * The goal's headline and whether its target is met, in `lang` (default English; the card's
 * `headline`). Campaign names are not part of it; model ids are shown as they are.
 */
export function headline(c: Omit<CampaignCard, 'headline' | 'targetMet'>, currency: string, model: ModelName, lang: Lang = 'en'): { headline: string; targetMet: boolean | null } {
  const zh = lang === 'zh';
  const joins = zh ? `${c.joins} 人入群` : `${c.joins} ${c.joins === 1 ? 'join' : 'joins'}`;
  const stay =
    c.retainedD30.share !== null
      ? zh ? `第 30 天仍在群 ${percent(c.retainedD30.share)}` : `${percent(c.retainedD30.share)} still in at day 30`
      : c.retainedD7.share !== null
      ? zh ? `第 7 天仍在群 ${percent(c.retainedD7.share)}` : `${percent(c.retainedD7.share)} still in at day 7`
      : zh ? '留存暂时无法衡量' : 'retention not measurable yet';
  const noSpend = zh ? '未录入花费' : 'no spend entered';
  const roas = c.roas[model];
  const roasValues = MODEL_NAMES.filter((m) => c.credited[m] > 0).map((m) => c.roas[m]).filter((v): v is number => v !== null);
  const spread = roasValues.length > 1 ? (zh ? `；各模型 ${ratio(Math.min(...roasValues))}–${ratio(Math.max(...roasValues))}` : `; ${ratio(Math.min(...roasValues))}–${ratio(Math.max(...roasValues))} across models`) : '';
  let measured: number | null = null;
  let body: string;
  switch (c.goal) {
    case 'awareness':
      body = zh
        ? `曝光：${joins}，${c.costPerJoin === null ? noSpend : `每人入群成本 ${money(c.costPerJoin, currency)}`}，${stay}`
        : `awareness: ${joins}, ${c.costPerJoin === null ? noSpend : `${money(c.costPerJoin, currency)} per join`}, ${stay}`;
      break;
    case 'engagement': {
      const rate = c.joins === 0 ? null : c.engaged / c.joins;
      const perEngaged = c.spend === null || c.engaged === 0 ? null : c.spend / c.engaged;
      body = zh
        ? `互动：${percent(rate)} 发过言（${c.joins} 人中 ${c.engaged} 人），${stay}${c.spend === null ? `，${noSpend}` : `，每个互动成员 ${money(perEngaged, currency)}`}`
        : `engagement: ${percent(rate)} engaged (${c.engaged} of ${c.joins}), ${stay}${c.spend === null ? `, ${noSpend}` : `, ${money(perEngaged, currency)} per engaged member`}`;
      break;
    }
    case 'conversion':
      body = zh
        ? `转化：${c.converted} 人转化，${c.spend === null ? noSpend : `CAC ${money(c.cac[model], currency)}，ROAS ${ratio(roas)}（${model}${spread}）`}`
        : `conversion: ${c.converted} converted, ${c.spend === null ? noSpend : `CAC ${money(c.cac[model], currency)}, ROAS ${ratio(roas)} (${model}${spread})`}`;
      break;
    default:
      body = zh
        ? `未设定目标：${joins}，${c.converted} 人转化，${c.spend === null ? noSpend : `ROAS ${ratio(roas)}（${model}）`}`
        : `goal not set: ${joins}, ${c.converted} converted, ${c.spend === null ? noSpend : `ROAS ${ratio(roas)} (${model})`}`;
  }
  const t = c.target;
  if (!t) return { headline: body, targetMet: null };
  if (t.metric === 'joins') measured = c.joins;
  else if (t.metric === 'retention') measured = c.retainedTarget?.share ?? null;
  else measured = roas;
  const target = zh ? `目标值 ${describeTarget(t, lang)}` : `target ${describeTarget(t)}`;
  if (measured === null) return { headline: `${body} — ${target}${zh ? '：暂时无法衡量' : ': not measurable yet'}`, targetMet: null };
  const met = measured >= t.value;
  const shown = t.metric === 'joins' ? '' : t.metric === 'retention' ? percent(measured) : ratio(measured);
  const got = shown === '' ? '' : zh ? `（${shown}）` : ` (${shown})`;
  return { headline: `${body} — ${target}${got} ${met ? '✔' : '✘'}`, targetMet: met };
}

/** Campaign cards of a workspace over a period (see the header). */
export async function campaignCards(store: Store, settings: CampaignSettings, options: CampaignCardOptions): Promise<CampaignReport> {
  const workspace = settings.id;
  const tz = timeZoneOf(settings);
  const currency = currencyOf(settings);
  const model = options.model ?? 'linear';
  const now = (options.now ?? new Date()).getTime();
  const { period } = options;
  const only = options.campaign;
  const [plans, cohorts, funnel, models, spend, platformOf] = await Promise.all([
    campaignPlans(store, settings),
    campaignCohorts(store, workspace, period, only),
    funnelReport(store, workspace, tz, { period, by: 'campaign', ...(only !== undefined ? { key: only } : {}) }),
    compareModels(store, workspace, tz, { period, by: 'campaign' }),
    spendOf(store, workspace, tz, period),
    platformLookup(store, workspace),
  ]);
  const funnelOf = new Map(funnel.rows.map((r) => [r.key, r]));
  const modelRowOf = new Map(models.rows.map((r) => [r.key, r]));
  const currencies = models.currencies ?? [];
  const names = new Set<string>();
  if (only !== undefined) names.add(only);
  else {
    for (const k of plans.keys()) names.add(k);
    for (const k of cohorts.keys()) names.add(k);
    for (const r of models.rows) names.add(r.key);
    for (const k of spend.keys()) names.add(k);
    names.delete(NONE_KEY);
  }
  const rows: CampaignCard[] = [];
  for (const name of names) {
    const plan: CampaignPlan | undefined = plans.get(name);
    const people = [...(cohorts.get(name)?.values() ?? [])];
    const f = funnelOf.get(name);
    const m = modelRowOf.get(name);
    const joinsByPlatform: Partial<Record<Platform, number>> = {};
    for (const j of people) {
      const p = platformOf(j.chatId);
      joinsByPlatform[p] = (joinsByPlatform[p] ?? 0) + 1;
    }
    const credited = perModel((mn) => round(m?.byModel[mn]?.conversions ?? 0, 6));
    const revenue = perModel((mn) => round(valueIn(m?.byModel[mn], currency, currencies), 6));
    const s = spend.get(name) ?? null;
    const target = plan?.target ?? null;
    const card: Omit<CampaignCard, 'headline' | 'targetMet'> = {
      key: name,
      label: name,
      goal: plan?.goal ?? null,
      from: plan?.from ?? null,
      to: plan?.to ?? null,
      target,
      joins: people.length,
      joinsByPlatform,
      retainedD7: retentionAt(people, 7, now),
      retainedD30: retentionAt(people, 30, now),
      retainedTarget: target?.metric === 'retention' ? retentionAt(people, target.day ?? DEFAULT_RETENTION_DAY, now) : null,
      engaged: f?.engaged ?? 0,
      clicked: f?.clicked ?? 0,
      converted: f?.converted ?? 0,
      medianDaysToConvert: f?.medianDaysToConvert ?? null,
      credited,
      revenue,
      spend: s,
      cac: perModel((mn) => (s === null || credited[mn] <= 0 ? null : round(s / credited[mn], 4))),
      roas: perModel((mn) => (s === null || s <= 0 ? null : round(revenue[mn] / s, 4))),
      costPerJoin: s === null || people.length === 0 ? null : round(s / people.length, 4),
    };
    rows.push({ ...card, ...headline(card, currency, model) });
  }
  rows.sort((a, b) => Number(b.goal !== null) - Number(a.goal !== null) || b.joins - a.joins || b.revenue[model] - a.revenue[model] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const notes = [...(funnel.notes ?? [])];
  if (currencies.some((c) => c !== currency)) notes.push(`revenue, CAC and ROAS count conversions in ${currency} only; others were in ${currencies.filter((c) => c !== currency).join(', ')}`);
  for (const n of models.notes ?? []) if (!n.startsWith('conversions in ')) notes.push(n);
  return { workspace, period, currency, model, rows, totals: models.totals, notes };
}

/** Per campaign: ROAS and credited conversions under every model (null ROAS: no spend entered). */
export interface CampaignRoas {
  campaign: string;
  spend: number | null;
  conversions: Record<ModelName, number>;
  revenue: Record<ModelName, number>;
  roas: Record<ModelName, number | null>;
}

/**
 * ROAS per campaign per model, with credited conversions and revenue, from the day counters and
 * spend only (no people's facts): what other modules (hints) build on.
 */
export async function campaignRoas(store: Store, settings: CampaignSettings, period: Period): Promise<CampaignRoas[]> {
  const tz = timeZoneOf(settings);
  const currency = currencyOf(settings);
  const [models, spend] = await Promise.all([compareModels(store, settings.id, tz, { period, by: 'campaign' }), spendOf(store, settings.id, tz, period)]);
  const currencies = models.currencies ?? [];
  const out = new Map<string, CampaignRoas>();
  for (const r of models.rows) {
    if (r.key === NONE_KEY) continue;
    const s = spend.get(r.key) ?? null;
    const revenue = perModel((m) => round(valueIn(r.byModel[m], currency, currencies), 6));
    out.set(r.key, { campaign: r.key, spend: s, conversions: perModel((m) => round(r.byModel[m]?.conversions ?? 0, 6)), revenue, roas: perModel((m) => (s === null || s <= 0 ? null : round(revenue[m] / s, 4))) });
  }
  for (const [k, s] of spend) if (!out.has(k)) out.set(k, { campaign: k, spend: s, conversions: perModel(() => 0), revenue: perModel(() => 0), roas: perModel(() => (s > 0 ? 0 : null)) });
  return [...out.values()].sort((a, b) => (a.campaign < b.campaign ? -1 : a.campaign > b.campaign ? 1 : 0));
}
