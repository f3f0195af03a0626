/**
 * The per-workspace settings links, conversion intake, the reconciler and reports read,
 * looked up by workspace id. Built once from the parsed configuration (`config.workspaces`);
 * each part takes only this lookup, never the whole configuration.
 */
import type { WorkspaceConfig } from '../config.js';

/** What attribution needs of a workspace's configuration. */
export type AttributionSettings = Pick<
  WorkspaceConfig,
  'id' | 'secret' | 'allowedDomains' | 'lookbackDays' | 'creditMode' | 'coupons' | 'defaultRegion' | 'timezone'
> &
  Partial<Pick<WorkspaceConfig, 'referralMinDays' | 'referralCountAdminAdds'>>;

/** Settings of a workspace, or undefined when it is not configured. */
export type SettingsLookup = (workspace: string) => AttributionSettings | undefined;

/** Defaults of a workspace that is not in the configuration (the schema's defaults). */
export const DEFAULT_SETTINGS: Omit<AttributionSettings, 'id'> = {
  allowedDomains: [],
  lookbackDays: 30,
  creditMode: 'consume',
  coupons: [],
  defaultRegion: 'US',
  timezone: 'UTC',
};

/** A lookup over configured workspaces. */
export function settingsLookup(workspaces: readonly AttributionSettings[]): SettingsLookup {
  const byId = new Map(workspaces.map((w) => [w.id, w]));
  return (workspace) => byId.get(workspace);
}

/** The workspace's settings, or the defaults when it is not configured. */
export function settingsOrDefaults(lookup: SettingsLookup, workspace: string): AttributionSettings {
  return lookup(workspace) ?? { id: workspace, ...DEFAULT_SETTINGS };
}
