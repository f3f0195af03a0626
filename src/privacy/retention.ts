/**
 * Retention: raw rows older than a workspace's `retentionDays` (default 400) are deleted once a
 * day (the `retention-sweep` job on the community queue): touches (by when they occurred) and
 * click records (by when they were clicked). Conversions, their credits and the report counters
 * stay: the rollup never recomputes a day before the horizon (`retentionHorizon`), so the daily
 * figures of old periods keep what they counted while the raw rows existed.
 *
 * The deletion is a time-bounded delete on the (workspace, time) index of each collection, the
 * same rule in MongoDB and in memory; retention is per workspace and can change, which a
 * collection-wide TTL index could not follow.
 */
import type { Store } from '../store/store.js';

export const DEFAULT_RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;

/** The first instant kept: `now` minus `retentionDays` days (ISO). */
export function retentionHorizon(retentionDays: number, now: Date): string {
  return new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
}

export interface RetentionResult {
  workspace: string;
  /** Rows before this instant were deleted. */
  before: string;
  touches: number;
  clicks: number;
}

/** Deletes a workspace's touches and clicks older than its retention; idempotent. */
export async function applyRetention(store: Store, workspace: string, retentionDays: number, now: Date): Promise<RetentionResult> {
  const before = retentionHorizon(retentionDays, now);
  const touches = await store.touches.deleteBefore(workspace, before);
  const clicks = await store.clicks.deleteBefore(workspace, before);
  return { workspace, before, touches, clicks };
}
