/**
 * Community events: what connectors learn about groups that is not a person's touch, as
 * data for the community worker to write to the store (connectors never write the store).
 *
 * - `group_seen`: the bot or account saw activity in a group (registers it on first sight,
 *   keeps its title, and whether the account is an admin when the connector knows, current);
 * - `bot_status`: the bot or account was added, removed, or its rights changed;
 * - `migrated`: a Telegram group became a supergroup (new chat id).
 *
 * Every event carries the platform's time of the event (`at`), and applying one is
 * idempotent and order-independent: a group's `updatedAt` is the time of the latest event
 * applied to it, and an event older than that changes nothing (a message handled late
 * after the bot was removed does not register the group again), except that it still tells
 * who added the bot when that was not known.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RegisteredGroup, Store } from '../store/store.js';
import { wellFormedText } from '../touch-event.js';

const id = wellFormedText().min(1).max(200);
const title = wellFormedText().max(300);
const base = {
  workspace: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'workspace ids are 1-64 of a-z 0-9 _ -'),
  platform: z.enum(['telegram', 'whatsapp']),
  chatId: id,
  /** Bot id / account that saw it. */
  account: id,
  /** When it happened, as the platform says. */
  at: z.iso.datetime({ offset: true }),
};

export const communityEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('group_seen'), ...base, title: title.optional(), botIsAdmin: z.boolean().optional() }),
  z.object({
    kind: z.literal('bot_status'),
    ...base,
    title: title.optional(),
    status: z.enum(['active', 'left', 'removed']),
    botIsAdmin: z.boolean().optional(),
    /** Who added the bot (subject `<platform>:<id>`), on an add. */
    addedBy: id.optional(),
  }),
  z.object({ kind: z.literal('migrated'), ...base, title: title.optional(), to: id }),
]);

export type CommunityEvent = z.infer<typeof communityEventSchema>;

/** Parses unknown data into a community event; throws a ZodError naming each bad field. */
export function parseCommunityEvent(data: unknown): CommunityEvent {
  return communityEventSchema.parse(data);
}

/** A digest of an event's content (stable key order): the same event twice is one job. */
export function communityEventDigest(event: CommunityEvent): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(event).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/** What applying an event did. */
export type CommunityEventResult = 'applied' | 'unchanged' | 'stale';

const newer = (event: { at: string }, stored: RegisteredGroup | null): boolean => !stored || Date.parse(event.at) >= Date.parse(stored.updatedAt);

/** Writes an event's effect on the registered groups (see the module comment). Idempotent. */
export async function applyCommunityEvent(store: Store, event: CommunityEvent): Promise<CommunityEventResult> {
  const { workspace: ws, platform, chatId } = event;
  const groups = store.community.groups;
  const stored = await groups.get(ws, platform, chatId);
  switch (event.kind) {
    case 'group_seen': {
      if (!stored) {
        await groups.upsert(ws, { workspace: ws, platform, chatId, title: event.title ?? chatId, account: event.account, status: 'active', botIsAdmin: event.botIsAdmin ?? false, at: event.at });
        return 'applied';
      }
      if (!newer(event, stored)) return 'stale';
      // Seen after it was left or removed: the bot is back. A migrated chat id stays dead.
      if (stored.status === 'left' || stored.status === 'removed') {
        if (Date.parse(event.at) === Date.parse(stored.updatedAt)) return 'stale';
        await groups.upsert(ws, { ...groupFields(stored), title: event.title ?? stored.title, account: event.account, status: 'active', botIsAdmin: event.botIsAdmin ?? stored.botIsAdmin, at: event.at });
        return 'applied';
      }
      const title = event.title ?? stored.title;
      const botIsAdmin = event.botIsAdmin ?? stored.botIsAdmin;
      if (stored.status !== 'active' || (title === stored.title && botIsAdmin === stored.botIsAdmin)) return 'unchanged';
      await groups.upsert(ws, { ...groupFields(stored), title, botIsAdmin, at: event.at });
      return 'applied';
    }
    case 'bot_status': {
      if (!newer(event, stored)) {
        // Who added the bot stays known even when the add is applied after a later change.
        if (stored && event.addedBy !== undefined && stored.addedBy === undefined) {
          await groups.upsert(ws, { ...groupFields(stored), addedBy: event.addedBy, at: stored.updatedAt });
          return 'applied';
        }
        return 'stale';
      }
      await groups.upsert(ws, {
        workspace: ws,
        platform,
        chatId,
        title: event.title ?? stored?.title ?? chatId,
        account: event.account,
        status: event.status,
        botIsAdmin: event.status === 'active' ? (event.botIsAdmin ?? stored?.botIsAdmin ?? false) : false,
        ...(event.addedBy !== undefined ? { addedBy: event.addedBy } : {}),
        at: event.at,
      });
      return 'applied';
    }
    case 'migrated': {
      const title = event.title ?? stored?.title ?? chatId;
      const botIsAdmin = stored?.botIsAdmin ?? false;
      await groups.upsert(ws, { workspace: ws, platform, chatId, title, account: event.account, status: 'migrated', botIsAdmin, migratedTo: event.to, at: event.at });
      const target = await groups.get(ws, platform, event.to);
      if (newer(event, target)) {
        const addedBy = target?.addedBy ?? stored?.addedBy;
        await groups.upsert(ws, {
          workspace: ws,
          platform,
          chatId: event.to,
          title: target?.title ?? title,
          account: event.account,
          status: 'active',
          botIsAdmin: target?.botIsAdmin ?? botIsAdmin,
          ...(addedBy !== undefined ? { addedBy } : {}),
          at: event.at,
        });
      }
      return 'applied';
    }
  }
}

/** The writable fields of a stored group (what an upsert takes back). */
function groupFields(g: RegisteredGroup): Omit<RegisteredGroup, 'registeredAt' | 'updatedAt'> {
  const { registeredAt: _r, updatedAt: _u, ...rest } = g;
  return rest;
}
