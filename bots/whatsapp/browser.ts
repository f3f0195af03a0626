/**
 * The Chromium whatsapp-web.js drives. npm installs here skip puppeteer's own browser
 * download (`PUPPETEER_SKIP_DOWNLOAD=1`), so the browser comes from the system:
 * `PUPPETEER_EXECUTABLE_PATH` when set, else the first of the usual Debian / Ubuntu paths
 * (`apt-get install chromium`).
 */
import { existsSync } from 'node:fs';

/** Where system browsers usually are, in the order they are tried. */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'] as const;

/** The advice logged when no browser is found. */
export const NO_CHROMIUM_HELP =
  'no Chromium found for WhatsApp: install it (Debian/Ubuntu: apt-get install chromium) or set PUPPETEER_EXECUTABLE_PATH to a Chrome/Chromium binary, then restart with --role whatsapp';

/** The browser to launch, or undefined when none is found. */
export function findChromium(env: Record<string, string | undefined>, exists: (path: string) => boolean = existsSync): string | undefined {
  const configured = env.PUPPETEER_EXECUTABLE_PATH?.trim();
  if (configured) return configured;
  return CHROMIUM_PATHS.find((p) => exists(p));
}

export interface PuppeteerLaunchOptions {
  headless: boolean;
  executablePath: string;
  args: string[];
}

/**
 * Launch options for one account's browser. Chromium refuses to start its sandbox as
 * root (containers usually run as root), so `--no-sandbox` is added then; a small
 * `/dev/shm` (Docker's default 64 MB) crashes tabs, so shared memory goes to /tmp.
 */
export function launchOptions(executablePath: string, isRoot: boolean): PuppeteerLaunchOptions {
  const args = ['--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'];
  if (isRoot) args.push('--no-sandbox', '--disable-setuid-sandbox');
  return { headless: true, executablePath, args };
}
