/**
 * Why identifiers belong to one person: every link identity resolution makes between two
 * identifiers (a touch that carried both, WhatsApp Web revealing the phone behind a linked
 * id, a conversion naming both) is kept with its evidence (which event, which rule, when) and a
 * confidence, so `/journey` and the report API can show why two ids are one person and an
 * owner can split a wrong merge (`/unmerge`). Identifiers only as stored (hashed where
 * personal); no message text. Every method takes the workspace first.
 */
import type { Identifier } from '../../identity/identifier.js';

/** The rules an identifier link can come from, most certain first (see `src/identity/link-evidence.ts`). */
export const LINK_RULES = ['same_number', 'wa_lid_pair', 'shared_contact', 'conversion', 'manual_split'] as const;
export type LinkRule = (typeof LINK_RULES)[number];

export interface IdentityEvidence {
  workspace: string;
  /** Deterministic id (rule, source and both identifiers), so a re-run of the same event adds nothing. */
  id: string;
  /** The identifier this evidence links ... */
  identifier: Identifier;
  /** ... to this one (the source's own platform identity). */
  linkedTo: Identifier;
  rule: LinkRule;
  /** The event that showed the link: a touch id, a conversion id, or the command that split it. */
  source: { kind: 'touch' | 'conversion' | 'command'; id: string };
  /** When the event happened (ISO). */
  at: string;
  /** 0–1: how sure the rule is that both are one person. */
  confidence: number;
  /** The profile both were on after the link. */
  profileId: string;
  /** Profiles merged into `profileId` by this link. */
  merged?: string[];
}

export interface IdentityEvidenceRepo {
  /** Stores evidence, skipping ids already stored; returns how many were new. */
  add(workspace: string, evidence: readonly IdentityEvidence[]): Promise<number>;
  /** Evidence naming any of these identifiers (on either side), ordered by time then id. */
  ofIdentifiers(workspace: string, identifiers: readonly Identifier[]): Promise<IdentityEvidence[]>;
  /** Deletes evidence naming any of these identifiers (erasure on request); returns how many. */
  deleteByIdentifiers(workspace: string, identifiers: readonly Identifier[]): Promise<number>;
}
