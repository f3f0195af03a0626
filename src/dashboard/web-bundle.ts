/**
 * The dashboard's browser code (`web/dashboard/`), bundled by esbuild when the server starts:
 * one script (ECharts tree-shaken in: only the charts and components the views use) and one
 * style sheet, minified, held in memory and served with content-hashed names. Nothing is
 * built ahead of time or committed, so a fresh clone works with `npm test` and `npm start`
 * (esbuild is a dependency). Built when the page is first asked for; one build per process,
 * shared by every server in it.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadCjkFont, type CjkFont } from './cjk-font.js';

export interface WebAsset {
  /** File name with its content hash (`app.1a2b3c4d.js`). */
  name: string;
  type: string;
  body: Buffer;
  /** The body gzipped (sent to browsers that accept it). */
  gzip: Buffer;
}

export interface WebBundle {
  js: WebAsset;
  /** The style sheet ends with the CJK font's `@font-face` slices (see `cjk-font.ts`). */
  css: WebAsset;
  /** The CJK font's slices, or null when its package is missing. */
  font: CjkFont | null;
}

/** Where the dashboard's sources are. */
export const WEB_ENTRY = fileURLToPath(new URL('../../web/dashboard/main.ts', import.meta.url));

let building: Promise<WebBundle> | undefined;

function asset(stem: string, ext: string, type: string, body: Buffer): WebAsset {
  const h = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${stem}.${h}.${ext}`, type, body, gzip: gzipSync(body, { level: 9 }) };
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
      entryNames: 'app',
      format: 'iife',
      platform: 'browser',
      target: ['chrome100', 'safari15', 'firefox100'],
      minify: true,
      legalComments: 'none',
      treeShaking: true,
      external: ['/app/assets/*'],
      logLevel: 'silent',
    });
    const js = out.outputFiles.find((f) => f.path.endsWith('.js'));
    const css = out.outputFiles.find((f) => f.path.endsWith('.css'));
    if (!js || !css) throw new Error('the dashboard bundle is missing its script or style sheet');
    const font = loadCjkFont();
    const sheet = Buffer.concat([Buffer.from(css.contents), Buffer.from(font ? `\n${font.css}\n` : '')]);
    return { js: asset('app', 'js', 'text/javascript; charset=utf-8', Buffer.from(js.contents)), css: asset('app', 'css', 'text/css; charset=utf-8', sheet), font };
  })();
  building.catch(() => (building = undefined));
  return building;
}
