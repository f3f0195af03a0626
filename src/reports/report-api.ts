/**
 * Reports over HTTP for integrators and BI tools, framework-neutral: a request (report
 * name, query, headers) in, a response (status, headers, body) out. The HTTP server adapts
 * it to its routing (`GET /v1/reports/<name>`). It calls the same report functions as the
 * bot commands and the CLI (`ReportsApi`), with the same parameters as the commands.
 *
 * `GET /v1/reports/<name>?workspace=W&period=P[&by=D][&model=M][&group=…][&campaign=…][&member=…][&format=csv]`
 * - names: `attribution`, `models`, `funnel`, `groupstats`, `journey`, `export`, `lift`, `hints`,
 *   `readiness` (these three from `src/optimize`; `readiness` takes no period), `referrals`
 *   (one row per inviter: `key` profile id, `label`, `invitees`, `converted`, `revenue`, `second_degree`).
 * - Authorization: `Bearer <key>`, a key listed in the workspace's `apiKeys`. No key or an
 *   unknown key: 401; a key of another workspace (or of none named `W`): 403. Keys are
 *   compared in constant time (as SHA-256 digests). Refusals carry no figures.
 * - Bad parameters: 400 with one reason per field (`errors: [{ field, message }]`).
 * - JSON: `{ report, workspace, period: {from, to, label}, totals: {conversions, value,
 *   matched, unattributed, …}, rows: [{key, label, conversions, value, …}], … }`; funnel
 *   rows add `joined`, `engaged`, `clicked`, `converted` (distinct people) and one row keyed
 *   `all`. `format=csv` (and `export`, which is CSV only): `text/csv; charset=utf-8` with a
 *   BOM and one header row, cells defused as the export's (`csvCell`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ReportError } from './attribution-report.js';
import { csvCell } from './export-credits.js';
import type { Lang } from '../i18n/language.js';
import type { Period } from './period.js';
import { exportFileName, memberLabel, rowLabel } from './report-labels.js';
import { matchGroups, parseDimension, parseLang, parseModel, parseReportPeriod, ReportParamError, type NamedGroup } from './report-params.js';
import type { AttributionReport, FunnelRow, ReportDimension, ReportsApi } from './report-types.js';

/** The reports the API answers. */
export const REPORT_API_NAMES = ['attribution', 'models', 'funnel', 'groupstats', 'journey', 'export', 'lift', 'hints', 'readiness', 'referrals'] as const;
export type ReportApiName = (typeof REPORT_API_NAMES)[number];

export interface ReportApiRequest {
  /** The report's name (the last path segment). */
  name: string;
  query: URLSearchParams;
  /** Request headers, names in lower case (as node:http gives them). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The workspace the caller was already let into by other means (a dashboard session or
   * Mini App launch data, checked by the HTTP layer); no API key is then needed for it.
   */
  authorizedWorkspace?: string;
}

export interface ReportApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the API needs of a workspace's configuration. */
export interface ReportApiWorkspace {
  id: string;
  timezone?: string;
  apiKeys?: readonly string[];
}

/**
 * A report another module answers under `/v1/reports/<name>` (campaigns, cohorts, paths, …),
 * with the same keys, refusals, `format=csv` and error shapes as the built-in ones.
 */
export interface ExtraReport {
  /** Parameters it takes besides `workspace` and `format`. */
  params: readonly string[];
  /**
   * Computes the answer: the body (without `rows`), its rows, and the rows a CSV lists (default
   * `rows`); or one reason per bad parameter. Throw a {@link ReportParamError} for one bad field.
   */
  run(req: { workspace: string; query: ReadonlyMap<string, string>; timeZone: string; now: Date }): Promise<{ body: Record<string, unknown>; rows: Array<Record<string, unknown>>; csvRows?: Array<Record<string, unknown>> } | { errors: Array<{ field: string; message: string }> }>;
}

export interface ReportApiOptions {
  reports: ReportsApi;
  /** More reports by name (see {@link ExtraReport}). */
  extra?: Readonly<Record<string, ExtraReport>>;
  /** The configured workspaces (their `apiKeys` and time zones). */
  workspaces: readonly ReportApiWorkspace[];
  /** A workspace's registered groups (`group=` by id or title, and the rows of `groupstats`). */
  groups: (workspace: string) => Promise<readonly NamedGroup[]>;
  now?: () => Date;
}

/** Parameters each report takes besides `workspace` and `format`. */
const PARAMS: Record<ReportApiName, readonly string[]> = {
  attribution: ['period', 'by', 'model', 'group', 'campaign'],
  models: ['period', 'by', 'model', 'group', 'campaign'],
  funnel: ['period', 'by', 'group', 'campaign'],
  groupstats: ['period', 'group', 'model'],
  journey: ['member', 'period'],
  export: ['period'],
  lift: ['period'],
  hints: ['period', 'lang'],
  readiness: ['lang'],
  referrals: ['period', 'model', 'group'],
};

type Json = Record<string, unknown>;
type FieldError = { field: string; message: string };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): ReportApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

function bearerOf(headers: ReportApiRequest['headers']): string | null {
  const h = headers.authorization;
  const value = Array.isArray(h) ? h[0] : h;
  const m = /^Bearer[ \t]+([\x21-\x7e]{1,1024})[ \t]*$/i.exec(value ?? '');
  return m?.[1] ?? null;
}

/** The workspace whose key this is, comparing every configured key in constant time. */
function ownerOfKey(keys: ReadonlyArray<{ workspace: string; digest: Buffer }>, key: string): string | null {
  const d = digest(key);
  let owner: string | null = null;
  for (const k of keys) {
    // No early exit: the time taken does not depend on which key (if any) matched.
    if (timingSafeEqual(d, k.digest) && owner === null) owner = k.workspace;
  }
  return owner;
}

/**
 * The API-key check of the report API, for other routes that take the same keys (e.g.
 * `PUT /v1/spend`): the workspace a request may act on, or the refusal to send (401 / 403).
 */
export function createApiKeyCheck(workspaces: readonly ReportApiWorkspace[]): (headers: ReportApiRequest['headers'], workspace: string | undefined) => { workspace: string } | ReportApiResponse {
  const keys = workspaces.flatMap((w) => (w.apiKeys ?? []).map((k) => ({ workspace: w.id, digest: digest(k) })));
  return (headers, workspace) => {
    const key = bearerOf(headers);
    const owner = key === null ? null : ownerOfKey(keys, key);
    if (owner === null) {
      return json(401, { error: 'unauthorized', message: key === null ? 'send the workspace’s API key as Authorization: Bearer <key>' : 'unknown API key' }, { 'www-authenticate': 'Bearer realm="midfunnel reports"' });
    }
    if (workspace === undefined || workspace === '') return json(400, { error: 'bad_request', errors: [{ field: 'workspace', message: 'required: the workspace id' }] });
    if (workspace !== owner || !workspaces.some((w) => w.id === workspace)) return json(403, { error: 'forbidden', message: 'this API key does not read that workspace' });
    return { workspace };
  };
}

/** Rows of a table as CSV: the union of their (flattened) fields as one header row, a BOM first. */
export function rowsToCsv(rows: readonly Json[]): string {
  const flat = rows.map((r) => flatten(r));
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of flat) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
    }
  }
  const lines = [columns.map(csvCell).join(','), ...flat.map((r) => columns.map((c) => csvCell(r[c] as string | number | boolean | null | undefined)).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** `{a: {b: 1}, c: [x, y]}` → `{'a.b': 1, c: 'x | y'}`. */
function flatten(value: Json, prefix = '', out: Json = {}): Json {
  for (const [k, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Json, name, out);
    else if (Array.isArray(v)) out[name] = v.map(String).join(' | ');
    else out[name] = v;
  }
  return out;
}

function totalsOf(t: AttributionReport['totals']): Json {
  return {
    conversions: t.conversions,
    value: t.value,
    matched: t.matched,
    unattributed: t.unattributed.conversions,
    unattributed_value: t.unattributed.value,
    match_rate: t.matchRate,
    low_confidence: t.lowConfidence,
    ...(t.pending !== undefined ? { pending: t.pending } : {}),
  };
}

function funnelRow(by: string, r: FunnelRow, key = r.key, label = rowLabel(by, r)): Json {
  return {
    key,
    label,
    conversions: r.converted,
    value: r.value,
    joined: r.joined,
    engaged: r.engaged,
    clicked: r.clicked,
    converted: r.converted,
    engaged_rate: r.engagedRate,
    clicked_rate: r.clickedRate,
    converted_rate: r.convertedRate,
    median_days_to_convert: r.medianDaysToConvert,
  };
}

const periodJson = (p: Period): Json => ({ from: p.from, to: p.to, label: p.label });

/** The report API handler. */
export function createReportApi(options: ReportApiOptions): (req: ReportApiRequest) => Promise<ReportApiResponse> {
  const { reports } = options;
  const now = options.now ?? (() => new Date());
  const keys = options.workspaces.flatMap((w) => (w.apiKeys ?? []).map((k) => ({ workspace: w.id, digest: digest(k) })));
  const settingsOf = (id: string): ReportApiWorkspace | undefined => options.workspaces.find((w) => w.id === id);

  const answerExtra = async (name: string, extra: ExtraReport, workspace: string, q: Map<string, string>, errors: FieldError[]): Promise<ReportApiResponse> => {
    const allowed = new Set(['workspace', 'format', ...extra.params]);
    for (const k of q.keys()) if (!allowed.has(k)) errors.push({ field: k, message: `unknown parameter; ${name} takes ${[...allowed].join(', ')}` });
    const format = q.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') errors.push({ field: 'format', message: 'format= must be json or csv' });
    if (errors.length > 0) return json(400, { error: 'bad_request', errors });
    let out: Awaited<ReturnType<ExtraReport['run']>>;
    try {
      out = await extra.run({ workspace, query: q, timeZone: settingsOf(workspace)?.timezone ?? 'UTC', now: now() });
    } catch (err) {
      if (err instanceof ReportParamError) return json(400, { error: 'bad_request', errors: [{ field: err.field, message: err.message }] });
      throw err;
    }
    if ('errors' in out) return json(400, { error: 'bad_request', errors: out.errors });
    if (format === 'csv') {
      return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${name}-${workspace}.csv"` }, body: rowsToCsv(out.csvRows ?? out.rows) };
    }
    return json(200, { report: name, workspace, ...out.body, rows: out.rows });
  };

  return async (req) => {
    const key = req.authorizedWorkspace !== undefined ? null : bearerOf(req.headers);
    const owner = req.authorizedWorkspace ?? (key === null ? null : ownerOfKey(keys, key));
    if (owner === null) {
      return json(401, { error: 'unauthorized', message: key === null ? 'send the workspace’s API key as Authorization: Bearer <key>' : 'unknown API key' }, { 'www-authenticate': 'Bearer realm="midfunnel reports"' });
    }
    const errors: FieldError[] = [];
    const q = new Map<string, string>();
    for (const [k, v] of req.query) {
      if (q.has(k)) errors.push({ field: k, message: 'given more than once' });
      q.set(k, v);
    }
    // Dashboard credentials (Mini App launch data, a session) name exactly one workspace: for
    // them `workspace=` may be left out. An API key always names it.
    if (req.authorizedWorkspace !== undefined && !q.has('workspace')) q.set('workspace', req.authorizedWorkspace);
    const workspace = q.get('workspace');
    if (workspace === undefined || workspace === '') return json(400, { error: 'bad_request', errors: [{ field: 'workspace', message: 'required: the workspace id' }] });
    if (workspace !== owner || !settingsOf(workspace)) return json(403, { error: 'forbidden', message: 'this API key does not read that workspace' });
    const extra = Object.hasOwn(options.extra ?? {}, req.name) ? options.extra?.[req.name] : undefined;
    if (extra) return answerExtra(req.name, extra, workspace, q, errors);
    if (!(REPORT_API_NAMES as readonly string[]).includes(req.name)) {
      return json(404, { error: 'not_found', message: `no report '${req.name.slice(0, 40)}'; reports: ${[...REPORT_API_NAMES, ...Object.keys(options.extra ?? {})].join(', ')}` });
    }
    const name = req.name as ReportApiName;
    const allowed = new Set(['workspace', 'format', ...PARAMS[name]]);
    for (const k of q.keys()) if (!allowed.has(k)) errors.push({ field: k, message: `unknown parameter; ${name} takes ${[...allowed].join(', ')}` });
    const field = <T>(f: () => T): T | undefined => {
      try {
        return f();
      } catch (err) {
        if (err instanceof ReportParamError) {
          errors.push({ field: err.field, message: err.message });
          return undefined;
        }
        throw err;
      }
    };
    const format = q.get('format') ?? (name === 'export' ? 'csv' : 'json');
    if (format !== 'json' && format !== 'csv') errors.push({ field: 'format', message: 'format= must be json or csv' });
    else if (name === 'export' && format !== 'csv') errors.push({ field: 'format', message: 'export is CSV only (format=csv)' });
    const tz = settingsOf(workspace)?.timezone ?? 'UTC';
    const at = now();
    const periodParam = q.get('period');
    const period = (name === 'journey' && periodParam === undefined) || name === 'readiness' ? undefined : field(() => parseReportPeriod(periodParam, at, tz));
    const wantsDimension = name === 'attribution' || name === 'models' || name === 'funnel';
    const campaign = q.get('campaign');
    const groupName = q.get('group');
    const byParam = q.get('by') ?? (campaign !== undefined && name !== 'groupstats' ? 'campaign' : undefined);
    const by = wantsDimension ? field(() => (name === 'funnel' ? parseDimension(byParam, ['group', 'campaign'] as const) : parseDimension(byParam))) : undefined;
    const model = field(() => parseModel(q.get('model')));
    const lang = field(() => parseLang(q.get('lang')));
    if (groupName !== undefined && by !== undefined && by !== 'group') errors.push({ field: 'group', message: 'group= goes with by=group' });
    if (campaign !== undefined && by !== undefined && by !== 'campaign') errors.push({ field: 'campaign', message: 'campaign= goes with by=campaign' });
    let group: NamedGroup | undefined;
    if (groupName !== undefined && errors.length === 0) {
      const found = matchGroups(await options.groups(workspace), groupName);
      if (found.length === 1) group = found[0];
      else errors.push({ field: 'group', message: found.length === 0 ? 'no group has this id or title' : `several groups match: ${found.slice(0, 5).map((g) => g.chatId).join(', ')}; use the id` });
    }
    const member = q.get('member');
    if (name === 'journey' && (member === undefined || member.trim() === '')) errors.push({ field: 'member', message: 'required: @username, Telegram user id or profile id' });
    if (errors.length > 0) return json(400, { error: 'bad_request', errors });

    const answer = (body: Json, rows: Json[]): ReportApiResponse => {
      if (format === 'csv') {
        return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${name}-${workspace}.csv"` }, body: rowsToCsv(rows) };
      }
      return json(200, { report: name, workspace, ...body, rows });
    };
    const filterKey = group?.chatId ?? campaign;
    const keep = (row: { key: string }): boolean => filterKey === undefined || row.key === filterKey;

    try {
      switch (name) {
        case 'attribution': {
          const r = await reports.attribution(workspace, { period: period as Period, by: by as ReportDimension, model: model as string });
          const rows = r.rows.filter(keep).map((row) => ({
            key: row.key,
            label: rowLabel(r.by, row),
            conversions: row.credited.conversions,
            value: row.credited.value,
            last_touch: { conversions: row.lastTouch.conversions, value: row.lastTouch.value },
            difference: { conversions: row.difference.conversions, value: row.difference.value },
            ...(row.credited.byCurrency ? { value_by_currency: row.credited.byCurrency } : {}),
          }));
          return answer({ period: periodJson(r.period), by: r.by, model: r.model, totals: totalsOf(r.totals), currencies: r.currencies, notes: r.notes ?? [] }, rows);
        }
        case 'models': {
          const r = await reports.compareModels(workspace, { period: period as Period, by: by as ReportDimension });
          const rows = r.rows.filter(keep).map((row) => ({
            key: row.key,
            label: rowLabel(r.by, row),
            conversions: row.byModel[model as string]?.conversions ?? 0,
            value: row.byModel[model as string]?.value ?? 0,
            by_model: Object.fromEntries(r.models.map((m) => [m, { conversions: row.byModel[m]?.conversions ?? 0, value: row.byModel[m]?.value ?? 0 }])),
          }));
          return answer({ period: periodJson(r.period), by: r.by, model, models: r.models, totals: totalsOf(r.totals), notes: r.notes ?? [] }, rows);
        }
        case 'funnel': {
          const fby = by as 'group' | 'campaign';
          const [f, t] = await Promise.all([
            reports.funnel(workspace, { period: period as Period, by: fby, ...(filterKey !== undefined ? { key: filterKey } : {}) }),
            reports.attribution(workspace, { period: period as Period, by: 'platform', model: 'last_touch' }),
          ]);
          // The report's own `all` row counts every person once, whatever cohorts they are in.
          const rows = f.rows.map((r) => (r.key === 'all' ? funnelRow(fby, r, 'all', `all ${fby}s`) : funnelRow(fby, r)));
          const notes: string[] = [...(f.notes ?? [])];
          return answer({ period: periodJson(f.period), by: fby, totals: totalsOf(f.totals ?? t.totals), notes }, rows);
        }
        case 'groupstats': {
          const p = period as Period;
          const groups = group ? [group] : [...(await options.groups(workspace))];
          const [scope, credited] = await Promise.all([
            reports.groupStats(workspace, { period: p, ...(group ? { chatId: group.chatId } : {}) }),
            reports.attribution(workspace, { period: p, by: 'group', model: model as string }),
          ]);
          const creditOf = new Map(credited.rows.map((r) => [r.key, r.credited]));
          const statRow = (key: string, label: string, g: typeof scope): Json => {
            const sum = (k: 'messages' | 'keywordHits' | 'joins' | 'leaves'): number => g.days.reduce((s, d) => s + d[k], 0);
            const c = key === 'all' ? { conversions: credited.rows.reduce((s, r) => s + r.credited.conversions, 0), value: credited.rows.reduce((s, r) => s + r.credited.value, 0) } : creditOf.get(key);
            return {
              key,
              label,
              conversions: c?.conversions ?? 0,
              value: c?.value ?? 0,
              joins: sum('joins'),
              leaves: sum('leaves'),
              net: sum('joins') - sum('leaves'),
              active_members: g.activeMembers,
              messages: sum('messages'),
              keyword_hits: sum('keywordHits'),
            };
          };
          const rows: Json[] = [];
          for (const g of groups) rows.push(group ? statRow(g.chatId, g.title, scope) : statRow(g.chatId, g.title, await reports.groupStats(workspace, { period: p, chatId: g.chatId })));
          if (!group) rows.push(statRow('all', 'all groups', scope));
          return answer(
            {
              period: periodJson(scope.period),
              model,
              totals: totalsOf(credited.totals),
              days: scope.days.map((d) => ({ day: d.day, messages: d.messages, keyword_hits: d.keywordHits, joins: d.joins, leaves: d.leaves })),
              joins_by_campaign: scope.joinsByCampaign.map((c) => ({ key: c.campaign ?? '(none)', label: c.campaign ?? rowLabel('campaign', { key: '(none)', label: '(none)' }), joins: c.joins, leaves: c.leaves })),
              top_keywords: scope.topKeywords,
            },
            rows,
          );
        }
        case 'journey': {
          const j = await reports.journey(workspace, member as string);
          if (!j) return json(404, { error: 'not_found', message: 'no member by that @username, user id or profile id in this workspace' });
          const inPeriod = (iso: string): boolean => period === undefined || (iso >= period.from && iso < period.to);
          type Line = { at: string; row: Json };
          const lines: Line[] = [
            ...j.touches.map((t, i) => ({
              at: t.at,
              row: {
                key: `touch-${i + 1 + (j.touchesOmitted ?? 0)}`,
                label: [t.kind, t.chatTitle ?? (t.platform === 'web' ? '' : t.chatId)].filter(Boolean).join(' · '),
                at: t.at,
                kind: t.kind,
                platform: t.platform,
                group_id: t.chatId,
                group_title: t.chatTitle ?? null,
                campaign: t.campaign ?? null,
                keywords: t.keywords ?? [],
                conversions: 0,
                value: 0,
              },
            })),
            ...j.conversions.map((c) => ({ at: c.at, row: { key: c.id, label: 'conversion', at: c.at, kind: 'conversion', conversions: 1, value: c.value, currency: c.currency, rule: c.rule } })),
          ]
            .filter((l) => inPeriod(l.at))
            .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
          const convs = j.conversions.filter((c) => inPeriod(c.at));
          const matched = convs.filter((c) => c.rule !== 'unattributed').length;
          const shownPeriod = period ?? { from: lines[0]?.at ?? j.firstSeenAt ?? at.toISOString(), to: at.toISOString(), label: 'all' };
          return answer(
            {
              period: periodJson(shownPeriod),
              member: { profile_id: j.profileId, label: memberLabel(j), usernames: j.usernames, first_seen_at: j.firstSeenAt, touches_omitted: j.touchesOmitted ?? 0 },
              referrals: {
                brought_by: (j.referrals?.invitedBy ?? []).map((x) => ({ profile_id: x.profileId, label: x.label, kind: x.kind, at: x.at, group_id: x.chatId, left_at: x.leftAt })),
                brought: (j.referrals?.invited ?? []).map((x) => ({ profile_id: x.profileId, label: x.label, kind: x.kind, at: x.at, group_id: x.chatId, left_at: x.leftAt })),
              },
              totals: { conversions: convs.length, value: convs.reduce((s, c) => s + c.value, 0), matched, unattributed: convs.length - matched },
            },
            lines.map((l) => l.row),
          );
        }
        case 'lift':
        case 'hints':
        case 'readiness':
          return await optimizeAnswer(name, reports, workspace, period as Period, lang ?? 'en', answer);
        case 'referrals': {
          if (!reports.referrals) return json(404, { error: 'not_found', message: 'referral chains are not available on this installation' });
          const r = await reports.referrals(workspace, { period: period as Period, model: model as string, ...(group ? { chatId: group.chatId } : {}) });
          // One row per inviter (INTERFACES.md): key (profile id), label, invitees (counted), converted, revenue, second_degree.
          const rows = r.rows.map((row) => ({
            key: row.key,
            label: row.label,
            conversions: row.converted,
            value: row.revenue,
            invitees: row.invitees,
            converted: row.converted,
            revenue: row.revenue,
            second_degree: row.secondDegree,
            joined: row.joined,
            still_in_day7: row.stillInDay7,
            engaged: row.engaged,
            referral_credit: row.referralCredit,
            by_kind: row.byKind,
          }));
          return answer(
            {
              period: periodJson(r.period),
              model: r.model,
              min_days: r.minDays,
              ...(group ? { group: { id: group.chatId, title: group.title } } : {}),
              totals: totalsOf(r.totals),
              shares: { joined: r.shares.joined, referred_joined: r.shares.referredJoined, join_share: r.shares.joinShare, value: r.shares.value, referral_value: r.shares.referralValue, revenue_share: r.shares.revenueShare },
              k_factor: r.kFactor.map((k) => ({ campaign: k.campaign, members: k.members, invitees: k.invitees, k_factor: k.kFactor })),
              currencies: r.currencies,
              notes: r.notes,
            },
            rows,
          );
        }
        case 'export': {
          const csv = await reports.exportCredits(workspace, { period: period as Period });
          return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${exportFileName(workspace, period as Period, tz)}"` }, body: csv };
        }
      }
    } catch (err) {
      // The reports' own checks (kept in step with ours): a bad model or dimension.
      if (err instanceof ReportError) return json(400, { error: 'bad_request', errors: [{ field: /model/.test(err.message) ? 'model' : 'by', message: err.message }] });
      throw err;
    }
  };
}

/** The rows of `lift`, `hints` and `readiness` (see `src/optimize`; `lang=` words hints and readiness); 404 where the reports lack them. */
async function optimizeAnswer(name: 'lift' | 'hints' | 'readiness', reports: ReportsApi, workspace: string, period: Period, lang: Lang, answer: (body: Json, rows: Json[]) => ReportApiResponse): Promise<ReportApiResponse> {
  const missing = json(404, { error: 'not_found', message: `${name} is not available on this installation` });
  if (name === 'readiness') {
    if (!reports.readiness) return missing;
    const r = await reports.readiness(workspace, { lang });
    const rows = r.checks.map((c) => ({ key: c.key, label: c.label, status: c.status, fix: c.fix, check: c.check, scope: c.scope, subject: c.subject }));
    return answer({ period: { from: r.at, to: r.at, label: 'now' }, at: r.at, worst: r.worst }, rows);
  }
  const totals = (): Promise<AttributionReport> => reports.attribution(workspace, { period, by: 'platform', model: 'last_touch' });
  if (name === 'lift') {
    if (!reports.lift) return missing;
    const [r, t] = await Promise.all([reports.lift(workspace, { period }), totals()]);
    const rows = r.rows.map((x) => ({
      key: x.keyword,
      label: x.keyword,
      conversions: x.treatedConverted,
      treated: x.treated,
      controls: x.controls,
      treated_rate: x.treatedRate,
      control_rate: x.controlRate,
      lift: x.lift,
      lift_low: x.liftLow,
      lift_high: x.liftHigh,
      treated_converted: x.treatedConverted,
      controls_converted: x.controlsConverted,
      unmatched: x.unmatched,
    }));
    return answer({ period: periodJson(r.period), totals: totalsOf(t.totals), window_days: r.windowDays, min_group: r.minGroup, too_few: r.tooFew, notes: r.notes ?? [] }, rows);
  }
  if (!reports.hints) return missing;
  const [r, t] = await Promise.all([reports.hints(workspace, { period, lang }), totals()]);
  const rows = r.hints.map((h) => ({ key: h.key, label: h.label, rule: h.rule, subject: h.subject, n: h.n, confidence: h.confidence, confidence_note: h.confidenceNote, ...h.numbers }));
  return answer({ period: periodJson(r.period), totals: totalsOf(t.totals), conversions: r.conversions, notes: r.notes ?? [] }, rows);
}
