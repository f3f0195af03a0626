/**
 * The report queue's delivery state on the real Redis: the notice and the answers never
 * cross (whoever comes first decides, and the answers wait for a notice being sent), two
 * runs of one job deliver once, and a run after a crash goes on after the answers sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReportQueue } from '../src/commands/index.js';
import { createProducerConnection } from '../src/queue/redis.js';
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from './support/redis.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

function queue(): ReportQueue {
  const prefix = uniquePrefix('rq');
  const connection = createProducerConnection({ url: REDIS_URL });
  const q = new ReportQueue({ connection, prefix, pollMs: 10 });
  open.push(async () => {
    await q.queue.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    const cleaner = testRedis();
    await deleteKeys(cleaner, [`${prefix}*`, `bull:${prefix}*`]);
    await Promise.all([cleaner.quit(), connection.quit()]);
  });
  return q;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('report delivery state', () => {
  it('answers ready before the wait is over: no notice', async () => {
    const q = queue();
    const log: string[] = [];
    const asking = q.awaitAnswers('j1', { waitMs: 500, notice: async () => void log.push('notice') });
    await q.deliverOnce('j1', async (from, sent) => {
      log.push(`answer from ${from}`);
      await sent(1);
    });
    expect(await asking).toBe('answered');
    expect(log).toEqual(['answer from 0']);
  });

  it('a notice claimed first is sent before the answers, even when the answers are ready meanwhile', async () => {
    const q = queue();
    const log: string[] = [];
    const asking = q.awaitAnswers('j2', {
      waitMs: 50,
      notice: async () => {
        log.push('notice start');
        await sleep(300);
        log.push('notice sent');
      },
    });
    // The answers become ready while the notice is being sent (not after a fixed sleep: a loaded machine is slow).
    while (!log.includes('notice start')) await sleep(5);
    const delivering = q.deliverOnce('j2', async () => void log.push('answers'));
    expect(await asking).toBe('noticed');
    expect(await delivering).toBe('delivered');
    expect(log).toEqual(['notice start', 'notice sent', 'answers']);
    // The same update handled again says nothing more.
    expect(await q.awaitAnswers('j2', { waitMs: 10, notice: async () => void log.push('notice again') })).toBe('answered');
    expect(log).toHaveLength(3);
  });

  it('two runs of one job deliver once; a run after the answers went out sends nothing', async () => {
    const q = queue();
    const sent: number[] = [];
    const deliver = async (from: number, done: (n: number) => Promise<void>): Promise<void> => {
      for (let i = from; i < 3; i++) {
        await sleep(80);
        sent.push(i);
        await done(i + 1);
      }
    };
    const [a, b] = await Promise.all([q.deliverOnce('j3', deliver), q.deliverOnce('j3', deliver)]);
    expect([a, b].sort()).toEqual(['already', 'delivered']);
    expect(sent).toEqual([0, 1, 2]);
    expect(await q.deliverOnce('j3', deliver)).toBe('already');
    expect(sent).toEqual([0, 1, 2]);
  });

  it('a run that failed half-way leaves the next one to go on after the answers sent', async () => {
    const q = queue();
    const sent: number[] = [];
    await expect(
      q.deliverOnce('j4', async (from, done) => {
        for (let i = from; i < 3; i++) {
          if (i === 2) throw new Error('network down');
          sent.push(i);
          await done(i + 1);
        }
      }),
    ).rejects.toThrow('network down');
    expect(await q.delivered('j4')).toBe(false);
    expect(
      await q.deliverOnce('j4', async (from, done) => {
        for (let i = from; i < 3; i++) {
          sent.push(i);
          await done(i + 1);
        }
      }),
    ).toBe('delivered');
    expect(sent).toEqual([0, 1, 2]);
    expect(await q.delivered('j4')).toBe(true);
  });
});
