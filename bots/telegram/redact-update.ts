/**
 * A raw update with everything people wrote removed, for keeping a failed update for
 * inspection without keeping message text: text, captions, names, phone numbers, bios,
 * poll questions and answers become `[redacted: N chars]`; ids, dates, entity offsets and
 * the update's shape stay. Nesting deeper than `maxDepth` (default 64; no real update comes
 * close) is cut to `[truncated: nested too deep]`, so a hostile update cannot overflow the stack.
 */
const PERSONAL = new Set(['text', 'caption', 'first_name', 'last_name', 'phone_number', 'vcard', 'bio', 'question', 'explanation', 'address', 'quote']);

export function redactUpdate(value: unknown, maxDepth = 64): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (maxDepth <= 0) return '[truncated: nested too deep]';
  if (Array.isArray(value)) return value.map((v) => redactUpdate(v, maxDepth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = PERSONAL.has(k) && typeof v === 'string' ? `[redacted: ${v.length} chars]` : redactUpdate(v, maxDepth - 1);
  }
  return out;
}
