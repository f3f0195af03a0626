/**
 * The dashboard page: signs in (Telegram launch data, or a one-time login link exchanged for
 * a session cookie, or an existing session), then draws the chosen view for the chosen
 * period and model. A refusal shows only the words "not allowed" / "没有权限" and why.
 */
import './styles.css';
import { languageOf, LANGUAGES, type Lang } from '../../src/i18n/language.js';
import { login, me, reportEarly, useInitData, type Me } from './api.js';
import { chartsReady, disposeCharts, preloadCharts, redrawCharts } from './charts.js';
import { h, replace } from './dom.js';
import { PRESETS, type RangePreset, type State } from './state.js';
import { modelName, tr, type Key } from './strings.js';
import { applyTheme, onTelegramEvent, postEvent, readLaunch, themeOf } from './telegram.js';
import { drawView, VIEWS, type ViewName } from './views.js';

const app = document.getElementById('app') as HTMLElement;
const LANG_KEY = 'midfunnel.lang';

function storedLang(): Lang | null {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return v === 'en' || v === 'zh' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Adds the CJK font's declarations (named by the page's `midfunnel:cjk-css` meta) once, after
 * the first view is drawn: setting up its ninety Unicode-range faces takes the browser a few
 * hundred milliseconds, and devices with a Chinese font of their own never need it.
 */
function addCjkFont(): void {
  const href = document.querySelector('meta[name="midfunnel:cjk-css"]')?.getAttribute('content');
  if (!href || document.querySelector('link[data-cjk]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.cjk = 'true';
  document.head.append(link);
}

function refused(lang: Lang, reason: string | undefined): void {
  const key = (['not-allowed', 'expired', 'used', 'rate-limited'].includes(reason ?? '') ? `refused.${reason}` : 'refused.other') as Key;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = tr(lang, 'refused.title');
  replace(app, h('section', { class: 'card refused', 'data-state': 'refused' }, h('h1', {}, tr(lang, 'refused.title')), h('p', {}, tr(lang, key))));
  addCjkFont();
}

async function boot(): Promise<void> {
  const launch = readLaunch(location.hash);
  applyTheme(launch.theme);
  const browserLang = languageOf(navigator.language);
  if (launch.initData) {
    useInitData(launch.initData);
    // The user may switch theme or night mode while the page is open: colours follow (CSS
    // variables), and the charts, which read them when drawn, are drawn again.
    onTelegramEvent((type, data) => {
      const theme = type === 'theme_changed' ? themeOf(data) : null;
      if (!theme) return;
      applyTheme(theme);
      redrawCharts();
    });
    postEvent('web_app_ready');
    postEvent('web_app_expand');
    postEvent('web_app_request_theme');
  }
  let linkLang: Lang | null = null;
  if (launch.loginToken) {
    // The token leaves the address bar at once: it works only once anyway.
    history.replaceState(null, '', location.pathname + location.search);
    const r = await login(launch.loginToken);
    if (!r.ok) return refused(storedLang() ?? browserLang, r.refused);
    linkLang = r.data.lang;
  }
  // The Overview's figures are asked for alongside who is signed in (see `reportEarly`).
  if (initialView() === 'overview') reportEarly('attribution', { period: FIRST_PRESET, model: FIRST_MODEL, by: 'group' });
  const who = await me();
  if (!who.ok) {
    const initLang = launch.initData ? languageOf(JSON.parse(new URLSearchParams(launch.initData).get('user') ?? '{}').language_code as string | undefined) : null;
    return refused(storedLang() ?? initLang ?? linkLang ?? browserLang, who.refused);
  }
  start(who.data, storedLang() ?? who.data.lang ?? linkLang ?? browserLang);
}

/** The range and model the page opens with. */
const FIRST_PRESET = '30d' satisfies RangePreset;
const FIRST_MODEL = 'linear';

/** The view the page opens with: `#view=<name>`, else the Overview. */
function initialView(): ViewName {
  const v = new URLSearchParams(location.hash.replace(/^#/, '')).get('view');
  return v && (VIEWS as readonly string[]).includes(v) ? (v as ViewName) : 'overview';
}

function start(m: Me, lang: Lang): void {
  const s: State = { me: m, lang, preset: FIRST_PRESET, from: shiftDay(m.today, -29), to: m.today, model: FIRST_MODEL, view: initialView(), by: 'group' };
  let drawing = 0;

  const redraw = (): void => {
    const id = ++drawing;
    disposeCharts();
    document.documentElement.lang = s.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${tr(s.lang, 'title')} · ${m.workspaceName}`;
    // The view draws into the page as its reports come (charts get their real size at once);
    // the loading line stays until every report of the view is in.
    const loading = h('p', { class: 'notice' }, tr(s.lang, 'loading'));
    const content = h('div', { class: 'view-content' });
    const body = h('div', { class: 'view', 'data-view': s.view, 'aria-busy': 'true' }, loading, content);
    replace(app, header(s, redraw), body);
    void drawView(s.view as ViewName, s, content, redraw)
      .then(() => chartsReady())
      .catch((err: unknown) => content.append(h('p', { class: 'notice error', 'data-state': 'error' }, tr(s.lang, 'error', { message: err instanceof Error ? err.message : String(err) }))))
      .finally(() => {
        if (id !== drawing) return;
        loading.remove();
        body.setAttribute('aria-busy', 'false');
        window.dispatchEvent(new Event('resize'));
        addCjkFont();
        preloadCharts();
      });
  };
  redraw();
}

function shiftDay(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function header(s: State, redraw: () => void): HTMLElement {
  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': tr(s.lang, 'title') },
    ...VIEWS.map((v) =>
      h('button', { type: 'button', class: v === s.view ? 'tab active' : 'tab', 'data-tab': v, 'aria-current': v === s.view ? 'page' : undefined, onclick: () => ((s.view = v), redraw()) }, tr(s.lang, `view.${v}` as Key)),
    ),
  );
  const preset = h(
    'select',
    { 'data-control': 'range', 'aria-label': tr(s.lang, 'range'), onchange: (e: Event) => ((s.preset = (e.target as HTMLSelectElement).value as RangePreset), redraw()) },
    ...PRESETS.map((p) => h('option', { value: p, selected: p === s.preset }, tr(s.lang, `range.${p}` as Key))),
  );
  const model = h(
    'select',
    { 'data-control': 'model', 'aria-label': tr(s.lang, 'model'), onchange: (e: Event) => ((s.model = (e.target as HTMLSelectElement).value), redraw()) },
    ...s.me.models.map((x) => h('option', { value: x, selected: x === s.model }, modelName(s.lang, x))),
  );
  const lang = h(
    'select',
    {
      'data-control': 'lang',
      'aria-label': tr(s.lang, 'language'),
      onchange: (e: Event) => {
        s.lang = (e.target as HTMLSelectElement).value as Lang;
        try {
          localStorage.setItem(LANG_KEY, s.lang);
        } catch {
          // Private mode: the choice lasts for this page only.
        }
        redraw();
      },
    },
    ...LANGUAGES.map((l) => h('option', { value: l, selected: l === s.lang }, l === 'zh' ? '中文' : 'English')),
  );
  const custom =
    s.preset === 'custom'
      ? h(
          'form',
          {
            class: 'custom-range',
            onsubmit: (e: Event) => {
              e.preventDefault();
              const f = e.target as HTMLFormElement;
              const from = (f.elements.namedItem('from') as HTMLInputElement).value;
              const to = (f.elements.namedItem('to') as HTMLInputElement).value;
              if (from && to && from <= to) {
                s.from = from;
                s.to = to;
                redraw();
              }
            },
          },
          h('label', {}, `${tr(s.lang, 'range.from')} `, h('input', { type: 'date', name: 'from', value: s.from, max: s.me.today, 'data-control': 'from' })),
          h('label', {}, `${tr(s.lang, 'range.to')} `, h('input', { type: 'date', name: 'to', value: s.to, max: s.me.today, 'data-control': 'to' })),
          h('button', { type: 'submit', 'data-control': 'apply' }, tr(s.lang, 'range.apply')),
        )
      : null;
  return h(
    'header',
    { class: 'top' },
    h('div', { class: 'title-row' }, h('h1', {}, tr(s.lang, 'title')), h('span', { class: 'hint' }, tr(s.lang, 'signed', { workspace: s.me.workspaceName, role: s.me.role }))),
    h('div', { class: 'controls' }, preset, model, lang),
    custom,
    nav,
  );
}

void boot().catch((err: unknown) => replace(app, h('p', { class: 'notice error' }, err instanceof Error ? err.message : String(err))));
