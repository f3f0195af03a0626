/**
 * Link-preview robots and crawlers: they fetch a link when it is posted, not when a person
 * clicks it. Their requests (and every HEAD or prefetch request) are redirected like any
 * other but never counted as clicks.
 *
 * Robots are recognized by `isbot` (a maintained list of crawlers and HTTP clients). Kept
 * here is what it misses: preview fetchers that dress up as a browser (a `Mozilla/5.0 …`
 * agent ending in `WhatsApp/2.x`, `facebookexternalhit`, `Embedly`, `Iframely`, `vkShare`,
 * `kakaotalk-scrap`) and plain HTTP clients (`Wget`, `python-requests`, `axios`).
 * People's in-app browsers (Telegram, LINE, KakaoTalk, Zalo, Viber, WeChat, Instagram,
 * Facebook) are clicks.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isbot } from 'isbot';

/** Preview fetchers and HTTP clients `isbot` does not catch inside a browser-like agent. */
const MISSED_BY_ISBOT = /whatsapp\/|facebookexternalhit|facebookcatalog|meta-externalagent|embedly|iframely|vkshare|kakaotalk-scrap|\bwget\/|python-requests|\baxios\/|node-fetch|\bcurl\//i;

/** True when a user agent is a robot (a preview fetcher, a crawler, an HTTP client). */
export function isRobotAgent(userAgent: string): boolean {
  return isbot(userAgent) || MISSED_BY_ISBOT.test(userAgent);
}

/** True when the request is not a person clicking: a HEAD, a prefetch, no user agent, or a known robot. */
export function isNotAClick(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  if ((method ?? 'GET').toUpperCase() !== 'GET') return true;
  const purpose = `${headers.purpose ?? ''} ${headers['sec-purpose'] ?? ''} ${headers['x-purpose'] ?? ''} ${headers['x-moz'] ?? ''}`.toLowerCase();
  if (/prefetch|preview/.test(purpose)) return true;
  const ua = headers['user-agent'];
  if (ua === undefined || ua.trim() === '') return true;
  return isRobotAgent(ua);
}
