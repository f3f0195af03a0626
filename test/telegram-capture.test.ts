/**
 * Capture is a pure mapping that never loses an update, on the real parts (Bot API stub,
 * real telegraf bot, BullMQ on the real Redis, the profile and community workers):
 * - while the store fails like a MongoDB outage, updates are still mapped and queued (the
 *   connector reads nothing from it), campaigns come from the pushed invite links, and a
 *   command that needs the store is retried, then answered once the store is back;
 * - an update whose payload is null is dropped as empty (not a failed job);
 * - ids and titles that are not well-formed Unicode drop the update, nothing stored;
 * - the welcome message asks for "Invite users via link" only when the bot lacks it;
 * - migrations and the bot's status reach the groups through the community worker;
 * - a join request's approval, in either arrival order, leaves one join;
 * - a redacted update replayed records what is left and never runs a command again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Update } from 'telegraf/types';
import { redactUpdate } from '../bots/telegram/redact-update.js';
import { makeTouchId } from '../src/touch-event.js';
import { withOutage, type OutageStore } from './support/store-outage.js';
import { BOT, commandUpdate, fixture, GROUP, GROUP2, P, privateChat, startTelegramHarness, textUpdate, type HarnessOptions, type TelegramHarness } from './support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
async function harness(options: HarnessOptions = {}): Promise<TelegramHarness> {
  const h = await startTelegramHarness(options);
  open.push(h);
  return h;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SPRING_LINK = 'https://t.me/+SpringLinkAbc';

describe('telegram capture', () => {
  it('maps and queues updates while the store is down, and answers a command once it is back', { timeout: 60_000 }, async () => {
    let outage: OutageStore | undefined;
    const h = await harness({
      seed: async (store) => {
        await store.community.inviteLinks.insert('acme', { workspace: 'acme', platform: 'telegram', chatId: String(GROUP), url: SPRING_LINK, campaign: 'spring', createsJoinRequest: false, createdBy: 'telegram:505', createdAt: '2026-03-01T00:00:00Z', revokedAt: null });
      },
      wrapStore: (store) => (outage = withOutage(store)).store,
    });
    outage?.setDown(true);
    const message = textUpdate('price please', { id: P.member, username: 'bob_deals' });
    const join = fixture('chat-member-join-invite-link', (u) => {
      u.chat_member.invite_link.invite_link = SPRING_LINK;
      u.chat_member.invite_link.name = 'renamed';
    });
    const help = commandUpdate('/help', { id: P.member }, privateChat(P.member));
    h.stub.pushUpdates(BOT, ...([message, join, help] as unknown as Array<Record<string, unknown>>));
    // The message and the join were handled (queued) without the store; the command failed, to be retried.
    await until('three updates handled', async () => h.failed.length, (n) => n >= 1);
    await until('the touches queued', () => h.touchQueue.queue.getJobCounts('waiting', 'active', 'delayed'), (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 2);
    expect(h.failed.map((f) => f.job.data.update.update_id)).toEqual(expect.arrayContaining([help.update_id]));
    expect(h.failed.every((f) => f.job.data.update.update_id === help.update_id)).toBe(true);
    expect(h.failed[0]?.error.message).toMatch(/Mongo(ose|Network|ServerSelection)Error/);
    expect(await h.touches()).toEqual([]);
    expect(h.stub.callsTo('sendMessage')).toEqual([]);
    expect(outage?.refused()).toBeGreaterThan(0);

    outage?.setDown(false);
    const touches = await until('both touches stored', () => h.touches(), (t) => t.length === 2);
    expect(touches.map((t) => [t.kind, t.details])).toEqual(
      expect.arrayContaining([
        ['message', { keywords: ['price'] }],
        ['join', { via: 'invite_link', inviteLink: SPRING_LINK, campaign: 'spring' }],
      ]),
    );
    const answer = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === String(P.member), 20_000);
    expect(String(answer.payload.text)).toMatch(/What you can do here/);
    await until('the group registered', () => h.store.community.groups.get('acme', 'telegram', String(GROUP)), (g) => g !== null);
    // Nothing stayed failed.
    for (const q of [h.updateQueue.queue, h.touchQueue.queue, h.communityQueue.queue]) expect(await q.getFailedCount()).toBe(0);
  });

  it('drops an update whose only payload is null as empty; a null next to a real payload does not hide it', async () => {
    const h = await harness();
    const empty = { update_id: 930_000_001, message: null } as unknown as Update;
    const nulls = { update_id: 930_000_002, message: null, edited_message: null, chat_member: null } as unknown as Update;
    const real = { ...textUpdate('discount?', { id: P.member }), edited_message: null } as unknown as Update;
    await h.feed([empty, nulls, real]);
    expect(h.failed).toEqual([]);
    expect(await h.updateQueue.queue.getFailedCount()).toBe(0);
    expect((await h.touches()).map((t) => [t.kind, t.details])).toEqual([['message', { keywords: ['discount'] }]]);
  });

  it('drops updates whose ids or titles are not well-formed Unicode, storing nothing', async () => {
    const h = await harness();
    const badTitle = textUpdate('price?', { id: P.member }, GROUP2, 'Deals \ud800 group');
    const badUsername = textUpdate('price?', { id: 303, username: 'ok\udc00' }, GROUP);
    const badLink = fixture('chat-member-join-invite-link', (u) => {
      u.chat_member.invite_link.name = 'spring\ud83d';
    });
    const fine = textUpdate('price?', { id: 404, username: 'dan' }, GROUP);
    await h.feed([badTitle, badUsername, badLink, fine]);
    expect(h.failed).toEqual([]);
    expect((await h.touches()).map((t) => t.actor.userId)).toEqual(['404']);
    expect(await h.store.community.groups.get('acme', 'telegram', String(GROUP2))).toBeNull();
  });

  it('asks for “Invite users via link” only when the bot lacks that right', async () => {
    const h = await harness();
    const added = (canInvite: boolean, adder: number) =>
      fixture('my-chat-member-added', (u) => {
        u.my_chat_member.from.id = adder;
        u.my_chat_member.new_chat_member = { ...u.my_chat_member.new_chat_member, status: 'administrator', can_be_edited: false, can_manage_chat: true, can_delete_messages: true, can_restrict_members: true, can_promote_members: false, can_change_info: false, can_invite_users: canInvite, can_pin_messages: false, is_anonymous: false, can_manage_video_chats: false };
      });
    await h.feed([added(true, 911)]);
    await h.feed([fixture('my-chat-member-added', (u) => void (u.my_chat_member.chat.id = GROUP))]);
    const withRight = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '911');
    expect(String(withRight.payload.text)).toMatch(/I am an admin there, so I see joins, leaves and messages\./);
    expect(String(withRight.payload.text)).not.toMatch(/Invite users via link/);
    await h.feed([fixture('my-chat-member-added', (u) => void (u.my_chat_member.chat.id = -1009990001)), added(false, 912)]);
    const without = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '912');
    expect(String(without.payload.text)).toMatch(/Give me the “Invite users via link” right/);
    expect(await h.store.community.groups.get('acme', 'telegram', String(GROUP2))).toMatchObject({ status: 'active', botIsAdmin: true, addedBy: 'telegram:912' });
  });

  it('an admin’s first command in a new group finds the group registered', async () => {
    const h = await harness();
    h.stub.setMember(GROUP2, P.groupAdmin, 'administrator');
    await h.feed([commandUpdate('/invite spring', { id: P.groupAdmin, username: 'grace_admin' }, { id: GROUP2, type: 'supergroup', title: '品牌粉丝群 v2.0' })]);
    expect(h.stub.callsTo('createChatInviteLink', BOT).map((c) => c.payload.chat_id)).toEqual([String(GROUP2)]);
    expect(await h.store.community.groups.get('acme', 'telegram', String(GROUP2))).toMatchObject({ title: '品牌粉丝群 v2.0', status: 'active' });
  });

  it('registers a group migration through the community worker', async () => {
    const h = await harness();
    await h.feed([textUpdate('hi', { id: P.member }, -4001, 'Small group')]);
    const migrate = {
      update_id: 930_000_100,
      message: { message_id: 77, date: Math.floor(Date.now() / 1000) + 1, chat: { id: -4001, type: 'group', title: 'Small group' }, from: { id: P.groupAdmin, is_bot: false, first_name: 'G' }, migrate_to_chat_id: -1004001 },
    } as unknown as Update;
    await h.feed([migrate]);
    expect(await h.store.community.groups.get('acme', 'telegram', '-4001')).toMatchObject({ status: 'migrated', migratedTo: '-1004001' });
    expect(await h.store.community.groups.get('acme', 'telegram', '-1004001')).toMatchObject({ status: 'active', title: 'Small group' });
    // A late message of the old chat id does not bring it back.
    await h.feed([{ ...textUpdate('late', { id: P.member }, -4001, 'Small group'), update_id: 930_000_101 } as Update]);
    expect((await h.store.community.groups.get('acme', 'telegram', '-4001'))?.status).toBe('migrated');
  });

  it('keeps one join per request whichever of the request and its approval is processed first', async () => {
    const h = await harness();
    // Approval first (arrived out of order), then the request.
    await h.feed([fixture('chat-member-approved-request')]);
    await h.feed([fixture('chat-join-request')]);
    const joins = (await h.touches()).filter((t) => t.kind === 'join');
    expect(joins).toHaveLength(1);
    expect(joins[0]).toMatchObject({ actor: { userId: '808' }, details: { via: 'join_request', campaign: 'vip-waitlist' } });
    // After a leave, a new request is a new join, and its approval again is not.
    await h.feed([fixture('chat-member-left', (u) => {
      u.chat_member.old_chat_member.user = { id: 808, is_bot: false, first_name: 'Erin' };
      u.chat_member.new_chat_member.user = { id: 808, is_bot: false, first_name: 'Erin' };
      u.chat_member.from = { id: 808, is_bot: false, first_name: 'Erin' };
      u.chat_member.date = 1772370000;
    })]);
    await h.feed([fixture('chat-join-request', (u) => void (u.chat_join_request.date = 1772380000))]);
    await h.feed([fixture('chat-member-approved-request', (u) => void (u.chat_member.date = 1772380100))]);
    const all = (await h.touches()).filter((t) => t.actor.userId === '808').map((t) => [t.kind, t.occurredAt]);
    expect(all).toEqual([
      ['join', expect.any(String)],
      ['leave', new Date(1772370000 * 1000).toISOString()],
      ['join', new Date(1772380000 * 1000).toISOString()],
    ]);
  });

  it('replays a redacted update: records what is left, never runs its command again', async () => {
    const h = await harness();
    const msg = textUpdate('price and discount?', { id: P.member }, GROUP);
    const cmd = commandUpdate('/help', { id: P.member }, privateChat(P.member));
    for (const u of [msg, cmd]) await h.updateQueue.queue.add('update', { botId: BOT, update: redactUpdate(u) as Update, redacted: true }, { jobId: `tg.${BOT}.${u.update_id}` });
    await h.waitHandled([msg.update_id, cmd.update_id]);
    expect(h.failed).toEqual([]);
    const touches = await h.touches();
    expect(touches.map((t) => [t.id, t.details])).toEqual([[makeTouchId('telegram', String(GROUP), (msg as unknown as { message: { message_id: number } }).message.message_id, 'message'), {}]]);
    expect(h.stub.callsTo('sendMessage')).toEqual([]);
  });
});
