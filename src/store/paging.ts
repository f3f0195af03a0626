/** Reading long touch lists in pages, so no single query returns an unbounded result. */
import type { Store, StoredTouch, TouchQuery } from './store.js';

/**
 * Every touch matching `query` (its `limit` is the page size, default 5,000), in the
 * store's order (occurredAt, id). Pages restart at the last timestamp seen and skip the
 * ids already returned at that instant, so equal timestamps are never lost or repeated.
 */
export async function* allTouches(store: Store, workspace: string, query: TouchQuery): AsyncGenerator<StoredTouch> {
  const pageSize = query.limit ?? 5_000;
  let from = query.from;
  let seenAtFrom = new Set<string>();
  for (;;) {
    const page = await store.touches.list(workspace, { ...query, ...(from !== undefined ? { from } : {}), limit: pageSize + seenAtFrom.size });
    const fresh = page.filter((t) => !seenAtFrom.has(t.id));
    for (const t of fresh) yield t;
    if (page.length < pageSize + seenAtFrom.size) return;
    const last = page[page.length - 1];
    if (!last) return;
    const lastAt = new Date(last.occurredAt).toISOString();
    const sameInstant = page.filter((t) => new Date(t.occurredAt).toISOString() === lastAt).map((t) => t.id);
    seenAtFrom = lastAt === from ? new Set([...seenAtFrom, ...sameInstant]) : new Set(sameInstant);
    from = lastAt;
  }
}
