/**
 * Reports on their own queue, through the real telegraf bot fed literal updates: the update
 * handler checks and queues the report, and a report that takes longer than the notice
 * delay gets “working on it” first, then the report, each exactly once; the update job
 * finishes meanwhile (it is not held, timed out or retried). A re-handled update and a
 * retried delivery send nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WORKING_ON_IT } from '../src/commands/index.js';
import type { ReportsApi } from '../src/reports/report-types.js';
import { fakeReports, REPORT_MARKER, type FakeReports } from './support/fake-reports.js';
import { BOT, commandUpdate, P, privateChat, startTelegramHarness, type HarnessOptions, type TelegramHarness } from './support/telegram-harness.js';
import type { StubCall } from './support/bot-api-stub.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const manager = { id: P.manager, username: 'mia_mgr' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fake reports whose attribution report takes `delayMs`. */
function slowReports(delayMs: number): FakeReports {
  const fake = fakeReports();
  const attribution = fake.attribution.bind(fake);
  fake.attribution = async (...args: Parameters<ReportsApi['attribution']>) => {
    await sleep(delayMs);
    return attribution(...args);
  };
  return fake;
}

async function harness(reports: FakeReports, options: HarnessOptions = {}): Promise<TelegramHarness & { reports: FakeReports; reportsDone: string[] }> {
  const reportsDone: string[] = [];
  const h = await startTelegramHarness({ reports, ...options, extra: { onReportDone: (job, err) => reportsDone.push(`${String(job.id)}:${err ? 'failed' : 'done'}`), ...options.extra } });
  open.push(h);
  return Object.assign(h, { reports, reportsDone });
}

const toManager = (h: TelegramHarness, method: string): StubCall[] => h.stub.callsTo(method).filter((c) => String(c.payload.chat_id) === String(P.manager));

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

describe('reports on the report queue', () => {
  it('a slow report answers “working on it” first, then the report, exactly once; the update job is done before the report', async () => {
    const h = await harness(slowReports(3_500));
    const update = commandUpdate('/report 7d', manager, privateChat(P.manager));
    await h.feed([update]);
    // The update job is finished: only the notice is out, the report is still being made.
    expect(toManager(h, 'sendMessage').map((c) => c.payload.text)).toEqual([WORKING_ON_IT]);
    expect(toManager(h, 'sendPhoto')).toEqual([]);
    expect(h.failed).toEqual([]);
    await until(() => h.reportsDone.length > 0);
    await sleep(500);
    const texts = toManager(h, 'sendMessage');
    expect(texts).toHaveLength(2);
    expect(texts[0]?.payload.text).toBe(WORKING_ON_IT);
    expect(String(texts[1]?.payload.text)).toContain(REPORT_MARKER);
    const photos = toManager(h, 'sendPhoto');
    expect(photos).toHaveLength(1);
    expect((texts[0]?.at ?? Infinity) <= (photos[0]?.at ?? 0)).toBe(true);
    expect(h.reports.calls).toHaveLength(1);
    expect(h.reportsDone).toEqual([`rc.${BOT}.${update.update_id}:done`]);
    // Audited once, by the worker, with what was asked.
    const audit = (await h.store.community.audit.list('acme')).filter((e) => e.command === 'report');
    expect(audit).toEqual([expect.objectContaining({ outcome: 'answered', detail: 'period 7d by group model linear' })]);
  });

  it('a quick report gets no “working on it”', async () => {
    const h = await harness(fakeReports());
    await h.feed([commandUpdate('/report', manager, privateChat(P.manager))]);
    expect(toManager(h, 'sendMessage').map((c) => c.payload.text)).not.toContain(WORKING_ON_IT);
    expect(toManager(h, 'sendPhoto')).toHaveLength(1);
  });

  it('the same update handled twice makes one report and one answer', async () => {
    const h = await harness(fakeReports());
    const update = commandUpdate('/report 30d', manager, privateChat(P.manager));
    const bot = h.role.bots.get(BOT);
    await bot?.handleUpdate(update);
    await bot?.handleUpdate(update);
    await sleep(300);
    expect(h.reports.calls).toHaveLength(1);
    expect(toManager(h, 'sendPhoto')).toHaveLength(1);
    expect(toManager(h, 'sendMessage')).toHaveLength(1);
  });

  it('a delivery that fails half-way is retried from where it stopped: the chart is not sent twice', async () => {
    const h = await harness(fakeReports());
    h.stub.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, 1, (p) => String(p.text).startsWith('<pre>'));
    await h.feed([commandUpdate('/report', manager, privateChat(P.manager))]);
    await until(() => h.reportsDone.some((d) => d.endsWith(':done')));
    // The first attempt failed on the table; the retry finished the delivery.
    expect(h.reportsDone).toEqual([expect.stringMatching(/:failed$/), expect.stringMatching(/:done$/)]);
    expect(toManager(h, 'sendPhoto')).toHaveLength(1);
    // The table: one refused call, then the one that went through; the report was computed twice (once per attempt), answered once.
    expect(toManager(h, 'sendMessage').map((c) => String(c.payload.text).slice(0, 5))).toEqual(['<pre>', '<pre>']);
    expect(h.reports.calls).toHaveLength(2);
  });
});
