/**
 * `/forgetme`: erasure on request. Without an argument it explains what is erased and
 * sends a confirmation code (valid {@link ERASURE_CODE_TTL_MS}); `/forgetme <code>` erases.
 * After an erasure the audit log keeps that it happened, not who asked.
 */
import { randomInt } from 'node:crypto';
import { UsageError } from '../arguments.js';
import { defineCommand, text } from '../command-module.js';
import { eraseMember } from '../erase-member.js';
import { plural } from '../wording.js';

/** How long a `/forgetme` confirmation code is valid. */
export const ERASURE_CODE_TTL_MS = 10 * 60_000;

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function defaultCode(): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

export const forgetme = defineCommand({
  spec: { name: 'forgetme', access: 'member', usage: '/forgetme, then /forgetme <code> to confirm', description: 'Erase everything recorded about you', audited: true },
  async run(ctx) {
    const { req, store, deps, access } = ctx;
    const ws = req.workspace;
    if (ctx.positional.length === 0) {
      const code = (deps.newCode ?? defaultCode)();
      await store.community.erasures.put(ws, { workspace: ws, subject: access.subject, code, expiresAt: new Date(req.now.getTime() + ERASURE_CODE_TTL_MS).toISOString() });
      return {
        answers: [
          text(
            'This erases everything recorded about you in this community (your profile, your activity, your identifiers, your personal links and their clicks), ' +
              'and I stop recording your activity. Orders you placed stay in the shop’s sales figures, no longer linked to you. ' +
              `To confirm, send:\n/forgetme ${code}\nThe code is valid for 10 minutes.`,
          ),
        ],
        detail: 'asked',
      };
    }
    const code = (ctx.positional[0] ?? '').toUpperCase();
    if (!(await store.community.erasures.take(ws, access.subject, code, req.now.toISOString()))) {
      throw new UsageError('That code is not valid or has expired; send /forgetme to get a new one.');
    }
    const erased = await eraseMember(store, ws, req.platform, req.user.id, req.now);
    return {
      answers: [
        text(
          `Done: your data is erased (${erased.touches} activity ${plural(erased.touches, 'record')}, ${erased.profiles} ${plural(erased.profiles, 'profile')}). ` +
            (erased.conversions > 0
              ? `${erased.conversions} ${plural(erased.conversions, 'order')} ${erased.conversions === 1 ? 'stays' : 'stay'} in the shop’s figures, no longer linked to you. `
              : '') +
            'I will not record your activity any more.',
        ),
      ],
      detail: 'erased',
      actor: 'erased',
    };
  },
});
