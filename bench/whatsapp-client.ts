/**
 * Memory of one idle WhatsApp account: whatsapp-web.js driving Debian's Chromium, launched
 * with the connector's own options (`bots/whatsapp/browser.ts`). The client waits on the
 * pairing (QR) page until a phone links it, so "idle" means: launched, page loaded, QR shown.
 *
 * The figure is the proportional set size (PSS, from /proc/<pid>/smaps_rollup: shared pages
 * divided among the processes sharing them, so a process tree's sum is not inflated by
 * shared libraries the way summed RSS is) of the whole browser process tree,
 * printed beside the same-run baseline of a bare Chromium on `about:blank` with the same
 * flags. When the WhatsApp Web page cannot load (no internet on the machine), the client
 * never reaches its QR page: the run says so and why, and prints only the baseline.
 *
 * Run alone: `npx tsx bench/whatsapp-client.ts`; or via `npm run bench` (calls `run()`).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findChromium, launchOptions } from '../bots/whatsapp/browser.js';

/** How long the client may take to show its QR page. */
const QR_TIMEOUT_MS = 60_000;
/** Settle time before memory is read, so start-up allocations have been made. */
const SETTLE_MS = 5_000;

/** Flags every browser run here gets (no background traffic, no GPU). */
const QUIET_FLAGS = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Children of each process id, from /proc. */
function childrenByParent(): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (after the parenthesised command, which may contain spaces) is the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = out.get(ppid) ?? [];
      list.push(Number(name));
      out.set(ppid, list);
    } catch {
      // The process ended while we read.
    }
  }
  return out;
}

function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** PSS of a process and all its descendants, in MiB. */
function treeMemoryMiB(root: number): { mib: number; processes: number } {
  const kids = childrenByParent();
  let kib = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    kib += pssKiB(pid);
    processes++;
    stack.push(...(kids.get(pid) ?? []));
  }
  return { mib: kib / 1024, processes };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bareChromium(executablePath: string): Promise<{ mib: number; processes: number }> {
  const puppeteer = (await import('puppeteer')).default;
  const options = launchOptions(executablePath, process.getuid?.() === 0);
  const browser = await puppeteer.launch({ ...options, args: [...options.args, ...QUIET_FLAGS] });
  try {
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    await page.goto('about:blank');
    await sleep(SETTLE_MS);
    const pid = browser.process()?.pid;
    if (pid === undefined) throw new Error('the browser has no process id');
    return treeMemoryMiB(pid);
  } finally {
    await browser.close();
  }
}

async function idleClient(executablePath: string): Promise<{ ok: true; mib: number; processes: number; qrMs: number } | { ok: false; reason: string }> {
  const wwebjs = (await import('whatsapp-web.js')).default;
  const dataPath = mkdtempSync(join(tmpdir(), 'mf-wa-bench-'));
  const options = launchOptions(executablePath, process.getuid?.() === 0);
  const client = new wwebjs.Client({ authStrategy: new wwebjs.LocalAuth({ clientId: 'bench', dataPath }), puppeteer: { ...options, args: [...options.args, ...QUIET_FLAGS] } });
  const started = Date.now();
  try {
    const qr = new Promise<number>((resolve) => client.once('qr', () => resolve(Date.now() - started)));
    const failed = client.initialize().then(
      () => new Promise<never>(() => undefined),
      (err: unknown) => Promise.reject(err instanceof Error ? err : new Error(String(err))),
    );
    const timeout = sleep(QR_TIMEOUT_MS).then(() => Promise.reject(new Error(`no QR page within ${QR_TIMEOUT_MS / 1000} s`)));
    const qrMs = await Promise.race([qr, failed, timeout]);
    await sleep(SETTLE_MS);
    const pid = (client as unknown as { pupBrowser?: { process(): { pid?: number } | null } }).pupBrowser?.process()?.pid;
    if (pid === undefined) return { ok: false, reason: 'the client reached its QR page but its browser has no process id' };
    return { ok: true, ...treeMemoryMiB(pid), qrMs };
  } catch (err) {
    return { ok: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error' };
  } finally {
    await client.destroy().catch(() => undefined);
    rmSync(dataPath, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log('\n## WhatsApp: memory of one idle whatsapp-web.js client (Debian Chromium, connector launch options)');
  const executablePath = findChromium(process.env);
  if (!executablePath) {
    console.log('not measured: no Chromium on this machine (apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH)');
    return;
  }
  const baseline = await bareChromium(executablePath);
  const client = await idleClient(executablePath);
  console.log('| run                                           | PSS (MiB) | processes |');
  console.log('|-----------------------------------------------|-----------|-----------|');
  console.log(`| bare Chromium on about:blank (baseline)       | ${baseline.mib.toFixed(0).padStart(9)} | ${String(baseline.processes).padStart(9)} |`);
  if (client.ok) {
    console.log(`| whatsapp-web.js client idle on its QR page     | ${client.mib.toFixed(0).padStart(9)} | ${String(client.processes).padStart(9)} |`);
    console.log(`QR page shown after ${(client.qrMs / 1000).toFixed(1)} s; one account costs ${(client.mib - baseline.mib).toFixed(0)} MiB more than a bare browser.`);
  } else {
    console.log(`| whatsapp-web.js client idle on its QR page     | not measured here | |`);
    console.log(`The client could not reach its QR page: ${client.reason}. It loads https://web.whatsapp.com, which this machine cannot reach; on a machine with internet the same run prints the figure.`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
