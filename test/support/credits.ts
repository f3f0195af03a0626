/** Builders for stored conversions and credit sets in report tests: readable defaults, every field overridable. */
import type { ConversionRecord, CreditSet, CreditedTouch } from '../../src/store/store.js';

/** A conversion of `workspace` (CNY, from the webhook); matched ones belong to `p_<id>` by Telegram id. */
export function conversionRecord(workspace: string, id: string, at: string, value: number, status: ConversionRecord['status'], extra: Partial<ConversionRecord> = {}): ConversionRecord {
  const match = status === 'matched' ? { rule: 'tg_id' as const, profileId: `p_${id}`, lowConfidence: false } : null;
  const base = { workspace, id, type: 'purchase', occurredAt: at, value, currency: 'CNY', identifiers: [], fingerprint: id, source: 'webhook' as const, receivedAt: at, status };
  return { ...base, match, reconciledAt: status === 'pending' ? null : at, ...extra };
}

/** The credit set of a conversion: its touches and, per model, each touch's share. */
export function creditSet(c: ConversionRecord, touches: CreditedTouch[], models: CreditSet['models'], extra: Partial<CreditSet> = {}): CreditSet {
  const head = { workspace: c.workspace, conversionId: c.id, conversionAt: c.occurredAt, value: c.value, currency: c.currency, type: c.type };
  return { ...head, rule: 'tg_id', profileId: c.match?.profileId ?? null, lowConfidence: false, touches, models, fitId: 'f1', computedAt: c.occurredAt, ...extra };
}
