/**
 * What the page takes from Telegram without loading Telegram's script: the launch data and
 * theme from the URL fragment (`#tgWebAppData=…&tgWebAppThemeParams=…`), the events it sends
 * (ready, expand, request_theme) through the same bridge `telegram-web-app.js` uses, and the
 * events Telegram sends back (`theme_changed` when the user switches theme or night mode):
 * native clients call `window.Telegram.WebView.receiveEvent(type, data)` (or
 * `TelegramGameProxy.receiveEvent`), web clients post `{eventType, eventData}` as JSON from the
 * parent frame.
 */
export interface Launch {
  initData: string | null;
  theme: Record<string, string> | null;
  /** `#login=<token>`: a one-time login link. */
  loginToken: string | null;
}

export function readLaunch(hash: string): Launch {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  let theme: Record<string, string> | null = null;
  try {
    const raw = q.get('tgWebAppThemeParams');
    theme = raw ? (JSON.parse(raw) as Record<string, string>) : null;
  } catch {
    theme = null;
  }
  return { initData: q.get('tgWebAppData'), theme, loginToken: q.get('login') };
}

export function postEvent(type: string, data: Record<string, unknown> = {}): void {
  const w = window as unknown as { TelegramWebviewProxy?: { postEvent(t: string, d: string): void }; external?: { notify?(s: string): void } };
  try {
    if (w.TelegramWebviewProxy) w.TelegramWebviewProxy.postEvent(type, JSON.stringify(data));
    else if (w.external && typeof w.external.notify === 'function') w.external.notify(JSON.stringify({ eventType: type, eventData: data }));
    else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data }), '*');
  } catch {
    // Outside Telegram there is nobody to tell.
  }
}

const VARS: Record<string, string> = {
  bg_color: '--bg',
  secondary_bg_color: '--card',
  text_color: '--text',
  hint_color: '--hint',
  link_color: '--link',
  button_color: '--accent',
  button_text_color: '--accent-text',
  section_bg_color: '--card',
};

/** Applies Telegram's theme colours (and dark mode when its background is dark). */
export function applyTheme(theme: Record<string, string> | null): void {
  if (!theme) return;
  const root = document.documentElement;
  for (const [k, v] of Object.entries(theme)) {
    const name = VARS[k];
    if (name && /^#[0-9a-f]{3,8}$/i.test(v)) root.style.setProperty(name, v);
  }
  const bg = theme.bg_color;
  if (bg && /^#[0-9a-f]{6}$/i.test(bg)) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16) / 255) as [number, number, number];
    root.dataset.theme = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? 'dark' : 'light';
  }
  root.dataset.telegram = 'true';
}

type EventHandler = (type: string, data: Record<string, unknown>) => void;

/** Calls `handler` with every event Telegram sends the page (see the header). */
export function onTelegramEvent(handler: EventHandler): void {
  const receive = (type: unknown, data: unknown): void => {
    if (typeof type !== 'string') return;
    handler(type, data && typeof data === 'object' ? (data as Record<string, unknown>) : {});
  };
  const w = window as unknown as {
    Telegram?: { WebView?: { receiveEvent?: (t: unknown, d: unknown) => void } };
    TelegramGameProxy?: { receiveEvent?: (t: unknown, d: unknown) => void };
    TelegramGameProxy_receiveEvent?: (t: unknown, d: unknown) => void;
  };
  w.Telegram ??= {};
  w.Telegram.WebView ??= {};
  w.Telegram.WebView.receiveEvent = receive;
  w.TelegramGameProxy = { ...(w.TelegramGameProxy ?? {}), receiveEvent: receive };
  w.TelegramGameProxy_receiveEvent = receive;
  window.addEventListener('message', (e: MessageEvent) => {
    if (e.source !== window.parent || window.parent === window || typeof e.data !== 'string') return;
    try {
      const m = JSON.parse(e.data) as { eventType?: unknown; eventData?: unknown };
      receive(m.eventType, m.eventData);
    } catch {
      // Not one of Telegram's messages.
    }
  });
}

/** The theme in a `theme_changed` event, or null. */
export function themeOf(data: Record<string, unknown>): Record<string, string> | null {
  const t = data.theme_params;
  if (!t || typeof t !== 'object') return null;
  return Object.fromEntries(Object.entries(t as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
