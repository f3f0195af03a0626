/**
 * What campaign reports need of a workspace's configuration, and the campaigns it declares
 * merged with the stored records (a stored record wins: `/goal` and `midfunnel campaigns set`
 * change what the file said).
 */
import type { CampaignGoal, CampaignRecord, CampaignTarget, Store } from '../store/store.js';
import { parseTarget } from './campaign-target.js';

/** A campaign as the configuration file declares it. */
export interface ConfiguredCampaign {
  name: string;
  goal: CampaignGoal;
  from?: string | undefined;
  to?: string | undefined;
  target?: string | number | undefined;
}

/** The slice of a workspace's configuration campaign reports read. */
export interface CampaignSettings {
  id: string;
  /** IANA time zone of its local days; default UTC. */
  timezone?: string;
  /** ISO 4217 code spend is entered in; default USD. */
  currency?: string;
  campaigns?: readonly ConfiguredCampaign[];
}

/** A campaign's goal and target as reports use them (from a stored record or the configuration). */
export interface CampaignPlan {
  name: string;
  goal: CampaignGoal;
  from?: string;
  to?: string;
  target?: CampaignTarget;
  /** `store` (set by command, CLI or API) or `config`. */
  source: 'store' | 'config';
}

export const currencyOf = (s: CampaignSettings | undefined): string => s?.currency ?? 'USD';
export const timeZoneOf = (s: CampaignSettings | undefined): string => s?.timezone ?? 'UTC';

function fromRecord(r: CampaignRecord): CampaignPlan {
  const p: CampaignPlan = { name: r.name, goal: r.goal, source: 'store' };
  if (r.from !== undefined) p.from = r.from;
  if (r.to !== undefined) p.to = r.to;
  if (r.target !== undefined) p.target = r.target;
  return p;
}

function fromConfig(c: ConfiguredCampaign): CampaignPlan {
  const p: CampaignPlan = { name: c.name, goal: c.goal, source: 'config' };
  if (c.from !== undefined) p.from = c.from;
  if (c.to !== undefined) p.to = c.to;
  if (c.target !== undefined) p.target = parseTarget(c.target, c.goal);
  return p;
}

/** Every planned campaign of a workspace by name: configured ones, overridden by stored records. */
export async function campaignPlans(store: Store, settings: CampaignSettings): Promise<Map<string, CampaignPlan>> {
  const out = new Map<string, CampaignPlan>();
  for (const c of settings.campaigns ?? []) out.set(c.name, fromConfig(c));
  for (const r of await store.campaigns.records.list(settings.id)) out.set(r.name, fromRecord(r));
  return out;
}
