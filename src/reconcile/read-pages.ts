/** Reading conversions and credit sets in pages (keyset paging), so no query returns an unbounded result. */
import type { ConversionQuery, ConversionRecord, CreditQuery, CreditSet } from '../store/store.js';
import type { Store } from '../store/store.js';

/** Rows per page. */
export const PAGE = 5_000;

/** Every conversion matching `query` (its limit is ignored), in (occurredAt, id) order. */
export async function* everyConversion(store: Store, workspace: string, query: Omit<ConversionQuery, 'after' | 'limit'>): AsyncGenerator<ConversionRecord> {
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const page = await store.conversions.list(workspace, { ...query, limit: PAGE, ...(after ? { after } : {}) });
    yield* page;
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) return;
    after = { at: last.occurredAt, id: last.id };
  }
}

/** Every credit set matching `query` (its limit is ignored), in (conversionAt, conversionId) order. */
export async function* everyCreditSet(store: Store, workspace: string, query: Omit<CreditQuery, 'after' | 'limit'>): AsyncGenerator<CreditSet> {
  let after: { at: string; id: string } | undefined;
  for (;;) {
    const page = await store.credits.list(workspace, { ...query, limit: PAGE, ...(after ? { after } : {}) });
    yield* page;
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) return;
    after = { at: last.conversionAt, id: last.conversionId };
  }
}
