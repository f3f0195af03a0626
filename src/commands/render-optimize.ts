/**
 * Keyword lift, hints and readiness as chat answers: compact text (fixed-width tables where
 * there are columns). Pure. The figures are the ones the CLI prints and the API returns.
 */
import { localDay } from '../reports/period.js';
import type { HintsReport, LiftReport, ReadinessReport, ReadinessStatus } from '../optimize/optimize-types.js';
import type { Answer } from './command-types.js';
import { clip, pct, table } from './render-reports.js';

function periodLine(p: { label: string; from: string; to: string }, timeZone: string): string {
  return `${p.label} (${localDay(p.from, timeZone)} – ${localDay(Date.parse(p.to) - 1, timeZone)})`;
}

/** A lift (ratio − 1) as a signed percentage, `–` when unknown. */
export function liftPct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const r = Math.round(x * 100);
  return `${r > 0 ? '+' : ''}${r}%`;
}

/** `/lift`: one row per keyword shown. */
export function renderLift(r: LiftReport, o: { timeZone: string }): Answer[] {
  const head = [`Keyword lift · ${periodLine(r.period, o.timeZone)}`, `Converted within ${r.windowDays} days of the first mention, vs matched controls (same join campaign, week and activity decile).`];
  const notes = (r.notes ?? []).map((n) => `Note: ${n}`);
  if (r.rows.length === 0) {
    return [{ type: 'text', text: [...head, '', `No keyword has ${r.minGroup}+ people in both groups yet.`, ...notes].join('\n') }];
  }
  const rows = r.rows.slice(0, 15).map((x) => [clip(x.keyword, 14), String(x.treated), String(x.controls), pct(x.treatedRate), pct(x.controlRate), liftPct(x.lift), `${liftPct(x.liftLow)}…${liftPct(x.liftHigh)}`]);
  return [
    { type: 'text', text: head.join('\n') },
    { type: 'text', monospace: true, text: table(['keyword', 'people', 'ctrl', 'conv', 'ctrl conv', 'lift', '95%'], rows) },
    ...(notes.length > 0 ? [{ type: 'text' as const, text: notes.join('\n') }] : []),
  ];
}

/** `/hints` (and the weekly digest): numbered statements with their confidence. */
export function renderHints(r: HintsReport, o: { timeZone: string }): Answer[] {
  const head = `Hints · ${periodLine(r.period, o.timeZone)} · ${r.conversions} matched conversions`;
  const lines = r.hints.length === 0 ? ['No hint: nothing crossed a rule’s threshold with enough evidence.'] : r.hints.flatMap((h, i) => [`${i + 1}. ${h.label}`, `   confidence ${h.confidenceNote}`]);
  const notes = (r.notes ?? []).map((n) => `Note: ${n}`);
  return [{ type: 'text', text: [head, '', ...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n') }];
}

const MARK: Record<ReadinessStatus, string> = { red: '🔴', amber: '🟠', green: '🟢' };

/** `/readiness`: red first, then amber, then green; a fix under each one not green. */
export function renderReadiness(r: ReadinessReport, o: { onlyProblems?: boolean } = {}): Answer[] {
  const count = (s: ReadinessStatus): number => r.checks.filter((c) => c.status === s).length;
  const order: ReadinessStatus[] = ['red', 'amber', 'green'];
  const shown = r.checks
    .filter((c) => !o.onlyProblems || c.status !== 'green')
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order.indexOf(a.c.status) - order.indexOf(b.c.status) || a.i - b.i)
    .map((x) => x.c);
  const lines = shown.flatMap((c) => [`${MARK[c.status]} ${c.check} · ${c.label}`, ...(c.fix ? [`   → ${c.fix}`] : [])]);
  return [{ type: 'text', text: [`Readiness · ${r.workspace}: ${count('red')} red, ${count('amber')} amber, ${count('green')} green`, '', ...lines].join('\n') }];
}
