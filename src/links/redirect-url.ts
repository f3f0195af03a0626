/** The destination a tracked link redirects to: its own URL plus UTM parameters and the click id. */
import type { TrackedLink } from '../store/store.js';

/** Name of the click id parameter the shop sends back (`click_id` / `mf_click` in conversions). */
export const CLICK_PARAM = 'mf_click';

/**
 * The destination with `utm_source` (platform), `utm_medium=community`, `utm_campaign`,
 * `utm_content` (group title, else group id) and `mf_click` (when counted) added. The
 * destination's own query and fragment stay; a UTM parameter it already has is kept as the
 * operator wrote it.
 */
export function redirectUrl(link: TrackedLink, clickId: string | null): string {
  const url = new URL(link.destination);
  const utm: Array<[string, string | undefined]> = [
    ['utm_source', link.platform],
    ['utm_medium', 'community'],
    ['utm_campaign', link.campaign],
    ['utm_content', link.chatTitle ?? link.chatId],
  ];
  for (const [k, v] of utm) if (v !== undefined && !url.searchParams.has(k)) url.searchParams.append(k, v);
  if (clickId !== null) url.searchParams.set(CLICK_PARAM, clickId);
  return url.toString();
}
