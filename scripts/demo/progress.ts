/**
 * Progress of the demo's phases on stderr: a cli-progress bar per phase on a terminal,
 * nothing otherwise (so stdout, the printed figures, stays the same on every run).
 */
import cliProgress from 'cli-progress';

export interface Bar {
  increment(): void;
  stop(): void;
}

export interface Progress {
  /** A bar for `total` steps of one phase. */
  bar(label: string, total: number): Bar;
  /** Runs a synchronous step under a label. */
  step<T>(label: string, fn: () => T): T;
  /** A line on stderr (timings, skipped phases). */
  note(text: string): void;
}

export function createProgress(enabled: boolean): Progress {
  const silent: Bar = { increment: () => undefined, stop: () => undefined };
  return {
    bar(label, total) {
      if (total === 0) return silent;
      if (!enabled) {
        // No terminal: one line when the phase's steps are done.
        let n = 0;
        const t0 = Date.now();
        return { increment: () => void n++, stop: () => process.stderr.write(`${label}: ${n}/${total} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`) };
      }
      const bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(28)} {bar} {value}/{total} {duration_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { increment: () => bar.increment(), stop: () => bar.stop() };
    },
    step(label, fn) {
      const t0 = Date.now();
      const out = fn();
      process.stderr.write(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      return out;
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}
