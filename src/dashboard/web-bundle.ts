/**
 * The dashboard's browser code (`web/dashboard/`), bundled by esbuild: the page's script as ES
 * modules (ECharts tree-shaken, in its own chunk loaded when a view first draws a chart: only
 * the charts and components the views use), one style sheet, and the CJK font's declarations
 * (a style sheet the page adds after its first view); minified, held in memory and served with
 * content-hashed names. Nothing is built ahead of time or committed, so a fresh clone works
 * with `npm test` and `npm start` (esbuild is a dependency). Built by `midfunnel start` in the
 * background, else when the page is first asked for; one build per process, shared by every
 * server in it.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCjkFont, type CjkFont } from './cjk-font.js';

export interface WebAsset {
  /** File name with its content hash (`app-1A2B3C4D.js`). */
  name: string;
  type: string;
  body: Buffer;
  /** The body gzipped (sent to browsers that accept it). */
  gzip: Buffer;
}

export interface WebBundle {
  /** The page's script (an ES module; it imports the chunks it needs, such as ECharts, when it needs them). */
  js: WebAsset;
  /** The style sheet. */
  css: WebAsset;
  /**
   * The CJK font's `@font-face` slices (see `cjk-font.ts`) as a style sheet of their own, which
   * the page adds once its first view is drawn: a browser spends a few hundred milliseconds
   * setting up ninety Unicode-range faces, and the first view should not wait for that. Null
   * when the font's package is missing.
   */
  cjkCss: WebAsset | null;
  /** Chunks the script imports statically (the page preloads them beside it). */
  preload: string[];
  /** Every bundled file by name: the script, its chunks, the style sheet. */
  files: ReadonlyMap<string, WebAsset>;
  /** The CJK font's slices, or null when its package is missing. */
  font: CjkFont | null;
}

/** Where the dashboard's sources are. */
export const WEB_ENTRY = fileURLToPath(new URL('../../web/dashboard/main.ts', import.meta.url));

let building: Promise<WebBundle> | undefined;

function asset(name: string, type: string, body: Buffer): WebAsset {
  return { name, type, body, gzip: gzipSync(body, { level: 9 }) };
}

/** Bundles the dashboard (once per process; later calls share the first build). */
export function buildWebBundle(): Promise<WebBundle> {
  building ??= (async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [WEB_ENTRY],
      bundle: true,
      write: false,
      outdir: '/bundle',
      entryNames: 'app-[hash]',
      chunkNames: 'chunk-[hash]',
      // ES modules split at dynamic imports: ECharts comes only when a view draws a chart.
      format: 'esm',
      splitting: true,
      platform: 'browser',
      target: ['chrome100', 'safari15', 'firefox100'],
      minify: true,
      legalComments: 'none',
      treeShaking: true,
      logLevel: 'silent',
      metafile: true,
    });
    const font = loadCjkFont();
    const files = new Map<string, WebAsset>();
    let js: WebAsset | undefined;
    let css: WebAsset | undefined;
    for (const f of out.outputFiles) {
      const name = basename(f.path);
      if (name.endsWith('.js')) {
        const a = asset(name, 'text/javascript; charset=utf-8', Buffer.from(f.contents));
        files.set(name, a);
        if (name.startsWith('app-')) js = a;
      } else if (name.endsWith('.css')) {
        css = asset(name, 'text/css; charset=utf-8', Buffer.from(f.contents));
        files.set(name, css);
      }
    }
    let cjkCss: WebAsset | null = null;
    if (font) {
      const body = Buffer.from(`${font.css}\n`);
      cjkCss = asset(`cjk-${createHash('sha256').update(body).digest('hex').slice(0, 12)}.css`, 'text/css; charset=utf-8', body);
      files.set(cjkCss.name, cjkCss);
    }
    if (!js || !css) throw new Error('the dashboard bundle is missing its script or style sheet');
    const main = Object.entries(out.metafile.outputs).find(([path]) => basename(path) === js?.name)?.[1];
    const preload = (main?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => basename(i.path));
    return { js, css, cjkCss, files, font, preload };
  })();
  building.catch(() => (building = undefined));
  return building;
}
