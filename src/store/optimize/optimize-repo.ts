/**
 * What the optimization features keep: each workspace's alert setting (`/alerts on|off`) and
 * the daily alert runs claimed (exactly one post per workspace and day, whatever the number
 * of processes), and profile tags derived from the reports (`interest:<keyword>` from keyword
 * lift). Every method takes the workspace first.
 */

/** A workspace's alert setting, as `/alerts on|off` last left it. */
export interface AlertSetting {
  workspace: string;
  enabled: boolean;
  /** Who changed it (subject, `telegram:<id>`). */
  changedBy: string;
  changedAt: string;
}

export interface AlertSettingRepo {
  /** The stored setting; null when never set (the configuration's default applies). */
  get(workspace: string): Promise<AlertSetting | null>;
  /** Replaces the setting. */
  put(workspace: string, setting: AlertSetting): Promise<void>;
  /** Claims a run (`YYYY-MM-DD`): true once per workspace and run key. */
  claimRun(workspace: string, runKey: string): Promise<boolean>;
}

/** A tag on a profile, derived by a report (`source`), replaced whole at each derivation. */
export interface ProfileTag {
  workspace: string;
  profileId: string;
  /** `interest:<keyword>`. */
  tag: string;
  /** What derived it (`lift`): a re-derivation replaces every tag of its source. */
  source: string;
  at: string;
}

export interface ProfileTagRepo {
  /** Replaces every tag of `source` in the workspace with `tags` (unique per profile and tag); returns how many are stored. */
  replaceSource(workspace: string, source: string, tags: readonly ProfileTag[]): Promise<number>;
  /** A profile's tags, by tag. */
  ofProfile(workspace: string, profileId: string): Promise<ProfileTag[]>;
  /** Profiles carrying a tag, by profile id; at most `limit` (default 10,000). */
  withTag(workspace: string, tag: string, options?: { limit?: number }): Promise<string[]>;
  /** Deletes a profile's tags (erasure). */
  deleteByProfile(workspace: string, profileId: string): Promise<number>;
}

export interface OptimizeRepos {
  readonly alertSettings: AlertSettingRepo;
  readonly profileTags: ProfileTagRepo;
}

/** One tag per profile and tag: the last of duplicates wins; sorted by profile id, then tag. */
export function uniqueTags(workspace: string, tags: readonly ProfileTag[]): ProfileTag[] {
  const byKey = new Map<string, ProfileTag>();
  for (const t of tags) {
    if (t.workspace !== workspace) throw new RangeError(`tag of ${t.profileId} belongs to workspace ${t.workspace}, not ${workspace}`);
    byKey.set(`${t.profileId}\u0000${t.tag}`, { workspace, profileId: t.profileId, tag: t.tag, source: t.source, at: t.at });
  }
  return [...byKey.values()].sort((a, b) => (a.profileId < b.profileId ? -1 : a.profileId > b.profileId ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}
