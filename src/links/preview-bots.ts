/**
 * Link-preview robots and crawlers: they fetch a link when it is posted, not when a person
 * clicks it. Their requests (and every HEAD or prefetch request) are redirected like any
 * other but never counted as clicks.
 */
import type { IncomingHttpHeaders } from 'node:http';

/**
 * User agents of preview fetchers (Telegram, WhatsApp, Facebook / Messenger / Instagram,
 * Twitter/X, Slack, Discord, LinkedIn, Skype, Apple, Google, Bing, …) and generic crawlers.
 */
const PREVIEW_AGENTS =
  /telegrambot|whatsapp\/|facebookexternalhit|facebot|facebookcatalog|meta-externalagent|twitterbot|slackbot|slack-imgproxy|discordbot|linkedinbot|skypeuripreview|applebot|googlebot|google-inspectiontool|bingbot|bingpreview|baiduspider|bytespider|petalbot|sogou|embedly|iframely|vkshare|redditbot|kakaotalk-scrap|preview|crawler|spider|scraper|headlesschrome|\bbot\b|bot\/|curl\/|wget\/|python-requests|go-http-client|okhttp|axios\/|node-fetch/i;

/** True when the request is not a person clicking: a HEAD, a prefetch, no user agent, or a known robot. */
export function isNotAClick(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  if ((method ?? 'GET').toUpperCase() !== 'GET') return true;
  const purpose = `${headers.purpose ?? ''} ${headers['sec-purpose'] ?? ''} ${headers['x-purpose'] ?? ''} ${headers['x-moz'] ?? ''}`.toLowerCase();
  if (/prefetch|preview/.test(purpose)) return true;
  const ua = headers['user-agent'];
  if (ua === undefined || ua.trim() === '') return true;
  return PREVIEW_AGENTS.test(ua);
}
