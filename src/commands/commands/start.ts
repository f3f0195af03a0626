/**
 * `/start`: in a private chat, a greeting, or for a deep link to a tracked link
 * (`t.me/<bot>?start=<code>`) the member's personal version of it, so the click that
 * follows is tied to them. In a group it answers as `/help`.
 */
import { defineCommand, text } from '../command-module.js';
import { help } from './help.js';

export const start = defineCommand({
  spec: { name: 'start', access: 'member', usage: '/start', description: 'Start a conversation with the bot', audited: false },
  async run(ctx, args) {
    const { req, deps } = ctx;
    if (req.chat.type !== 'private') return help.run(ctx, args);
    const payload = ctx.positional[0];
    const personal = payload !== undefined && deps.links ? await deps.links.personal(req.workspace, payload, req.user.id) : null;
    if (personal !== null) return { answers: [text(`Here is your link:\n${personal}`)], detail: 'personal link' };
    return {
      answers: [
        text(
          'Hi! I help this community’s team understand which groups, campaigns and conversations bring customers. ' +
            'I record activity (joins, keywords mentioned, links posted), never the text of messages.\n' +
            'Send /help to see what you can do, or /forgetme to have everything about you erased.',
        ),
      ],
    };
  },
});
