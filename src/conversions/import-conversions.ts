/**
 * Conversion import from a shop's CSV export: the same fields and rules as the webhook
 * (`parse-conversion.ts`), stored in batches through `storeConversions`.
 *
 * Safe to stop and re-run: every row is stored by its id (first write wins), so a re-run
 * turns the rows stored before the stop into `duplicate` and stores the rest; a row stored
 * but not yet queued for reconciling is `pending` and the sweep picks it up. Nothing is
 * written before the header has been checked.
 *
 * Columns (case-insensitive; a `customer.` / `customer_` prefix is optional; some common
 * names and Chinese export headers are understood, see {@link COLUMN_ALIASES}): id,
 * workspace, occurred_at, value, currency, type, phone, email, telegram_id,
 * telegram_username, whatsapp, external_id, click_id (or mf_click), coupon, utm_source,
 * utm_medium, utm_campaign, utm_content, utm_term. Other columns (names, addresses) are
 * ignored and never stored. Times without an offset are read in the workspace's time zone.
 */
import { makePseudonymizer, type Pseudonymizer } from '../identity/pseudonymize.js';
import type { SettingsLookup } from '../reconcile/workspace-settings.js';
import type { ConversionRecord } from '../store/store.js';
import { parseConversion } from './parse-conversion.js';
import { decodeCsv, readCsv, type CsvEncoding, type CsvRecord } from './read-csv.js';
import { storeConversions, type StoreConversionsDeps } from './store-conversions.js';

/** Header names understood for each field (after lower-casing and `customer.` removal). */
export const COLUMN_ALIASES: Record<string, readonly string[]> = {
  id: ['id', 'order_id', 'orderid', 'order', 'order_number', 'lead_id', '订单号', '订单编号', '订单id'],
  workspace: ['workspace'],
  occurred_at: ['occurred_at', 'created_at', 'order_date', 'date', 'time', 'paid_at', '下单时间', '支付时间', '时间', '日期'],
  value: ['value', 'total', 'amount', 'revenue', 'price', '金额', '订单金额', '实付金额', '实付款'],
  currency: ['currency', '币种', '货币'],
  type: ['type', 'conversion_type', '类型'],
  phone: ['phone', 'mobile', 'tel', 'telephone', 'phone_number', '手机', '手机号', '电话', '联系电话'],
  email: ['email', 'e_mail', 'mail', '邮箱', '电子邮件'],
  telegram_id: ['telegram_id', 'tg_id'],
  telegram_username: ['telegram_username', 'tg_username', 'telegram'],
  whatsapp: ['whatsapp', 'wa', 'whatsapp_number'],
  external_id: ['external_id', 'customer_id', 'user_id', '客户id', '会员id'],
  click_id: ['click_id', 'mf_click'],
  coupon: ['coupon', 'coupon_code', 'discount_code', '优惠券', '优惠码'],
  utm_source: ['utm_source'],
  utm_medium: ['utm_medium'],
  utm_campaign: ['utm_campaign'],
  utm_content: ['utm_content'],
  utm_term: ['utm_term'],
};

const CUSTOMER_FIELDS = ['phone', 'email', 'telegram_id', 'telegram_username', 'whatsapp', 'external_id'] as const;

/** A header cell → the field it maps to, or undefined. */
export function fieldOfHeader(cell: string): string | undefined {
  const name = cell
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/^customer[._]/, '')
    .replace(/[\s-]+/g, '_');
  for (const [field, aliases] of Object.entries(COLUMN_ALIASES)) if (aliases.includes(name)) return field;
  return undefined;
}

export interface ImportOptions {
  /** Workspace of rows without a workspace column. */
  workspace?: string;
  /** Currency of rows without a currency column or cell. */
  currency?: string;
  /** Type of rows without a type column or cell; default `purchase`. */
  type?: string;
  encoding?: CsvEncoding;
  /** Rows stored per batch; default 500. */
  batchSize?: number;
  /** Called after each batch with rows done and rows in the file. */
  onProgress?: (done: number, total: number) => void;
  now?: () => Date;
}

export interface ImportDeps extends StoreConversionsDeps {
  settings: SettingsLookup;
  hashKey: string;
}

export interface RejectedRow {
  line: number;
  id?: string;
  reason: string;
}

export interface ImportSummary {
  encoding: string;
  rows: number;
  accepted: number;
  duplicate: number;
  rejected: RejectedRow[];
  /** Header cells that map to no field (not stored). */
  ignoredColumns: string[];
}

/** The header is unusable (a required column is missing, a column repeats); nothing was stored. */
export class ImportHeaderError extends Error {
  override name = 'ImportHeaderError';
}

interface Prepared {
  line: number;
  conversion: ConversionRecord;
}

/** Imports a CSV file's bytes. Throws ImportHeaderError for a bad header; every row problem is in the summary. */
export async function importConversionsCsv(deps: ImportDeps, bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportSummary> {
  const now = options.now ?? (() => new Date());
  const { text, encoding, invalidLines = [] } = decodeCsv(bytes, options.encoding ?? 'auto');
  const records: CsvRecord[] = [...readCsv(text)];
  const header = records.shift();
  if (!header) throw new ImportHeaderError('the file is empty; expected a header row such as id,occurred_at,value,currency,phone');
  if ('error' in header) throw new ImportHeaderError(`line ${header.line}: the header row is broken: ${header.error}`);
  if (invalidLines.length > 0 && invalidLines[0] === header.line) {
    throw new ImportHeaderError(`line ${header.line}: the header row has bytes that are not valid UTF-8; save the file as UTF-8, or pass --encoding gbk if it is GBK`);
  }
  const columns: Array<string | undefined> = [];
  const ignoredColumns: string[] = [];
  const seen = new Map<string, string>();
  for (const cell of header.fields) {
    const field = fieldOfHeader(cell);
    if (field !== undefined && seen.has(field)) throw new ImportHeaderError(`columns "${seen.get(field)}" and "${cell.trim()}" both mean ${field}; keep one`);
    if (field !== undefined) seen.set(field, cell.trim());
    else if (cell.trim() !== '') ignoredColumns.push(cell.trim());
    columns.push(field);
  }
  const missing = ['id', 'occurred_at', 'value'].filter((f) => !seen.has(f));
  if (!seen.has('currency') && options.currency === undefined) missing.push('currency (or pass --currency)');
  if (!seen.has('workspace') && options.workspace === undefined) missing.push('workspace (or pass --workspace)');
  if (missing.length > 0) throw new ImportHeaderError(`the header has no column for: ${missing.join(', ')}; found: ${header.fields.map((f) => f.trim()).join(', ')}`);

  const summary: ImportSummary = { encoding, rows: records.length, accepted: 0, duplicate: 0, rejected: [], ignoredColumns };
  /** True when a record (from its line up to the next record's) holds bytes that are not valid UTF-8. */
  const badBytes = new Set(invalidLines);
  const hasBadBytes = (k: number): boolean => {
    if (badBytes.size === 0) return false;
    const from = (records[k] as CsvRecord).line;
    const to = records[k + 1]?.line ?? Number.POSITIVE_INFINITY;
    return invalidLines.some((l) => l >= from && l < to);
  };
  const hashers = new Map<string, Pseudonymizer>();
  const batchSize = options.batchSize ?? 500;
  let done = 0;

  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    const byWorkspace = new Map<string, Prepared[]>();
    for (const [offset, rec] of batch.entries()) {
      if ('error' in rec) {
        summary.rejected.push({ line: rec.line, reason: rec.error });
        continue;
      }
      if (hasBadBytes(start + offset)) {
        // Never store a row whose text was garbled in decoding; the rest of the file is fine.
        summary.rejected.push({ line: rec.line, reason: `has bytes that are not valid UTF-8 (the file was read as ${encoding}); fix the line, or pass --encoding gbk if the whole file is GBK` });
        continue;
      }
      if (rec.fields.length !== columns.length) {
        summary.rejected.push({ line: rec.line, reason: `has ${rec.fields.length} fields, the header has ${columns.length} (a broken or shifted line)` });
        continue;
      }
      const row = new Map<string, string>();
      rec.fields.forEach((v, k) => {
        const field = columns[k];
        if (field !== undefined && v.trim() !== '') row.set(field, v.trim());
      });
      const workspace = row.get('workspace') ?? options.workspace ?? '';
      const settings = deps.settings(workspace);
      if (!settings) {
        summary.rejected.push({ line: rec.line, ...(row.has('id') ? { id: row.get('id') } : {}), reason: `workspace: '${workspace}' is not a configured workspace` });
        continue;
      }
      let hasher = hashers.get(workspace);
      if (!hasher) {
        hasher = makePseudonymizer(deps.hashKey, workspace);
        hashers.set(workspace, hasher);
      }
      const customer: Record<string, string> = {};
      for (const f of CUSTOMER_FIELDS) {
        const v = row.get(f);
        if (v !== undefined) customer[f] = v;
      }
      const utm: Record<string, string> = {};
      for (const k of ['source', 'medium', 'campaign', 'content', 'term']) {
        const v = row.get(`utm_${k}`);
        if (v !== undefined) utm[k] = v;
      }
      const input: Record<string, unknown> = {
        id: row.get('id'),
        workspace,
        occurred_at: row.get('occurred_at'),
        value: row.get('value'),
        currency: row.get('currency') ?? options.currency,
        type: row.get('type') ?? options.type ?? 'purchase',
      };
      if (Object.keys(customer).length > 0) input.customer = customer;
      if (Object.keys(utm).length > 0) input.utm = utm;
      if (row.has('click_id')) input.click_id = row.get('click_id');
      if (row.has('coupon')) input.coupon = row.get('coupon');
      const parsed = parseConversion(input, { pseudonymize: hasher, region: settings.defaultRegion, source: 'csv', now: now(), localTimeZone: settings.timezone });
      if (!parsed.ok) {
        const reason = parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
        summary.rejected.push({ line: rec.line, ...(row.has('id') ? { id: row.get('id') } : {}), reason });
        continue;
      }
      const list = byWorkspace.get(workspace) ?? [];
      list.push({ line: rec.line, conversion: parsed.conversion });
      byWorkspace.set(workspace, list);
    }
    for (const [workspace, prepared] of byWorkspace) {
      const outcomes = await storeConversions(deps, workspace, prepared.map((p) => p.conversion));
      outcomes.forEach((o, k) => {
        const p = prepared[k] as Prepared;
        if (o.status === 'accepted') summary.accepted++;
        else if (o.status === 'duplicate') summary.duplicate++;
        else summary.rejected.push({ line: p.line, id: p.conversion.id, reason: `id ${p.conversion.id} was already received with other values (${o.fields.join(', ')}); the first one is kept` });
      });
    }
    done += batch.length;
    options.onProgress?.(done, records.length);
  }
  summary.rejected.sort((a, b) => a.line - b.line);
  return summary;
}
