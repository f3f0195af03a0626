/** `midfunnel invites`: registering the campaign behind an invite link by hand. */
import { describe, expect, it } from 'vitest';
import { makeInvitesCommand } from '../src/cli/invites.js';
import type { CliIo } from '../src/cli/io.js';
import { workspaceConfigSchema } from '../src/config.js';
import { createMemoryStore } from '../src/store/memory-store.js';

const WS = 'acme';
const workspaces = [workspaceConfigSchema.parse({ id: WS })];
const WA_LINK = 'https://chat.whatsapp.com/AbCdEf123456';

function io(): CliIo & { out: string; err: string } {
  const c = { out: '', err: '', stdout: (t: string) => void (c.out += t), stderr: (t: string) => void (c.err += t), readFile: async () => Buffer.from(''), cwd: '/', env: {}, isTTY: false };
  return c;
}

describe('midfunnel invites', () => {
  it('registers a WhatsApp invite link so the connector finds its campaign, lists it, and revokes it', async () => {
    const store = createMemoryStore();
    const cmd = makeInvitesCommand({ store, workspaces, hashKey: 'k'.repeat(32), now: () => new Date('2026-03-01T00:00:00Z') });
    const add = io();
    expect(await cmd(['add', '--workspace', WS, '--platform', 'whatsapp', '--url', WA_LINK, '--campaign', '春季', '--group', '120363000000000001@g.us'], add)).toBe(0);
    expect(add.out).toBe(`registered ${WA_LINK} for campaign 春季\n`);
    // What the WhatsApp connector looks up when someone joins by the group's invite link:
    expect(await store.community.inviteLinks.findByUrl(WS, 'whatsapp', WA_LINK)).toMatchObject({ campaign: '春季', chatId: '120363000000000001@g.us', revokedAt: null, createdBy: 'cli' });

    const again = io();
    expect(await cmd(['add', '--workspace', WS, '--platform', 'whatsapp', '--url', WA_LINK, '--campaign', 'other'], again)).toBe(1);
    expect(again.err).toContain('already registered for campaign 春季');

    const list = io();
    expect(await cmd(['list', '--workspace', WS], list)).toBe(0);
    expect(list.out).toContain(`whatsapp  春季      ${WA_LINK}`);

    expect(await cmd(['revoke', '--workspace', WS, '--platform', 'whatsapp', '--url', WA_LINK], io())).toBe(0);
    expect((await store.community.inviteLinks.findByUrl(WS, 'whatsapp', WA_LINK))?.revokedAt).toBe('2026-03-01T00:00:00.000Z');
    const active = io();
    await cmd(['list', '--workspace', WS, '--json'], active);
    expect(JSON.parse(active.out)).toEqual([]);
    const missing = io();
    expect(await cmd(['revoke', '--workspace', WS, '--platform', 'whatsapp', '--url', 'https://chat.whatsapp.com/Zzzzzz999'], missing)).toBe(1);
    expect(missing.err).toContain('no such link');
  });

  it('answers bad arguments with a usage line and writes nothing', async () => {
    const store = createMemoryStore();
    const cmd = makeInvitesCommand({ store, workspaces, hashKey: 'k'.repeat(32) });
    await expect(cmd(['add', '--workspace', WS, '--platform', 'whatsapp', '--url', 'https://evil.example/x', '--campaign', 'a'], io())).rejects.toThrow(/--url must be a whatsapp invite link/);
    await expect(cmd(['add', '--workspace', WS, '--platform', 'signal', '--url', WA_LINK, '--campaign', 'a'], io())).rejects.toThrow(/--platform is whatsapp or telegram/);
    await expect(cmd(['add', '--workspace', WS, '--platform', 'whatsapp', '--url', WA_LINK], io())).rejects.toThrow(/--campaign is required/);
    await expect(cmd(['add', '--workspace', 'nope', '--platform', 'whatsapp', '--url', WA_LINK, '--campaign', 'a'], io())).rejects.toThrow(/workspace nope is not configured/);
    await expect(cmd(['delete', '--workspace', WS], io())).rejects.toThrow(/expected add, list or revoke/);
    await expect(cmd(['add', '--bogus'], io())).rejects.toThrow(/Unknown option/);
    expect(await store.community.inviteLinks.list(WS, { includeRevoked: true })).toEqual([]);
  });
});
