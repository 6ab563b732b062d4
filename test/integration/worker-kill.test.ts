import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, waitFor, type Pipeline } from '../helpers/pipeline.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

function startWorker(env: Record<string, string>): WorkerProcess {
  const w = startWorkerProcess(env);
  workers.push(w);
  return w;
}

const DATE = '2026-11-30';
/** The edition DATE names: the default frequency's (weekly). */
const EDITION = `weekly/${DATE}`;
const N = 400;
const BATCH = 20;
const CONCURRENCY = 10;

let p: Pipeline;
let sink: SmtpSink;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // Slow DATA replies keep messages in flight when the worker dies.
  sink = await startSmtpSink({ dataDelayMs: 15 });
  p = await startPipeline('kill', {
    SMTP_URL: sink.url,
    SEND_BATCH_SIZE: String(BATCH),
    SEND_CONCURRENCY: String(CONCURRENCY),
    SEND_LEASE_SECONDS: '5',
  });
  await p.services.posts.addManual(
    { title: 'A post', url: 'https://blog.example.com/a', date: new Date('2026-11-25T10:00:00Z') },
    new Date(),
  );
  await p.services.subscribers.addMany(
    Array.from({ length: N }, (_, i) => ({
      email: `k${i}@example.org`,
      status: 'confirmed' as const,
    })),
  );
});

afterAll(async () => {
  for (const w of workers) await w.kill();
  await p.stop();
  await sink.close();
});

describe('a worker killed with SIGKILL mid-run', () => {
  // Bounded by its waits (60 s and 90 s) and two worker starts (tsx loads in ~10 s when loaded).
  it(
    'leaves one ledger entry per subscriber and at most the in-flight messages twice',
    { timeout: 240_000 },
    async () => {
      const first = startWorker(p.env);
      await p.services.digestService.trigger(DATE);
      await waitFor(async () => sink.messages.length >= N / 4, 60_000, 'first deliveries');
      await first.kill();
      const atKill = sink.messages.length;
      expect(atKill).toBeLessThan(N);

      startWorker(p.env);
      const s = await waitFor(
        async () => {
          const d = await p.services.digestService.summary(DATE);
          return d && d.status === 'sent' ? d : undefined;
        },
        90_000,
        'the digest to finish after the restart',
      );

      expect(s.counters).toMatchObject({ recipients: N, sent: N, failed: 0, skipped: 0 });
      const ledger = await p.ctx.redis.hgetall(p.ctx.keys.ledger(EDITION));
      expect(Object.keys(ledger)).toHaveLength(N);
      expect(Object.values(ledger).every((v) => v.startsWith('s:250:'))).toBe(true);

      const rcpts = sink.recipients();
      const unique = new Set(rcpts);
      expect(unique.size).toBe(N);
      // Duplicates only from the crash window: accepted by SMTP, not yet in the ledger.
      const inFlight = 2 * Math.min(BATCH, CONCURRENCY);
      console.log(
        `kill test: ${atKill} delivered before SIGKILL; ${rcpts.length} messages for ${N} subscribers (${rcpts.length - N} duplicates, bound ${inFlight})`,
      );
      expect(rcpts.length).toBeLessThanOrEqual(N + inFlight);
    },
  );
});
