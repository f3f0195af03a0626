/**
 * A workspace's watched keywords: the configuration's list plus those added with
 * `/track`, compiled once into a matcher and cached. Connectors ask for the matcher on
 * every group message; it is rebuilt when `/track` / `/untrack` change the list in this
 * process (`invalidate`) and at most `ttlMs` after a change made by another process.
 */
import { compileKeywords, normalizeText, type KeywordMatcher } from '../keywords/index.js';
import type { Store } from '../store/store.js';

/** The unique key of a keyword: its normalized form (NFKC, case-folded, trimmed). */
export function keywordKey(keyword: string): string {
  return normalizeText(keyword).trim();
}

export interface WorkspaceKeywordsOptions {
  store: Store;
  /** The configured keywords of a workspace. */
  configured: (workspace: string) => readonly string[];
  /** How long a compiled matcher is reused before the stored list is read again; default 30 s. */
  ttlMs?: number;
  now?: () => number;
}

export interface WorkspaceKeywords {
  matcher(workspace: string): Promise<KeywordMatcher>;
  invalidate(workspace: string): void;
}

export function createWorkspaceKeywords(options: WorkspaceKeywordsOptions): WorkspaceKeywords {
  const ttl = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; matcher: Promise<KeywordMatcher> }>();
  return {
    matcher(workspace) {
      const hit = cache.get(workspace);
      if (hit && now() - hit.at < ttl) return hit.matcher;
      const matcher = (async () => {
        const tracked = await options.store.community.keywords.list(workspace);
        return compileKeywords([...options.configured(workspace), ...tracked.map((k) => k.keyword)]);
      })();
      cache.set(workspace, { at: now(), matcher });
      // A failed read is not cached: the next message tries again.
      matcher.catch(() => {
        if (cache.get(workspace)?.matcher === matcher) cache.delete(workspace);
      });
      return matcher;
    },
    invalidate(workspace) {
      cache.delete(workspace);
    },
  };
}
