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
const N = 300;

let p: Pipeline;
let sink: SmtpSink;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink({ dataDelayMs: 20 });
  p = await startPipeline('shutdown', {
    SMTP_URL: sink.url,
    SEND_BATCH_SIZE: '25',
    SEND_CONCURRENCY: '10',
    SEND_LEASE_SECONDS: '60',
  });
  await p.services.posts.addManual(
    { title: 'A post', url: 'https://blog.example.com/a', date: new Date('2026-11-25T10:00:00Z') },
    new Date(),
  );
  await p.services.subscribers.addMany(
    Array.from({ length: N }, (_, i) => ({
      email: `t${i}@example.org`,
      status: 'confirmed' as const,
    })),
  );
});

afterAll(async () => {
  for (const w of workers) await w.kill();
  await p.stop();
  await sink.close();
});

describe('a worker stopped with SIGTERM mid-run', () => {
  // Bounded by its waits (60 s each) and two worker starts (tsx loads in ~10 s on a loaded box).
  it(
    'finishes its sends in flight, exits 0, and leaves nothing for a duplicate',
    { timeout: 180_000 },
    async () => {
      const first = startWorker(p.env);
      await p.services.digestService.trigger(DATE);
      await waitFor(async () => sink.messages.length >= N / 4, 60_000, 'first deliveries');
      const exited = new Promise<number | null>((r) => first.child.once('exit', (code) => r(code)));
      first.child.kill('SIGTERM');
      expect(await exited).toBe(0);

      // Nothing is left claimed: every message it handed to SMTP was recorded before it exited.
      const ledger = await p.ctx.redis.hgetall(p.ctx.keys.ledger(EDITION));
      const claimed = Object.values(ledger).filter((v) => v.startsWith('c:'));
      expect(claimed).toEqual([]);
      const sentBefore = Object.values(ledger).filter((v) => v.startsWith('s:')).length;
      expect(sentBefore).toBe(sink.messages.length);

      // Even with a long lease, a second worker picks up the rest at once.
      startWorker(p.env);
      const s = await waitFor(
        async () => {
          const d = await p.services.digestService.summary(DATE);
          return d && d.status === 'sent' ? d : undefined;
        },
        60_000,
        'the digest to finish',
      );
      expect(s.counters.sent).toBe(N);
      expect(sink.recipients()).toHaveLength(N);
      expect(new Set(sink.recipients()).size).toBe(N);
    },
  );
});
