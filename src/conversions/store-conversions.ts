/**
 * Stores parsed conversions and queues their reconciliation. Idempotent by (workspace, id):
 * the same conversion again is a `duplicate` and changes nothing; the same id with other
 * content is a `conflict` (nothing changes either; the answer names the differing fields).
 *
 * The store write comes first and is what "accepted" means: if queuing the reconcile fails
 * (Redis down), the conversion stays `pending` and the reconciler's sweep picks it up.
 */
import type { Logger } from '../logger.js';
import type { ConversionRecord } from '../store/store.js';
import type { Store } from '../store/store.js';
import { differingFields } from './parse-conversion.js';

export type StoreOutcome = { status: 'accepted' } | { status: 'duplicate' } | { status: 'conflict'; fields: string[] };

export interface StoreConversionsDeps {
  store: Store;
  /** Queues reconcile runs (a `ReconcileQueue.enqueue`); absent: conversions wait for the sweep. */
  enqueue?: (workspace: string, conversionIds: readonly string[], cause: string) => Promise<void>;
  log?: Logger;
}

/** Stores one workspace's conversions (in order) and queues the new ones; one outcome per input. */
export async function storeConversions(deps: StoreConversionsDeps, workspace: string, conversions: readonly ConversionRecord[]): Promise<StoreOutcome[]> {
  if (conversions.length === 0) return [];
  const results = await deps.store.conversions.insertMany(workspace, conversions);
  const outcomes = results.map((r, i): StoreOutcome => {
    if (r.status === 'inserted') return { status: 'accepted' };
    const mine = conversions[i] as ConversionRecord;
    if (r.existing.fingerprint === mine.fingerprint) return { status: 'duplicate' };
    return { status: 'conflict', fields: differingFields(r.existing, mine) };
  });
  const accepted = conversions.filter((_, i) => outcomes[i]?.status === 'accepted').map((c) => c.id);
  if (accepted.length > 0 && deps.enqueue) {
    try {
      await deps.enqueue(workspace, accepted, 'in');
    } catch (err) {
      deps.log?.warn({ workspace, conversions: accepted.length, err: err instanceof Error ? err.message : String(err) }, 'reconcile not queued; the sweep will pick the conversions up');
    }
  }
  return outcomes;
}
