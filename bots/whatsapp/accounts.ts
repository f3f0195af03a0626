/**
 * The WhatsApp accounts of a deployment, from the configuration: each account belongs to
 * the one workspace that lists it (`workspaces[].whatsapp.accounts[].id`).
 */
import type { Config } from '../../src/config.js';

export interface WhatsAppAccount {
  /** The configured id (`a-z 0-9 _ -`): names the session folder and the lease. */
  id: string;
  workspace: string;
}

export class WhatsAppConfigError extends Error {
  override name = 'WhatsAppConfigError';
}

/** Every configured account; throws WhatsAppConfigError when one id is listed twice. */
export function whatsAppAccounts(config: Pick<Config, 'workspaces'>): WhatsAppAccount[] {
  const seen = new Map<string, string>();
  const out: WhatsAppAccount[] = [];
  for (const w of config.workspaces) {
    for (const a of w.whatsapp.accounts) {
      const other = seen.get(a.id);
      if (other !== undefined) {
        throw new WhatsAppConfigError(
          other === w.id
            ? `whatsapp account '${a.id}' is listed twice in workspace ${w.id}`
            : `whatsapp account '${a.id}' is listed in workspaces ${other} and ${w.id}; an account belongs to one workspace (give the other one its own id and phone)`,
        );
      }
      seen.set(a.id, w.id);
      out.push({ id: a.id, workspace: w.id });
    }
  }
  return out;
}
