/**
 * Charts (Apache ECharts). ECharts is most of the page's script, and the first view (the
 * Overview) has no chart, so it is a separate chunk loaded when a view first draws a chart (and
 * fetched in the background once the first view is up). `chart()` returns its box at once and
 * draws into it when ECharts is in; {@link chartsReady} waits for that.
 */
import type { EChartsCoreOption, EChartsType } from 'echarts/core';

type Echarts = typeof import('./echarts-setup.js')['echarts'];

let loading: Promise<Echarts> | undefined;
const loadEcharts = (): Promise<Echarts> => (loading ??= import('./echarts-setup.js').then((m) => m.echarts));

/** The charts on screen, each with how to draw it again. */
const live = new Map<EChartsType, () => void>();
/** Charts asked for and not drawn yet (each resolves once drawn or dropped). */
const pending = new Set<Promise<void>>();
/** Bumped by {@link disposeCharts}: a chart asked for before it is not drawn. */
let generation = 0;

/** Chart text: the CJK font first (it covers only CJK characters: a device's own Chinese font, else ours), then system fonts. */
export const CHART_FONT = '"MF CJK", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** A new chart box appended to `parent`, drawn with `option` as soon as ECharts is loaded. */
export function chart(parent: HTMLElement, option: EChartsCoreOption, className = 'chart'): HTMLElement {
  const box = document.createElement('div');
  box.className = className;
  parent.append(box);
  const asked = generation;
  const drawn = loadEcharts().then((echarts) => {
    if (asked !== generation) return;
    const c = echarts.init(box, undefined, { renderer: 'canvas' });
    // The theme's colours are read at every drawing: a theme change draws the charts again.
    const draw = (): void => {
      // How many times it was drawn (the theme test reads it).
      box.dataset.drawn = String(Number(box.dataset.drawn ?? 0) + 1);
      const text = cssVar('--text', '#222');
      const hint = cssVar('--hint', '#888');
      c.setOption({
        textStyle: { fontFamily: CHART_FONT, color: text },
        color: [cssVar('--accent', '#2481cc'), hint, '#f0a030', '#3cb371', '#c0504d', '#8064a2', '#4bacc6'],
        legend: { textStyle: { color: text } },
        ...option,
      });
      // Grid lines in the hint colour, faint, so they read on dark themes too.
      if ('xAxis' in option) c.setOption({ xAxis: { splitLine: { lineStyle: { color: hint, opacity: 0.25 } } }, yAxis: { splitLine: { lineStyle: { color: hint, opacity: 0.25 } } } });
    };
    draw();
    live.set(c, draw);
  });
  const settled = drawn.catch(() => undefined).finally(() => pending.delete(settled));
  pending.add(settled);
  return box;
}

/** Resolves when every chart asked for so far is drawn. */
export async function chartsReady(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/** Fetches ECharts in the background (after the first view), so the first chart does not wait. */
export function preloadCharts(): void {
  loadEcharts().catch(() => (loading = undefined));
}

/** Draws every chart again: in the theme's current colours, with the fonts loaded by now. */
export function redrawCharts(): void {
  for (const [c, draw] of live) {
    c.clear();
    draw();
  }
}

/** Disposes every chart (before a view is redrawn). */
export function disposeCharts(): void {
  generation++;
  for (const c of live.keys()) c.dispose();
  live.clear();
}

window.addEventListener('resize', () => {
  for (const c of live.keys()) c.resize();
});

// Chart text is canvas text, which does not make the browser fetch font slices: when slices
// arrive (asked for by the page's other text), charts are drawn again with them, so a device
// without a Chinese font does not keep boxes in a chart drawn before.
document.fonts?.addEventListener('loadingdone', redrawCharts);

export const colors = { text: () => cssVar('--text', '#222'), hint: () => cssVar('--hint', '#888'), accent: () => cssVar('--accent', '#2481cc') };
