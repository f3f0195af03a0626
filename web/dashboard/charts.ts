/** Apache ECharts, tree-shaken: only the charts and components the views draw. */
import { BarChart, FunnelChart, HeatmapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, FunnelChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

const live = new Set<echarts.ECharts>();

/** Chart text: the CJK font first (it covers only CJK characters: a device's own Chinese font, else ours), then system fonts. */
export const CHART_FONT = '"MF CJK", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Draws `option` in a new chart box appended to `parent`. */
export function chart(parent: HTMLElement, option: echarts.EChartsCoreOption, className = 'chart'): HTMLElement {
  const box = document.createElement('div');
  box.className = className;
  parent.append(box);
  const c = echarts.init(box, undefined, { renderer: 'canvas' });
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
  live.add(c);
  return box;
}

/** Disposes every chart (before a view is redrawn). */
export function disposeCharts(): void {
  for (const c of live) c.dispose();
  live.clear();
}

window.addEventListener('resize', () => {
  for (const c of live) c.resize();
});

export const colors = { text: () => cssVar('--text', '#222'), hint: () => cssVar('--hint', '#888'), accent: () => cssVar('--accent', '#2481cc') };
