/**
 * Every credited touch of a period under every model, as CSV for spreadsheets: UTF-8 with a
 * BOM (so Excel reads Chinese group names), CRLF line ends, one row per conversion × touch ×
 * model. A matched conversion with no touch in its window has one `(none)` row per model.
 * Written with csv-stringify (`src/csv/write-csv.ts`): cells that a spreadsheet would run as a
 * formula (starting with = + - @, a tab or CR, or full-width ＝＋－＠) get a `'`.
 */
import { MODEL_NAMES } from '../attribution/index.js';
import { writeCsv, type CsvValue } from '../csv/write-csv.js';
import { everyCreditSet } from '../reconcile/read-pages.js';
import type { Store } from '../store/store.js';
import { NONE_KEY } from './attribution-report.js';
import type { Period } from './period.js';

export const EXPORT_COLUMNS = [
  'conversion_id',
  'conversion_at',
  'type',
  'value',
  'currency',
  'rule',
  'low_confidence',
  'profile_id',
  'touch_id',
  'touch_at',
  'kind',
  'platform',
  'group_id',
  'group_title',
  'campaign',
  'keywords',
  'links',
  'model',
  'credited_conversions',
  'credited_value',
] as const;

export { csvCell } from '../csv/write-csv.js';

export async function exportCredits(store: Store, workspace: string, options: { period: Period }): Promise<string> {
  const rows: CsvValue[][] = [[...EXPORT_COLUMNS]];
  for await (const set of everyCreditSet(store, workspace, { from: options.period.from, to: options.period.to })) {
    const head = [set.conversionId, set.conversionAt, set.type, set.value, set.currency, set.rule, set.lowConfidence, set.profileId ?? ''];
    for (const model of MODEL_NAMES) {
      const credit = set.models[model];
      if (!credit) continue;
      if (set.touches.length === 0) {
        rows.push([...head, NONE_KEY, '', '', '', '', '', '', '', '', model, 1, set.value]);
        continue;
      }
      set.touches.forEach((t, i) => {
        rows.push([...head, t.touchId, t.at, t.kind, t.platform, t.chatId ?? '', t.chatTitle ?? '', t.campaign ?? '', (t.keywords ?? []).join(' | '), (t.links ?? []).join(' | '), model, credit.conversions[i] ?? 0, credit.value[i] ?? 0]);
      });
    }
  }
  return writeCsv(rows, { bom: true });
}
