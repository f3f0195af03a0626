/**
 * Commands on WhatsApp: the library's own `Message` objects (built from fixtures with its
 * classes) go into the account's real event handler, which runs the platform-neutral command
 * layer on a memory store; the answers are asserted on a stubbed client's `sendMessage` calls
 * (text, chart images and CSV documents as `MessageMedia`). People are configured by phone or
 * linked id; nothing stored names them in clear.
 */
import { Writable } from 'node:stream';
import wwebjs from 'whatsapp-web.js';
import { describe, expect, it } from 'vitest';
import { createWhatsAppHandler } from '../bots/whatsapp/event-handler.js';
import { formatAnswers, MAX_WA_TEXT, splitLines } from '../bots/whatsapp/format-answers.js';
import { createSendLimiter, NotAllowedToWriteError } from '../bots/whatsapp/send-limiter.js';
import { createWhatsAppCommands, hashedRoleSettings } from '../bots/whatsapp/whatsapp-commands.js';
import { REFUSALS } from '../src/commands/access.js';
import { createCommandHandler } from '../src/commands/index.js';
import { workspaceConfigSchema } from '../src/config.js';
import { makePseudonymizer } from '../src/identity/pseudonymize.js';
import { compileKeywords } from '../src/keywords/index.js';
import { createLogger } from '../src/logger.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { TouchEvent } from '../src/touch-event.js';
import { CLEAR_LIDS, CLEAR_PHONES, WA, waObject } from './fixtures/whatsapp/index.js';
import { fakeReports, REPORT_MARKER } from './support/fake-reports.js';

const HASH_KEY = 'test-hash-key-0123456789abcdef';
const hash = makePseudonymizer(HASH_KEY, 'acme');
const MANAGERS_GROUP = '120363099999999999@g.us';

interface Sent {
  chatId: string;
  content: unknown;
  options: Record<string, unknown> | undefined;
}

const textOf = (s: Sent): string => (typeof s.content === 'string' ? s.content : '');

function harness(options: { phones?: Map<string, string>; admins?: string[]; language?: 'en' | 'zh' } = {}) {
  const settings = workspaceConfigSchema.parse({
    id: 'acme',
    roles: {
      owners: ['whatsapp:209876543210987@lid'],
      managers: ['whatsapp:+447700900123'],
      operators: ['whatsapp:8613900139000'],
    },
    managersChats: [`whatsapp:${MANAGERS_GROUP}`],
  });
  const store = createMemoryStore();
  const reports = fakeReports();
  const sent: Sent[] = [];
  const touches: TouchEvent[] = [];
  const chunks: string[] = [];
  const log = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => void (chunks.push(c.toString()), cb()) }));
  const client = {
    sendMessage: async (chatId: string, content: unknown, o?: Record<string, unknown>) => {
      sent.push({ chatId, content, options: o });
      return {};
    },
  };
  const phones = options.phones ?? new Map<string, string>([[WA.bobLid, WA.bob]]);
  const lookups = {
    selfIds: () => new Set([WA.me, WA.meLid]),
    group: async () => ({ title: WA.groupTitle, selfIsAdmin: true }),
    phonesOfLids: async (lids: readonly string[]) => new Map(lids.filter((l) => phones.has(l)).map((l) => [l, phones.get(l) as string])),
    inviteCode: async () => undefined,
    groupAdmins: async () => options.admins ?? [WA.admin],
    sendingClient: () => client,
  };
  const account = { id: 'wa1', workspace: 'acme' };
  const commands = createWhatsAppCommands({
    account,
    hash,
    sender: createSendLimiter({ perChatGapMs: 0, jitterMs: 0 }),
    client: () => client,
    lookups,
    log,
    ...(options.language ? { language: options.language } : {}),
    createHandler: (platform) => createCommandHandler({ store, reports, settings: (ws) => (ws === 'acme' ? hashedRoleSettings(settings, hash) : undefined), platform, log }),
  });
  const handler = createWhatsAppHandler({
    account,
    hashKey: HASH_KEY,
    touches: { enqueueMany: async (t) => void touches.push(...t) },
    community: { addMany: async () => undefined },
    capture: { matcher: () => compileKeywords(['price']), inviteLink: () => undefined },
    lookups,
    commands,
    log,
  });
  return { store, reports, sent, touches, handler, logs: () => chunks.join('') };
}

/** A private message from `from` (a serialized id) with this text. */
function privateMessage(from: string, body: string, key: string): Record<string, unknown> {
  return waObject('message-private-plain', (d) => {
    const [user, server] = from.split('@') as [string, string];
    d.from = { server, user, _serialized: from };
    d.body = body;
    d.id = { fromMe: false, remote: from, id: key, _serialized: `false_${from}_${key}` };
  });
}

/** A group message by `author` with this text. */
function groupMessage(author: string, body: string, key: string, group: string = WA.group): Record<string, unknown> {
  return waObject('message-group-text', (d) => {
    const [user, server] = author.split('@') as [string, string];
    const [guser] = group.split('@') as [string];
    d.author = { server, user, _serialized: author };
    d.from = { server: 'g.us', user: guser, _serialized: group };
    d.body = body;
    d.links = [];
    d.id = { fromMe: false, remote: group, id: key, participant: d.author, _serialized: `false_${group}_${key}_${author}` };
  });
}

describe('commands on whatsapp', () => {
  it('answers a manager (configured by phone) in a private chat: tables as monospace blocks, charts as images, exports as documents', async () => {
    const h = harness();
    await h.handler.message(privateMessage(WA.bob, '/report 30d', 'K1'));
    const report = h.sent.filter((s) => s.chatId === WA.bob);
    expect(report.length).toBeGreaterThan(0);
    const table = report.map(textOf).find((t) => t.includes(REPORT_MARKER));
    expect(table?.startsWith('```\n')).toBe(true);
    expect(table?.endsWith('\n```')).toBe(true);
    expect(report.map(textOf).join('\n')).not.toMatch(/<\/?(pre|b|i)>/);
    // The chart is an image (MessageMedia, PNG), sent as a photo with its caption.
    const images = report.filter((s) => s.content instanceof wwebjs.MessageMedia);
    expect(images).toHaveLength(1);
    const png = images[0]?.content as wwebjs.MessageMedia;
    expect(png.mimetype).toBe('image/png');
    expect(Buffer.from(png.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(images[0]?.options?.sendMediaAsDocument).toBeUndefined();
    expect(h.reports.calls.map((c) => c.method)).toContain('attribution');

    await h.handler.message(privateMessage(WA.bob, '/export 30d', 'K2'));
    const doc = h.sent.filter((s) => s.chatId === WA.bob).at(-1);
    expect(doc?.content).toBeInstanceOf(wwebjs.MessageMedia);
    expect((doc?.content as wwebjs.MessageMedia).mimetype).toMatch(/^text\/csv/);
    expect((doc?.content as wwebjs.MessageMedia).filename).toMatch(/\.csv$/);
    expect(doc?.options?.sendMediaAsDocument).toBe(true);
    // Commands make no touch.
    expect(h.touches).toEqual([]);
    // The audit log names the manager by hashed id, never by phone.
    const audit = JSON.stringify(await h.store.community.audit.list('acme'));
    expect(audit).toContain(`whatsapp:${hash('wa_id', '+447700900123')}`);
    for (const clear of [...CLEAR_PHONES, ...CLEAR_LIDS]) expect(audit).not.toContain(clear);
  });

  it('refuses a manager in a member group, answers in the managers’ group; refuses a member everywhere', async () => {
    const h = harness();
    // Bob writes in the member group as his linked id (phone known): still the manager, refused there.
    await h.handler.message(groupMessage(WA.bobLid, '/report 30d', 'G1'));
    expect(h.sent.map((s) => [s.chatId, textOf(s)])).toEqual([[WA.group, REFUSALS['member-group']]]);
    expect(h.reports.calls).toEqual([]);

    h.sent.length = 0;
    await h.handler.message(groupMessage(WA.bob, '/report 30d', 'G2', MANAGERS_GROUP));
    expect(h.sent.every((s) => s.chatId === MANAGERS_GROUP)).toBe(true);
    expect(h.sent.map(textOf).join('\n')).toContain(REPORT_MARKER);

    // Carol is a member: refused in a private chat and in the group, figures never shown.
    h.sent.length = 0;
    await h.handler.message(privateMessage(WA.carol, '/report 30d', 'C1'));
    await h.handler.message(groupMessage(WA.carol, '/funnel 30d', 'C2'));
    await h.handler.message(groupMessage(WA.carol, '/journey someone', 'C3', MANAGERS_GROUP.replace('9999', '8888')));
    expect(h.sent.map((s) => [s.chatId, textOf(s)])).toEqual([
      [WA.carol, REFUSALS['manager-only']],
      [WA.group, REFUSALS['manager-only']],
      [MANAGERS_GROUP.replace('9999', '8888'), REFUSALS['manager-only']],
    ]);
    expect(h.sent.map(textOf).join('\n')).not.toContain(REPORT_MARKER);
  });

  it('an owner configured by linked id gets the owner commands; an operator’s group answer goes privately only after they wrote privately', async () => {
    const h = harness({ phones: new Map() });
    await h.handler.message(privateMessage(WA.daveLid, '/help', 'H1'));
    const help = h.sent.map(textOf).join('\n');
    expect(help).toMatch(/\/grant/);
    expect(help).toMatch(/\/report/);

    // The operator (by bare digits in the settings) asks for /groupstats in the group: he never
    // wrote to the account privately, so it is not opened for him; the group is told to write first.
    h.sent.length = 0;
    await h.handler.message(groupMessage(WA.admin, '/groupstats', 'O1'));
    expect(h.sent.map((s) => s.chatId)).toEqual([WA.group]);
    expect(textOf(h.sent[0] as Sent)).toMatch(/private chat/);
    // After any private message from him, the answer goes to his private chat and the group gets a note.
    await h.handler.message(privateMessage(WA.admin, 'hi', 'O2'));
    h.sent.length = 0;
    await h.handler.message(groupMessage(WA.admin, '/groupstats', 'O3'));
    expect(h.sent.map((s) => s.chatId)).toContain(WA.admin);
    expect(h.sent.at(-1)).toMatchObject({ chatId: WA.group, content: 'I sent you the answer in a private chat.' });
  });

  it('unknown commands: a short answer in private, silence in groups', async () => {
    const h = harness();
    await h.handler.message(privateMessage(WA.carol, '/nosuch', 'U1'));
    await h.handler.message(groupMessage(WA.carol, '/nosuch', 'U2'));
    expect(h.sent.map((s) => [s.chatId, textOf(s)])).toEqual([[WA.carol, 'I do not know that command. /help lists what you can do.']]);
  });

  it('answers in the workspace’s language (WhatsApp tells none of its users)', async () => {
    const h = harness({ language: 'zh' });
    await h.handler.message(privateMessage(WA.carol, '/nosuch', 'Z1'));
    expect(h.sent.map((s) => [s.chatId, textOf(s)])).toEqual([[WA.carol, '我不认识这个命令。发送 /help 查看可用命令。']]);
  });
});

describe('whatsapp answers and send limits', () => {
  it('splits long text at line boundaries under the limit; tables stay closed monospace blocks; no HTML', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `row ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`);
    const pieces = splitLines(lines.join('\n'));
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(MAX_WA_TEXT);
    expect(pieces.join('\n')).toBe(lines.join('\n'));
    const out = formatAnswers([{ type: 'text', text: lines.join('\n'), monospace: true }, { type: 'text', text: 'Attribution, last 30 days\nfirst <b>line</b>' }]);
    const blocks = out.filter((o) => o.kind === 'text').map((o) => (o.kind === 'text' ? o.text : ''));
    for (const b of blocks.slice(0, -1)) {
      expect(b.length).toBeLessThanOrEqual(MAX_WA_TEXT);
      expect(b.startsWith('```\n') && b.endsWith('\n```')).toBe(true);
    }
    expect(blocks.at(-1)).toBe('*Attribution, last 30 days*\nfirst <b>line</b>');
  });

  it('never writes to a chat that did not write first; spaces messages per chat and caps them per minute', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = createSendLimiter({
      perChatGapMs: 1_000,
      jitterMs: 500,
      perMinute: 3,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      random: () => 0.5,
    });
    const calls: Array<[string, number]> = [];
    const client = { sendMessage: async (chatId: string) => void calls.push([chatId, clock]) };
    await expect(limiter.send(client, WA.carol, [{ kind: 'text', text: 'hello' }])).rejects.toBeInstanceOf(NotAllowedToWriteError);
    expect(calls).toEqual([]);
    limiter.noteInbound(WA.carol);
    await limiter.send(client, WA.carol, [
      { kind: 'text', text: 'a' },
      { kind: 'text', text: 'b' },
      { kind: 'text', text: 'c' },
      { kind: 'text', text: 'd' },
    ]);
    expect(calls).toHaveLength(4);
    // Each message after the first waits the gap plus jitter; the 4th waits for the minute to pass.
    const times = calls.map(([, t]) => t);
    for (let i = 1; i < 3; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_250);
    expect((times[3] as number) - (times[0] as number)).toBeGreaterThanOrEqual(60_000);
    // The reply window closes after a day without a message from the chat.
    clock += 25 * 3600_000;
    expect(limiter.mayWrite(WA.carol)).toBe(false);
  });
});
