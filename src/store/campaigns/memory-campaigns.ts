/** In-memory campaigns and spend (see `campaign-repo.ts`): a test and demo double of the MongoDB adapter. */
import { compareCodePoints } from '../rules.js';
import { deepFreeze } from '../memory-tables.js';
import type { CampaignRecord, CampaignRepos, SpendRow } from './campaign-repo.js';
import { assertCampaignName, canonicalCampaign, canonicalSpend, compareSpend } from './campaign-repo.js';
import { assertDay } from '../counters/counter-rules.js';

const SEP = '\u0000';

/** Creates empty in-memory campaign repositories; `open()` throws once the store is closed. */
export function createMemoryCampaigns(open: () => void): CampaignRepos {
  const records = new Map<string, Map<string, CampaignRecord>>();
  const spend = new Map<string, Map<string, SpendRow>>();
  const of = <T>(m: Map<string, Map<string, T>>, ws: string): Map<string, T> => {
    let w = m.get(ws);
    if (!w) {
      w = new Map();
      m.set(ws, w);
    }
    return w;
  };
  return {
    records: {
      async put(workspace, record) {
        open();
        const r = canonicalCampaign(workspace, record);
        of(records, workspace).set(r.name, deepFreeze(r));
      },
      async get(workspace, name) {
        open();
        const r = records.get(workspace)?.get(name);
        return r ? structuredClone(r) : null;
      },
      async list(workspace) {
        open();
        return [...(records.get(workspace)?.values() ?? [])].sort((a, b) => compareCodePoints(a.name, b.name)).map((r) => structuredClone(r));
      },
      async remove(workspace, name) {
        open();
        return records.get(workspace)?.delete(name) ?? false;
      },
    },
    spend: {
      async put(workspace, rows) {
        open();
        const checked = rows.map((r) => canonicalSpend(workspace, r));
        const w = of(spend, workspace);
        for (const r of checked) w.set(`${r.day}${SEP}${r.campaign}`, deepFreeze(r));
        return checked.length;
      },
      async list(workspace, query = {}) {
        open();
        if (query.from !== undefined) assertDay(query.from, 'from');
        if (query.to !== undefined) assertDay(query.to, 'to');
        const out: SpendRow[] = [];
        for (const r of spend.get(workspace)?.values() ?? []) {
          if (query.from !== undefined && r.day < query.from) continue;
          if (query.to !== undefined && r.day > query.to) continue;
          if (query.campaign !== undefined && r.campaign !== query.campaign) continue;
          out.push({ ...r });
        }
        return out.sort(compareSpend);
      },
      async remove(workspace, campaign, days) {
        open();
        assertCampaignName(campaign);
        const w = spend.get(workspace);
        let n = 0;
        for (const d of new Set(days)) if (w?.delete(`${assertDay(d)}${SEP}${campaign}`)) n++;
        return n;
      },
    },
  };
}
