/**
 * Fields of Bot API objects that telegraf's typings (an older Bot API) do not declare,
 * read here and nowhere else. Telegram sends them in the same JSON; each accessor checks
 * the value's type, so a missing or odd field reads as absent.
 */
import type { ChatMemberUpdated } from 'telegraf/types';

/** `ChatMemberUpdated.via_join_request` (Bot API 7.x): joined after a direct join request was approved. */
export function viaJoinRequest(update: ChatMemberUpdated): boolean {
  return (update as ChatMemberUpdated & { via_join_request?: unknown }).via_join_request === true;
}

/** `ChatMemberUpdated.via_chat_folder_invite_link`: joined through a chat folder link. */
export function viaChatFolderLink(update: ChatMemberUpdated): boolean {
  return (update as ChatMemberUpdated & { via_chat_folder_invite_link?: unknown }).via_chat_folder_invite_link === true;
}

/**
 * Whether a chat member (the bot itself, from `my_chat_member.new_chat_member`) may create
 * invite links: creators may; administrators when `can_invite_users` is true.
 */
export function canInviteUsers(member: ChatMemberUpdated['new_chat_member']): boolean {
  if (member.status === 'creator') return true;
  return member.status === 'administrator' && (member as { can_invite_users?: unknown }).can_invite_users === true;
}
