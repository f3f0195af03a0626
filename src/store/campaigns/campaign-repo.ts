/**
 * Campaigns and their spend: what a campaign is for (its goal and target) and what it cost.
 *
 * - A **campaign record** names a campaign (the string invite links, tracked links, coupons and
 *   deep-link codes already carry as `campaign`), its goal (`awareness | engagement |
 *   conversion`), optional start and end days, and an optional target. Campaigns seen on
 *   touches without a record still appear in reports, with the goal unknown.
 * - **Spend** is one amount per campaign per local day, in the workspace currency. A write
 *   REPLACES the amount of that day and campaign (a re-import of a day is never added twice).
 *
 * Every method takes the workspace first. Days are `YYYY-MM-DD` (the workspace's local days).
 * The rules both adapters share are here ({@link canonicalCampaign}, {@link canonicalSpend}).
 */
import { assertDay } from '../counters/counter-rules.js';
import { assertSameWorkspace, canonicalTime, compareCodePoints, plainCopy } from '../rules.js';

export const CAMPAIGN_GOALS = ['awareness', 'engagement', 'conversion'] as const;
export type CampaignGoal = (typeof CAMPAIGN_GOALS)[number];

/** What a target measures: people joined, share still a member at day N, or ROAS (a ratio). */
export const TARGET_METRICS = ['joins', 'retention', 'roas'] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

export interface CampaignTarget {
  metric: TargetMetric;
  /** Joins: a count; retention: a share 0..1; roas: a ratio (3 = revenue three times spend). */
  value: number;
  /** Retention only: the day since joining it is measured at (default 28). */
  day?: number;
}

export interface CampaignRecord {
  workspace: string;
  /** The campaign string touches carry (case-sensitive, as on the invite link). */
  name: string;
  goal: CampaignGoal;
  /** First and last local day it runs (both optional). */
  from?: string;
  to?: string;
  target?: CampaignTarget;
  /** Who set it last (`telegram:101`, `cli`, `config`). */
  updatedBy: string;
  updatedAt: string;
}

/** One campaign's spend on one local day. */
export interface SpendRow {
  workspace: string;
  day: string;
  campaign: string;
  /** In `currency` (the workspace currency). Zero is a real entry: spend was nothing that day. */
  amount: number;
  currency: string;
  /** Where it came from: `command`, `import`, `api`, `cli`. */
  source: string;
  updatedAt: string;
}

export interface SpendQuery {
  /** First and last day, both included. */
  from?: string;
  to?: string;
  campaign?: string;
}

export interface CampaignRepo {
  /** Creates or replaces a campaign's record (by name). */
  put(workspace: string, record: CampaignRecord): Promise<void>;
  get(workspace: string, name: string): Promise<CampaignRecord | null>;
  /** Every record, by name (code points). */
  list(workspace: string): Promise<CampaignRecord[]>;
  /** Deletes a record; whether there was one. */
  remove(workspace: string, name: string): Promise<boolean>;
}

export interface SpendRepo {
  /** Replaces the spend of each row's day and campaign (the last of duplicates in the list wins). Returns how many rows were written. */
  put(workspace: string, rows: readonly SpendRow[]): Promise<number>;
  /** Rows in day order, then campaign (code points). */
  list(workspace: string, query?: SpendQuery): Promise<SpendRow[]>;
  /** Deletes the spend of a campaign on these days; how many rows were deleted. */
  remove(workspace: string, campaign: string, days: readonly string[]): Promise<number>;
}

export interface CampaignRepos {
  records: CampaignRepo;
  spend: SpendRepo;
}

/** Campaign names as they travel on touches (see `touch-event.ts`): 1–128 characters. */
export function assertCampaignName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw new RangeError(`a campaign name is 1–128 characters, got ${JSON.stringify(name)}`);
  return name;
}

/** A record as stored: checked, times canonical. */
export function canonicalCampaign(workspace: string, r: CampaignRecord): CampaignRecord {
  assertSameWorkspace(`campaign ${r.name}`, workspace, r.workspace);
  assertCampaignName(r.name);
  if (!(CAMPAIGN_GOALS as readonly string[]).includes(r.goal)) throw new RangeError(`goal must be one of ${CAMPAIGN_GOALS.join(', ')}, got ${JSON.stringify(r.goal)}`);
  if (r.from !== undefined) assertDay(r.from, 'from');
  if (r.to !== undefined) assertDay(r.to, 'to');
  if (r.from !== undefined && r.to !== undefined && r.from > r.to) throw new RangeError(`from (${r.from}) is after to (${r.to})`);
  if (r.target !== undefined) {
    if (!(TARGET_METRICS as readonly string[]).includes(r.target.metric)) throw new RangeError(`a target measures ${TARGET_METRICS.join(', ')}`);
    if (!Number.isFinite(r.target.value) || r.target.value < 0) throw new RangeError('a target is a number ≥ 0');
    if (r.target.metric === 'retention' && r.target.value > 1) throw new RangeError('a retention target is a share 0..1');
    if (r.target.day !== undefined && (!Number.isSafeInteger(r.target.day) || r.target.day < 1 || r.target.day > 365)) throw new RangeError('a retention day is 1..365');
  }
  return plainCopy({ ...r, updatedAt: canonicalTime(r.updatedAt, 'updatedAt') });
}

/** A spend row as stored: checked, time canonical. */
export function canonicalSpend(workspace: string, r: SpendRow): SpendRow {
  assertSameWorkspace(`spend of ${r.campaign}`, workspace, r.workspace);
  assertDay(r.day);
  assertCampaignName(r.campaign);
  if (!Number.isFinite(r.amount) || r.amount < 0) throw new RangeError(`spend is a number ≥ 0, got ${String(r.amount)}`);
  if (!/^[A-Z]{3}$/.test(r.currency)) throw new RangeError(`a currency is an ISO 4217 code like CNY, got ${JSON.stringify(r.currency)}`);
  return plainCopy({ ...r, updatedAt: canonicalTime(r.updatedAt, 'updatedAt') });
}

/** Spend rows' order: day, then campaign (code points). */
export function compareSpend(a: SpendRow, b: SpendRow): number {
  return a.day < b.day ? -1 : a.day > b.day ? 1 : compareCodePoints(a.campaign, b.campaign);
}
