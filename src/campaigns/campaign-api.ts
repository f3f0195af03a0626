/**
 * Campaigns over HTTP, with the report API's keys (`apiKeys`, `Authorization: Bearer <key>`):
 * - `GET /v1/reports/campaigns?workspace=W&period=P[&campaign=C][&model=M][&format=csv]`,
 *   `GET /v1/reports/cohorts?…[&by=week|campaign][&weeks=8]`,
 *   `GET /v1/reports/paths?…[&by=campaign|group|keyword]`: {@link campaignApiReports}, answered
 *   by the report API (`createReportApi({ extra })`);
 * - `PUT /v1/spend` ({@link createSpendApi}): JSON `{ "workspace": W, "rows": [{ "date":
 *   "2026-03-01", "campaign": "spring", "amount": 120.5, "currency"?: "CNY" }] }` (each day and
 *   campaign replaced), or `{ "workspace": W, "campaign": C, "amount": 1000, "period"?: P }`
 *   (spread evenly over the period's days, default today). Valid rows are kept and bad ones
 *   reported by index: `200 {status: "ok"|"partial", written, errors}`; `400` when none is valid.
 */
import { z } from 'zod';
import type { ModelName } from '../attribution/index.js';
import { localDay, type Period } from '../reports/period.js';
import { parseDimension, parseModel, parseReportPeriod, ReportParamError } from '../reports/report-params.js';
import { createApiKeyCheck, type ExtraReport, type ReportApiResponse, type ReportApiWorkspace } from '../reports/report-api.js';
import { assertDay } from '../store/counters/counter-rules.js';
import type { SpendRow, Store } from '../store/store.js';
import { campaignsJson, cohortsJson, pathsJson } from './campaign-json.js';
import type { CampaignSettings } from './campaign-settings.js';
import { COHORT_WEEKS } from './cohort-report.js';
import type { CampaignReports } from './index.js';
import { parseAmount, periodDays, setSpend } from './spend.js';

/** `weeks=`: 1..26. */
export function parseWeeks(value: string | undefined): number {
  if (value === undefined) return COHORT_WEEKS;
  if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 26) throw new ReportParamError('weeks', 'weeks= is a number of weeks since joining, 1 to 26');
  return Number(value);
}

/** The campaign reports of the report API (see the header). */
export function campaignApiReports(reports: CampaignReports): Record<'campaigns' | 'cohorts' | 'paths', ExtraReport> {
  const periodOf = (q: ReadonlyMap<string, string>, now: Date, tz: string): Period => parseReportPeriod(q.get('period'), now, tz);
  return {
    campaigns: {
      params: ['period', 'campaign', 'model'],
      async run({ workspace, query, timeZone, now }) {
        const period = periodOf(query, now, timeZone);
        const model = parseModel(query.get('model')) as ModelName;
        const campaign = query.get('campaign');
        if (campaign !== undefined && (campaign.length === 0 || campaign.length > 128)) return { errors: [{ field: 'campaign', message: 'a campaign name is 1–128 characters' }] };
        return campaignsJson(await reports.cards(workspace, { period, model, now, ...(campaign !== undefined ? { campaign } : {}) }));
      },
    },
    cohorts: {
      params: ['period', 'by', 'weeks'],
      async run({ workspace, query, timeZone, now }) {
        const period = periodOf(query, now, timeZone);
        const by = parseDimension(query.get('by') ?? 'week', ['week', 'campaign'] as const);
        return cohortsJson(await reports.cohorts(workspace, { period, by, now, weeks: parseWeeks(query.get('weeks')) }));
      },
    },
    paths: {
      params: ['period', 'by'],
      async run({ workspace, query, timeZone, now }) {
        const period = periodOf(query, now, timeZone);
        const by = parseDimension(query.get('by') ?? 'campaign', ['campaign', 'group', 'keyword'] as const);
        return pathsJson(await reports.paths(workspace, { period, by }));
      },
    },
  };
}

const rowSchema = z.object({ date: z.string(), campaign: z.string().min(1).max(128), amount: z.union([z.number(), z.string()]), currency: z.string().optional() });
const bodySchema = z.union([
  z.object({ workspace: z.string(), rows: z.array(z.unknown()).min(1).max(10_000) }),
  z.object({ workspace: z.string(), campaign: z.string().min(1).max(128), amount: z.union([z.number(), z.string()]), period: z.string().optional() }),
]);

export interface SpendApiOptions {
  store: Store;
  workspaces: ReadonlyArray<ReportApiWorkspace & Omit<CampaignSettings, 'id'>>;
  now?: () => Date;
}

const answer = (status: number, body: unknown): ReportApiResponse => ({ status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(body) });

/** The `PUT /v1/spend` handler (see the header). */
export function createSpendApi(options: SpendApiOptions): (req: { headers: Readonly<Record<string, string | string[] | undefined>>; body: unknown }) => Promise<ReportApiResponse> {
  const check = createApiKeyCheck(options.workspaces);
  const now = options.now ?? (() => new Date());
  return async (req) => {
    const b = req.body as { workspace?: unknown } | null;
    const ws = typeof b?.workspace === 'string' ? b.workspace : undefined;
    const ok = check(req.headers, ws);
    if ('status' in ok) return ok;
    const settings = options.workspaces.find((w) => w.id === ok.workspace);
    const currency = settings?.currency ?? 'USD';
    const tz = settings?.timezone ?? 'UTC';
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) return answer(400, { error: 'bad_request', errors: [{ field: 'body', message: 'send {"workspace", "rows": [{"date", "campaign", "amount", "currency"?}]} or {"workspace", "campaign", "amount", "period"?}' }] });
    const at = now();
    const body = parsed.data;
    if (!('rows' in body)) {
      let amount: number;
      let period: Period;
      try {
        amount = parseAmount(String(body.amount));
        const today = localDay(at.getTime(), tz);
        period = parseReportPeriod(body.period ?? `${today}..${today}`, at, tz);
      } catch (err) {
        return answer(400, { error: 'bad_request', errors: [{ field: err instanceof ReportParamError ? 'period' : 'amount', message: (err as Error).message }] });
      }
      const rows = await setSpend(options.store, { workspace: ok.workspace, campaign: body.campaign, amount, currency, days: periodDays(period, tz), source: 'api', at });
      return answer(200, { status: 'ok', written: rows.length, errors: [], days: rows.map((r) => ({ date: r.day, amount: r.amount })) });
    }
    const errors: Array<{ index: number; field: string; message: string }> = [];
    const good = new Map<string, SpendRow>();
    body.rows.forEach((raw, index) => {
      const r = rowSchema.safeParse(raw);
      if (!r.success) {
        errors.push({ index, field: r.error.issues[0]?.path.join('.') || 'row', message: r.error.issues[0]?.message ?? 'not a spend row' });
        return;
      }
      try {
        assertDay(r.data.date, 'date');
      } catch {
        errors.push({ index, field: 'date', message: 'a day written YYYY-MM-DD' });
        return;
      }
      if (r.data.currency !== undefined && r.data.currency.toUpperCase() !== currency) {
        errors.push({ index, field: 'currency', message: `${r.data.currency.slice(0, 10)} is not the workspace currency ${currency}: send spend in ${currency}` });
        return;
      }
      let amount: number;
      try {
        amount = parseAmount(String(r.data.amount));
      } catch (err) {
        errors.push({ index, field: 'amount', message: (err as Error).message });
        return;
      }
      good.set(`${r.data.date}\u0000${r.data.campaign}`, { workspace: ok.workspace, day: r.data.date, campaign: r.data.campaign, amount, currency, source: 'api', updatedAt: at.toISOString() });
    });
    if (good.size === 0) return answer(400, { error: 'bad_request', errors });
    await options.store.campaigns.spend.put(ok.workspace, [...good.values()]);
    return answer(200, { status: errors.length === 0 ? 'ok' : 'partial', written: good.size, errors });
  };
}
