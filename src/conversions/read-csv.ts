/**
 * Reading shop exports: bytes → text (UTF-8 with or without BOM, UTF-16 with BOM, GBK /
 * GB18030 as Chinese Excel saves it) → records with the line each starts on.
 *
 * RFC 4180: quoted fields with `""` for a quote and line breaks inside quotes, CRLF or LF,
 * blank lines skipped. The delimiter is read from the header line (comma, semicolon or tab,
 * whichever it has most of outside quotes). A broken record (a quote never closed, text after
 * a closing quote) is reported with its line and reading resumes on the next line, so one bad
 * line never hides the rest of the file.
 */
import iconv from 'iconv-lite';

export const CSV_ENCODINGS = ['auto', 'utf8', 'gbk', 'utf16le'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** Decodes a file; `auto` takes a BOM's word, else UTF-8 when the bytes are valid UTF-8, else GB18030 (a superset of GBK). */
export function decodeCsv(bytes: Uint8Array, encoding: CsvEncoding = 'auto'): { text: string; encoding: string } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = (a: number, b: number, c?: number): boolean => buf[0] === a && buf[1] === b && (c === undefined || buf[2] === c);
  if (encoding === 'auto' || encoding === 'utf16le') {
    if (bom(0xff, 0xfe)) return { text: iconv.decode(buf.subarray(2), 'utf16le'), encoding: 'utf-16le' };
    if (bom(0xfe, 0xff)) return { text: iconv.decode(buf.subarray(2), 'utf16-be'), encoding: 'utf-16be' };
    if (encoding === 'utf16le') return { text: iconv.decode(buf, 'utf16le'), encoding: 'utf-16le' };
  }
  if (encoding === 'gbk') return { text: iconv.decode(buf, 'gb18030'), encoding: 'gbk' };
  const body = bom(0xef, 0xbb, 0xbf) ? buf.subarray(3) : buf;
  if (encoding === 'utf8') return { text: new TextDecoder('utf-8').decode(body), encoding: 'utf-8' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: body === buf ? 'utf-8' : 'utf-8 (BOM)' };
  } catch {
    return { text: iconv.decode(buf, 'gb18030'), encoding: 'gbk' };
  }
}

export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

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

/** Splits CSV text into records, skipping blank lines; broken records come back as errors. */
export function* readCsv(text: string, delimiter = detectDelimiter(text)): Generator<CsvRecord> {
  const len = text.length;
  const delim = delimiter.charCodeAt(0);
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  /** Skips to the start of the line after `from`; returns the new position. */
  const nextLine = (from: number): number => {
    const nl = text.indexOf('\n', from);
    return nl < 0 ? len : nl + 1;
  };
  while (i < len) {
    const c0 = text.charCodeAt(i);
    if (c0 === LF || (c0 === CR && text.charCodeAt(i + 1) === LF)) {
      i += c0 === CR ? 2 : 1;
      line++;
      continue;
    }
    const recordLine = line;
    const recordStart = i;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let field = '';
      if (text.charCodeAt(i) === QUOTE) {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            error = 'a quoted field is never closed (a " is missing)';
            break;
          }
          const chunk = text.slice(i, q);
          for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === LF) line++;
          field += chunk;
          if (text.charCodeAt(q + 1) === QUOTE) {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        if (error === undefined) {
          const next = text.charCodeAt(i);
          if (i < len && next !== delim && next !== LF && next !== CR) error = `unexpected text after a closing quote (quote the whole field)`;
        }
      } else {
        let j = i;
        while (j < len) {
          const c = text.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      if (error !== undefined) break;
      fields.push(field);
      const c = text.charCodeAt(i);
      if (c === delim) {
        i++;
        continue;
      }
      if (c === CR) i++;
      if (text.charCodeAt(i) === LF) i++;
      line++;
      break;
    }
    if (error !== undefined) {
      yield { line: recordLine, error };
      // Resume on the line after the one the broken record started on.
      i = nextLine(recordStart);
      line = recordLine + 1;
      continue;
    }
    yield { line: recordLine, fields };
  }
}
