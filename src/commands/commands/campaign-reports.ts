/** What the campaign commands share: the campaign reports of the asking workspace. */
import { createCampaignReports, type CampaignReports } from '../../campaigns/index.js';
import type { CommandContext } from '../command-module.js';

/** The campaign reports, with this workspace's time zone, currency and configured campaigns. */
export function campaignReportsOf(ctx: Pick<CommandContext, 'store' | 'access'>): CampaignReports {
  const s = ctx.access.settings;
  return createCampaignReports(ctx.store, () => ({ timezone: s.timezone, ...(s.currency !== undefined ? { currency: s.currency } : {}), ...(s.campaigns !== undefined ? { campaigns: s.campaigns } : {}) }));
}

/** A campaign name as typed in a command: 1–128 characters without spaces. */
export const CAMPAIGN_WORD = /^[^\s=]{1,128}$/u;
