/**
 * What the page takes from Telegram without loading Telegram's script: the launch data and
 * theme from the URL fragment (`#tgWebAppData=…&tgWebAppThemeParams=…`), and the two events
 * it sends (ready, expand) through the same bridge `telegram-web-app.js` uses.
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
