/**
 * Outgoing limits, on a fake clock (no timed assertions): 1 message per second into one
 * chat, 20 per minute into one group, 30 per second in all; a 429's retry_after holds
 * the chat back.
 */
import { describe, expect, it } from 'vitest';
import { SendLimiter } from '../bots/telegram/rate-limit.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms), get: () => t };
}

describe('send limiter', () => {
  it('spaces sends into one private chat a second apart, other chats unaffected', () => {
    const c = clock();
    const l = new SendLimiter({ now: c.now });
    const t0 = c.get();
    expect([l.reserve('101'), l.reserve('101'), l.reserve('101')]).toEqual([t0, t0 + 1000, t0 + 2000]);
    expect(l.reserve('102')).toBe(t0);
  });

  it('allows 20 sends a minute into one group, the 21st a minute after the first', () => {
    const c = clock();
    const l = new SendLimiter({ now: c.now, perChatIntervalMs: 0 });
    const t0 = c.get();
    const times = Array.from({ length: 21 }, () => l.reserve('-100123'));
    expect(times.slice(0, 20).every((t) => t < t0 + 1000)).toBe(true);
    expect(times[20]).toBe(t0 + 60_000);
  });

  it('allows 30 sends a second over all chats', () => {
    const c = clock();
    const l = new SendLimiter({ now: c.now });
    const t0 = c.get();
    const times = Array.from({ length: 31 }, (_, i) => l.reserve(String(1000 + i)));
    expect(times.slice(0, 30).every((t) => t === t0)).toBe(true);
    expect(times[30]).toBe(t0 + 1000);
  });

  it('holds a chat back for retry_after after a 429, and the whole bot when no chat is named', async () => {
    const c = clock();
    const slept: number[] = [];
    const l = new SendLimiter({ now: c.now, sleep: async (ms) => void slept.push(ms) });
    l.hold('101', 7_000);
    await l.acquire('101');
    await l.acquire('202');
    expect(slept).toEqual([7_000]);
    l.hold(undefined, 3_000);
    await l.acquire('303');
    expect(slept).toEqual([7_000, 3_000]);
  });
});
