/**
 * The command layer's answers as WhatsApp messages (pure): WhatsApp shows no HTML, so text
 * stays plain with WhatsApp's own marks (`*bold*` for a title line, a ``` block for tables),
 * every message is at most {@link MAX_WA_TEXT} characters, split at line boundaries (a table
 * split in two stays two monospace blocks), charts are images and exports documents.
 */
import type { Answer } from '../../src/commands/index.js';

/** Longest text sent in one message (WhatsApp takes more, but long messages fold and read badly). */
export const MAX_WA_TEXT = 4_000;
/** Longest caption kept under an image or a document. */
export const MAX_WA_CAPTION = 1_000;

/** One message to send: text, or a file (`MessageMedia` is made from it by the sender). */
export type WaOutgoing =
  | { kind: 'text'; text: string }
  | { kind: 'media'; mimetype: string; data: Buffer; filename: string; caption?: string; asDocument: boolean };

/**
 * Splits text into pieces of at most `max` characters, at line breaks; a single line longer
 * than `max` is cut. Empty text is one empty piece.
 */
export function splitLines(text: string, max = MAX_WA_TEXT): string[] {
  const pieces: string[] = [];
  let current: string | null = null;
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (current !== null) pieces.push(current);
      current = null;
      pieces.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    if (current === null) current = rest;
    else if (current.length + 1 + rest.length > max) {
      pieces.push(current);
      current = rest;
    } else current = `${current}\n${rest}`;
  }
  if (current !== null) pieces.push(current);
  return pieces.length > 0 ? pieces : [''];
}

const FENCE = '```';

/** WhatsApp's bold around one line; marks inside would end it early, so they are dropped. */
function bold(line: string): string {
  const t = line.replace(/\*/g, '').trim();
  return t.length > 0 ? `*${t}*` : line;
}

/** A text answer's messages: a table as monospace blocks; other text plain, its first line bold when a title. */
function textMessages(text: string, monospace: boolean): WaOutgoing[] {
  if (monospace) {
    // Three backticks inside would close the block: broken up with a zero-width space.
    const safe = text.replace(/```/g, '`\u200b``');
    return splitLines(safe, MAX_WA_TEXT - 2 * FENCE.length - 2).map((p) => ({ kind: 'text', text: `${FENCE}\n${p}\n${FENCE}` }));
  }
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  // A short first line followed by more is a title (report headers, /help's first line).
  const titled = lines.length > 1 && first.length > 0 && first.length <= 80 ? [bold(first), ...lines.slice(1)].join('\n') : text;
  return splitLines(titled).map((p) => ({ kind: 'text', text: p }));
}

/** Every answer as WhatsApp messages, in order. */
export function formatAnswers(answers: readonly Answer[]): WaOutgoing[] {
  const out: WaOutgoing[] = [];
  for (const a of answers) {
    switch (a.type) {
      case 'text':
        out.push(...textMessages(a.text, a.monospace === true));
        break;
      case 'photo':
        out.push({ kind: 'media', mimetype: 'image/png', data: a.png, filename: 'chart.png', caption: a.caption.slice(0, MAX_WA_CAPTION), asDocument: false });
        break;
      case 'document':
        out.push({ kind: 'media', mimetype: a.mimeType, data: a.content, filename: a.filename, ...(a.caption ? { caption: a.caption.slice(0, MAX_WA_CAPTION) } : {}), asDocument: true });
        break;
    }
  }
  return out;
}
