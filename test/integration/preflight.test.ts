import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/log.js';
import { preflightSmtp } from '../../src/mail/preflight.js';
import { createMailTransport } from '../../src/mail/transport.js';
import { createMetrics } from '../../src/metrics.js';
import { jobIds } from '../../src/queues.js';
import {
  addReaders,
  DATE,
  digestWhen,
  EDITION,
  statusIn,
  testPipeline,
  testSink,
  type Pipeline,
} from '../helpers/pipeline.js';
import { startSilentServer, startSmtpSink } from '../helpers/smtp-sink.js';

/** A port nothing listens on: a sink started and closed again. */
async function closedPort(): Promise<number> {
  const probe = await startSmtpSink();
  await probe.close();
  return probe.port;
}

async function seed(p: Pipeline, subscribers: number) {
  await p.services.posts.addManual(
    { title: 'A post', url: 'https://blog.example.com/a', date: new Date('2026-11-25T12:00:00Z') },
    new Date(),
  );
  await addReaders(p, subscribers);
}

/** Nothing about DATE in Redis: no digest, no ledger entry, no send job. */
async function expectNothingRecorded(p: Pipeline) {
  expect(await p.services.digests.getSummary(EDITION)).toBeUndefined();
  expect(await p.services.ledger.size(EDITION)).toBe(0);
  const counts = await p.services.queues.send.getJobCounts();
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
}

describe('SMTP preflight', () => {
  const transport = (url: string) =>
    createMailTransport({
      smtp: { url, maxConnections: 1 },
      outboxDir: '/nonexistent',
      log: createLogger('silent'),
    });

  it('names a refused connection', async () => {
    const port = await closedPort();
    const t = transport(`smtp://127.0.0.1:${port}`);
    await expect(preflightSmtp(t)).rejects.toMatchObject({
      code: 'SMTP_PREFLIGHT_FAILED',
      message: expect.stringMatching(
        new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}.*Nothing was sent\\.$`),
      ),
    });
    await t.close();
  });

  it('names a server that never greets', async () => {
    const silent = await startSilentServer();
    onTestFinished(silent.close);
    const t = transport(silent.url);
    await expect(preflightSmtp(t)).rejects.toMatchObject({
      message: expect.stringContaining('Greeting never received'),
    });
    await t.close();
  }, 30_000);

  it('names a refused login', async () => {
    const sink = await testSink({ auth: 'reject' });
    const t = transport(`smtp://user:wrong@127.0.0.1:${sink.port}`);
    await expect(preflightSmtp(t)).rejects.toMatchObject({
      message: expect.stringMatching(/535.*Authentication failed/),
    });
    await t.close();
  });

  it('passes a server that answers, and the outbox without a check', async () => {
    const sink = await testSink();
    const t = transport(sink.url);
    await expect(preflightSmtp(t)).resolves.toBeUndefined();
    await t.close();
    const outbox = createMailTransport({
      smtp: { url: undefined, maxConnections: 1 },
      outboxDir: '/nonexistent',
      log: createLogger('silent'),
    });
    await expect(preflightSmtp(outbox)).resolves.toBeUndefined();
  });
});

describe('a send whose SMTP server fails the preflight', () => {
  it('is refused before anything is queued or recorded', async () => {
    const port = await closedPort();
    const pipeline = await testPipeline('preflight-refused', {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
    });
    await seed(pipeline, 3);
    await expect(pipeline.services.digestService.trigger(DATE)).rejects.toMatchObject({
      code: 'SMTP_PREFLIGHT_FAILED',
      message: expect.stringContaining(`ECONNREFUSED 127.0.0.1:${port}`),
    });
    await expectNothingRecorded(pipeline);
    // Fixed: the same command sends the digest, once to everyone.
    const sink = await testSink({ port });
    await pipeline.startWorkers();
    expect((await pipeline.services.digestService.trigger(DATE)).created).toBe(true);
    const s = await digestWhen(pipeline, statusIn('sent'));
    expect(s.counters.sent).toBe(3);
    expect(sink.recipients().sort()).toEqual(
      ['reader0', 'reader1', 'reader2'].map((r) => `${r}@example.org`),
    );
  });

  it('holds a scheduled digest, retries with backoff, and sends it once SMTP answers', async () => {
    const port = await closedPort();
    const pipeline = await testPipeline('preflight-held', {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      PREFLIGHT_RETRY_DELAY_MS: '300',
    });
    await seed(pipeline, 4);
    await pipeline.startWorkers();
    await pipeline.services.queues.build.add(
      'build',
      { date: DATE, trigger: 'schedule', scheduledAt: new Date().toISOString() },
      { jobId: jobIds.build(DATE) },
    );
    const held = await digestWhen(
      pipeline,
      async (d) => d.status === 'held' && (await pipeline.services.digests.holds(EDITION)) >= 2,
    );
    expect(held.reason).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(held.posts).toBe(0);
    expect(await pipeline.services.ledger.size(EDITION)).toBe(0);
    // The job waits, delayed, without using up its attempts.
    const job = await pipeline.services.queues.build.getJob(jobIds.build(DATE));
    expect(job?.attemptsMade).toBe(0);
    // /metrics counts it, from the digests in Redis.
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.setDigests(await pipeline.services.digestService.list());
    expect((await metrics.render()).body).toContain('digest_digests{status="held"} 1');

    const sink = await testSink({ port });
    const s = await digestWhen(pipeline, statusIn('sent'), { timeoutMs: 60_000 });
    expect(s.counters.sent).toBe(4);
    expect(s.reason).toBeUndefined();
    expect(new Set(sink.recipients()).size).toBe(4);
    expect(sink.recipients()).toHaveLength(4);
  });
});
