/**
 * The dashboard's Chinese font for devices that have none: Noto Sans SC (variable weight,
 * SIL OFL) from the package `@fontsource-variable/noto-sans-sc`, which ships it cut into about
 * a hundred WOFF2 slices of 20–90 kB, each with the `unicode-range` it covers. The page's
 * style sheet declares every CJK slice as the family `MF CJK` (a device's own Chinese font
 * first, through `local()`), so a browser downloads only the slices holding characters the
 * page shows: a few hundred kilobytes for a Chinese view, nothing for an English one.
 * Served by us under `/app/assets/` (no CDN). Only CJK code points are taken from it (see
 * {@link cjkRange}); Latin, Cyrillic, Vietnamese and emoji stay with the system fonts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const CJK_FAMILY = 'MF CJK';
const PACKAGE = '@fontsource-variable/noto-sans-sc/package.json';
/** Names of the slices we serve (the package's numbered slices). */
const SLICE = /^noto-sans-sc-\d+-wght-normal\.woff2$/;
/** The code points we take from the font: CJK radicals, punctuation, kana, ideographs (and their extensions), compatibility and full-width forms. */
const CJK_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0x2e80, 0x9fff],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xffef],
  [0x20000, 0x3ffff],
];

/**
 * A `unicode-range` cut down to {@link CJK_BLOCKS} (`U+4E00-4E0F,U+41` → `U+4E00-4E0F`); empty
 * when nothing is left. The slices also hold Latin letters and emoji; the page's font list puts
 * `MF CJK` first (system fonts at times draw boxes for CJK on devices without it), so it must
 * not claim anything the system fonts draw better.
 */
export function cjkRange(range: string): string {
  const out: string[] = [];
  for (const part of range.split(',')) {
    const m = /^\s*U\+([0-9a-f?]+)(?:-([0-9a-f]+))?\s*$/i.exec(part);
    if (!m) continue;
    const a = parseInt((m[1] as string).replace(/\?/g, '0'), 16);
    const b = m[2] ? parseInt(m[2], 16) : parseInt((m[1] as string).replace(/\?/g, 'f'), 16);
    for (const [lo, hi] of CJK_BLOCKS) {
      const from = Math.max(a, lo);
      const to = Math.min(b, hi);
      if (from <= to) out.push(from === to ? `U+${from.toString(16)}` : `U+${from.toString(16)}-${to.toString(16)}`);
    }
  }
  return out.join(',');
}

/** A device's own Chinese fonts, tried before ours. */
const LOCAL = ["local('Noto Sans SC')", "local('Noto Sans CJK SC')", "local('PingFang SC')", "local('Microsoft YaHei')"];

export interface CjkFont {
  /** The `@font-face` rules, one per slice, pointing at `/app/assets/<slice>`. */
  css: string;
  /** A slice's file on disk, or null for any other name. */
  file(name: string): string | null;
}

/** Reads the slices of the installed package; null when it is missing (the page then relies on the device's fonts). */
export function loadCjkFont(): CjkFont | null {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(PACKAGE));
  } catch {
    return null;
  }
  let source: string;
  try {
    source = readFileSync(join(dir, 'index.css'), 'utf8');
  } catch {
    return null;
  }
  const names = new Set<string>();
  const rules: string[] = [];
  for (const block of source.split('@font-face').slice(1)) {
    const file = /url\(\.\/files\/([^)]+)\)/.exec(block)?.[1];
    const range = cjkRange(/unicode-range:\s*([^;]+);/.exec(block)?.[1] ?? '');
    if (!file || !range || !SLICE.test(file)) continue;
    names.add(file);
    rules.push(`@font-face{font-family:'${CJK_FAMILY}';font-style:normal;font-display:swap;font-weight:100 900;src:${LOCAL.join(',')},url(/app/assets/${file}) format('woff2');unicode-range:${range}}`);
  }
  if (rules.length === 0) return null;
  return { css: rules.join('\n'), file: (name) => (names.has(name) ? join(dir, 'files', name) : null) };
}
