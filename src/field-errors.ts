/**
 * Field-level validation errors, shared by every boundary that validates with zod (HTTP
 * routes, conversion intake, CSV rows): one message per bad field, never a stack trace.
 */
import type { z } from 'zod';

/** One bad field: `{ field: 'customer.email', message: 'expected a string' }`. */
export interface FieldError {
  field: string;
  message: string;
}

/** The value at a path of the input, or undefined. */
function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * One message per bad field, in the order zod reports them; a field that is absent is
 * `required`. `prefix` names where the fields live (`query.`); empty (default) for a body,
 * whose own problems are reported as `(body)`.
 */
export function fieldErrors(error: z.ZodError, input: unknown, prefix = ''): FieldError[] {
  const seen = new Map<string, string>();
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? `${prefix}${issue.path.map(String).join('.')}` : prefix.replace(/\.$/, '') || '(body)';
    if (!seen.has(field)) seen.set(field, issue.path.length > 0 && valueAt(input, issue.path) === undefined ? 'required' : issue.message);
  }
  return [...seen].map(([field, message]) => ({ field, message }));
}
