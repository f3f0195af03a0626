/**
 * "A join request is the join; its approval is not a second join", decided by the profile
 * worker from stored touches (connectors keep no state about pending requests).
 *
 * A request to join a group that asks for approval is recorded as the person's join (its
 * time and invite link are where they came from). When an admin approves it, the platform
 * reports a join again (Telegram: `chat_member` with the request's link; WhatsApp: an `add`
 * or `invite`). That second join is a repeat: dropped. The rule, for a join touch T of a
 * person in a group, looks at their stored joins and leaves there within
 * {@link JOIN_REQUEST_TTL_MS} of T:
 * - the latest one before T is a join via `join_request`, with no leave between: T is the
 *   approval (or a repeated request): a repeat;
 * - T is via `join_request` and the earliest one after T is a join, with no leave between:
 *   the approval was stored first (arrival out of order): T is a repeat.
 * Either way one join stays per request. Joins and leaves are compared in the touch order
 * (`compareTouches`: time, then Telegram's update order).
 */
import type { Identifier } from '../identity/identifier.js';
import { identifierKey, platformIdentifier } from '../identity/identifier.js';
import type { StoredTouch, Store } from '../store/store.js';
import { compareTouches, type TouchEvent } from '../touch-event.js';

/** How long a pending join request waits for its approval (as the platforms keep them). */
export const JOIN_REQUEST_TTL_MS = 30 * 24 * 3600_000;

const viaRequest = (t: TouchEvent): boolean => t.kind === 'join' && t.details.via === 'join_request';

/** Whether a join touch repeats a join request already stored (see the module comment). Reads the store; false for other touches. */
export async function isRepeatJoin(store: Store, touch: TouchEvent): Promise<boolean> {
  if (touch.kind !== 'join' || touch.actor.userId === undefined || (touch.platform !== 'telegram' && touch.platform !== 'whatsapp')) return false;
  const own: Identifier = platformIdentifier(touch.platform, touch.actor) ?? { type: 'wa_id', value: touch.actor.userId };
  const profileId = (await store.identities.find(touch.workspace, [own])).get(identifierKey(own));
  if (profileId === undefined) return false;
  const at = Date.parse(touch.occurredAt);
  const nearby = await store.touches.list(touch.workspace, {
    profileId,
    chatId: touch.chat.id,
    kinds: ['join', 'leave'],
    from: new Date(at - JOIN_REQUEST_TTL_MS).toISOString(),
    to: new Date(at + JOIN_REQUEST_TTL_MS + 1).toISOString(),
  });
  const others = nearby.filter((t: StoredTouch) => t.id !== touch.id && t.actor.userId === touch.actor.userId).sort(compareTouches);
  const before = others.filter((t) => compareTouches(t, touch) < 0).at(-1);
  if (before !== undefined && viaRequest(before)) return true;
  const after = others.find((t) => compareTouches(t, touch) > 0);
  return viaRequest(touch) && after !== undefined && after.kind === 'join';
}
