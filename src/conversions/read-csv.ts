/**
 * Reading shop exports: bytes → text (UTF-8 with or without BOM, UTF-16 with BOM, GBK /
 * GB18030 as Chinese Excel saves it) → records with the line each starts on.
 *
 * Records come from `src/csv/csv-records.ts` (csv-parse): quoted fields, line breaks inside
 * quotes, CRLF or LF, blank lines skipped, a broken record reported with its line and
 * reading resumed on the next line. What csv-parse leaves to us is here: the encoding (with
 * iconv-lite) and the delimiter, read from the header line (comma, semicolon or tab,
 * whichever it has most of outside quotes).
 *
 * Encoding (`auto`): a BOM decides; else valid UTF-8 is UTF-8; else the file is read as GBK
 * only when its bytes are not plausibly UTF-8 at all (more broken UTF-8 sequences than whole
 * ones, and every byte fits GBK's structure). A UTF-8 file with a few bad bytes stays UTF-8,
 * and the lines holding them are reported ({@link DecodedCsv.invalidLines}) instead of the
 * whole file turning into garbage.
 */
import iconv from 'iconv-lite';
import { readCsvRecords, type CsvRecord } from '../csv/csv-records.js';

export type { CsvRecord } from '../csv/csv-records.js';

export const CSV_ENCODINGS = ['auto', 'utf8', 'gbk', 'utf16le'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

export interface DecodedCsv {
  text: string;
  /** The encoding the text was read in: `utf-8`, `utf-8 (BOM)`, `gbk`, `utf-16le`, `utf-16be`. */
  encoding: string;
  /** Lines (1-based) holding bytes that are not valid UTF-8, when read as UTF-8; absent when none. */
  invalidLines?: number[];
}

/** Where a buffer breaks UTF-8, and how many whole multi-byte sequences it holds. */
export function scanUtf8(buf: Uint8Array): { invalidOffsets: number[]; multiByte: number } {
  const invalidOffsets: number[] = [];
  let multiByte = 0;
  let i = 0;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = buf[k];
    return b !== undefined && b >= lo && b <= hi;
  };
  while (i < buf.length) {
    const b = buf[i] as number;
    let len = 0;
    if (b < 0x80) len = 1;
    else if (b >= 0xc2 && b <= 0xdf) len = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) len = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) len = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xed) len = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) len = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) len = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) len = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (len === 0) {
      invalidOffsets.push(i);
      i++;
      continue;
    }
    if (len > 1) multiByte++;
    i += len;
  }
  return { invalidOffsets, multiByte };
}

/** True when every byte fits GB18030's structure (one byte, a lead and trail pair, or a four-byte sequence). */
export function fitsGb18030(buf: Uint8Array): boolean {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b === 0x80 || b === 0xff) return false;
    const t = buf[i + 1];
    if (t === undefined) return false;
    if ((t >= 0x40 && t <= 0x7e) || (t >= 0x80 && t <= 0xfe)) {
      i += 2;
      continue;
    }
    const t2 = buf[i + 2];
    const t3 = buf[i + 3];
    if (t >= 0x30 && t <= 0x39 && t2 !== undefined && t2 >= 0x81 && t2 <= 0xfe && t3 !== undefined && t3 >= 0x30 && t3 <= 0x39) {
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

/** 1-based lines of byte offsets in `buf` (offsets ascending). */
function linesOf(buf: Uint8Array, offsets: readonly number[]): number[] {
  const out: number[] = [];
  let line = 1;
  let pos = 0;
  for (const off of offsets) {
    for (; pos < off; pos++) {
      const c = buf[pos];
      if (c === 0x0a || (c === 0x0d && buf[pos + 1] !== 0x0a)) line++;
    }
    if (out[out.length - 1] !== line) out.push(line);
  }
  return out;
}

/** UTF-8 text of `body` (no BOM); lines with invalid bytes are listed and their bytes become U+FFFD. */
function decodeUtf8(body: Buffer, encoding: string, scan = scanUtf8(body)): DecodedCsv {
  const text = new TextDecoder('utf-8').decode(body);
  return scan.invalidOffsets.length === 0 ? { text, encoding } : { text, encoding, invalidLines: linesOf(body, scan.invalidOffsets) };
}

/** Decodes a file; `auto` takes a BOM's word, else UTF-8 unless the bytes are not plausibly UTF-8 at all (then GBK). */
export function decodeCsv(bytes: Uint8Array, encoding: CsvEncoding = 'auto'): DecodedCsv {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = (a: number, b: number, c?: number): boolean => buf[0] === a && buf[1] === b && (c === undefined || buf[2] === c);
  if (encoding === 'auto' || encoding === 'utf16le') {
    if (bom(0xff, 0xfe)) return { text: iconv.decode(buf.subarray(2), 'utf16le'), encoding: 'utf-16le' };
    if (bom(0xfe, 0xff)) return { text: iconv.decode(buf.subarray(2), 'utf16-be'), encoding: 'utf-16be' };
    if (encoding === 'utf16le') return { text: iconv.decode(buf, 'utf16le'), encoding: 'utf-16le' };
  }
  if (encoding === 'gbk') return { text: iconv.decode(buf, 'gb18030'), encoding: 'gbk' };
  const hasBom = bom(0xef, 0xbb, 0xbf);
  const body = hasBom ? buf.subarray(3) : buf;
  const label = hasBom ? 'utf-8 (BOM)' : 'utf-8';
  if (encoding === 'utf8') return decodeUtf8(body, label);
  const scan = scanUtf8(body);
  if (scan.invalidOffsets.length === 0) return { text: body.toString('utf8'), encoding: label };
  // Mostly broken as UTF-8 and shaped like GBK: a GBK file. A few bad bytes among good UTF-8: a UTF-8 file with bad lines.
  if (!hasBom && scan.invalidOffsets.length > scan.multiByte && fitsGb18030(buf)) return { text: iconv.decode(buf, 'gb18030'), encoding: 'gbk' };
  return decodeUtf8(body, label, scan);
}

/** The delimiter the header line uses most, outside quotes: `,` (default), `;` or tab. */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>([[',', 0], [';', 0], ['\t', 0]]);
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > (counts.get(best) ?? 0)) best = d;
  return best;
}

/** Splits CSV text into records, skipping blank lines; broken records come back as errors and reading resumes on the next line. */
export function readCsv(text: string, delimiter = detectDelimiter(text)): Generator<CsvRecord> {
  return readCsvRecords(text, { delimiter, onError: 'resume' });
}
