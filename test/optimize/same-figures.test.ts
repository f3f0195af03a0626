/**
 * Keyword lift, hints and readiness: the bot commands, the CLI (`--json`) and the report API
 * give the same figures on the same stored data (rolled up into people's facts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRoles } from '../../app/roles.js';
import type { CliIo } from '../../src/cli/io.js';
import { makeOptimizeCommand } from '../../src/cli/optimize.js';
import { createLogger } from '../../src/logger.js';
import { telegramProbes, type HintsReport, type LiftReport, type OptimizeOptions, type ReadinessReport } from '../../src/optimize/index.js';
import { rollUp } from '../../src/reports/rollup.js';
import { createReports } from '../../src/reports/index.js';
import type { ConversionRecord, StoredTouch, Store } from '../../src/store/store.js';
import { touchEventSchema } from '../../src/touch-event.js';
import { conversionRecord } from '../support/credits.js';
import { commandUpdate, P, privateChat, startTelegramHarness, testConfig, TOKEN, WORKSPACES, type TelegramHarness } from '../support/telegram-harness.js';

const KEY = 'acme-report-key-5f1c0a9e7b3d42c8a6e1f0b9d2c7a4e3';
const MARCH = '2026-03-01..2026-03-31';
const WS = 'acme';
const open: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** 40 people who ask "price" (16 buy within 30 days), 80 alike who do not (16 buy), all joined through spring the same week. */
async function seed(store: Store): Promise<void> {
  const touches: StoredTouch[] = [];
  const conversions: ConversionRecord[] = [];
  const chat = { id: '-1001234567890', type: 'group', title: '团购群 Deals' };
  const add = (pid: string, id: string, kind: string, at: string, details: Record<string, unknown>): void => {
    touches.push({ ...touchEventSchema.parse({ id, workspace: WS, account: '7000000001', platform: 'telegram', chat, actor: { profileId: pid }, kind, occurredAt: at, details }), profileId: pid, applied: true } as StoredTouch);
  };
  for (let i = 0; i < 120; i++) {
    const pid = `p${String(i).padStart(3, '0')}`;
    const treated = i < 40;
    add(pid, `j${i}`, 'join', '2026-03-03T02:00:00.000Z', { via: 'invite_link', campaign: 'spring' });
    add(pid, `m${i}`, 'message', '2026-03-05T02:00:00.000Z', treated ? { keywords: ['price'] } : {});
    if ((treated && i < 16) || (!treated && i < 56)) {
      const c = conversionRecord(WS, `o${i}`, '2026-03-10T02:00:00.000Z', 100, 'matched');
      conversions.push({ ...c, match: { rule: 'tg_id', profileId: pid, lowConfidence: false } });
    }
  }
  await store.touches.insertMany(WS, touches);
  await store.conversions.insertMany(WS, conversions);
  await rollUp({ store, timeZoneOf: () => 'Asia/Shanghai' }, WS);
}

describe('one set of figures for lift, hints and readiness', () => {
  it('the bot commands, the CLI (--json) and the API agree', async () => {
    let root = '';
    const optimize: OptimizeOptions = { probes: () => telegramProbes([{ token: TOKEN }], root), now: () => new Date('2026-03-20T00:00:00Z') };
    const h: TelegramHarness = await startTelegramHarness({ reports: (store) => createReports(store, WORKSPACES.workspaces, optimize) });
    open.push({ close: () => h.close() });
    root = h.stub.root;
    await seed(h.store);

    // The bot.
    await h.feed([commandUpdate(`/lift ${MARCH}`, { id: P.manager }, privateChat(P.manager)), commandUpdate(`/hints ${MARCH}`, { id: P.manager }, privateChat(P.manager)), commandUpdate('/readiness', { id: P.manager }, privateChat(P.manager))]);
    const texts = h.stub.callsTo('sendMessage').map((c) => String(c.payload.text));
    const liftTable = texts.find((t) => /keyword\s+people/.test(t)) ?? '';
    const hintsText = texts.find((t) => t.startsWith('Hints')) ?? '';
    const readinessText = texts.find((t) => t.startsWith('Readiness')) ?? '';

    // The CLI.
    const cli = async (which: 'lift' | 'hints' | 'readiness', args: string[]): Promise<unknown> => {
      const out: string[] = [];
      const io: CliIo = { stdout: (t) => out.push(t), stderr: () => undefined, readFile: async () => Buffer.alloc(0), cwd: process.cwd(), env: {}, isTTY: false };
      expect(await makeOptimizeCommand(which, { store: h.store, workspaces: h.config.workspaces, hashKey: 'k'.repeat(32), optimize })(['--workspace', WS, ...args, '--json'], io)).toBe(0);
      return JSON.parse(out.join(''));
    };
    const cliLift = (await cli('lift', ['--since', MARCH])) as LiftReport;
    const cliHints = (await cli('hints', ['--since', MARCH])) as HintsReport;
    const cliReady = (await cli('readiness', [])) as ReadinessReport;

    // The API.
    const config = testConfig({}, { workspaces: WORKSPACES.workspaces.map((w) => ({ ...w, apiKeys: [w.id === WS ? KEY : `${KEY}x`] })) });
    const app = await startRoles({ config, roles: ['http'], log: createLogger('silent'), store: h.store, reports: createReports(h.store, WORKSPACES.workspaces, optimize) });
    open.push({ close: () => app.close() });
    const base = `http://127.0.0.1:${app.address?.port}`;
    const get = async (path: string): Promise<any> => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    const apiLift = await get(`/v1/reports/lift?workspace=${WS}&period=${MARCH}`);
    const apiHints = await get(`/v1/reports/hints?workspace=${WS}&period=${MARCH}`);
    const apiReady = await get(`/v1/reports/readiness?workspace=${WS}`);

    // Lift: 40 vs 80, 40% vs 20%, lift +100%, the same seeded interval everywhere.
    expect(cliLift.rows).toHaveLength(1);
    const row = cliLift.rows[0]!;
    expect(row).toMatchObject({ keyword: 'price', treated: 40, controls: 80, treatedConverted: 16, controlsConverted: 16 });
    expect(row.lift).toBeCloseTo(1, 10);
    expect(apiLift.rows).toEqual([
      { key: 'price', label: 'price', conversions: 16, treated: 40, controls: 80, treated_rate: row.treatedRate, control_rate: row.controlRate, lift: row.lift, lift_low: row.liftLow, lift_high: row.liftHigh, treated_converted: 16, controls_converted: 16, unmatched: 0 },
    ]);
    const pc = (x: number | null): string => `${x! > 0 ? '+' : ''}${Math.round(x! * 100)}%`;
    expect(liftTable).toMatch(new RegExp(`price\\s+40\\s+80\\s+40%\\s+20%\\s+\\+100%\\s+\\${pc(row.liftLow)}…\\${pc(row.liftHigh)}`));

    // Hints: the same statements in the same order.
    expect(cliHints.conversions).toBe(32);
    expect(cliHints.hints.map((x) => x.rule)).toContain('engaged-not-clicking');
    expect(apiHints.rows.map((r: { key: string; label: string; n: number }) => [r.key, r.label, r.n])).toEqual(cliHints.hints.map((x) => [x.key, x.label, x.n]));
    for (const x of cliHints.hints) expect(hintsText).toContain(x.label);
    expect(apiHints.conversions).toBe(32);

    // Readiness: the same checks and statuses.
    expect(apiReady.rows.map((r: { key: string; status: string; fix: string }) => [r.key, r.status, r.fix])).toEqual(cliReady.checks.map((c) => [c.key, c.status, c.fix]));
    expect(cliReady.checks.find((c) => c.key === 'keywords:acme')?.status).toBe('green');
    for (const c of cliReady.checks) expect(readinessText).toContain(`${c.check} · ${c.label}`);
  });
});
