/** In-memory identity evidence (see `evidence-repo.ts`): unique by (workspace, id), first write wins. */
import { identifierKey } from '../../identity/identifier.js';
import type { IdentityEvidence, IdentityEvidenceRepo } from './evidence-repo.js';

const order = (a: IdentityEvidence, b: IdentityEvidence): number => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function createMemoryIdentityEvidence(open: () => void = () => undefined): IdentityEvidenceRepo {
  const rows = new Map<string, IdentityEvidence>();
  const key = (ws: string, id: string): string => `${ws}\u0000${id}`;
  const names = (e: IdentityEvidence, wanted: ReadonlySet<string>): boolean => wanted.has(identifierKey(e.identifier)) || wanted.has(identifierKey(e.linkedTo));
  return {
    async add(workspace, evidence) {
      open();
      let added = 0;
      for (const e of evidence) {
        if (e.workspace !== workspace) throw new Error(`evidence of workspace ${e.workspace} given for ${workspace}`);
        const k = key(workspace, e.id);
        if (rows.has(k)) continue;
        rows.set(k, structuredClone(e));
        added++;
      }
      return added;
    },
    async ofIdentifiers(workspace, identifiers) {
      open();
      const wanted = new Set(identifiers.map(identifierKey));
      return [...rows.values()].filter((e) => e.workspace === workspace && names(e, wanted)).sort(order).map((e) => structuredClone(e));
    },
    async deleteByIdentifiers(workspace, identifiers) {
      open();
      const wanted = new Set(identifiers.map(identifierKey));
      let n = 0;
      for (const [k, e] of rows) {
        if (e.workspace === workspace && names(e, wanted)) {
          rows.delete(k);
          n++;
        }
      }
      return n;
    },
  };
}
