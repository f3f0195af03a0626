/**
 * Outgoing webhook events: what integrators (a shop's affiliate program, a CRM, commission
 * tools) subscribe to per workspace. Each event has a deterministic id, so the same fact is
 * one event however often it is published: `conversion.credited` once per set of credits of a
 * conversion (a re-credit with other numbers is a new event), `referral.joined` once per
 * invitation edge, `referral.converted` once per conversion of an invitee.
 *
 * Events carry ids, amounts and credits, never message text, phone numbers or emails.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const WEBHOOK_EVENT_TYPES = ['conversion.credited', 'referral.joined', 'referral.converted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body POSTed to a subscriber (JSON). */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType, D = unknown> {
  /** Deterministic: the same fact always has the same id (receivers dedupe on it). */
  id: string;
  type: T;
  workspace: string;
  /** When the fact happened (ISO): the conversion's time, the join's time. */
  occurredAt: string;
  data: D;
}

/** `conversion.credited`: a conversion, the person it matched, and its credits per model and channel. */
export interface ConversionCreditedData {
  conversion: { id: string; occurredAt: string; value: number; currency: string; type: string };
  /** How it was matched, and to whom (a profile id; null for a lone click or a coupon). */
  match: { rule: string; profileId: string | null; lowConfidence: boolean };
  /** Per model: credited value per channel (the channel the step belongs to: `telegram/<group id>/keyword`, …). */
  credits: Record<string, Record<string, number>>;
  /** Per model: credited value per campaign (`(none)` for steps without one). */
  campaigns: Record<string, Record<string, number>>;
}

/** `referral.joined`: an inviter brought an invitee into a group. */
export interface ReferralJoinedData {
  inviter: { profileId: string };
  invitee: { profileId: string };
  /** How the invitation is known: a personal invite link, "added by", a personal tracked link. */
  kind: string;
  platform: string;
  group: { id: string; title?: string };
  campaign?: string;
}

/** `referral.converted`: an invitee bought; the value is the conversion's, with the inviter's credit under the default model. */
export interface ReferralConvertedData {
  inviter: { profileId: string };
  invitee: { profileId: string };
  conversion: { id: string; occurredAt: string; value: number; currency: string };
  /** Value credited to the referral step (model → value). */
  credited: Record<string, number>;
}

const id = z.string().min(1).max(200);

/** Validates an event read back from a job (a job payload is never trusted blindly). */
export const webhookEventSchema = z.object({
  id,
  type: z.enum(WEBHOOK_EVENT_TYPES),
  workspace: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  occurredAt: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});

/** A short, colon-free digest of the parts (event ids and job ids). */
export function digest(...parts: Array<string | number>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\u0000');
  return h.digest('base64url').slice(0, 22);
}

/** Stable JSON: object keys sorted, so equal data gives equal text (and equal ids). */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** Builds an event whose id is derived from its type and the given identity parts. */
export function makeEvent<T extends WebhookEventType, D>(type: T, workspace: string, occurredAt: string, data: D, identity: Array<string | number>): WebhookEvent<T, D> {
  return { id: `${type}.${digest(workspace, ...identity)}`, type, workspace, occurredAt: new Date(occurredAt).toISOString(), data };
}
