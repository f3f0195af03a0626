import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/attribution/index.js';
import { runAttribute } from '../../src/cli/attribute.js';
import type { CliIo } from '../../src/cli/io.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command with a fake CliIo rooted at the fixtures folder. */
async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readFile: (p) => readFile(p),
    cwd: join(here, 'fixtures'),
    env: {},
    isTTY: false,
  };
  const code = await runAttribute(argv, io);
  return { code, stdout, stderr };
}

type Credits = Record<string, Record<string, { conversions: number; value: number }>>;

async function runJson(...argv: string[]): Promise<{ total: { conversions: number; value: number; journeys: number }; models: Credits; notes: string[] }> {
  const r = await run(...argv, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('midfunnel attribute on CSV paths', () => {
  it('prints JSON with totals and every path model; time_decay left out with the reason', async () => {
    // paths.csv (BOM, CRLF, quoted path, blank line): c1>c2>c3 1 conv value 30; c1 1 null; c2>c3 1 null.
    const out = await runJson('--input', 'paths.csv');
    expect(out.total).toEqual({ conversions: 1, value: 30, journeys: 3 });
    expect(Object.keys(out.models)).toEqual(['first_touch', 'last_touch', 'linear', 'position_based', 'markov', 'shapley']);
    // Markov: c1 0.2, c2 0.4, c3 0.4 (see markov.test.ts); value follows (30 × same shares here).
    expect(out.models['markov']?.['c1']?.conversions).toBeCloseTo(0.2, 12);
    expect(out.models['markov']?.['c3']?.conversions).toBeCloseTo(0.4, 12);
    expect(out.models['markov']?.['c2']?.value).toBeCloseTo(12, 10);
    expect(out.models['first_touch']?.['c1']).toEqual({ conversions: 1, value: 30 });
    expect(out.notes.some((n) => /time_decay left out: .*times/.test(n))).toBe(true);
  });

  it("reproduces the white paper's Markov result", async () => {
    const out = await runJson('--input', 'white-paper.csv', '--model', 'markov');
    expect(Object.keys(out.models)).toEqual(['markov']);
    expect(out.models['markov']?.['A']?.conversions).toBeCloseTo(2, 12);
    expect(out.models['markov']?.['B']?.conversions).toBeCloseTo(1, 12);
  });

  it('reads quoted channels with commas and a multi-line cell, any header case, and empty paths as (none)', async () => {
    const out = await runJson('--input', 'quoted.csv', '--model', 'last_touch,first_touch');
    expect(out.total).toEqual({ conversions: 3, value: 0, journeys: 7 });
    expect(out.models['first_touch']?.['tg/deals, Shenzhen']?.conversions).toBe(2);
    expect(out.models['last_touch']?.['wa/团购群']?.conversions).toBe(2);
    expect(out.models['last_touch']?.['(none)']?.conversions).toBe(1);
  });

  it('refuses time_decay by name on CSV with the reason (exit 2)', async () => {
    const r = await run('--input', 'paths.csv', '--model', 'linear,time_decay');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^midfunnel attribute: time_decay needs touch and conversion times.*\n$/);
  });

  it('gives zero totals for an empty file', async () => {
    const out = await runJson('--input', 'empty.csv');
    expect(out.total).toEqual({ conversions: 0, value: 0, journeys: 0 });
    expect(out.models['markov']).toEqual({});
  });
});

describe('midfunnel attribute on JSONL journeys', () => {
  // journeys.jsonl:
  //  1. tg/deals (14 days before), wa/团购群 (7 days), web/site (0 days) → converts, value 70
  //  2. wa/团购群 → no conversion
  //  3. tg/deals (67⅔ days before), web/site (after the conversion, dropped) → converts, value 5
  it('credits every model; time_decay 1/7, 2/7, 4/7 on journey 1 (hand-checked)', async () => {
    const out = await runJson('--input', 'journeys.jsonl');
    expect(out.total).toEqual({ conversions: 2, value: 75, journeys: 3 });
    expect(Object.keys(out.models)).toEqual(['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov', 'shapley']);
    // time_decay: tg 1/7 + 1 (journey 3), wa 2/7, web 4/7; value tg 10 + 5, wa 20, web 40.
    expect(out.models['time_decay']?.['tg/deals']?.conversions).toBeCloseTo(8 / 7, 12);
    expect(out.models['time_decay']?.['wa/团购群']?.value).toBeCloseTo(20, 10);
    expect(out.models['time_decay']?.['web/site']?.value).toBeCloseTo(40, 10);
    // last_touch: web (journey 1), tg (journey 3: web/site came after the conversion).
    expect(out.models['last_touch']?.['web/site']).toEqual({ conversions: 1, value: 70 });
    expect(out.models['last_touch']?.['tg/deals']).toEqual({ conversions: 1, value: 5 });
    // markov: chain start→tg ⅔, start→wa ⅓; tg→wa ½, tg→conv ½; wa→web ½, wa→null ½; web→conv.
    // P = ⅔; RE tg ¾, wa ½, web ½ → tg 2·3/7 = 6/7, wa 4/7, web 4/7.
    // value: worth 70 ending in web, 5 ending in tg. E = 25; VRE tg 8/15, wa 14/15, web 14/15
    //   → tg 75·8/36 = 50/3, wa 75·14/36 = 175/6, web 175/6.
    expect(out.models['markov']?.['tg/deals']?.conversions).toBeCloseTo(6 / 7, 12);
    expect(out.models['markov']?.['wa/团购群']?.conversions).toBeCloseTo(4 / 7, 12);
    expect(out.models['markov']?.['tg/deals']?.value).toBeCloseTo(50 / 3, 10);
    expect(out.models['markov']?.['web/site']?.value).toBeCloseTo(175 / 6, 10);
    // shapley: v(tg) = 1, v(wa) = 0, v(tg,wa,web) = 1, others unseen (0).
    // φ_tg = ⅓·1 + ⅙·0 + ⅙·0 + ⅓·1 = ⅔; φ_wa = ⅓·0 + ⅙(0 − 1) + ⅙·0 + ⅓(1 − 0) = ⅙; φ_web = ⅙.
    // → tg ⅔ + 1 (journey 3), wa ⅙, web ⅙.
    expect(out.models['shapley']?.['tg/deals']?.conversions).toBeCloseTo(5 / 3, 12);
    expect(out.models['shapley']?.['web/site']?.conversions).toBeCloseTo(1 / 6, 12);
  });

  it('applies --lookback: journey 3 keeps no touch and goes to (none) under every model', async () => {
    const out = await runJson('--input', 'journeys.jsonl', '--lookback', '30d');
    for (const credits of Object.values(out.models)) expect(credits['(none)']).toEqual({ conversions: 1, value: 5 });
    expect(out.notes.some((n) => n.includes('(none)'))).toBe(true);
  });

  it('applies --half-life and --position', async () => {
    // Half-life 14d on journey 1: weights 2^-1, 2^-½, 1 → tg gets 0.5/(1.5 + √½) of it.
    const decay = await runJson('--input', 'journeys.jsonl', '--model', 'time_decay', '--half-life', '14d');
    expect(decay.models['time_decay']?.['tg/deals']?.conversions).toBeCloseTo(1 + 0.5 / (1.5 + Math.SQRT1_2), 12);
    // 336h = 14d: same answer.
    const hours = await runJson('--input', 'journeys.jsonl', '--model', 'time_decay', '--half-life', '336h');
    expect(hours.models['time_decay']?.['tg/deals']?.conversions).toBeCloseTo(1 + 0.5 / (1.5 + Math.SQRT1_2), 12);
    // Position 10,80,10 on journey 1 (3 touches): wa gets 0.8.
    const pos = await runJson('--input', 'journeys.jsonl', '--model', 'position_based', '--position', '10,80,10');
    expect(pos.models['position_based']?.['wa/团购群']?.conversions).toBeCloseTo(0.8, 12);
  });

  it('accepts a BOM and CRLF line ends', async () => {
    const out = await runJson('--input', 'crlf-bom.jsonl', '--model', 'linear');
    expect(out.total).toEqual({ conversions: 1, value: 3, journeys: 2 });
    expect(out.models['linear']?.['A']).toEqual({ conversions: 1, value: 3 });
  });

  it('gives zero totals for an empty or blank file', async () => {
    for (const file of ['empty.jsonl', 'blank.jsonl']) {
      const out = await runJson('--input', file);
      expect(out.total).toEqual({ conversions: 0, value: 0, journeys: 0 });
    }
  });

  it('prints an aligned table with the difference from last_touch; CJK names count 2 columns', async () => {
    const r = await run('--input', 'journeys.jsonl', '--model', 'linear,markov');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('channel '));
    expect(header?.split(/\s+/)).toEqual(['channel', 'last_touch', 'linear', 'Δ', 'markov', 'Δ']);
    const tg = lines.find((l) => l.startsWith('tg/deals')) ?? '';
    const wa = lines.find((l) => l.startsWith('wa/团购群')) ?? '';
    // Every row of the table ends at the same display column, so the right-aligned numbers line up.
    expect(displayWidth(wa)).toBe(displayWidth(tg));
    expect(displayWidth(wa)).toBe(displayWidth(header ?? ''));
    // linear for tg: ⅓ (journey 1) + 1 (journey 3) = 1.33; last_touch 1 → Δ +0.33.
    expect(tg.split(/\s+/).slice(1, 4)).toEqual(['1.00', '1.33', '+0.33']);
    expect(r.stdout).toContain('Δ: the model minus last_touch');
  });
});

describe('midfunnel attribute on bad input', () => {
  it.each([
    [['--input', 'missing-column.csv'], /^midfunnel attribute: missing-column\.csv line 1: missing column "total_conversions"/],
    [['--input', 'bad-number.csv'], /bad-number\.csv line 3: total_conversions: not a number: "two"/],
    [['--input', 'negative.csv'], /negative\.csv line 2: total_conversions: must not be negative/],
    [['--input', 'unterminated.csv'], /unterminated\.csv line 2: unterminated quoted field/],
    [['--input', 'empty-channel.csv'], /line 2: path: empty channel name/],
    [['--input', 'field-count.csv'], /line 2: expected 2 fields/],
    [['--input', 'bad-date.jsonl'], /bad-date\.jsonl line 2: conversion\.at: not an ISO 8601 date-time.*"2026-02-30T00:00:00Z"/],
    [['--input', 'not-json.jsonl'], /not-json\.jsonl line 3: not valid JSON/],
    [['--input', 'bad-value.jsonl'], /line 1: conversion\.value: expected a number ≥ 0, got "12"/],
    [['--input', 'missing-channel.jsonl'], /line 1: touches\[0\]\.channel/],
    [['--input', 'missing-conversion.jsonl'], /line 1: conversion: missing/],
    [['--input', 'not-object.jsonl'], /line 1: expected a JSON object/],
    [['--input', 'no-such-file.jsonl'], /cannot read no-such-file\.jsonl: no such file/],
  ])('%j exits 1 with one line naming the problem', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line plus the final newline
  });

  it.each([
    [[], /--input FILE is required/],
    [['--input', 'paths.csv', '--bogus'], /Unknown option '--bogus'/],
    [['--input', 'paths.csv', 'extra'], /positional/i],
    [['--input', 'data.txt'], /expected a \.csv .* or \.jsonl/],
    [['--input', 'paths.csv', '--model', 'markov,last_non_direct'], /unknown model "last_non_direct" \(expected all or one or more of first_touch/],
    [['--input', 'paths.csv', '--model', ','], /--model: expected all or a comma list/],
    [['--input', 'paths.csv', '--order', '0'], /--order "0": expected a positive integer/],
    [['--input', 'paths.csv', '--order', '1.5'], /--order "1.5"/],
    [['--input', 'paths.csv', '--order', 'two'], /--order "two"/],
    [['--input', 'journeys.jsonl', '--half-life', '7'], /--half-life "7": expected a duration like 7d, 12h or 30m/],
    [['--input', 'journeys.jsonl', '--half-life', '0d'], /--half-life "0d": must be longer than zero/],
    [['--input', 'journeys.jsonl', '--half-life', '7w'], /--half-life "7w"/],
    [['--input', 'journeys.jsonl', '--lookback=-3d'], /--lookback "-3d": expected a duration/],
    [['--input', 'journeys.jsonl', '--lookback', '-3d'], /Option '--lookback' argument is ambiguous/],
    [['--input', 'journeys.jsonl', '--lookback', 'month'], /--lookback "month"/],
    [['--input', 'journeys.jsonl', '--position', '40,60'], /--position "40,60": expected three non-negative weights/],
    [['--input', 'journeys.jsonl', '--position', '0,0,0'], /--position "0,0,0"/],
    [['--input', 'paths.csv', '--model', 'time_decay'], /time_decay needs touch and conversion times/],
  ])('%j is a usage error: exit 2, one line', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('prints help on --help and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: midfunnel attribute --input FILE/);
  });
});

describe('midfunnel attribute end to end', () => {
  it('runs through bin/midfunnel.js and prints the Markov white-paper result as JSON', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/midfunnel.js', 'attribute', '--input', 'test/attribution/fixtures/white-paper.csv', '--json'],
      { cwd: root },
    );
    const out = JSON.parse(stdout);
    expect(out.total).toEqual({ conversions: 3, value: 0, journeys: 3 });
    expect(out.models.markov.A.conversions).toBeCloseTo(2, 12);
    expect(out.models.markov.B.conversions).toBeCloseTo(1, 12);
    expect(out.models.linear.A.conversions + out.models.linear.B.conversions).toBeCloseTo(3, 12);
  });

  it('exits with code 1 through bin/midfunnel.js on a bad line', async () => {
    const err = await promisify(execFile)(process.execPath, ['bin/midfunnel.js', 'attribute', '--input', 'test/attribution/fixtures/not-json.jsonl'], {
      cwd: root,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/line 3: not valid JSON/);
  });
});
