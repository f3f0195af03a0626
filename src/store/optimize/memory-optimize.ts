/** In-memory alert settings and profile tags (test and demo double of `mongo-optimize.ts`). */
import { uniqueTags, type AlertSetting, type OptimizeRepos, type ProfileTag } from './optimize-repo.js';

export function createMemoryOptimize(open: () => void = () => undefined): OptimizeRepos {
  const settings = new Map<string, AlertSetting>();
  const runs = new Set<string>();
  const tags = new Map<string, ProfileTag[]>();
  const tagsOf = (ws: string): ProfileTag[] => tags.get(ws) ?? [];
  const byTag = (a: ProfileTag, b: ProfileTag): number => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
  return {
    alertSettings: {
      async get(workspace) {
        open();
        const s = settings.get(workspace);
        return s ? { ...s } : null;
      },
      async put(workspace, setting) {
        open();
        settings.set(workspace, { ...setting, workspace });
      },
      async claimRun(workspace, runKey) {
        open();
        const k = `${workspace}\u0000${runKey}`;
        if (runs.has(k)) return false;
        runs.add(k);
        return true;
      },
    },
    profileTags: {
      async replaceSource(workspace, source, list) {
        open();
        const kept = tagsOf(workspace).filter((t) => t.source !== source);
        const fresh = uniqueTags(workspace, list.map((t) => ({ ...t, source })));
        const keys = new Set(fresh.map((t) => `${t.profileId}\u0000${t.tag}`));
        tags.set(workspace, [...kept.filter((t) => !keys.has(`${t.profileId}\u0000${t.tag}`)), ...fresh]);
        return fresh.length;
      },
      async ofProfile(workspace, profileId) {
        open();
        return tagsOf(workspace).filter((t) => t.profileId === profileId).sort(byTag).map((t) => ({ ...t }));
      },
      async withTag(workspace, tag, options = {}) {
        open();
        return [...new Set(tagsOf(workspace).filter((t) => t.tag === tag).map((t) => t.profileId))].sort().slice(0, options.limit ?? 10_000);
      },
      async deleteByProfile(workspace, profileId) {
        open();
        const before = tagsOf(workspace);
        const after = before.filter((t) => t.profileId !== profileId);
        tags.set(workspace, after);
        return before.length - after.length;
      },
    },
  };
}
