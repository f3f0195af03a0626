/**
 * Keyword lift, hints and readiness as chat answers: compact text (fixed-width tables where
 * there are columns). Pure. The figures are the ones the CLI prints and the API returns.
 */
import { t, type Lang } from '../i18n/index.js';
import { hintText } from '../optimize/hints.js';
import { readinessText } from '../optimize/readiness.js';
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

/** `/lift`: one row per keyword shown (`lang`: the words around the figures; keywords as written). */
export function renderLift(r: LiftReport, o: { timeZone: string; lang?: Lang }): Answer[] {
  const lang = o.lang ?? 'en';
  const head = [t(lang, 'lift.title', { period: periodLine(r.period, o.timeZone) }), t(lang, 'lift.method', { days: r.windowDays })];
  const notes = (r.notes ?? []).map((n) => t(lang, 'report.note', { note: n }));
  if (r.rows.length === 0) {
    return [{ type: 'text', text: [...head, '', t(lang, 'lift.empty', { n: r.minGroup }), ...notes].join('\n') }];
  }
  const rows = r.rows.slice(0, 15).map((x) => [clip(x.keyword, 14), String(x.treated), String(x.controls), pct(x.treatedRate), pct(x.controlRate), liftPct(x.lift), `${liftPct(x.liftLow)}…${liftPct(x.liftHigh)}`]);
  const col = (k: 'keyword' | 'people' | 'ctrl' | 'conv' | 'ctrl-conv' | 'lift'): string => t(lang, `lift.col.${k}`);
  return [
    { type: 'text', text: head.join('\n') },
    { type: 'text', monospace: true, text: table([col('keyword'), col('people'), col('ctrl'), col('conv'), col('ctrl-conv'), col('lift'), '95%'], rows) },
    ...(notes.length > 0 ? [{ type: 'text' as const, text: notes.join('\n') }] : []),
  ];
}

/** `/hints` (and the weekly digest): numbered statements with their confidence, in `lang` (default English). */
export function renderHints(r: HintsReport, o: { timeZone: string; lang?: Lang }): Answer[] {
  const lang = o.lang ?? 'en';
  const head = t(lang, 'hints.title', { period: periodLine(r.period, o.timeZone), n: r.conversions });
  const lines =
    r.hints.length === 0
      ? [t(lang, 'hints.none')]
      : r.hints.flatMap((h, i) => {
          const w = hintText(h, lang);
          return [`${i + 1}. ${w.label}`, t(lang, 'hints.confidence', { note: w.confidenceNote })];
        });
  const notes = (r.notes ?? []).map((n) => t(lang, 'report.note', { note: n }));
  return [{ type: 'text', text: [head, '', ...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n') }];
}

const MARK: Record<ReadinessStatus, string> = { red: '🔴', amber: '🟠', green: '🟢' };

/** `/readiness`: red first, then amber, then green; a fix under each one not green; in `lang` (default English). */
export function renderReadiness(r: ReadinessReport, o: { onlyProblems?: boolean; lang?: Lang } = {}): Answer[] {
  const lang = o.lang ?? 'en';
  const count = (s: ReadinessStatus): number => r.checks.filter((c) => c.status === s).length;
  const order: ReadinessStatus[] = ['red', 'amber', 'green'];
  const shown = r.checks
    .filter((c) => !o.onlyProblems || c.status !== 'green')
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order.indexOf(a.c.status) - order.indexOf(b.c.status) || a.i - b.i)
    .map((x) => x.c);
  const lines = shown.flatMap((c) => {
    const w = readinessText(c, lang);
    return [`${MARK[c.status]} ${w.check} · ${w.label}`, ...(w.fix ? [`   → ${w.fix}`] : [])];
  });
  return [{ type: 'text', text: [t(lang, 'readiness.title', { workspace: r.workspace, red: count('red'), amber: count('amber'), green: count('green') }), '', ...lines].join('\n') }];
}
