/**
 * `npm run demo -- --once` in a child process, as a newcomer runs it: the generated community
 * goes through the real webhook, WhatsApp handler, click route, conversion webhook, queues and
 * workers, and the figures it prints are checked against the generator's own truth (joins per
 * campaign, matched orders, last-touch revenue of the deals group, each campaign's goal and
 * spend in `/campaigns`, the WhatsApp group link's clicks, the personal links `/myinvite` made).
 * It leaves no keys behind.
 *
 * Determinism: a full run takes minutes on a loaded 2-core machine, so the test runs the
 * pipeline once and checks that the generator gives the identical community twice (and a
 * different one for another seed); that two full runs print the same output was checked by
 * hand (`diff` of two `npm run demo -- --once` outputs) and is what the fixed seed, fixed
 * "now" and the absence of wall-clock figures in the output are for.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCommunity, GROUPS, type Community } from '../scripts/demo/generate-community.js';
import { REDIS_URL, testRedis } from './support/redis.js';

const prefix = `mft-demo-${randomBytes(4).toString('hex')}`;
let output = '';
let stderr = '';
let exitCode: number | null = null;
let truth: Community['truth'];
let community: Community;

function runOnce(): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', 'scripts/demo.ts', '--once'], { env: { ...process.env, REDIS_URL, DEMO_QUEUE_PREFIX: prefix, PUPPETEER_SKIP_DOWNLOAD: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => {
      exitCode = code;
      resolve();
    });
  });
}

/** The printed answer to a command: the lines after its `── <command> ──` header, up to the next header or the end. */
function section(command: string): string {
  const start = output.indexOf(`── ${command}`);
  if (start < 0) throw new Error(`no answer to ${command} in the output:\n${output}`);
  const rest = output.slice(start);
  const next = rest.indexOf('\n── ', 3);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The cells of the table row whose label starts with `label` (cells are separated by 2+ spaces). */
function row(text: string, label: string): string[] {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(label));
  if (!line) throw new Error(`no row ${label} in:\n${text}`);
  return line.trim().split(/\s{2,}/);
}

beforeAll(async () => {
  community = generateCommunity();
  truth = community.truth;
  await runOnce();
}, 900_000);

afterAll(async () => {
  const redis = testRedis();
  const left: string[] = [];
  for (const pattern of [`${prefix}*`, `bull:${prefix}*`]) left.push(...(await redis.keys(pattern)));
  await redis.quit();
  expect(left).toEqual([]);
});

describe('npm run demo -- --once', () => {
  it('exits 0 and says which store it used', () => {
    expect(exitCode, stderr).toBe(0);
    expect(output).toContain('Store: in-memory');
    expect(output).toContain(`Generated: ${truth.members} members`);
  });

  it('prints the joins per campaign the generator made (report API funnel by campaign, and the bot’s /funnel)', () => {
    const api = section('GET /v1/reports/');
    const funnel = section('/funnel');
    expect(Object.keys(truth.joinsByCampaign).sort()).toEqual(['kol_deals', 'spring_launch', 'wa_new']);
    for (const [campaign, joins] of Object.entries(truth.joinsByCampaign)) {
      expect(new RegExp(`[:,] ${campaign} (\\d+)`).exec(api)?.[1], campaign).toBe(String(joins));
      // The bot's table shortens long names; the figure is there with its thousands separator.
      expect(funnel).toContain(joins.toLocaleString('en-US'));
    }
  });

  it('prints the orders and matched orders the generator made', () => {
    const api = section('GET /v1/reports/');
    const totals = /orders (\d+), value ([\d.]+) CNY, matched (\d+), unattributed (\d+)/.exec(api);
    expect(totals, api).not.toBeNull();
    expect(Number(totals![1])).toBe(truth.orders);
    expect(Number(totals![3])).toBe(truth.matchedOrders);
    expect(Number(totals![4])).toBe(truth.unmatchedOrders);
    expect(section('/report')).toContain(`Conversions: ${truth.orders.toLocaleString('en-US')} `);
  });

  it('prints the deals group’s last-touch revenue the generator expects, and last touch undervalues the official group', () => {
    const api = section('GET /v1/reports/');
    // Columns: group, last_touch, first_touch, linear, position_based, time_decay, markov, shapley (CNY).
    const deals = row(api, '团购群 Group Deals');
    expect(Number(deals[1])).toBe(truth.lastTouchRevenueByGroup['-1001700000002']);
    // And every other group's, Telegram and WhatsApp alike.
    for (const g of Object.values(GROUPS)) expect(Number(row(api, g.title)[1]), g.title).toBe(truth.lastTouchRevenueByGroup[g.chatId]);
    const official = row(api, '品牌官方群 Brand Official');
    // Every other model gives the upper-funnel group more than last touch does.
    for (const cell of official.slice(2)) expect(Number(cell)).toBeGreaterThan(Number(official[1]));
  });

  it('prints every model side by side, and no phase waits for a feature', () => {
    expect(section('/models')).toMatch(/first\s+last\s+linear\s+u-shape\s+decay\s+markov\s+shapley/);
    expect(output).not.toContain('Waiting for features');
    // The bot's /report answer came with its chart (a sendPhoto the stand-in received).
    expect(section('/report')).toContain('[chart image]');
  });

  it('sets each campaign’s goal with /goal and its spend through PUT /v1/spend, and /campaigns shows the generator’s spend and joins', () => {
    expect(output).toContain(`Spend: ${community.spend.length} rows (campaign, day, amount) PUT to /v1/spend with an API key: 200 ok, ${community.spend.length} written.`);
    const cards = section('/campaigns');
    for (const camp of community.campaigns) {
      expect(output).toContain(`  ${camp.name}: goal ${camp.goal}`);
      const cells = row(cards, `${camp.name} `);
      // Columns: campaign, goal, joins, d30, conv, spend, CAC, ROAS.
      expect(cells[1], camp.name).toBe(camp.goal);
      expect(cells[2], camp.name).toBe((truth.joinsByCampaign[camp.name] ?? 0).toLocaleString('en-US'));
      expect(cells[5], camp.name).toBe(`¥${truth.spend[camp.name]!.toLocaleString('en-US')}`);
    }
  });

  it('credits the WhatsApp campaign’s joins through its tracked group link (/link in the group, GET /g/<code> before each invite join)', () => {
    const clicks = community.events.filter((e) => e.kind === 'group_link_click').length;
    expect(clicks).toBe(truth.joinsByCampaign.wa_new);
    expect(output).toContain('the account answered with a tracked group link (/g/<code>)');
    expect(output).toContain(`${clicks} GETs of the tracked group link /g/<code> before invite joins`);
  });

  it('hands out personal invite links with /myinvite, and /hints and /referrals answer', () => {
    const inviters = new Set(community.events.filter((e) => e.kind === 'join' && e.via === 'personal_invite' && community.groups[e.group].platform === 'telegram').map((e) => `${(e as { inviter: number }).inviter}|${(e as { group: string }).group}`));
    expect(output).toContain(`Personal invite links: ${inviters.size} members asked the bot for theirs with /myinvite`);
    expect(section('/hints')).toMatch(/^1\. /m);
    expect(section('/referrals')).toMatch(/inviter\s+revenue\s+inv\s+joined/);
  });
});

describe('the generator', () => {
  it('makes the same community from the same seed, another from another seed', () => {
    const a = generateCommunity();
    const b = generateCommunity();
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(generateCommunity({ seed: 7 }).truth).not.toEqual(a.truth);
  });

  it('makes ~5,000 members, ~600 orders of every kind of match, and journeys where last touch undervalues the official group', () => {
    const c = generateCommunity();
    expect(c.truth.members).toBe(5000);
    expect(c.truth.orders).toBeGreaterThan(550);
    expect(c.truth.orders).toBeLessThan(700);
    for (const kind of ['click_id', 'telegram_id', 'phone', 'whatsapp', 'lid_phone', 'coupon', 'none'] as const) expect(c.truth.ordersByMatch[kind], kind).toBeGreaterThan(0);
    const official = c.groups.tg_official.chatId;
    expect(c.truth.touchedRevenueByGroup[official]!).toBeGreaterThan(2.5 * c.truth.lastTouchRevenueByGroup[official]!);
    expect(c.events.every((e, i) => i === 0 || c.events[i - 1]!.t <= e.t)).toBe(true);
  });
});
