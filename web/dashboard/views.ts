/**
 * The views, each drawn from the report API for the shared period and model. A report this
 * server does not have shows "not available on this server"; one it has draws a chart and a
 * table. Figures carry `data-figure` names so they can be found.
 */
import { report, download, type Answer } from './api.js';
import { chart, colors } from './charts.js';
import { h, replace } from './dom.js';
import { currencyOf, fmt, periodParam, type State } from './state.js';
import { modelName, tr, type Key } from './strings.js';

type Json = Record<string, unknown>;
type Row = Json & { key?: string; label?: string };

export interface ReportBody extends Json {
  period?: { from: string; to: string; label?: string };
  totals?: { conversions: number; value: number; matched: number; unattributed: number; match_rate?: number };
  rows?: Row[];
  currencies?: string[];
}

export const VIEWS = ['overview', 'attribution', 'campaigns', 'funnel', 'cohorts', 'paths', 'referrals', 'journey', 'export'] as const;
export type ViewName = (typeof VIEWS)[number];
export const DIMENSIONS = ['group', 'campaign', 'keyword', 'link', 'platform', 'referrer'] as const;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function base(s: State): Record<string, string> {
  return { workspace: s.me.workspace, period: periodParam(s, s.me.today) };
}

function section(title: string, ...children: Array<Node | string | null>): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

function notice(s: State, a: Answer<unknown>): HTMLElement {
  if (!a.ok && a.notAvailable) return h('p', { class: 'notice', 'data-state': 'not-available' }, tr(s.lang, 'not-available'));
  if (!a.ok) return h('p', { class: 'notice error', 'data-state': 'error' }, tr(s.lang, 'error', { message: a.message ?? String(a.status) }));
  return h('p', { class: 'notice' }, '');
}

const empty = (s: State): HTMLElement => h('p', { class: 'notice', 'data-state': 'empty' }, tr(s.lang, 'no-data'));

/** A table: `columns` as [header, cell of a row, numeric?]. */
function table<R>(columns: ReadonlyArray<[string, (r: R) => string | Node, boolean?]>, rows: readonly R[], attrs: Record<string, string> = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h('thead', {}, h('tr', {}, ...columns.map(([title, , n]) => h('th', { class: n ? 'num' : '' }, title)))),
      h('tbody', {}, ...rows.map((r) => h('tr', { 'data-key': str((r as Row).key) }, ...columns.map(([, cell, n]) => h('td', { class: n ? 'num' : '' }, cell(r)))))),
    ),
  );
}

function figure(name: string, title: string, value: string, raw: number | string): HTMLElement {
  return h('div', { class: 'figure' }, h('span', { class: 'figure-title' }, title), h('strong', { 'data-figure': name, 'data-raw': String(raw) }, value));
}

async function overview(s: State, root: HTMLElement): Promise<void> {
  // Three sections, each drawn as its report comes: the figures are asked for first and do
  // not wait for readiness (which asks Telegram) or the alerts.
  const figures = h('div', {});
  const ready = section(tr(s.lang, 'readiness'), h('p', { class: 'notice' }, tr(s.lang, 'loading')));
  const al = section(tr(s.lang, 'alerts'), h('p', { class: 'notice' }, tr(s.lang, 'loading')));
  root.append(figures, ready, al);
  const fill = (box: HTMLElement, ...children: Node[]): void => {
    box.querySelector(':scope > p.notice')?.remove();
    box.append(...children);
  };
  // The figures first, alone (the server answers them before it spends time on the others).
  const attr = await report<ReportBody>('attribution', { ...base(s), model: s.model, by: 'group' });
  if (!attr.ok) fill(figures, notice(s, attr));
  else {
    const t = attr.data.totals ?? { conversions: 0, value: 0, matched: 0, unattributed: 0 };
    const cur = currencyOf(s, attr.data.currencies);
    const rate = t.match_rate ?? (t.conversions > 0 ? t.matched / t.conversions : 0);
    fill(
      figures,
      h(
        'section',
        { class: 'figures', 'data-period-from': str(attr.data.period?.from), 'data-period-to': str(attr.data.period?.to) },
        figure('conversions', tr(s.lang, 'conversions'), fmt.n(s, t.conversions), t.conversions),
        figure('value', tr(s.lang, 'value'), fmt.money(s, t.value, cur), t.value),
        figure('match-rate', tr(s.lang, 'match-rate'), fmt.pct(s, rate), rate),
        figure('unattributed', tr(s.lang, 'unattributed'), fmt.n(s, t.unattributed), t.unattributed),
      ),
    );
  }
  await Promise.all([
    // Readiness is about the workspace now: it takes no period.
    report<ReportBody>('readiness', { workspace: s.me.workspace, lang: s.lang }).then((readiness) => {
      if (!readiness.ok) return fill(ready, notice(s, readiness));
      const rows = readiness.data.rows ?? [];
      const order = ['red', 'amber', 'green'];
      const worst = rows.map((r) => str(r.status)).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] ?? 'green';
      fill(
        ready,
        h('p', { class: `status status-${worst}`, 'data-figure': 'readiness' }, tr(s.lang, `readiness.${worst}` as Key)),
        h('ul', { class: 'readiness' }, ...rows.map((r) => h('li', { class: `status-${str(r.status)}` }, h('b', {}, str(r.label)), r.fix ? ` — ${str(r.fix)}` : ''))),
      );
    }),
    report<ReportBody>('alerts', { workspace: s.me.workspace, period: '7d', lang: s.lang }).then((alerts) => {
      if (!alerts.ok) return fill(al, notice(s, alerts));
      const rows = alerts.data.rows ?? [];
      fill(
        al,
        rows.length === 0
          ? h('p', { class: 'notice', 'data-state': 'empty' }, tr(s.lang, 'alerts.none'))
          : h('ul', { class: 'alerts', 'data-list': 'alerts' }, ...rows.map((r) => h('li', { 'data-key': str(r.key), 'data-kind': str(r.kind) }, h('span', { class: 'hint' }, fmt.day(s, str(r.day))), ' ', str(r.label)))),
      );
    }),
  ]);
}

async function attribution(s: State, root: HTMLElement, redraw: () => void): Promise<void> {
  const picker = h(
    'select',
    { 'aria-label': tr(s.lang, 'by'), 'data-control': 'by', onchange: (e: Event) => ((s.by = (e.target as HTMLSelectElement).value), redraw()) },
    ...DIMENSIONS.map((d) => h('option', { value: d, selected: d === s.by }, tr(s.lang, `dim.${d}` as Key))),
  );
  root.append(h('div', { class: 'toolbar' }, h('label', {}, `${tr(s.lang, 'by')} `, picker)));
  const a = await report<ReportBody>('attribution', { ...base(s), model: s.model, by: s.by });
  if (!a.ok) {
    root.append(a.status === 400 && /by=/.test(a.message ?? '') ? h('p', { class: 'notice', 'data-state': 'not-available' }, tr(s.lang, 'not-available')) : notice(s, a));
    return;
  }
  const rows = a.data.rows ?? [];
  if (rows.length === 0) {
    root.append(empty(s));
    return;
  }
  const cur = currencyOf(s, a.data.currencies);
  const useValue = (a.data.totals?.value ?? 0) > 0;
  const last = (r: Row): { conversions: number; value: number } => (r.last_touch as { conversions: number; value: number }) ?? { conversions: 0, value: 0 };
  const diff = (r: Row): { conversions: number; value: number } => (r.difference as { conversions: number; value: number }) ?? { conversions: 0, value: 0 };
  const top = [...rows].slice(0, 12).reverse();
  const box = section(tr(s.lang, useValue ? 'chart.credited-value' : 'chart.credited-conversions', { model: modelName(s.lang, s.model) }));
  root.append(box);
  chart(box, {
    tooltip: { trigger: 'axis' },
    legend: { data: [modelName(s.lang, s.model), tr(s.lang, 'col.last')], top: 0 },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    xAxis: { type: 'value', axisLabel: { color: colors.hint() } },
    yAxis: { type: 'category', data: top.map((r) => str(r.label)), axisLabel: { color: colors.text(), width: 110, overflow: 'truncate' } },
    series: [
      { name: modelName(s.lang, s.model), type: 'bar', data: top.map((r) => (useValue ? num(r.value) : num(r.conversions))) },
      { name: tr(s.lang, 'col.last'), type: 'bar', data: top.map((r) => (useValue ? last(r).value : last(r).conversions)) },
    ],
  });
  const signed = (v: number): string => (v > 0.005 ? `+${fmt.n(s, v)}` : fmt.n(s, v));
  root.append(
    table<Row>(
      [
        [tr(s.lang, `dim.${s.by}` as Key), (r) => str(r.label)],
        [tr(s.lang, 'conversions'), (r) => fmt.n(s, num(r.conversions)), true],
        [tr(s.lang, 'value'), (r) => fmt.money(s, num(r.value), cur), true],
        [`${tr(s.lang, 'col.last')}`, (r) => fmt.n(s, last(r).conversions), true],
        [tr(s.lang, 'col.diff'), (r) => signed(diff(r).conversions), true],
        [`${tr(s.lang, 'value')} ${tr(s.lang, 'col.diff')}`, (r) => signed(diff(r).value), true],
      ],
      rows,
      { 'data-table': 'attribution' },
    ),
  );
  // What last click undervalues, when this server has hints.
  const hints = await report<ReportBody>('hints', { ...base(s), lang: s.lang });
  const box2 = section(tr(s.lang, 'hints'));
  if (hints.ok) {
    const rows2 = hints.data.rows ?? [];
    box2.append(rows2.length === 0 ? empty(s) : h('ul', { class: 'alerts', 'data-list': 'hints' }, ...rows2.map((r) => h('li', { 'data-key': str(r.key) }, h('b', {}, str(r.label)), r.confidence_note ? ` — ${str(r.confidence_note)}` : ''))));
  } else box2.append(notice(s, hints));
  root.append(box2);
}

type PerModel = Record<string, number | null> | number | null | undefined;
const perModel = (v: PerModel, model: string): number | null => (typeof v === 'number' ? v : v && typeof v === 'object' ? (v[model] ?? null) : null);

async function campaigns(s: State, root: HTMLElement): Promise<void> {
  const a = await report<ReportBody>('campaigns', { ...base(s), model: s.model });
  if (!a.ok) return void root.append(notice(s, a));
  const rows = a.data.rows ?? [];
  if (rows.length === 0) return void root.append(empty(s));
  const cur = currencyOf(s, a.data.currencies);
  const keys = ['revenue', 'roas', 'cac', 'joins', 'spend'] as const;
  let sortBy: (typeof keys)[number] = 'revenue';
  const list = h('div', { class: 'cards', 'data-list': 'campaigns' });
  const metric = (r: Row, k: (typeof keys)[number]): number => (k === 'joins' ? num(r.joins) : k === 'spend' ? num(r.spend) : (perModel(r[k] as PerModel, s.model) ?? -Infinity));
  const draw = (): void => {
    const sorted = [...rows].sort((x, y) => (sortBy === 'cac' ? metric(x, sortBy) - metric(y, sortBy) : metric(y, sortBy) - metric(x, sortBy)));
    replace(
      list,
      ...sorted.map((r) => {
        const roas = perModel(r.roas as PerModel, s.model);
        const cac = perModel(r.cac as PerModel, s.model);
        return h(
          'article',
          { class: 'card campaign', 'data-key': str(r.key) },
          h('h3', {}, str(r.label)),
          // The headline names the goal (or says it is not set); the bare goal only when there is no headline.
          h('p', { class: 'hint' }, r.headline ? str(r.headline) : `${tr(s.lang, 'campaign.goal')}: ${str(r.goal)}`),
          h(
            'dl',
            {},
            h('dt', {}, tr(s.lang, 'campaign.joins')),
            h('dd', {}, fmt.n(s, num(r.joins))),
            h('dt', {}, tr(s.lang, 'campaign.spend')),
            h('dd', {}, r.spend === null || r.spend === undefined ? tr(s.lang, 'campaign.no-spend') : fmt.money(s, num(r.spend), cur)),
            h('dt', {}, tr(s.lang, 'campaign.revenue')),
            h('dd', { 'data-figure': 'revenue' }, fmt.money(s, perModel(r.revenue as PerModel, s.model) ?? 0, cur)),
            h('dt', {}, tr(s.lang, 'campaign.cac')),
            h('dd', {}, cac === null ? '–' : fmt.money(s, cac, cur)),
            h('dt', {}, tr(s.lang, 'campaign.roas')),
            h('dd', {}, roas === null ? '–' : `${fmt.n(s, roas, 2)}×`),
          ),
        );
      }),
    );
  };
  root.append(
    h(
      'div',
      { class: 'toolbar' },
      h('label', {}, `${tr(s.lang, 'sort')} `, h('select', { 'data-control': 'sort', onchange: (e: Event) => ((sortBy = (e.target as HTMLSelectElement).value as typeof sortBy), draw()) }, ...keys.map((k) => h('option', { value: k }, tr(s.lang, `campaign.${k}` as Key))))),
    ),
    list,
  );
  draw();
}

async function funnel(s: State, root: HTMLElement): Promise<void> {
  const a = await report<ReportBody>('funnel', { ...base(s), by: 'group' });
  if (!a.ok) return void root.append(notice(s, a));
  const rows = a.data.rows ?? [];
  const all = rows.find((r) => r.key === 'all');
  if (!all || num(all.joined) === 0) return void root.append(empty(s));
  const steps = ['joined', 'engaged', 'clicked', 'converted'] as const;
  const box = section(tr(s.lang, 'funnel.all'));
  root.append(box);
  chart(box, {
    tooltip: { trigger: 'item' },
    series: [{ type: 'funnel', sort: 'none', left: '10%', width: '80%', label: { color: '#fff', formatter: '{b}: {c}' }, data: steps.map((k) => ({ name: tr(s.lang, `funnel.${k}` as Key), value: num(all[k]) })) }],
  });
  root.append(
    table<Row>(
      [
        [tr(s.lang, 'dim.group'), (r) => (r.key === 'all' ? tr(s.lang, 'funnel.all') : str(r.label))],
        ...steps.map((k) => [tr(s.lang, `funnel.${k}` as Key), (r: Row) => fmt.n(s, num(r[k]), 0), true] as [string, (r: Row) => string, boolean]),
        [tr(s.lang, 'value'), (r) => fmt.money(s, num(r.value), currencyOf(s, a.data.currencies)), true],
      ],
      rows,
      { 'data-table': 'funnel' },
    ),
  );
}

async function cohorts(s: State, root: HTMLElement): Promise<void> {
  const a = await report<ReportBody>('cohorts', { ...base(s) });
  if (!a.ok) return void root.append(notice(s, a));
  const rows = (a.data.rows ?? []) as Array<Row & { joined?: number; weeks?: Array<{ week: number; member: number; active: number }> }>;
  if (rows.length === 0) return void root.append(empty(s));
  const weeks = Math.max(1, ...rows.map((r) => (r.weeks ?? []).length));
  const data: Array<[number, number, number]> = [];
  rows.forEach((r, y) =>
    (r.weeks ?? []).forEach((w, x) => {
      const base = num(r.joined) || num(w.member);
      data.push([x, y, base > 0 ? Math.round((num(w.active) / base) * 1000) / 10 : 0]);
    }),
  );
  const box = section(tr(s.lang, 'cohorts.active'));
  root.append(box);
  chart(
    box,
    {
      tooltip: { position: 'top' },
      grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: 'category', data: Array.from({ length: weeks }, (_, i) => tr(s.lang, 'cohorts.week', { n: i })), splitArea: { show: true }, axisLabel: { color: colors.hint() } },
      yAxis: { type: 'category', data: rows.map((r) => `${str(r.label)} (${fmt.n(s, num(r.joined), 0)})`), axisLabel: { color: colors.text() } },
      visualMap: { min: 0, max: 100, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, textStyle: { color: colors.hint() }, inRange: { color: ['#eef5fb', colors.accent()] } },
      series: [{ type: 'heatmap', data, label: { show: true, formatter: (p: { value: [number, number, number] }) => `${p.value[2]}%` } }],
    },
    'chart tall',
  );
}

async function paths(s: State, root: HTMLElement): Promise<void> {
  const a = await report<ReportBody & { timeLag?: Row[]; pathLength?: Row[]; topPaths?: Row[] }>('paths', base(s));
  if (!a.ok) return void root.append(notice(s, a));
  const bars = (title: string, rows: Row[] | undefined): void => {
    const box = section(title);
    root.append(box);
    if (!rows || rows.length === 0) return void box.append(empty(s));
    chart(box, {
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: rows.map((r) => str(r.bucket)), axisLabel: { color: colors.hint() } },
      yAxis: { type: 'value', axisLabel: { color: colors.hint() } },
      series: [{ type: 'bar', data: rows.map((r) => num(r.conversions)) }],
    }, 'chart short');
  };
  bars(tr(s.lang, 'paths.time-lag'), a.data.timeLag);
  bars(tr(s.lang, 'paths.path-length'), a.data.pathLength);
  const top = a.data.topPaths ?? [];
  root.append(
    section(
      tr(s.lang, 'paths.top'),
      top.length === 0
        ? empty(s)
        : table<Row>(
            [
              [tr(s.lang, 'paths.steps'), (r) => (Array.isArray(r.steps) ? (r.steps as unknown[]).map(str).join(' → ') : str(r.steps))],
              [tr(s.lang, 'conversions'), (r) => fmt.n(s, num(r.conversions)), true],
              [tr(s.lang, 'value'), (r) => fmt.money(s, num(r.value)), true],
            ],
            top,
          ),
    ),
  );
  const rows = a.data.rows ?? [];
  root.append(
    section(
      tr(s.lang, 'paths.assists'),
      rows.length === 0
        ? empty(s)
        : table<Row>(
            [
              [tr(s.lang, 'col.label'), (r) => str(r.label)],
              [tr(s.lang, 'paths.assists'), (r) => fmt.n(s, num(r.assists)), true],
              [tr(s.lang, 'paths.last-touch'), (r) => fmt.n(s, num(r.last_touch)), true],
              // No last-touch credit: the ratio is undefined, not 0.
              [tr(s.lang, 'paths.assist-ratio'), (r) => (r.assist_ratio === null || r.assist_ratio === undefined ? '–' : fmt.n(s, num(r.assist_ratio), 2)), true],
            ],
            rows,
            { 'data-table': 'assists' },
          ),
    ),
  );
}

async function referrals(s: State, root: HTMLElement): Promise<void> {
  const a = await report<ReportBody>('referrals', { ...base(s), model: s.model });
  if (!a.ok) return void root.append(notice(s, a));
  const rows = a.data.rows ?? [];
  if (rows.length === 0) return void root.append(empty(s));
  root.append(
    table<Row>(
      [
        ['#', (r) => String(rows.indexOf(r) + 1), true],
        [tr(s.lang, 'col.label'), (r) => str(r.label)],
        [tr(s.lang, 'referrals.invitees'), (r) => fmt.n(s, num(r.invitees), 0), true],
        [tr(s.lang, 'referrals.converted'), (r) => fmt.n(s, num(r.converted), 0), true],
        [tr(s.lang, 'referrals.revenue'), (r) => fmt.money(s, num(r.revenue), currencyOf(s, a.data.currencies)), true],
        [tr(s.lang, 'referrals.second'), (r) => fmt.n(s, num(r.second_degree), 0), true],
      ],
      rows,
      { 'data-table': 'referrals' },
    ),
  );
}

function journey(s: State, root: HTMLElement): void {
  const input = h('input', { type: 'search', placeholder: tr(s.lang, 'journey.prompt'), 'aria-label': tr(s.lang, 'journey.prompt'), 'data-control': 'member', autocomplete: 'off' });
  const out = h('div', { class: 'journey' });
  const look = async (): Promise<void> => {
    const member = input.value.trim();
    if (!member) return;
    replace(out, h('p', { class: 'notice' }, tr(s.lang, 'loading')));
    const a = await report<ReportBody & { member?: Json }>('journey', { workspace: s.me.workspace, member });
    if (!a.ok) return void replace(out, a.status === 404 ? h('p', { class: 'notice', 'data-state': 'not-found' }, tr(s.lang, 'journey.not-found')) : notice(s, a));
    const m = a.data.member ?? {};
    const evidence = (m.evidence ?? m.identity_evidence ?? m.identifiers) as unknown;
    replace(
      out,
      h(
        'section',
        { class: 'card' },
        h('h2', { 'data-figure': 'member' }, str(m.label)),
        h('p', { class: 'hint' }, `${tr(s.lang, 'journey.first-seen')}: ${m.first_seen_at ? new Date(str(m.first_seen_at)).toLocaleString(s.lang === 'zh' ? 'zh-CN' : 'en-US', { timeZone: s.me.timezone }) : '–'}`),
        Array.isArray(m.usernames) && m.usernames.length > 0 ? h('p', {}, `${tr(s.lang, 'journey.usernames')}: ${(m.usernames as unknown[]).map((u) => `@${str(u)}`).join(', ')}`) : null,
        Array.isArray(evidence) && evidence.length > 0
          ? h('div', {}, h('h3', {}, tr(s.lang, 'journey.evidence')), h('ul', {}, ...evidence.map((e) => h('li', {}, typeof e === 'object' && e ? Object.values(e as Json).map(str).join(' · ') : str(e)))))
          : null,
      ),
      table<Row>(
        [
          [tr(s.lang, 'journey.when'), (r) => new Date(str(r.at)).toLocaleString(s.lang === 'zh' ? 'zh-CN' : 'en-US', { timeZone: s.me.timezone })],
          [tr(s.lang, 'journey.what'), (r) => str(r.label)],
          [tr(s.lang, 'value'), (r) => (num(r.conversions) > 0 ? fmt.money(s, num(r.value), str(r.currency) || null) : ''), true],
        ],
        a.data.rows ?? [],
        { 'data-table': 'journey' },
      ),
    );
  };
  root.append(
    h('form', { class: 'toolbar', onsubmit: (e: Event) => (e.preventDefault(), void look()) }, input, h('button', { type: 'submit' }, tr(s.lang, 'journey.find'))),
    out,
  );
}

function exportView(s: State, root: HTMLElement): void {
  const status = h('p', { class: 'notice' });
  const params = base(s);
  root.append(
    section(
      tr(s.lang, 'view.export'),
      h('p', {}, tr(s.lang, 'export.text')),
      h('p', { class: 'hint' }, `${tr(s.lang, 'range')}: ${params.period}`),
      h(
        'button',
        {
          type: 'button',
          'data-control': 'export',
          onclick: () =>
            void download('export', params, `midfunnel-${s.me.workspace}.csv`).then((ok) => {
              status.textContent = ok ? '' : tr(s.lang, 'export.failed');
            }),
        },
        tr(s.lang, 'export.button'),
      ),
      status,
    ),
  );
}

/** Draws view `name` into `root`. */
export async function drawView(name: ViewName, s: State, root: HTMLElement, redraw: () => void): Promise<void> {
  switch (name) {
    case 'overview':
      return overview(s, root);
    case 'attribution':
      return attribution(s, root, redraw);
    case 'campaigns':
      return campaigns(s, root);
    case 'funnel':
      return funnel(s, root);
    case 'cohorts':
      return cohorts(s, root);
    case 'paths':
      return paths(s, root);
    case 'referrals':
      return referrals(s, root);
    case 'journey':
      return journey(s, root);
    case 'export':
      return exportView(s, root);
  }
}

