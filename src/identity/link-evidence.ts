/**
 * The evidence identity resolution keeps for each identifier link (pure; stored in
 * `store.identityEvidence`, shown by `/journey` and the report API's `journey`).
 *
 * | rule | when | confidence |
 * | --- | --- | --- |
 * | `same_number` | a WhatsApp touch: the WhatsApp id and the phone hash come from one number | 1.00 |
 * | `wa_lid_pair` | WhatsApp Web gave the phone behind a linked id (`getContactLidAndPhone`), so the touch carried both | 0.99 |
 * | `shared_contact` | a Telegram user shared their own contact card (their phone) | 0.95 |
 * | `conversion` | an order named both identifiers | 0.90 |
 * | `manual_split` | an owner split the identifier off (`/unmerge`) | 1.00 (that they are *not* one person) |
 */
import { createHash } from 'node:crypto';
import type { IdentityEvidence, LinkRule } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';
import { identifierKey, platformIdentifier, type Identifier } from './identifier.js';

/** Each rule's confidence that the two identifiers are one person. */
export const RULE_CONFIDENCE: Readonly<Record<LinkRule, number>> = { same_number: 1, wa_lid_pair: 0.99, shared_contact: 0.95, conversion: 0.9, manual_split: 1 };

/** What each rule means, in words (`/journey`). */
export const RULE_WORDS: Readonly<Record<LinkRule, string>> = {
  same_number: 'same WhatsApp number',
  wa_lid_pair: 'WhatsApp Web gave the phone of this linked id',
  shared_contact: 'shared their own contact',
  conversion: 'one order named both',
  manual_split: 'split off by an owner',
};

/** Deterministic evidence id: the same event and rule give the same id. */
export function evidenceId(rule: LinkRule, source: string, a: Identifier, b: Identifier): string {
  return createHash('sha256').update(`${rule}\u0000${source}\u0000${identifierKey(a)}\u0000${identifierKey(b)}`).digest('hex').slice(0, 32);
}

/**
 * The links a recorded touch shows between its actor's identifiers: its own platform identity
 * linked to the linked id and to the phone it carried. Empty for a touch with one identifier.
 */
export function evidenceOfTouch(touch: TouchEvent, profileId: string, merged: readonly string[] = []): IdentityEvidence[] {
  const own = platformIdentifier(touch.platform, touch.actor);
  if (own === undefined) return [];
  const out: IdentityEvidence[] = [];
  const add = (identifier: Identifier, rule: LinkRule): void => {
    out.push({
      workspace: touch.workspace,
      id: evidenceId(rule, touch.id, own, identifier),
      identifier,
      linkedTo: own,
      rule,
      source: { kind: 'touch', id: touch.id },
      at: touch.occurredAt,
      confidence: RULE_CONFIDENCE[rule],
      profileId,
      ...(merged.length > 0 ? { merged: [...merged] } : {}),
    });
  };
  const { lidHash, phoneHash } = touch.actor;
  if (touch.platform === 'whatsapp' && lidHash !== undefined && lidHash !== touch.actor.userId) add({ type: 'wa_lid', value: lidHash }, 'wa_lid_pair');
  if (phoneHash !== undefined) add({ type: 'phone', value: phoneHash }, touch.platform === 'whatsapp' ? 'same_number' : 'shared_contact');
  return out;
}

/** An identifier as people may see it: its type and the first and last characters of its (hashed) value. */
export function maskIdentifier(i: Identifier): string {
  const v = i.value;
  const shown = i.type === 'tg_id' ? `…${v.slice(-3)}` : v.length > 10 ? `${v.slice(0, 6)}…${v.slice(-2)}` : `${v.slice(0, 2)}…`;
  return `${i.type}:${shown}`;
}

/** One identifier of a person as `/journey` and the API show it: masked, with the evidence linking it. */
export interface IdentityLine {
  /** Masked (`wa_lid:3fa2c1…9e`). */
  identifier: string;
  type: Identifier['type'];
  evidence: Array<{ rule: LinkRule; why: string; linkedTo: string; source: IdentityEvidence['source']; at: string; confidence: number; merged?: string[] }>;
}

/** The identities part of a journey: each identifier of the profile with the evidence naming it. */
export function identityLines(identifiers: readonly Identifier[], evidence: readonly IdentityEvidence[]): IdentityLine[] {
  return identifiers.map((i) => {
    const k = identifierKey(i);
    const mine = evidence.filter((e) => identifierKey(e.identifier) === k || (identifierKey(e.linkedTo) === k && identifiers.some((x) => identifierKey(x) === identifierKey(e.identifier))));
    return {
      identifier: maskIdentifier(i),
      type: i.type,
      evidence: mine
        .filter((e) => identifierKey(e.identifier) === k)
        .map((e) => ({
          rule: e.rule,
          why: RULE_WORDS[e.rule],
          linkedTo: maskIdentifier(e.linkedTo),
          source: e.source,
          at: e.at,
          confidence: e.confidence,
          ...(e.merged && e.merged.length > 0 ? { merged: [...e.merged] } : {}),
        })),
    };
  });
}
