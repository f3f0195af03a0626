/**
 * The `conversion.credited` event of a conversion's stored credits: per model, the value
 * credited to each channel and each campaign. Its id changes only when the credits do, so a
 * re-reconcile that changes nothing publishes nothing new.
 */
import type { CreditSet } from '../store/store.js';
import { makeEvent, stableJson, type ConversionCreditedData, type WebhookEvent } from './webhook-event.js';

const NONE = '(none)';

/** Rounds away floating-point noise so equal credits give equal ids. */
const round = (x: number): number => Math.round(x * 1e6) / 1e6;

export function conversionCreditedEvent(set: CreditSet): WebhookEvent<'conversion.credited', ConversionCreditedData> {
  const credits: Record<string, Record<string, number>> = {};
  const campaigns: Record<string, Record<string, number>> = {};
  for (const [model, c] of Object.entries(set.models)) {
    if (!c) continue;
    const byChannel: Record<string, number> = {};
    const byCampaign: Record<string, number> = {};
    if (set.touches.length === 0) {
      byChannel[NONE] = set.value;
      byCampaign[NONE] = set.value;
    }
    set.touches.forEach((t, i) => {
      const v = c.value[i] ?? 0;
      byChannel[t.channel] = round((byChannel[t.channel] ?? 0) + v);
      const k = t.campaign ?? NONE;
      byCampaign[k] = round((byCampaign[k] ?? 0) + v);
    });
    credits[model] = byChannel;
    campaigns[model] = byCampaign;
  }
  const data: ConversionCreditedData = {
    conversion: { id: set.conversionId, occurredAt: set.conversionAt, value: set.value, currency: set.currency, type: set.type },
    match: { rule: set.rule, profileId: set.profileId, lowConfidence: set.lowConfidence },
    credits,
    campaigns,
  };
  return makeEvent('conversion.credited', set.workspace, set.conversionAt, data, [set.conversionId, stableJson({ match: data.match, credits })]);
}
