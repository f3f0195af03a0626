/**
 * Clicks recorded while the touch queue's Redis was down are stored with `queued: false`
 * (see `record-click.ts`). The sweep queues their `link_click` touches and clears the
 * marker. It is safe to run anywhere and often: a touch's job id comes from the click id,
 * so a touch queued twice (two sweepers, or a crash between queueing and clearing) is one
 * job, and the store keeps one touch per id.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { TouchEvent } from '../touch-event.js';
import { clickTouch } from './record-click.js';

export interface SweepClicksDeps {
  store: Store;
  /** The workspaces to sweep (configured ids). */
  workspaces: readonly string[];
  /** Enqueues touches (`TouchQueue.enqueueMany`). */
  enqueueTouches: (touches: readonly TouchEvent[]) => Promise<void>;
  log: Logger;
  /** Clicks read per round; default 500. */
  batchSize?: number;
}

/**
 * Queues the touches of every unqueued click and clears their markers; returns how many
 * were queued. Stops at the first failure (Redis still down): the rest wait for the next run.
 */
export async function sweepUnqueuedClicks(deps: SweepClicksDeps): Promise<number> {
  const batch = deps.batchSize ?? 500;
  let queued = 0;
  for (const workspace of deps.workspaces) {
    for (;;) {
      const clicks = await deps.store.clicks.listUnqueued(workspace, { limit: batch });
      if (clicks.length === 0) break;
      // The click holds everything its touch needs (code, group, campaign), as the link had it.
      const touches = clicks.map((c) => clickTouch({ workspace, code: c.code, chatId: c.chatId, ...(c.chatTitle !== undefined ? { chatTitle: c.chatTitle } : {}), ...(c.campaign !== undefined ? { campaign: c.campaign } : {}) }, c));
      await deps.enqueueTouches(touches);
      await deps.store.clicks.markQueued(workspace, clicks.map((c) => c.clickId));
      queued += clicks.length;
      if (clicks.length < batch) break;
    }
  }
  if (queued > 0) deps.log.info({ queued }, 'queued the touches of clicks recorded while Redis was down');
  return queued;
}

export interface ClickSweeper {
  /** Runs one sweep now (also what the timer runs); resolves with how many were queued. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Runs {@link sweepUnqueuedClicks} now and every `intervalMs` (default 60 s) until stopped; failures are logged. */
export function startClickSweeper(deps: SweepClicksDeps & { intervalMs?: number }): ClickSweeper {
  let running: Promise<number> | undefined;
  const runOnce = (): Promise<number> => {
    running ??= sweepUnqueuedClicks(deps)
      .catch((err: unknown) => {
        deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'click sweep failed; retrying on the next run');
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  };
  void runOnce();
  const timer = setInterval(() => void runOnce(), deps.intervalMs ?? 60_000);
  timer.unref();
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
