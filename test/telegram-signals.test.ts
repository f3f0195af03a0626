/**
 * Every attribution signal Telegram gives, end to end on the real parts: literal Bot API
 * updates (Telegram's documented shapes, `test/fixtures/telegram/`) go through getUpdates
 * of a local Bot API stand-in, the update queue on the real Redis, the real telegraf bot,
 * the touch queue and the profile worker, into the store. Each test asserts the touches
 * recorded and the Bot API calls the bot made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { makeTouchId } from '../src/touch-event.js';
import { BOT, commandUpdate, fixture, GROUP, GROUP2, group, HASH_KEY, OTHER_BOT, P, privateChat, startTelegramHarness, textUpdate, type TelegramHarness } from './support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});
async function harness(...args: Parameters<typeof startTelegramHarness>): Promise<TelegramHarness> {
  const h = await startTelegramHarness(...args);
  open.push(h);
  return h;
}

const byKind = <T extends { kind: string }>(touches: T[], kind: string): T[] => touches.filter((t) => t.kind === kind);

describe('telegram connector: signals', () => {
  it('asks Telegram for chat_member updates when polling, and registers command menus per scope', async () => {
    const h = await harness();
    const poll = await h.stub.waitForCall((c) => c.method === 'getUpdates' && c.botId === BOT);
    expect(poll.payload.allowed_updates).toEqual(expect.arrayContaining(['message', 'chat_member', 'my_chat_member', 'chat_join_request']));
    expect(h.stub.callsTo('deleteWebhook', BOT)).toHaveLength(1);
    const menus = h.stub.callsTo('setMyCommands', BOT);
    const scopes = menus.map((c) => JSON.stringify(c.payload.scope ?? null));
    expect(scopes).toEqual(expect.arrayContaining(['null', '{"type":"all_private_chats"}', '{"type":"all_chat_administrators"}', `{"type":"chat","chat_id":${P.manager}}`, `{"type":"chat","chat_id":${P.owner}}`]));
    const names = (scope: string): string[] => ((menus.find((c) => JSON.stringify(c.payload.scope ?? null) === scope)?.payload.commands ?? []) as Array<{ command: string }>).map((x) => x.command);
    expect(names('{"type":"all_private_chats"}')).toEqual(['help', 'start', 'forgetme', 'myinvite']);
    expect(names('{"type":"all_chat_administrators"}')).toEqual(expect.arrayContaining(['track', 'invite', 'groupstats']));
    expect(names('{"type":"all_chat_administrators"}')).not.toContain('report');
    expect(names(`{"type":"chat","chat_id":${P.manager}}`)).toEqual(expect.arrayContaining(['report', 'models', 'funnel', 'journey', 'export', 'digest']));
    expect(names(`{"type":"chat","chat_id":${P.manager}}`)).not.toContain('grant');
    expect(names(`{"type":"chat","chat_id":${P.owner}}`)).toContain('grant');
  });

  it('records a group message as one touch with its keywords, mentions and links as facets, never its text', async () => {
    const h = await harness();
    const u = fixture('message-group-entities');
    await h.feed([u]);
    const touches = await h.touches();
    const chatId = String(GROUP);
    expect(touches.map((t) => t.kind)).toEqual(['message']);
    for (const t of touches) {
      expect(t).toMatchObject({ workspace: 'acme', platform: 'telegram', account: BOT, chat: { id: chatId, title: '团购群 Deals', type: 'group' }, actor: { userId: '101', username: 'alice_shop' }, occurredAt: '2026-03-01T10:00:00.000Z' });
      expect(t.id).toBe(makeTouchId('telegram', chatId, 4101, t.kind));
      expect(t.profileId).not.toBeNull();
    }
    expect(touches[0]?.details).toEqual({ keywords: ['价格', 'price'], mentioned: ['shop_helper', 'bob_deals'], urls: ['https://shop.example.com/p/42?ref=tg'] });
    // Telegram's order of events rides along, for ties between touches of the same second.
    expect(touches[0]?.seq).toBe(u.update_id);
    // Privacy: nothing stored carries the message text.
    const everything = JSON.stringify({ touches, profiles: await h.store.profiles.list('acme'), audit: await h.store.community.audit.list('acme') });
    expect(everything).not.toContain('这个价格还有吗');
    expect(everything).not.toContain('ask @Bob');
    // The group got registered under the bot's workspace.
    expect(await h.store.community.groups.get('acme', 'telegram', chatId)).toMatchObject({ title: '团购群 Deals', status: 'active', account: BOT });
    const profile = await h.store.profiles.get('acme', touches[0]?.profileId ?? '');
    expect(profile?.stats.keywords).toEqual(expect.arrayContaining([{ keyword: 'price', count: 1 }, { keyword: '价格', count: 1 }]));
  });

  it('reads captions too; edited messages, messages from bots and unknown update types make no touch and do not stop the bot', async () => {
    const h = await harness();
    const odd = [fixture('edited-message'), fixture('message-from-bot'), fixture('message-reaction'), fixture('message-reaction', (u) => delete u.message_reaction)];
    await h.feed([...odd, fixture('message-group-caption')]);
    const touches = await h.touches();
    expect(touches.map((t) => `${t.kind}:${t.actor.userId}`)).toEqual(['message:202']);
    expect(byKind(touches, 'message')[0]?.details).toEqual({ keywords: ['发货'], urls: ['https://shop.example.com/sale'] });
    expect(h.failed).toEqual([]);
  });

  it('ignores messages the bot itself sent', async () => {
    const h = await harness();
    await h.feed([textUpdate('price list', { id: Number(BOT), username: 'mf7000000001_bot' })]);
    expect(await h.touches()).toEqual([]);
  });

  it('credits a join through a campaign invite link made with /invite to its campaign', async () => {
    const h = await harness();
    h.stub.setMember(GROUP, P.groupAdmin, 'administrator');
    // The group is known once the bot sees anything there.
    await h.feed([textUpdate('hello', { id: P.member })]);
    await h.feed([commandUpdate('/invite spring', { id: P.groupAdmin, username: 'grace_admin' }, group())]);
    const create = h.stub.callsTo('createChatInviteLink', BOT)[0];
    expect(create?.payload).toMatchObject({ chat_id: String(GROUP), name: 'spring', creates_join_request: false });
    const links = await h.store.community.inviteLinks.list('acme');
    expect(links).toHaveLength(1);
    const url = links[0]?.url ?? '';
    // The answer went privately to the admin, with a note in the group.
    const answer = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === String(P.groupAdmin));
    expect(String(answer.payload.text)).toContain(url);
    expect(h.stub.callsTo('sendMessage').some((c) => c.payload.chat_id === String(GROUP) && /private chat/.test(String(c.payload.text)))).toBe(true);

    // Telegram shows the link name; the stored link decides the campaign (renamed links keep crediting it).
    await h.feed([fixture('chat-member-join-invite-link', (u) => {
      u.chat_member.invite_link.invite_link = url;
      u.chat_member.invite_link.name = 'renamed-later';
    })]);
    const joins = byKind(await h.touches(), 'join');
    expect(joins).toHaveLength(1);
    expect(joins[0]).toMatchObject({ actor: { userId: '303', username: 'carol_cn' }, details: { via: 'invite_link', inviteLink: url, campaign: 'spring' } });
    expect(joins[0]?.id).toBe(makeTouchId('telegram', String(GROUP), 303, 1772359400, 'member'));
    const profile = await h.store.profiles.get('acme', joins[0]?.profileId ?? '');
    expect(profile?.stats.firstSource).toMatchObject({ chatId: String(GROUP), campaign: 'spring' });
  });

  it('records joins without a link (added by an admin, with who added them) and leaves', async () => {
    const h = await harness();
    // Grace (909) administers the group: the join says so (referral chains do not count a moderator's add).
    h.stub.setMember(GROUP, 909, 'administrator');
    await h.feed([fixture('chat-member-added-by-admin'), fixture('chat-member-left')]);
    const touches = await h.touches();
    expect(touches.map((t) => [t.kind, t.actor.userId, t.details])).toEqual([
      ['join', '404', { via: 'added', addedBy: '909', addedByAdmin: true }],
      ['leave', '202', { via: 'left' }],
    ]);
  });

  it('records a join request as the join, with its link’s campaign; its approval is not a second join', async () => {
    const h = await harness();
    await h.feed([fixture('chat-join-request')]);
    await h.feed([fixture('chat-member-approved-request')]);
    const joins = byKind(await h.touches(), 'join');
    expect(joins).toHaveLength(1);
    expect(joins[0]).toMatchObject({ actor: { userId: '808' }, occurredAt: new Date(1772359700 * 1000).toISOString(), details: { via: 'join_request', inviteLink: 'https://t.me/+VIPREQUEST', campaign: 'vip-waitlist' } });
    // No text of the request (the bio) is stored anywhere.
    expect(JSON.stringify(await h.store.profiles.list('acme'))).not.toContain('I like deals');
  });

  it('records /start <payload> in a private chat as a dm_start touch carrying the campaign, and greets', async () => {
    const h = await harness();
    await h.feed([fixture('private-start-payload')]);
    const [t] = await h.touches();
    expect(t).toMatchObject({ kind: 'dm_start', chat: { id: '101', type: 'private' }, actor: { userId: '101' }, details: { payload: 'spring_2026-tg', campaign: 'spring_2026-tg' } });
    const greet = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '101');
    expect(String(greet.payload.text)).toMatch(/never the text of messages/);
    // A payload outside Telegram's alphabet is not taken as a campaign.
    await h.feed([commandUpdate('/start bad$payload', { id: 102 }, privateChat(102))]);
    const bad = (await h.touches()).find((x) => x.actor.userId === '102');
    expect(bad?.details).toEqual({ payload: '' });
  });

  it('links a phone only from a person’s own shared contact, as a keyed hash', async () => {
    const h = await harness();
    await h.feed([fixture('private-contact')]);
    await h.feed([fixture('private-contact', (u) => {
      u.message.message_id = 14;
      u.message.contact = { phone_number: '+1 202 555 0100', first_name: 'Someone', user_id: 999 };
    })]);
    const touches = await h.touches();
    const expected = makePseudonymizer(HASH_KEY, 'acme')('phone', '+8613800138000');
    expect(touches).toHaveLength(2);
    const hashed = touches.filter((t) => t.actor.phoneHash !== undefined);
    expect(hashed.map((t) => t.actor.phoneHash)).toEqual([expected]);
    const profile = await h.store.profiles.get('acme', hashed[0]?.profileId ?? '');
    expect(profile?.identifiers).toEqual(expect.arrayContaining([{ type: 'phone', value: expected }]));
    // The clear number never appears (its digits in a row; random ids may hold short runs).
    expect(JSON.stringify(touches)).not.toContain('13800138000');
    expect(JSON.stringify(profile)).not.toContain('13800138000');
  });

  it('registers a group when the bot is added and tells the adder privately what rights it needs', async () => {
    const h = await harness();
    await h.feed([fixture('my-chat-member-added')]);
    expect(await h.store.community.groups.get('acme', 'telegram', String(GROUP2))).toMatchObject({ title: '品牌粉丝群 v2.0', status: 'active', botIsAdmin: false, addedBy: 'telegram:909' });
    const dm = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === '909');
    expect(String(dm.payload.text)).toMatch(/make me an admin/i);
    expect(String(dm.payload.text)).toMatch(/privacy mode is on/i);
    // Removed again: the group is marked so.
    await h.feed([fixture('my-chat-member-added', (u) => {
      u.my_chat_member.old_chat_member.status = 'member';
      u.my_chat_member.new_chat_member.status = 'kicked';
      u.my_chat_member.new_chat_member.until_date = 0;
    })]);
    expect((await h.store.community.groups.get('acme', 'telegram', String(GROUP2)))?.status).toBe('removed');
  });

  it('posts the rights advice in the group when the adder never opened a private chat with the bot', async () => {
    const h = await harness();
    h.stub.noPrivateChat.add('909');
    await h.feed([fixture('my-chat-member-added')]);
    const note = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === String(GROUP2));
    expect(String(note.payload.text)).toMatch(/admin/);
  });

  it('the same message seen by two bots of one workspace is one touch', async () => {
    const two = {
      workspaces: [{ id: 'acme', keywords: ['price'], telegram: { bots: [{ token: `${BOT}:AAH_test_token_for_midfunnel_0001` }, { token: `${OTHER_BOT}:AAH_test_token_for_midfunnel_0002` }] } }],
    };
    const { testConfig } = await import('./support/telegram-harness.js');
    const h = await harness({ config: testConfig({}, two) });
    const u = textUpdate('price?', { id: P.member });
    await h.feed([u], BOT);
    await h.feed([{ ...u, update_id: u.update_id + 1 }], OTHER_BOT);
    const touches = await h.touches();
    expect(touches.map((t) => [t.kind, t.details])).toEqual([['message', { keywords: ['price'] }]]);
  });
});
