/**
 * The font charts are drawn with: Noto Sans SC (SIL Open Font License), shipped by the npm
 * package `@expo-google-fonts/noto-sans-sc`, so Chinese, Japanese kana and Latin labels
 * render as characters on machines without any CJK font installed.
 */
import { createRequire } from 'node:module';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family name charts use in `ctx.font`. */
export const CHART_FONT_FAMILY = 'Midfunnel Sans';

const FONT_FILE = '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf';

export class ChartFontError extends Error {
  override name = 'ChartFontError';
}

let registered = false;

/**
 * Registers the bundled font once per process. Throws ChartFontError naming the package
 * to install when the font file is missing (a partial `npm install`).
 */
export function ensureChartFont(): string {
  if (registered) return CHART_FONT_FAMILY;
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve(FONT_FILE);
  } catch {
    throw new ChartFontError(`the chart font is missing: run \`npm install @expo-google-fonts/noto-sans-sc\` (looked for ${FONT_FILE})`);
  }
  if (GlobalFonts.registerFromPath(path, CHART_FONT_FAMILY) === null) {
    throw new ChartFontError(`the chart font at ${path} could not be loaded; reinstall @expo-google-fonts/noto-sans-sc`);
  }
  registered = true;
  return CHART_FONT_FAMILY;
}
