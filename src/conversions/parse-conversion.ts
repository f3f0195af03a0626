/**
 * A conversion as integrators send it (webhook JSON or a CSV row mapped to the same
 * fields) → the stored `ConversionRecord`: validated with zod, one message per bad field,
 * identifiers normalized and pseudonymized (see `customer-identifiers.ts`).
 *
 * Fields: `id` (order / lead id: string, or a whole number), `workspace`, `occurred_at`
 * (ISO 8601 with offset; a CSV may give local times, read in the workspace's time zone),
 * `value` (≥ 0; a number or a decimal string like "12.50"), `currency` (ISO 4217), `type`
 * (`purchase`, `lead`, `signup`, … lower case), and optionally `customer.{phone, email,
 * telegram_id, telegram_username, whatsapp, external_id}`, `click_id` (or `mf_click`),
 * `coupon`, `utm`. Unknown fields are ignored. Wrong JSON types are errors; a customer value
 * that cannot be normalized (a malformed phone) is left out with a warning, so a real sale
 * is never refused because of one bad contact field.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fieldErrors, type FieldError } from '../field-errors.js';
import { identifierKey } from '../identity/identifier.js';
import type { Pseudonymizer } from '../identity/pseudonymize.js';
import type { ConversionRecord } from '../store/store.js';
import { isWellFormed, NOT_WELL_FORMED } from '../touch-event.js';
import { customerIdentifiers } from './customer-identifiers.js';
import { parseOccurredAt } from './parse-time.js';

export { fieldErrors, type FieldError } from '../field-errors.js';

export interface ParseConversionOptions {
  /** The workspace's keyed hash (`makePseudonymizer(hashKey, workspace)`). */
  pseudonymize: Pseudonymizer;
  /** Default region for national phone numbers (ISO 3166 alpha-2). */
  region: string;
  source: ConversionRecord['source'];
  /** Now, for `receivedAt` and the future-time check. */
  now: Date;
  /** Reads times without an offset (`2026-03-01 10:00`) in this IANA zone; webhooks leave it unset and require an offset. */
  localTimeZone?: string;
}

export type ParsedConversion = { ok: true; conversion: ConversionRecord; warnings: string[] } | { ok: false; errors: FieldError[] };

/** How far in the future an `occurred_at` may be (clock skew between the shop and us). */
export const MAX_FUTURE_MS = 24 * 3_600_000;

const idText = (what: string, max: number) =>
  z.union([z.string().trim().min(1, `${what} must not be empty`).max(max, `${what} is longer than ${max} characters`).refine(isWellFormed, NOT_WELL_FORMED), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).transform(String)], {
    error: `expected ${what} as a string or a whole number`,
  });

const optionalText = (max: number) => z.union([z.string().max(max, `longer than ${max} characters`).refine(isWellFormed, NOT_WELL_FORMED), z.number().transform(String)], { error: 'expected a string' }).optional();

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;

const conversionSchema = z.object({
  id: idText('the order id', 200),
  workspace: z.string({ error: 'expected the workspace id' }).regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'workspace ids are 1-64 of a-z 0-9 _ -'),
  occurred_at: z.string({ error: 'expected an ISO 8601 time like 2026-03-01T10:00:00+08:00' }).min(1, 'expected an ISO 8601 time like 2026-03-01T10:00:00+08:00').max(64),
  value: z
    .union([z.number(), z.string().regex(DECIMAL, 'expected a number like 12.50').transform(Number)], { error: 'expected a number ≥ 0 like 12.50' })
    .refine((v) => Number.isFinite(v) && v >= 0 && v <= 1e12, 'expected a number between 0 and 1,000,000,000,000'),
  currency: z
    .string({ error: 'expected an ISO 4217 currency code like CNY' })
    .trim()
    .regex(/^[A-Za-z]{3}$/, 'expected an ISO 4217 currency code like CNY')
    .transform((c) => c.toUpperCase()),
  type: z
    .string({ error: 'expected a conversion type like purchase, lead or signup' })
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected a conversion type like purchase, lead or signup (a-z 0-9 _, at most 32)'),
  customer: z
    .object(
      {
        phone: optionalText(64),
        email: optionalText(254),
        telegram_id: optionalText(32),
        telegram_username: optionalText(64),
        whatsapp: optionalText(64),
        external_id: optionalText(200),
      },
      { error: 'expected an object like {"phone": "+8613800138000"}' },
    )
    .optional(),
  click_id: z.string({ error: 'expected the mf_click value as a string' }).trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected the mf_click value (1-64 of A-Z a-z 0-9 _ -)').optional(),
  mf_click: z.string({ error: 'expected the mf_click value as a string' }).trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected the mf_click value (1-64 of A-Z a-z 0-9 _ -)').optional(),
  coupon: z.string({ error: 'expected the coupon code as a string' }).trim().min(1, 'must not be empty').max(64, 'longer than 64 characters').refine(isWellFormed, NOT_WELL_FORMED).optional(),
  utm: z
    .record(z.string().regex(/^[a-z0-9_]{1,32}$/, 'utm keys are like source, medium, campaign'), z.string({ error: 'expected a string' }).max(300, 'longer than 300 characters').refine(isWellFormed, NOT_WELL_FORMED), {
      error: 'expected an object like {"source": "telegram", "campaign": "spring"}',
    })
    .refine((r) => Object.keys(r).length <= 10, 'at most 10 utm fields')
    .optional(),
});

type ConversionInput = z.infer<typeof conversionSchema>;

/** SHA-256 of what a conversion says, so a re-send can be told from a changed one. */
export function conversionFingerprint(c: Pick<ConversionRecord, 'type' | 'occurredAt' | 'value' | 'currency' | 'identifiers' | 'telegramUsername' | 'clickId' | 'coupon' | 'utm'>): string {
  const content = [
    c.type,
    c.occurredAt,
    c.value,
    c.currency,
    c.identifiers.map(identifierKey).sort(),
    c.telegramUsername ?? null,
    c.clickId ?? null,
    c.coupon ?? null,
    Object.entries(c.utm ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** The fields in which two conversions with the same id differ (for a conflict message). */
export function differingFields(a: ConversionRecord, b: ConversionRecord): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  if (a.type !== b.type) out.push('type');
  if (a.occurredAt !== b.occurredAt) out.push('occurred_at');
  if (a.value !== b.value) out.push('value');
  if (a.currency !== b.currency) out.push('currency');
  if (!same(a.identifiers.map(identifierKey).sort(), b.identifiers.map(identifierKey).sort()) || a.telegramUsername !== b.telegramUsername) out.push('customer');
  if (a.clickId !== b.clickId) out.push('click_id');
  if (a.coupon !== b.coupon) out.push('coupon');
  if (!same(Object.entries(a.utm ?? {}).sort(), Object.entries(b.utm ?? {}).sort())) out.push('utm');
  return out;
}

/**
 * Senders that flatten nested fields (`"customer.phone": "…"`, as some form tools and
 * spreadsheets do) mean the same as `{"customer": {"phone": "…"}}`; a nested value wins.
 */
function foldDottedCustomer(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const entries = Object.entries(input as Record<string, unknown>);
  const dotted = entries.filter(([k]) => k.startsWith('customer.'));
  if (dotted.length === 0) return input;
  const out: Record<string, unknown> = Object.fromEntries(entries.filter(([k]) => !k.startsWith('customer.')));
  const nested = out.customer;
  if (nested !== undefined && (nested === null || typeof nested !== 'object' || Array.isArray(nested))) return input;
  out.customer = { ...Object.fromEntries(dotted.map(([k, v]) => [k.slice('customer.'.length), v])), ...(nested as Record<string, unknown> | undefined) };
  return out;
}

/** Field names in the order the schema lists them, for answering errors in a stable order. */
const FIELD_ORDER: readonly string[] = Object.keys(conversionSchema.shape);
const fieldRank = (field: string): number => {
  const i = FIELD_ORDER.indexOf(field.split('.')[0] ?? field);
  return i < 0 ? FIELD_ORDER.length : i;
};

/** Validates and normalizes one conversion; never throws for bad input. Every bad field is reported at once. */
export function parseConversion(raw: unknown, options: ParseConversionOptions): ParsedConversion {
  const input = foldDottedCustomer(raw);
  const parsed = conversionSchema.safeParse(input);
  const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error, input);
  const fields = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  // Checks zod does not make, run whatever else is wrong, so one answer names every bad field.
  let at: number | undefined;
  if (typeof fields.occurred_at === 'string' && !errors.some((e) => e.field === 'occurred_at')) {
    const t = parseOccurredAt(fields.occurred_at, options.localTimeZone);
    if (!t.ok) errors.push({ field: 'occurred_at', message: t.message });
    else if (t.ms > options.now.getTime() + MAX_FUTURE_MS) errors.push({ field: 'occurred_at', message: 'is more than 24 hours in the future; send the time the order was placed' });
    else at = t.ms;
  }
  const click = typeof fields.click_id === 'string' ? fields.click_id.trim() : undefined;
  const mf = typeof fields.mf_click === 'string' ? fields.mf_click.trim() : undefined;
  if (click !== undefined && mf !== undefined && click !== mf && !errors.some((e) => e.field === 'mf_click')) {
    errors.push({ field: 'mf_click', message: 'differs from click_id; send one of them' });
  }
  if (errors.length > 0 || !parsed.success || at === undefined) {
    return { ok: false, errors: errors.map((e, i) => ({ e, i })).sort((a, b) => fieldRank(a.e.field) - fieldRank(b.e.field) || a.i - b.i).map(({ e }) => e) };
  }
  const data: ConversionInput = parsed.data;

  const customer = customerIdentifiers(data.customer, options.pseudonymize, options.region);
  const conversion: ConversionRecord = {
    workspace: data.workspace,
    id: data.id,
    type: data.type,
    occurredAt: new Date(at).toISOString(),
    value: data.value,
    currency: data.currency,
    identifiers: customer.identifiers,
    fingerprint: '',
    source: options.source,
    receivedAt: options.now.toISOString(),
    status: 'pending',
    match: null,
    reconciledAt: null,
  };
  if (customer.telegramUsername !== undefined) conversion.telegramUsername = customer.telegramUsername;
  const clickId = data.click_id ?? data.mf_click;
  if (clickId !== undefined) conversion.clickId = clickId;
  if (data.coupon !== undefined) conversion.coupon = data.coupon;
  if (data.utm !== undefined && Object.keys(data.utm).length > 0) conversion.utm = data.utm;
  conversion.fingerprint = conversionFingerprint(conversion);
  return { ok: true, conversion, warnings: customer.warnings };
}
