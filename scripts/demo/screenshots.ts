/**
 * `npm run demo -- --once --screenshots <dir>`: pictures for the README, of the real demo.
 * After the feeding, Debian's Chromium (playwright-core, headless; never a downloaded browser)
 * opens the dashboard through a one-time link the bot handed out, the demo's 120 days are
 * chosen as a custom range, and each view is saved; the chart the bot sent with its `/report`
 * answer (the `sendPhoto` PNG from `src/charts`) is saved as it was sent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ScreenshotSource {
  /** The demo's period, `from..to`. */
  period: string;
  /** A fresh one-time dashboard link. */
  dashboardLink(): Promise<string>;
  /** Chart images the bot sent, by command (`/report`). */
  charts: ReadonlyMap<string, Buffer>;
}

async function settled(page: Page): Promise<void> {
  await page.waitForTimeout(300);
  await page.waitForSelector('.view[aria-busy="false"]', { timeout: 60_000 });
  await page.evaluate('document.fonts.ready.then(() => true)');
  // Charts finish their entry animation.
  await page.waitForTimeout(900);
}

/** Writes the PNGs into `dir`; returns their paths. */
export async function takeScreenshots(source: ScreenshotSource, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const chart = source.charts.get('/report');
  if (!chart) throw new Error('the bot sent no chart with its /report answer');
  writeFileSync(join(dir, 'chart-report.png'), chart);
  written.push(join(dir, 'chart-report.png'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'en-US', colorScheme: 'light', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    await page.goto(await source.dashboardLink());
    await page.waitForSelector('.view[aria-busy="false"], [data-state="refused"]', { timeout: 60_000 });
    if ((await page.locator('[data-state="refused"]').count()) > 0) throw new Error('the dashboard refused the one-time link');
    // The demo's data lies in its own 120 days, not in the last 30 of this machine's clock.
    const [from, to] = source.period.split('..') as [string, string];
    await page.selectOption('[data-control="range"]', 'custom');
    await page.fill('[data-control="from"]', from);
    await page.fill('[data-control="to"]', to);
    await page.click('[data-control="apply"]');
    const shot = async (name: string): Promise<void> => {
      await settled(page);
      const path = join(dir, `${name}.png`);
      await page.screenshot({ path });
      written.push(path);
    };
    await shot('dashboard-overview');
    await page.click('[data-tab="campaigns"]');
    await shot('dashboard-campaigns');
    await page.click('[data-tab="attribution"]');
    await shot('dashboard-attribution');
  } finally {
    await browser.close();
  }
  return written;
}
