/**
 * The command layer's audit entries: every refusal, every report or change request and
 * what came of it (answered, usage, refused, failed), never message text nor report content.
 */
import { recordAudit } from '../access/audit.js';
import type { AuditEntry, Store } from '../store/store.js';
import type { CommandRequest } from './command-types.js';

/** Writes one audit entry for a command request; `actor` defaults to the asker's subject. */
export async function auditCommand(
  store: Store,
  req: Omit<CommandRequest, 'name' | 'args'>,
  actor: string,
  command: string,
  outcome: AuditEntry['outcome'],
  detail?: string,
): Promise<void> {
  await recordAudit(store, req.workspace, {
    at: req.now,
    actor,
    chat: { platform: req.platform, id: req.chat.id, type: req.chat.type },
    command,
    outcome,
    ...(detail !== undefined ? { detail } : {}),
  });
}
