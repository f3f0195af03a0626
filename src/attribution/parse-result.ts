/** What the file parsers return instead of throwing: a table, or the first bad line. */
import type { JourneyTable } from './journey.js';

/** The input parsed. */
export interface ParseSuccess {
  readonly ok: true;
  readonly table: JourneyTable;
}

/** The input has a bad line; nothing was built. */
export interface ParseFailure {
  readonly ok: false;
  /** 1-based line number in the text (blank lines counted). */
  readonly line: number;
  /** What is wrong there, e.g. `touches[1].at: not an ISO 8601 date-time: "yesterday"`. */
  readonly message: string;
}

/** Result of `parsePathsCsv` / `parseJourneysJsonl`. */
export type ParseResult = ParseSuccess | ParseFailure;
