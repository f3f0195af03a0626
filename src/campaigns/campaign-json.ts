/**
 * The JSON rows of the campaign, cohort and paths reports, as the HTTP report API answers them
 * and `midfunnel report … --json` prints them (one serializer, so both show the same numbers):
 * snake_case fields like the other report rows; `spend` a number or null (none entered);
 * `revenue`, `cac`, `roas` objects keyed by model name (ROAS a ratio).
 */
import type { Period } from '../reports/period.js';
import type { CampaignReport } from './campaign-card.js';
import type { CohortReport } from './cohort-report.js';
import type { PathsReport } from './paths-report.js';

type Json = Record<string, unknown>;

/** A report as JSON: the body (without rows), the rows, and the rows a CSV answer lists. */
export interface ReportJson {
  body: Json;
  rows: Json[];
  csvRows: Json[];
}

const periodJson = (p: Period): Json => ({ from: p.from, to: p.to, label: p.label });

export function campaignsJson(r: CampaignReport): ReportJson {
  const rows = r.rows.map((c) => ({
    key: c.key,
    label: c.label,
    goal: c.goal,
    from: c.from,
    to: c.to,
    target: c.target,
    conversions: c.credited[r.model],
    value: c.revenue[r.model],
    joins: c.joins,
    joins_by_platform: c.joinsByPlatform,
    retained_d7: c.retainedD7.share,
    retained_d7_people: c.retainedD7.people,
    retained_d30: c.retainedD30.share,
    retained_d30_people: c.retainedD30.people,
    ...(c.retainedTarget ? { retained_target: c.retainedTarget.share, retained_target_people: c.retainedTarget.people } : {}),
    engaged: c.engaged,
    clicked: c.clicked,
    converted: c.converted,
    median_days_to_convert: c.medianDaysToConvert,
    credited: c.credited,
    revenue: c.revenue,
    spend: c.spend,
    cost_per_join: c.costPerJoin,
    cac: c.cac,
    roas: c.roas,
    headline: c.headline,
    target_met: c.targetMet,
  }));
  const t = r.totals;
  return {
    body: {
      period: periodJson(r.period),
      currency: r.currency,
      model: r.model,
      totals: { conversions: t.conversions, value: t.value, matched: t.matched, unattributed: t.unattributed.conversions, unattributed_value: t.unattributed.value, match_rate: t.matchRate },
      notes: r.notes,
    },
    rows,
    csvRows: rows,
  };
}

export function cohortsJson(r: CohortReport): ReportJson {
  const rows = r.rows.map((c) => ({ key: c.key, label: c.label, joined: c.joined, weeks: c.weeks.map((w) => ({ week: w.week, member: w.member, active: w.active, people: w.people })) }));
  const csvRows = r.rows.map((c) => {
    const out: Json = { key: c.key, label: c.label, joined: c.joined };
    for (const w of c.weeks) {
      out[`week_${w.week}.member`] = w.member;
      out[`week_${w.week}.active`] = w.active;
      out[`week_${w.week}.people`] = w.people;
    }
    return out;
  });
  return { body: { period: periodJson(r.period), by: r.by, totals: { joined: r.rows.reduce((s, c) => s + c.joined, 0) }, notes: r.notes }, rows, csvRows };
}

export function pathsJson(r: PathsReport): ReportJson {
  const rows = r.rows.map((x) => ({ key: x.key, label: x.label, assists: x.assists, last_touch: x.lastTouch, assist_ratio: x.assistRatio, sensitivity: x.sensitivity }));
  return {
    body: {
      period: periodJson(r.period),
      by: r.by,
      totals: { conversions: r.conversions },
      timeLag: r.timeLag,
      pathLength: r.pathLength,
      topPaths: r.topPaths.map((p) => ({ steps: p.steps, labels: p.labels, conversions: p.conversions, value: p.value })),
      currencies: r.currencies,
      notes: r.notes,
    },
    rows,
    csvRows: rows,
  };
}
