/** Readiness shown to whoever added the bot, when they may see it (owners and managers), on the report queue. */
import { afterEach, describe, expect, it } from 'vitest';
import { createReports } from '../../src/reports/index.js';
import { telegramProbes } from '../../src/optimize/index.js';
import { fixture, P, startTelegramHarness, TOKEN, WORKSPACES, type TelegramHarness } from '../support/telegram-harness.js';

const open: TelegramHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('readiness when the bot is added to a group', () => {
  it('sends the owner who added it the checks that are not green, with their fixes', async () => {
    let root = '';
    const h = await startTelegramHarness({ reports: (store) => createReports(store, WORKSPACES.workspaces, { probes: () => telegramProbes([{ token: TOKEN }], root) }) });
    open.push(h);
    root = h.stub.root;
    await h.feed([fixture('my-chat-member-added', (u) => void (u.my_chat_member.from.id = P.owner))]);
    const readiness = await h.stub.waitForCall((c) => c.method === 'sendMessage' && c.payload.chat_id === String(P.owner) && String(c.payload.text).startsWith('Readiness'));
    const text = String(readiness.payload.text);
    // No conversions yet, privacy mode on, not an admin in the new group: red lines with their fixes; no green line.
    expect(text).toMatch(/🔴 conversions · no conversion received in the last 60 days\n {3}→ send orders by the signed webhook/);
    expect(text).toMatch(/🔴 privacy · privacy mode is on and @mf7000000001_bot is no admin in 1 group\(s\)/);
    expect(text).toMatch(/🔴 bot-admin · 品牌粉丝群 v2\.0: the bot is not an admin\n {3}→ make the bot an admin of 品牌粉丝群 v2\.0/);
    expect(text).not.toContain('🟢');

  });
});
