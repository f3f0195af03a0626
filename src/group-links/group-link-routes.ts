/**
 * `GET /g/<code>` and `GET /g/<code>/<member token>` (HEAD too): WhatsApp group links. The
 * visit is recorded as on `/l/` (`recordLinkVisit`: robots, previews and repeats within the
 * hour are not counted; a counted click is a `link_click` touch), a counted click is noted in
 * the group's recent clicks (with the member a personal link names), and the visitor is sent
 * to the group's current invite link, as the connector last read it. Unknown codes (and `/l/`
 * codes) answer 404; a group whose invite link is not known yet answers 503 with a plain page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordLinkVisit, type RecordClickDeps } from '../links/record-click.js';
import { isGroupLink, type GroupLinkState } from './group-links.js';

const TEXT = 'text/plain; charset=utf-8';

export interface GroupLinkRouteDeps extends RecordClickDeps {
  state: GroupLinkState;
}

export function registerGroupLinkRoutes(app: FastifyInstance, deps: GroupLinkRouteDeps): void {
  const handler = async (request: FastifyRequest<{ Params: { code: string; token?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const { code, token } = request.params;
    try {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(code)) return reply.code(404).type(TEXT).send('This link does not exist.\n');
      const ws = await deps.store.links.workspaceOfCode(code);
      const link = ws === null ? null : await deps.store.links.get(ws, code);
      if (!link || !isGroupLink(link)) return reply.code(404).type(TEXT).send('This link does not exist.\n');
      const invite = await deps.state.getInvite(link.workspace, link.chatId as string);
      if (invite === null) return reply.code(503).type(TEXT).send('This group link cannot be opened right now (its invite link is being read). Please try again in a minute.\n');
      const outcome = await recordLinkVisit(deps, { code, ...(token !== undefined ? { token } : {}), method: request.method, headers: request.headers, clientAddress: request.ip });
      if (outcome.status === 'redirect' && outcome.counted === 'new' && outcome.clickId !== null) {
        let member: string | undefined;
        if (token !== undefined) {
          const t = await deps.store.memberTokens.get(link.workspace, token).catch(() => null);
          if (t?.member && (t.member.type === 'wa_id' || t.member.type === 'wa_lid')) member = t.member.value;
        }
        await deps.state
          .noteClick(link.workspace, link.chatId as string, { clickId: outcome.clickId, campaign: link.campaign, member, atMs: (deps.now?.() ?? new Date()).getTime() })
          .catch((err: unknown) => deps.log.warn({ code, err: err instanceof Error ? err.message : String(err) }, 'group link click not noted for join matching'));
      }
      return reply
        .code(302)
        .headers({ location: `https://chat.whatsapp.com/${invite}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex' })
        .send();
    } catch (err) {
      deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'group link lookup failed');
      return reply.code(503).type(TEXT).send('This link cannot be opened right now. Please try again in a minute.\n');
    }
  };
  app.get('/g/:code', handler);
  app.get('/g/:code/:token', handler);
}
