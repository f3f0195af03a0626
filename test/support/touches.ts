/** Builders for touch events in tests: readable defaults, every field overridable. */
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../../src/touch-event.js';

type Kind = TouchEvent['kind'];
/** Shorthands for a message with one facet: `keyword` (its `keywords`), `mention`, `link_posted` (its `urls`). */
type Shorthand = 'keyword' | 'mention' | 'link_posted';

export interface TouchSpec {
  kind: Kind | Shorthand;
  /** Unique per platform event; becomes the deterministic touch id. */
  ref: string;
  at: string;
  workspace?: string;
  platform?: TouchEvent['platform'];
  account?: string;
  chat?: TouchEvent['chat'];
  actor?: TouchEvent['actor'];
  details?: Record<string, unknown>;
}

const DEFAULT_DETAILS: Record<Kind | Shorthand, Record<string, unknown>> = {
  join: { via: 'public' },
  leave: { via: 'left' },
  keyword: { keywords: ['price'] },
  mention: { mentioned: ['shopbot'] },
  link_posted: { urls: ['https://shop.example.com/x'] },
  link_click: { code: 'abc', clickId: 'c1' },
  dm_start: { payload: 'spring' },
  message: {},
};

/**
 * A touch event. The shorthand kinds make a `message` touch whose details are the given
 * facets (a message is one touch whatever it contains).
 */
export function touch(spec: TouchSpec): TouchEvent {
  const platform = spec.platform ?? 'telegram';
  const kind: Kind = spec.kind === 'keyword' || spec.kind === 'mention' || spec.kind === 'link_posted' ? 'message' : spec.kind;
  return parseTouchEvent({
    id: makeTouchId(platform, spec.ref, kind),
    workspace: spec.workspace ?? 'acme',
    platform,
    account: spec.account ?? 'bot1',
    chat: spec.chat ?? { id: '-1001', title: '团购群 Deals', type: 'group' },
    actor: spec.actor ?? { userId: '101' },
    kind,
    details: spec.details ?? DEFAULT_DETAILS[spec.kind],
    occurredAt: spec.at,
  });
}
