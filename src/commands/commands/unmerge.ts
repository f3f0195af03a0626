/**
 * `/unmerge <profile id> <type:start of value>`: an owner splits a wrong merge. The identifier
 * (as `/journey` shows it, masked), the touches that carried it and the identifiers only they
 * carried move to a new profile; the conversions involved are reconciled again (re-credited).
 */
import { maskIdentifier } from '../../identity/link-evidence.js';
import { findIdentifier, UnmergeError } from '../../profile/unmerge-profile.js';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';

export const unmerge = defineCommand({
  spec: { name: 'unmerge', access: 'owner', usage: '/unmerge <profile id> <type:value start>', description: 'Split a wrong merge of two people', audited: true },
  async run(ctx) {
    const { deps, positional, req } = ctx;
    if (!deps.unmerge) return { answers: [text('Splitting profiles is not available on this installation.')], detail: 'not configured' };
    const [profileId, spec] = positional;
    if (profileId === undefined || spec === undefined || positional.length > 2 || !/^[A-Za-z0-9_-]{1,64}$/.test(profileId)) throw new UsageError(unmerge.spec.usage);
    const profile = await ctx.store.profiles.get(req.workspace, profileId);
    if (!profile) throw new UsageError(`I know no profile ${profileId} in this workspace (/journey shows profile ids)`);
    const identifier = findIdentifier(profile, spec);
    if (identifier instanceof UnmergeError) throw new UsageError(identifier.message);
    try {
      const r = await deps.unmerge(req.workspace, profileId, identifier, ctx.access.subject);
      return {
        answers: [
          text(
            `Split: ${r.movedIdentifiers.map(maskIdentifier).join(', ')} and ${r.movedTouches} touch${r.movedTouches === 1 ? '' : 'es'} moved to a new profile ${r.newProfileId}. ` +
              `${r.conversions.length} conversion${r.conversions.length === 1 ? '' : 's'} will be credited again.`,
          ),
        ],
        detail: `profile ${profileId} → ${r.newProfileId}`,
      };
    } catch (err) {
      if (err instanceof UnmergeError) throw new UsageError(err.message);
      throw err;
    }
  },
});
