/**
 * The audit log: every refusal and every report or change request is written here
 * (who, where, which command, what happened), never message text nor report content.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEntry } from '../store/store.js';
import type { Store } from '../store/store.js';

/** What a caller tells {@link recordAudit}; the id and time are filled in. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'workspace'> & { at?: Date };

/** Longest `detail` kept. */
export const MAX_AUDIT_DETAIL = 200;

/**
 * Appends one audit entry. Ids sort by time (`<ms base36>-<random>`), so entries written
 * in one millisecond still have a stable order. Errors propagate: a request that cannot
 * be audited is not answered.
 */
export async function recordAudit(store: Store, workspace: string, input: AuditInput): Promise<AuditEntry> {
  const at = input.at ?? new Date();
  const entry: AuditEntry = {
    workspace,
    id: `${at.getTime().toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`,
    at: at.toISOString(),
    actor: input.actor,
    chat: input.chat,
    command: input.command,
    outcome: input.outcome,
  };
  if (input.detail !== undefined) entry.detail = input.detail.slice(0, MAX_AUDIT_DETAIL);
  await store.community.audit.append(workspace, entry);
  return entry;
}
