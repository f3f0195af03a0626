/**
 * Every CLI command that takes `--workspace` checks it against the configuration before it
 * reads or writes anything: an unknown workspace is a usage error (exit 2, one line), never
 * an empty report.
 */
import { UsageError } from './io.js';

/** Throws UsageError unless `id` is one of the configured workspaces. */
export function requireWorkspace(workspaces: ReadonlyArray<{ id: string }>, id: string): void {
  if (workspaces.some((w) => w.id === id)) return;
  const known = workspaces.map((w) => w.id);
  throw new UsageError(
    `workspace ${id} is not configured (${known.length > 0 ? `MIDFUNNEL_CONFIG lists: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}` : 'no MIDFUNNEL_CONFIG workspaces file lists any; set MIDFUNNEL_CONFIG'})`,
  );
}
