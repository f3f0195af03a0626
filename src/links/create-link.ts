/**
 * Creating tracked links. Only destinations on the workspace's allow-list of domains (or
 * their subdomains) can be linked, over http(s), with no user name or password in the URL:
 * a tracked link can never become an open redirect.
 */
import { isWellFormed, NOT_WELL_FORMED, PLATFORMS, type Platform } from '../touch-event.js';
import type { AttributionSettings } from '../reconcile/workspace-settings.js';
import type { TrackedLink } from '../store/store.js';
import type { Store } from '../store/store.js';
import { CODE_LENGTH, randomBase62 } from './random-code.js';

/** A link cannot be created as asked; the message says what to change. */
export class LinkError extends Error {
  override name = 'LinkError';
}

export interface CreateLinkInput {
  workspace: string;
  destination: string;
  platform: Platform;
  campaign?: string;
  /** Group the link is posted in: chat id, and its title. */
  chatId?: string;
  chatTitle?: string;
  createdBy?: string;
  /** A chosen code (3-32 of A-Z a-z 0-9 _ -) instead of a random one; must be free in every workspace. */
  code?: string;
}

/** Checks a destination against an allow-list; returns it normalized, or throws LinkError. */
export function checkDestination(destination: string, allowedDomains: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(destination.trim());
  } catch {
    throw new LinkError(`'${destination}' is not a URL; expected one like https://shop.example.com/product`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LinkError(`only http and https destinations can be linked, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new LinkError('the destination must not carry a user name or password');
  if (allowedDomains.length === 0) {
    throw new LinkError('this workspace allows no destination domains yet; add the shop domain to allowedDomains in the configuration');
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const allowed = allowedDomains.some((d) => host === d || host.endsWith(`.${d}`));
  if (!allowed) throw new LinkError(`${host} is not on this workspace's allowed domains (${allowedDomains.join(', ')})`);
  return url.toString();
}

/** Creates a tracked link with a fresh random code (or the chosen one). */
export async function createLink(store: Store, settings: Pick<AttributionSettings, 'allowedDomains'>, input: CreateLinkInput, now: Date = new Date()): Promise<TrackedLink> {
  if (!(PLATFORMS as readonly string[]).includes(input.platform)) throw new LinkError(`platform must be one of ${PLATFORMS.join(', ')}`);
  if (input.campaign !== undefined && (input.campaign.length < 1 || input.campaign.length > 128)) throw new LinkError('campaign must be 1-128 characters');
  if (input.chatId !== undefined && (input.chatId.length < 1 || input.chatId.length > 200)) throw new LinkError('group must be 1-200 characters');
  if (input.chatTitle !== undefined && input.chatTitle.length > 300) throw new LinkError('group title must be at most 300 characters');
  if (input.code !== undefined && !/^[A-Za-z0-9_-]{3,32}$/.test(input.code)) throw new LinkError('a chosen code is 3-32 of A-Z a-z 0-9 _ -');
  for (const [what, text] of [['campaign', input.campaign], ['group', input.chatId], ['group title', input.chatTitle], ['destination', input.destination]] as const) {
    if (text !== undefined && !isWellFormed(text)) throw new LinkError(`${what} is ${NOT_WELL_FORMED}`);
  }
  const link: TrackedLink = {
    workspace: input.workspace,
    code: input.code ?? '',
    destination: checkDestination(input.destination, settings.allowedDomains),
    platform: input.platform,
    createdAt: now.toISOString(),
  };
  if (input.campaign !== undefined) link.campaign = input.campaign;
  if (input.chatId !== undefined) link.chatId = input.chatId;
  if (input.chatTitle !== undefined) link.chatTitle = input.chatTitle;
  if (input.createdBy !== undefined) link.createdBy = input.createdBy;
  if (input.code !== undefined) {
    if ((await store.links.insert(input.workspace, link)) === 'duplicate') throw new LinkError(`the code ${input.code} is taken; choose another or leave it out for a random one`);
    return link;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    link.code = randomBase62(CODE_LENGTH);
    if ((await store.links.insert(input.workspace, link)) === 'inserted') return link;
  }
  throw new Error('five random link codes in a row were taken; the code space is exhausted or the store misbehaves');
}
