/**
 * A raw update with everything people wrote removed, for keeping a failed update for
 * inspection without keeping message text: text, captions, names, phone numbers, bios,
 * poll questions and answers become `[redacted: N chars]`; ids, dates, entity offsets and
 * the update's shape stay.
 */
const PERSONAL = new Set(['text', 'caption', 'first_name', 'last_name', 'phone_number', 'vcard', 'bio', 'question', 'explanation', 'address', 'quote']);

export function redactUpdate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactUpdate);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = PERSONAL.has(k) && typeof v === 'string' ? `[redacted: ${v.length} chars]` : redactUpdate(v);
  }
  return out;
}
