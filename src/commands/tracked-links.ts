/** `/link`: tracked short links through the links service (`src/links`). */
import { createLink, LinkError } from '../links/create-link.js';
import { personalLinkUrl } from '../links/member-tokens.js';
import type { Store } from '../store/store.js';
import { PlatformRefusedError, type TrackedLinksPort } from './command-types.js';

export interface TrackedLinksOptions {
  store: Store;
  /** Domains the workspace may link to (`allowedDomains` in the settings). */
  allowedDomains: readonly string[];
  /** Public base URL short links live under (`PUBLIC_BASE_URL`): `<base>/l/<code>`. */
  baseUrl: string;
  now?: () => Date;
}

/** Tracked links for the Telegram commands; the links service's refusals become one-line answers. */
export function createTrackedLinks(options: TrackedLinksOptions): TrackedLinksPort {
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async create(workspace, input) {
      try {
        const link = await createLink(
          options.store,
          { allowedDomains: [...options.allowedDomains] },
          {
            workspace,
            destination: input.url,
            platform: 'telegram',
            createdBy: input.createdBy,
            ...(input.campaign !== undefined ? { campaign: input.campaign } : {}),
            ...(input.chatId !== undefined ? { chatId: input.chatId } : {}),
          },
          options.now?.() ?? new Date(),
        );
        return { shortUrl: `${base}/l/${link.code}`, code: link.code };
      } catch (err) {
        if (err instanceof LinkError) throw new PlatformRefusedError(err.message);
        throw err;
      }
    },
    async personal(workspace, code, telegramUserId) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(code) || !(await options.store.links.get(workspace, code))) return null;
      return personalLinkUrl(options.store, { workspace, code, baseUrl: base, member: { identifier: { type: 'tg_id', value: telegramUserId } } });
    },
  };
}
