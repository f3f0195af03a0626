/**
 * The dashboard on the HTTP server, under `/app`:
 * - `GET /app`: the page (a shell; the views are drawn by the bundled script). Strict
 *   Content-Security-Policy: scripts, styles, fonts and API calls from our own origin only,
 *   no inline code; framing only by Telegram's web clients.
 * - `GET /app/assets/<name>`: the bundled script and style sheet (content-hashed, cached for
 *   a year) and the CJK font's slices (Noto Sans SC, for devices without a Chinese font; see
 *   `cjk-font.ts`).
 * - `POST /app/api/login` `{"token"}`: a one-time login link's token → the session cookie
 *   (HttpOnly, Secure, SameSite=Lax, 12 h). Refused (401) when expired, used or forged.
 * - `GET /app/api/me`: who is signed in (Mini App launch data in `Authorization: tma …`, or
 *   the session cookie) and what the views need: workspace, role, language, time zone,
 *   currency, models, today's date there. A refusal is 401/403 `{refused, lang}`, no figures.
 * The figures themselves come from the report API (`/v1/reports/<name>`), which accepts the
 * same credentials (see `app/report-api-route.ts`).
 */
import { createReadStream, statSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MODEL_NAMES } from '../attribution/index.js';
import type { Logger } from '../logger.js';
import { localDay } from '../reports/period.js';
import { isRefusal, SESSION_COOKIE, type DashboardAuth, type DashboardWorkspace, type Refusal } from './dashboard-auth.js';
import { buildWebBundle, type WebBundle } from './web-bundle.js';

/** The Content-Security-Policy of every dashboard answer. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self' https://web.telegram.org https://*.web.telegram.org",
].join('; ');

export interface DashboardRoutesOptions {
  auth: DashboardAuth;
  workspaces: readonly DashboardWorkspace[];
  log: Logger;
  now?: () => Date;
}

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

function page(bundle: WebBundle): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<title>midfunnel</title>
<link rel="stylesheet" href="/app/assets/${bundle.css.name}">
${bundle.cjkCss ? `<meta name="midfunnel:cjk-css" content="/app/assets/${bundle.cjkCss.name}">\n` : ''}
<script type="module" src="/app/assets/${bundle.js.name}"></script>
${bundle.preload.map((name) => `<link rel="modulepreload" href="/app/assets/${name}">\n`).join('')}
</head>
<body><main id="app" aria-live="polite"><p class="loading">…</p></main></body>
</html>
`;
}

const refusalStatus = (r: Refusal): number => (r.refused === 'not-allowed' ? 403 : r.refused === 'rate-limited' ? 429 : 401);

function refuse(reply: FastifyReply, r: Refusal): FastifyReply {
  return reply.code(refusalStatus(r)).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).send({ refused: r.refused, lang: r.lang });
}

export function registerDashboardRoutes(app: FastifyInstance, options: DashboardRoutesOptions): void {
  const { auth } = options;
  const now = options.now ?? (() => new Date());
  // Built on the first request for the page (once per process): servers that never show it never pay for it.
  let building: Promise<WebBundle> | undefined;
  const bundleOf = (): Promise<WebBundle> => {
    if (!building) {
      building = buildWebBundle();
      building.catch((err: unknown) => {
        building = undefined;
        options.log.error({ err: err instanceof Error ? err.message : String(err) }, 'the dashboard bundle could not be built');
      });
    }
    return building;
  };

  const sendPage = async (_req: unknown, reply: FastifyReply) =>
    reply.headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).send(page(await bundleOf()));
  app.get('/app', sendPage);

  app.get<{ Params: { name: string } }>('/app/assets/:name', async (request, reply) => {
    const { name } = request.params;
    const b = await bundleOf();
    const file = b.files.get(name);
    const immutable = { ...SECURITY_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' };
    if (file) {
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      return reply.headers({ ...immutable, 'content-type': file.type, vary: 'accept-encoding', ...(gzip ? { 'content-encoding': 'gzip' } : {}) }).send(gzip ? file.gzip : file.body);
    }
    const slice = b.font?.file(name);
    if (slice) return reply.headers({ ...immutable, 'content-type': 'font/woff2', 'content-length': String(statSync(slice).size) }).send(createReadStream(slice));
    return reply.code(404).headers(SECURITY_HEADERS).send({ error: 'not found' });
  });

  app.post('/app/api/login', { bodyLimit: 4_096 }, async (request, reply) => {
    let token: unknown;
    try {
      token = (JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '{}') as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token.length === 0) return refuse(reply, { refused: 'malformed', lang: null });
    const r = await auth.openLink(token, request.ip);
    if (isRefusal(r)) return refuse(reply, r);
    const cookie = `${SESSION_COOKIE}=${r.session}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${Math.floor((r.expires.getTime() - now().getTime()) / 1000)}`;
    return reply.code(200).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store', 'set-cookie': cookie }).send({ ok: true, lang: r.lang });
  });

  app.post('/app/api/logout', async (_request, reply) =>
    reply.code(200).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store', 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0` }).send({ ok: true }),
  );

  app.get('/app/api/me', async (request, reply) => {
    const who = await auth.authenticate(request.headers);
    if (isRefusal(who)) return refuse(reply, who);
    const ws = options.workspaces.find((w) => w.id === who.workspace);
    const timezone = ws?.timezone ?? 'UTC';
    return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).send({
      workspace: who.workspace,
      workspaceName: ws?.name ?? who.workspace,
      role: who.role,
      via: who.via,
      name: who.name ?? null,
      lang: who.lang,
      timezone,
      currency: ws?.currency ?? null,
      models: MODEL_NAMES,
      today: localDay(now().getTime(), timezone),
    });
  });
}
