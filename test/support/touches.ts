/** Builders for touch events in tests: readable defaults, every field overridable. */
import { makeTouchId, parseTouchEvent, type TouchEvent } from '../../src/touch-event.js';

type Kind = TouchEvent['kind'];

export interface TouchSpec {
  kind: Kind;
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

const DEFAULT_DETAILS: Record<Kind, Record<string, unknown>> = {
  join: { via: 'public' },
  leave: { via: 'left' },
  keyword: { keywords: ['price'] },
  mention: { mentioned: ['shopbot'] },
  link_posted: { urls: ['https://shop.example.com/x'] },
  link_click: { code: 'abc', clickId: 'c1' },
  dm_start: { payload: 'spring' },
  message: {},
};

export function touch(spec: TouchSpec): TouchEvent {
  const platform = spec.platform ?? 'telegram';
  return parseTouchEvent({
    id: makeTouchId(platform, spec.ref, spec.kind),
    workspace: spec.workspace ?? 'acme',
    platform,
    account: spec.account ?? 'bot1',
    chat: spec.chat ?? { id: '-1001', title: '团购群 Deals', type: 'group' },
    actor: spec.actor ?? { userId: '101' },
    kind: spec.kind,
    details: spec.details ?? DEFAULT_DETAILS[spec.kind],
    occurredAt: spec.at,
  });
}
