/**
 * Personal links: the same tracked link with a member token (`/l/<code>/<token>`), which the
 * bot hands to a known member in a private chat or a `/start` reply. A click through it is
 * that member's touch. The token is random (≈ 131 bits), one per member, and stands for the
 * member's strong identifier (followed through profile merges) or their profile.
 */
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { Store } from '../store/store.js';
import { LinkError } from './create-link.js';
import { TOKEN_LENGTH, randomBase62 } from './random-code.js';

/** Who a personal link is for: a strong identifier (e.g. `{ type: 'tg_id', value: '101' }`), a profile, or both. */
export type Member = { identifier: Identifier; profileId?: string } | { profileId: string };

/** The member's token (issued once, then reused). */
export async function issueMemberToken(store: Store, workspace: string, member: Member, now: Date = new Date()): Promise<string> {
  const identifier = 'identifier' in member ? member.identifier : null;
  let profileId = member.profileId ?? null;
  if (identifier && profileId === null) profileId = (await store.identities.find(workspace, [identifier])).get(identifierKey(identifier)) ?? null;
  if (identifier === null && profileId === null) throw new LinkError('a personal link needs the member’s identifier or profile id');
  const issued = await store.memberTokens.issue(workspace, { workspace, token: randomBase62(TOKEN_LENGTH), member: identifier, profileId, createdAt: now.toISOString() });
  return issued.token;
}

/** The personal URL of a tracked link for one member: `<base>/l/<code>/<token>`. */
export async function personalLinkUrl(store: Store, options: { workspace: string; code: string; baseUrl: string; member: Member }): Promise<string> {
  const link = await store.links.get(options.workspace, options.code);
  if (!link) throw new LinkError(`no tracked link ${options.code} in workspace ${options.workspace}`);
  const token = await issueMemberToken(store, options.workspace, options.member);
  return `${options.baseUrl.replace(/\/+$/, '')}/l/${encodeURIComponent(link.code)}/${token}`;
}

/** The profile a token stands for now (its identifier's current owner, else its profile), or null. */
export async function profileOfToken(store: Store, workspace: string, token: string): Promise<string | null> {
  if (!/^[A-Za-z0-9]{10,64}$/.test(token)) return null;
  const t = await store.memberTokens.get(workspace, token);
  if (!t) return null;
  if (t.member) {
    const owner = (await store.identities.find(workspace, [t.member])).get(identifierKey(t.member));
    if (owner) return owner;
  }
  if (t.profileId && (await store.profiles.get(workspace, t.profileId))) return t.profileId;
  return null;
}
