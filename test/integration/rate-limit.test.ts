import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATE,
  delivered,
  EDITION,
  seedPostAndReaders,
  testPipeline,
  testSink,
  waitFor,
} from '../helpers/pipeline.js';
import { workerGroup } from '../helpers/worker-process.js';
import { startWorkers } from '../../workers/start-workers.js';

const workers = workerGroup();
let second: Awaited<ReturnType<typeof startWorkers>> | undefined;

// Before the test's pipeline stops and its sink closes (testPipeline, testSink).
afterEach(async () => {
  await second?.close();
  second = undefined;
  await workers.killAll();
});

const what = `digest ${DATE} to be sent`;

describe('SEND_RATE', () => {
  // The property is "never faster than SEND_RATE": the upper bound is tight. The lower bound is
  // generous (half the rate) so that a loaded 2-core machine passes, yet a limiter that throttles
  // far below its rate still fails. A low rate keeps even a loaded machine able to reach it.
  it(
    'never goes faster than the rate across two worker processes',
    { timeout: 180_000 },
    async () => {
      const N = 200;
      const RATE = 20;
      const sink = await testSink();
      const p = await testPipeline('rate', {
        SMTP_URL: sink.url,
        SEND_RATE: String(RATE),
        SEND_BATCH_SIZE: '10',
        SEND_CONCURRENCY: '10',
      });
      await seedPostAndReaders(p, N, 'rate');
      await Promise.all([workers.start(p.env), workers.start(p.env)].map((w) => w.ready));
      await p.services.digestService.trigger(DATE);
      // At most 4x the time the rate needs, plus start-up: a bound from the work, not the machine.
      const s = await delivered(p, { timeoutMs: (4 * N * 1000) / RATE + 30_000, what });

      expect(s.counters).toMatchObject({ recipients: N, sent: N, failed: 0 });
      expect(new Set(sink.recipients()).size).toBe(N);
      // The steady part: leave out the first and last 10% (start-up, the tail of the last batch).
      const at = sink.messages.map((m) => m.at).sort((a, b) => a - b);
      const from = Math.floor(N * 0.1);
      const to = Math.ceil(N * 0.9) - 1;
      const rate = ((to - from) * 1000) / (at[to]! - at[from]!);
      const overall = ((N - 1) * 1000) / (at[N - 1]! - at[0]!);
      console.log(
        `SEND_RATE=${RATE}, 2 worker processes, ${N} messages: steady ${rate.toFixed(2)}/s ` +
          `(messages ${from}..${to}), overall ${overall.toFixed(2)}/s`,
      );
      expect(rate).toBeLessThanOrEqual(RATE * 1.1);
      expect(overall).toBeLessThanOrEqual(RATE * 1.1);
      expect(rate).toBeGreaterThanOrEqual(RATE * 0.5);
    },
  );
});

describe('SMTP throttling (421, 4.7.x)', () => {
  it(
    'pauses every worker and redelivers without using up an attempt',
    { timeout: 60_000 },
    async () => {
      const N = 80;
      // Fewer than SEND_CONCURRENCY: only the first batch is throttled; the other job slot's batch
      // goes through, and the pause must still hold that slot and the queue (BullMQ's limiter).
      const K = 3;
      let rcpts = 0;
      const throttledAt: number[] = [];
      const sink = await testSink({
        reply: () => {
          if (++rcpts > K) return undefined;
          throttledAt.push(Date.now());
          return { code: 421, message: '4.7.0 Too many messages, slow down' };
        },
      });
      // One attempt only: a throttled recipient that used it up would be recorded failed.
      const p = await testPipeline('throttle', {
        SMTP_URL: sink.url,
        SEND_ATTEMPTS: '1',
        SEND_BATCH_SIZE: '10',
        SEND_CONCURRENCY: '5',
      });
      await seedPostAndReaders(p, N, 'thr');
      // Two sets of workers, as two processes would have: the pause must hold the other one too.
      const a = await p.startWorkers();
      second = await startWorkers(p.services, { schedules: false });
      const completed: Job[] = [];
      const failed: string[] = [];
      const madeWhenActive: number[] = [];
      for (const w of [a.workers.send, second.workers.send]) {
        w.on('active', (job) => madeWhenActive.push(job.attemptsMade));
        w.on('completed', (job) => completed.push(job));
        w.on('failed', (job, err) => failed.push(`${job?.id}: ${err.message}`));
      }

      await p.services.digestService.trigger(DATE);
      const s = await delivered(p, { timeoutMs: 45_000, what });
      // The digest turns sent inside the last job, just before BullMQ records it completed.
      await waitFor(async () => completed.length >= N / 10, 10_000, 'every send job to complete');

      expect(failed).toEqual([]);
      expect(s.status).toBe('sent');
      expect(s.counters).toMatchObject({ recipients: N, sent: N, failed: 0, skipped: 0 });
      const got = sink.recipients();
      expect(got).toHaveLength(N);
      expect(new Set(got).size).toBe(N);
      expect(throttledAt).toHaveLength(K);
      // Every batch completed on its first attempt: throttling put jobs back without using one.
      // (BullMQ counts the completing run itself, so attemptsMade is 1 after completion.)
      expect(completed).toHaveLength(N / 10);
      for (const job of completed) expect(job.attemptsMade).toBe(1);
      expect(madeWhenActive.every((n) => n === 0)).toBe(true);
      const rerun = completed.filter((j) => j.attemptsStarted > 1);
      expect(rerun.length).toBeGreaterThanOrEqual(1);
      const ledger = await p.ctx.redis.hvals(p.ctx.keys.ledger(EDITION));
      expect(ledger.every((v) => v.startsWith('s:250:'))).toBe(true);
      // The throttled batch came back only after the queue-wide pause (5 s).
      const last = Math.max(...sink.messages.map((m) => m.at));
      const pausedFor = last - throttledAt[0]!;
      // At most four batches (two workers x two slots) can be under way when the 421 comes; the
      // rest of the queue waits out the pause, on both workers.
      const late = sink.messages.filter((m) => m.at - throttledAt[0]! >= 3_000).length;
      console.log(
        `throttle: ${K} x 421 4.7.0; ${N} delivered once; ${rerun.length} job(s) rerun, ` +
          `attemptsStarted ${rerun.map((j) => j.attemptsStarted).join(',')}, attemptsMade at start ` +
          `always 0; last delivery ${pausedFor} ms after the first 421, ${late} delivered after the pause`,
      );
      expect(pausedFor).toBeGreaterThanOrEqual(4_000);
      expect(late).toBeGreaterThanOrEqual(30);
    },
  );
});
