/**
 * `/journey <@username, user id or profile id>`: one member's touches and conversions.
 * The header names them by @username, else by the first name Telegram shows in one of
 * their groups (asked, never stored), else by a short masked id.
 */
import { UsageError } from '../arguments.js';
import { defineCommand, text, type CommandContext } from '../command-module.js';
import { clip, renderJourney } from '../render-reports.js';
import { renderOptions, reportsOf } from '../report-commands.js';
import type { JourneyReport } from '../../reports/report-types.js';
import { memberLabel } from '../wording.js';

interface JourneyArgs {
  member: string;
}

/** How the journey's header names the member. */
async function whoIs(ctx: CommandContext, j: JourneyReport): Promise<string> {
  if (j.usernames.length > 0) return memberLabel(j);
  const ids = await ctx.store.identities.ofProfile(ctx.req.workspace, j.profileId);
  const userId = ids.find((i) => i.type === (ctx.req.platform === 'telegram' ? 'tg_id' : 'wa_id'))?.value ?? null;
  let firstName: string | null = null;
  const ask = ctx.deps.platform.memberName;
  if (userId !== null && ask && ctx.req.platform === 'telegram') {
    // The groups of their journey, most recent first: the platform knows them there.
    const chats = [...new Set(j.touches.filter((t) => t.platform === ctx.req.platform && t.chatId.startsWith('-')).map((t) => t.chatId).reverse())].slice(0, 3);
    for (const chatId of chats) {
      firstName = await ask.call(ctx.deps.platform, chatId, userId).catch(() => null);
      if (firstName) break;
    }
  }
  return memberLabel(j, { firstName, userId: ctx.req.platform === 'telegram' ? userId : null });
}

export const journey = defineCommand<JourneyArgs>({
  spec: { name: 'journey', access: 'manager', usage: '/journey <@username, user id or profile id>', description: 'One member’s touch timeline', audited: true, report: true },
  parse(ctx) {
    reportsOf(ctx);
    const member = ctx.positional[0];
    if (member === undefined || ctx.positional.length > 1) throw new UsageError(journey.spec.usage);
    return { member };
  },
  async run(ctx, { member }) {
    const j = await reportsOf(ctx).journey(ctx.req.workspace, member);
    if (!j) {
      const who = clip(member, 40);
      return { answers: [text(renderOptions(ctx).lang === 'zh' ? `这个工作区里没有“${who}”这个人。` : `I know nobody as “${who}” in this workspace.`)], detail: 'unknown member' };
    }
    return { answers: renderJourney(j, { ...renderOptions(ctx), who: await whoIs(ctx, j) }), detail: `profile ${j.profileId}` };
  },
});
