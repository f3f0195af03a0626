/**
 * Calls to our own server: who is signed in (`/app/api/me`), the login link exchange, and
 * the report API (`/v1/reports/<name>`). Inside Telegram the launch data goes with every
 * call (`Authorization: tma …`); elsewhere the session cookie does.
 */
export interface Me {
  workspace: string;
  workspaceName: string;
  role: string;
  via: 'telegram' | 'session';
  name: string | null;
  lang: 'en' | 'zh' | null;
  timezone: string;
  currency: string | null;
  models: string[];
  today: string;
}

export type Answer<T> = { ok: true; data: T } | { ok: false; status: number; refused?: string; notAvailable?: boolean; message?: string };

let initData: string | null = null;

export function useInitData(raw: string | null): void {
  initData = raw;
}

function headers(): Record<string, string> {
  return initData ? { authorization: `tma ${initData}` } : {};
}

async function read<T>(res: Response): Promise<Answer<T>> {
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (res.ok) return { ok: true, data: body as T };
  const message = typeof body.message === 'string' ? body.message : Array.isArray(body.errors) ? (body.errors as Array<{ message: string }>).map((e) => e.message).join('; ') : undefined;
  return {
    ok: false,
    status: res.status,
    ...(typeof body.refused === 'string' ? { refused: body.refused } : {}),
    ...(message !== undefined ? { message } : {}),
  };
}

export async function login(token: string): Promise<Answer<{ ok: true; lang: 'en' | 'zh' | null }>> {
  const res = await fetch('/app/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
  return read(res);
}

export async function me(): Promise<Answer<Me>> {
  return read(await fetch('/app/api/me', { headers: headers(), credentials: 'same-origin' }));
}

/** Reports asked for before the page knew who is signed in, by name and parameters other than `workspace`. */
const early = new Map<string, Promise<Answer<unknown>>>();
const earlyKey = (name: string, params: Record<string, string | undefined>): string =>
  `${name}?${Object.entries(params)
    .filter(([k, v]) => k !== 'workspace' && v !== undefined && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')}`;

/**
 * Asks for a report at once, alongside `/app/api/me` (the signed-in credentials name the
 * workspace): the first view's figures do not wait for one round trip more. The view's own
 * `report()` call with the same name and parameters takes the answer.
 */
export function reportEarly(name: string, params: Record<string, string>): void {
  early.set(earlyKey(name, params), report(name, params));
}

/** `GET /v1/reports/<name>?…`; a report this server does not have comes back `notAvailable`. */
export async function report<T>(name: string, params: Record<string, string | undefined>): Promise<Answer<T>> {
  const k = earlyKey(name, params);
  const asked = early.get(k);
  if (asked) {
    early.delete(k);
    return asked as Promise<Answer<T>>;
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const res = await fetch(`/v1/reports/${encodeURIComponent(name)}?${q}`, { headers: headers(), credentials: 'same-origin' });
  const a = await read<T>(res);
  // A report this server does not know is 404 (a member not found is 404 too, for journey only),
  // and a dimension it does not know (by=referrer before referrals) is a 400 on `by`.
  if (!a.ok && a.status === 404 && name !== 'journey') return { ...a, notAvailable: true };
  return a;
}

/** A CSV report as a file download (fetched with the same credentials, saved from a blob). */
export async function download(name: string, params: Record<string, string>, filename: string): Promise<boolean> {
  const q = new URLSearchParams(params);
  const res = await fetch(`/v1/reports/${encodeURIComponent(name)}?${q}`, { headers: headers(), credentials: 'same-origin' });
  if (!res.ok) return false;
  const disposition = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = disposition ?? filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}
