/**
 * PNG charts rendered on the server with no browser (`@napi-rs/canvas`, Skia), with a
 * bundled CJK font so Chinese group names draw as characters.
 */
export { renderBarChart, type BarChartOptions } from './render-bar-chart.js';
export { renderFunnelChart, type FunnelChartOptions } from './render-funnel-chart.js';
export { renderHeatmap, HEATMAP_MAX_ROWS, type HeatmapOptions } from './render-heatmap.js';
export { CHART_FONT_FAMILY, ChartFontError, ensureChartFont } from './fonts.js';
export { cleanLabel, formatAmount, formatNumber } from './draw.js';
