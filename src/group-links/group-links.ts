/**
 * Tracked group links for WhatsApp (`<PUBLIC_BASE_URL>/g/<code>`). WhatsApp never says which
 * invite link a member used, and a group has one invite link at a time, so each campaign gets
 * its own way in: a tracked link that records the click and redirects to the group's current
 * invite link; the join that follows is credited to the campaign of the click.
 *
 * - A group link is a tracked link (`store.links`, code unique across workspaces) whose
 *   destination is {@link GROUP_LINK_DESTINATION} and whose `chatId` is the group (its public
 *   id, as touches name it), with the campaign.
 * - The group's current invite code is read by the WhatsApp connector (`GroupChat#getInviteCode`,
 *   the account must be an admin) and kept in Redis (`groupInviteKey`): when the link is made,
 *   on every join, and every minute for each group with group links (so a revoked link is
 *   replaced within a minute).
 * - A counted click (robots, previews, HEAD and repeats within the hour are not: the same
 *   rules as `/l/`, `src/links/record-click.ts`) is a `link_click` touch and also an entry in
 *   the group's recent clicks (`groupClicksKey`, kept {@link CLICK_WINDOW_MS}).
 * - A join by invite takes one recent click ({@link takeGroupClick}), by these rules, most
 *   certain first:
 *   1. `personal`: the click came through a personal link (`/g/<code>/<token>`) of this same
 *      person (their hashed WhatsApp id): certain.
 *   2. `window`: the clicks of the last {@link CLICK_WINDOW_MS} not yet taken by another join
 *      are all of one campaign: the join is credited to it, and the oldest click is taken (one
 *      click, one join). Probable: someone else may have clicked and the person joined
 *      through a link shared elsewhere; the shorter the window and the quieter the group,
 *      the surer.
 *   Clicks of several campaigns in the window: no campaign (the join is `invite` without one):
 *   guessing would credit the wrong campaign.
 */
import type { Redis } from 'ioredis';
import { groupClicksKey, groupInviteKey, groupLinkGroupsKey } from '../queue/keys.js';
import type { Store, TrackedLink } from '../store/store.js';
import { CODE_LENGTH, randomBase62 } from '../links/random-code.js';

/** The destination that marks a tracked link as a WhatsApp group link. */
export const GROUP_LINK_DESTINATION = 'https://chat.whatsapp.com/';
/** How long before a join a click may be its cause; default 30 min. */
export const CLICK_WINDOW_MS = 30 * 60_000;

export function isGroupLink(link: Pick<TrackedLink, 'destination' | 'platform' | 'chatId'>): boolean {
  return link.destination === GROUP_LINK_DESTINATION && link.platform === 'whatsapp' && link.chatId !== undefined;
}

/** Creates a tracked group link for a WhatsApp group (public id) and campaign. */
export async function createGroupLink(
  store: Store,
  input: { workspace: string; chatId: string; chatTitle?: string; campaign?: string; createdBy: string },
  now: Date = new Date(),
): Promise<TrackedLink> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const link: TrackedLink = {
      workspace: input.workspace,
      code: randomBase62(CODE_LENGTH),
      destination: GROUP_LINK_DESTINATION,
      platform: 'whatsapp',
      chatId: input.chatId,
      createdAt: now.toISOString(),
      createdBy: input.createdBy,
      ...(input.chatTitle !== undefined ? { chatTitle: input.chatTitle } : {}),
      ...(input.campaign !== undefined ? { campaign: input.campaign } : {}),
    };
    if ((await store.links.insert(input.workspace, link)) === 'inserted') return link;
  }
  throw new Error('could not find a free link code; try again');
}

/** The group invite codes and recent clicks in Redis, shared by the connector and the HTTP role. */
export interface GroupLinkState {
  /** Stores a group's current invite code (the connector), and lists the group for refreshes. */
  setInvite(workspace: string, chatId: string, code: string): Promise<void>;
  getInvite(workspace: string, chatId: string): Promise<string | null>;
  /** Groups of a workspace with group links (their invite codes are refreshed). */
  groups(workspace: string): Promise<string[]>;
  addGroup(workspace: string, chatId: string): Promise<void>;
  /** Records a counted click (`member`: the hashed WhatsApp id a personal link named). */
  noteClick(workspace: string, chatId: string, click: { clickId: string; campaign?: string | undefined; member?: string | undefined; atMs: number }): Promise<void>;
  /** The campaign of the click a join at `atMs` by `userId` follows, taken so no other join gets it; null when none applies. */
  takeClick(workspace: string, chatId: string, join: { atMs: number; userIds: readonly string[] }): Promise<{ campaign: string; rule: 'personal' | 'window'; clickId: string } | null>;
}

const FIELD = '\u0001';

export function createGroupLinkState(redis: Redis, prefix: string, windowMs = CLICK_WINDOW_MS): GroupLinkState {
  const parse = (m: string): { clickId: string; campaign: string; member: string } => {
    const [clickId = '', campaign = '', member = ''] = m.split(FIELD);
    return { clickId, campaign, member };
  };
  return {
    async setInvite(workspace, chatId, code) {
      await redis.set(groupInviteKey(prefix, workspace, chatId), code, 'EX', 7 * 24 * 3600);
    },
    getInvite: (workspace, chatId) => redis.get(groupInviteKey(prefix, workspace, chatId)),
    groups: (workspace) => redis.smembers(groupLinkGroupsKey(prefix, workspace)),
    async addGroup(workspace, chatId) {
      await redis.sadd(groupLinkGroupsKey(prefix, workspace), chatId);
    },
    async noteClick(workspace, chatId, click) {
      const key = groupClicksKey(prefix, workspace, chatId);
      await redis
        .multi()
        .zadd(key, click.atMs, [click.clickId, click.campaign ?? '', click.member ?? ''].join(FIELD))
        .zremrangebyscore(key, '-inf', click.atMs - 2 * windowMs)
        .pexpire(key, 2 * windowMs)
        .exec();
    },
    async takeClick(workspace, chatId, join) {
      const key = groupClicksKey(prefix, workspace, chatId);
      // A click a few seconds after the join's timestamp is still its cause (clocks differ).
      const members = await redis.zrangebyscore(key, join.atMs - windowMs, join.atMs + 60_000);
      if (members.length === 0) return null;
      const clicks = members.map((m) => ({ raw: m, ...parse(m) }));
      const own = clicks.find((c) => c.member !== '' && join.userIds.includes(c.member) && c.campaign !== '');
      if (own && (await redis.zrem(key, own.raw)) === 1) return { campaign: own.campaign, rule: 'personal', clickId: own.clickId };
      const open = clicks.filter((c) => c.member === '');
      const campaigns = new Set(open.map((c) => c.campaign));
      if (open.length === 0 || campaigns.size !== 1 || campaigns.has('')) return null;
      // One click, one join: the oldest click not yet taken (another account may take it first).
      for (const c of open) if ((await redis.zrem(key, c.raw)) === 1) return { campaign: c.campaign, rule: 'window', clickId: c.clickId };
      return null;
    },
  };
}
