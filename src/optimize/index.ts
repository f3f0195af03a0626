/**
 * Optimization and readiness (GRO's *O* and *R*): keyword lift, hints, readiness checks and
 * daily alerts. The public entry of `src/optimize/`: {@link optimizeReports} gives the
 * `lift`, `hints` and `readiness` methods of `ReportsApi` (added by `createReports`).
 */
import type { Lang } from '../i18n/language.js';
import type { Store } from '../store/store.js';
import type { Period } from '../reports/period.js';
import type { CampaignRoasProvider, HintsReport, LiftReport, ReadinessReport } from './optimize-types.js';
import { hintText } from './hints.js';
import { readHints, readKeywordLift } from './read-optimize.js';
import { readinessText, readReadiness, type BotProbe, type ReadinessWorkspace } from './readiness.js';
import { telegramProbes } from './telegram-probes.js';

export * from './optimize-types.js';
export { buildHints, lastClickGapHints, roasHints, liftHints, engagementHints, SHARE_GAP, ENGAGED_AT_LEAST, CLICKED_AT_MOST, MAX_HINTS, type HintInputs } from './hints.js';
export { keywordLift, liftPeople, type LiftOptions, type LiftPerson } from './keyword-lift.js';
export { evaluateReadiness, gatherReadiness, readReadiness, worstOf, type BotProbe, type ReadinessFacts } from './readiness.js';
export { readHints, readKeywordLift, everyPersonFacts } from './read-optimize.js';
export { telegramProbes } from './telegram-probes.js';
export { alertsApiReport, alertsReport, MAX_ALERT_DAYS, type AlertsReport, type DayAlert } from './alerts-report.js';

/** What the optimization reports need of a workspace's configuration. */
export interface OptimizeWorkspace extends ReadinessWorkspace {
  telegram?: { bots: ReadonlyArray<{ token: string }> };
}

export interface OptimizeOptions {
  /** The Bot API root (`TELEGRAM_API_ROOT`) readiness asks through; default https://api.telegram.org. */
  telegramApiRoot?: string;
  /** Campaign ROAS for the hints' ROAS rule (the campaign report); absent: the rule is skipped. */
  roas?: CampaignRoasProvider;
  /** Campaign names of the campaign records, for readiness's campaign check. */
  campaignNames?: (workspace: string) => Promise<readonly string[]>;
  /** The bots readiness probes (tests); default: telegraf clients of the configured tokens. */
  probes?: (workspace: string) => readonly BotProbe[];
  now?: () => Date;
}

/** The methods `createReports` adds to `ReportsApi`. */
export interface OptimizeReports {
  lift(workspace: string, options: { period: Period }): Promise<LiftReport>;
  /** Hints of the period; `lang` words their sentences (default English). */
  hints(workspace: string, options: { period: Period; lang?: Lang }): Promise<HintsReport>;
  /** Readiness now; `lang` words the checks (default English). */
  readiness(workspace: string, options?: { lang?: Lang }): Promise<ReadinessReport>;
}

/** Lift, hints and readiness of every workspace in `store`. */
export function optimizeReports(store: Store, workspaceOf: (workspace: string) => OptimizeWorkspace | undefined, options: OptimizeOptions = {}): OptimizeReports {
  const tz = (ws: string): string => workspaceOf(ws)?.timezone ?? 'UTC';
  const probes = options.probes ?? ((ws: string) => telegramProbes(workspaceOf(ws)?.telegram?.bots ?? [], options.telegramApiRoot ?? 'https://api.telegram.org'));
  return {
    lift: (workspace, { period }) => readKeywordLift(store, workspace, tz(workspace), period),
    hints: async (workspace, { period, lang }) => {
      const r = await readHints(store, workspace, tz(workspace), period, options.roas);
      if (!lang || lang === 'en') return r;
      return { ...r, hints: r.hints.map((h) => ({ ...h, ...hintText(h, lang) })) };
    },
    readiness: async (workspace, o) => {
      const r = await readReadiness({
        store,
        workspace: workspaceOf(workspace) ?? { id: workspace },
        probes: probes(workspace),
        ...(options.campaignNames ? { campaignNames: options.campaignNames } : {}),
        ...(options.now ? { now: options.now() } : {}),
      });
      const lang = o?.lang;
      if (!lang || lang === 'en') return r;
      // Only the words change: `check` stays the check's id.
      const worded = r.checks.map((c) => {
        const t = readinessText(c, lang);
        return { ...c, label: t.label, fix: t.fix };
      });
      return { ...r, checks: worded };
    },
  };
}
