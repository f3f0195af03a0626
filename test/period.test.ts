import { describe, expect, it } from 'vitest';
import { localDay, parsePeriod, PeriodError } from '../src/reports/period.js';

const now = new Date('2026-03-31T12:00:00Z');

describe('report periods', () => {
  it('reads relative periods back from now', () => {
    expect(parsePeriod('7d', now)).toEqual({ from: '2026-03-24T12:00:00.000Z', to: '2026-03-31T12:00:00.000Z', label: '7d' });
    expect(parsePeriod(' 90d ', now).from).toBe('2025-12-31T12:00:00.000Z');
    expect(parsePeriod('12h', now).from).toBe('2026-03-31T00:00:00.000Z');
    expect(parsePeriod('2w', now).from).toBe('2026-03-17T12:00:00.000Z');
  });

  it('reads date ranges with both days included, in the workspace time zone', () => {
    expect(parsePeriod('2026-01-01..2026-01-31', now)).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', label: '2026-01-01..2026-01-31' });
    const sh = parsePeriod('2026-01-01..2026-01-01', now, 'Asia/Shanghai');
    expect(sh.from).toBe('2025-12-31T16:00:00.000Z');
    expect(sh.to).toBe('2026-01-01T16:00:00.000Z');
    // New York leaves daylight saving time on 2026-11-01: that day has 25 hours.
    const ny = parsePeriod('2026-11-01..2026-11-01', now, 'America/New_York');
    expect(Date.parse(ny.to) - Date.parse(ny.from)).toBe(25 * 3_600_000);
  });

  it('answers bad periods with a one-line reason and the accepted forms', () => {
    for (const bad of ['', 'yesterday', '0d', '99999d', '2026-02-30..2026-03-01', '2026-03-02..2026-03-01', '7 d', '2026-1-1..2026-1-2']) {
      let err: unknown;
      try {
        parsePeriod(bad, now);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(PeriodError);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('gives local calendar days', () => {
    expect(localDay('2026-03-01T17:00:00Z', 'Asia/Shanghai')).toBe('2026-03-02');
    expect(localDay('2026-03-01T17:00:00Z', 'UTC')).toBe('2026-03-01');
  });
});
