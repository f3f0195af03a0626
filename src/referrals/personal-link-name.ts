/**
 * The name a member's personal invite link carries on the platform: `ref:` and a short member
 * code (8 characters of a keyed digest of the workspace and the member), 12 characters in all,
 * well within Telegram's 32-character limit. The `:` keeps it apart from every campaign name
 * (campaigns are letters, digits, `_ . -`), so a join through it is never taken for a campaign.
 */
import { createHash } from 'node:crypto';
import { identifierKey, type Identifier } from '../identity/identifier.js';

const PREFIX = 'ref:';

/** The member's short code (8 base64url characters). */
export function memberCode(workspace: string, member: Identifier): string {
  return createHash('sha256').update(`${workspace}\u0000${identifierKey(member)}`).digest('base64url').slice(0, 8);
}

/** The personal link's name: `ref:<member code>`. */
export function personalLinkName(workspace: string, member: Identifier): string {
  return `${PREFIX}${memberCode(workspace, member)}`;
}

/** Whether an invite link name is a personal link's (never a campaign). */
export function isPersonalLinkName(name: string | undefined): boolean {
  return name !== undefined && /^ref:[A-Za-z0-9_-]{8}$/.test(name);
}
