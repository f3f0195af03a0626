/**
 * The periodic sweep: conversions to reconcile again whatever triggers were lost. Pending
 * ones (never reconciled: their job was not queued), and, within the lookback window,
 * unattributed and low-confidence ones (the person may have shown up since).
 */
import type { Store } from '../store/store.js';
import { everyConversion } from './read-pages.js';
import { settingsOrDefaults, type SettingsLookup } from './workspace-settings.js';

const DAY_MS = 86_400_000;

export async function conversionsToSweep(store: Store, settings: SettingsLookup, workspace: string, now: Date): Promise<string[]> {
  const from = new Date(now.getTime() - settingsOrDefaults(settings, workspace).lookbackDays * DAY_MS).toISOString();
  const ids: string[] = [];
  for await (const c of everyConversion(store, workspace, { status: 'pending' })) ids.push(c.id);
  for await (const c of everyConversion(store, workspace, { status: 'unattributed', from })) ids.push(c.id);
  for await (const c of everyConversion(store, workspace, { status: 'matched', from })) if (c.match?.lowConfidence) ids.push(c.id);
  return ids;
}
