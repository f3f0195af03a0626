/**
 * One workspace's daily run: refresh the `interest:<keyword>` profile tags from keyword lift,
 * then check the day just ended for alerts. Runs once per workspace and local day (claimed in
 * the store), only while alerts are on (`/alerts on|off`, else the configuration's default).
 */
import type { Answer } from '../commands/command-types.js';
import type { Lang } from '../i18n/index.js';
import { localDay } from '../reports/period.js';
import { previousDay } from '../reports/local-days.js';
import type { PersonFacts, ProfileTag, Store } from '../store/store.js';
import { alertAnswers, detectAlerts, readAlertSeries, type Alert } from './alerts.js';
import { keywordLift, liftPeople } from './keyword-lift.js';
import { everyPersonFacts } from './read-optimize.js';
import type { BotProbe } from './readiness.js';

const DAY_MS = 86_400_000;
/** Days of first mentions the interest tags are derived from. */
export const INTEREST_DAYS = 90;

/**
 * `interest:<keyword>` for everyone who ever mentioned a keyword whose lift over the last
 * {@link INTEREST_DAYS} days has a 95% interval entirely above 0 (shown, 30+ people per group).
 */
export function interestTags(workspace: string, facts: readonly PersonFacts[], now: Date, timeZone: string): ProfileTag[] {
  const people = liftPeople(facts);
  const { rows } = keywordLift(people, { from: new Date(now.getTime() - INTEREST_DAYS * DAY_MS).toISOString(), to: now.toISOString(), timeZone });
  const proven = new Set(rows.filter((r) => r.liftLow !== null && r.liftLow > 0).map((r) => r.keyword));
  const at = now.toISOString();
  const tags: ProfileTag[] = [];
  for (const f of facts) for (const k of f.keywords ?? []) if (proven.has(k.keyword)) tags.push({ workspace, profileId: f.profileId, tag: `interest:${k.keyword}`, source: 'lift', at });
  return tags;
}

/** Replaces the workspace's lift-derived tags; returns how many are stored. */
export async function refreshInterestTags(store: Store, workspace: string, timeZone: string, now: Date): Promise<number> {
  const facts: PersonFacts[] = [];
  for await (const page of everyPersonFacts(store, workspace)) facts.push(...page);
  return store.optimize.profileTags.replaceSource(workspace, 'lift', interestTags(workspace, facts, now, timeZone));
}

export interface DailyAlertsOptions {
  store: Store;
  /** `language`: what the alerts are written in (default English); they answer no one, so the workspace's setting decides. */
  workspace: { id: string; timezone?: string; alerts?: { enabled: boolean }; language?: Lang };
  probes: readonly BotProbe[];
  now: Date;
  charts?: boolean;
}

export type DailyAlertsResult = { status: 'off' } | { status: 'done-before'; day: string } | { status: 'checked'; day: string; alerts: Alert[]; answers: Answer[]; tags: number };

/** The day's run (see the header): answers to post (empty when nothing moved beyond chance). */
export async function runDailyAlerts(o: DailyAlertsOptions): Promise<DailyAlertsResult> {
  const ws = o.workspace.id;
  const tz = o.workspace.timezone ?? 'UTC';
  const stored = await o.store.optimize.alertSettings.get(ws);
  if (!(stored?.enabled ?? o.workspace.alerts?.enabled ?? true)) return { status: 'off' };
  const day = previousDay(localDay(o.now.getTime(), tz));
  const tags = await refreshInterestTags(o.store, ws, tz, o.now);
  const series = await readAlertSeries(o.store, ws, tz, day);
  const webhooks = await Promise.all(
    o.probes.map(async (p) => {
      const w = await p.getWebhookInfo().catch(() => null);
      return { botId: p.botId, lastErrorAt: w?.last_error_date ? new Date(w.last_error_date * 1000).toISOString() : null, lastError: w?.last_error_message ?? null, pending: w?.pending_update_count ?? 0 };
    }),
  );
  const alerts = detectAlerts({ ...series, webhooks, now: o.now });
  const answers = await alertAnswers(alerts, { day, lang: o.workspace.language ?? 'en', ...(o.charts !== undefined ? { charts: o.charts } : {}) });
  // Claimed last, once the answers are ready: a second run of the same day posts nothing.
  if (!(await o.store.optimize.alertSettings.claimRun(ws, day))) return { status: 'done-before', day };
  return { status: 'checked', day, alerts, answers, tags };
}
