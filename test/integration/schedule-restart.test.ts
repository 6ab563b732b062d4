import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queues.js';
import { startPipeline, waitFor, type Pipeline } from '../helpers/pipeline.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { workerGroup } from '../helpers/worker-process.js';

/**
 * The scheduler killed across an occurrence and started again (README "The schedule"): worker
 * processes on the real Redis, each started with its clock shifted (test/helpers/shifted-clock.ts)
 * so that hours and days pass between two starts without waiting for them.
 */

const N = 5;
// Mondays 09:00 in Berlin (+01:00 in November): 08:00 UTC.
const O1 = Date.parse('2026-11-23T08:00:00Z');
const O2 = Date.parse('2026-11-30T08:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;

let p: Pipeline;
let sink: SmtpSink;
const workers = workerGroup();
/** A worker process on the pipeline whose clock reads `at` now. */
const workerAt = (at: number) => workers.at(p.env, at);

/** The weekly slot of `date` in DIGEST_TZ (Berlin, no subscriber in another zone): 08:00 UTC. */
async function jobData(date: string) {
  const at = Date.parse(`${date}T08:00:00Z`);
  const job = await p.services.queues.build.getJob(jobIds.slot('weekly', date, at));
  return job && { data: job.data, state: await job.getState() };
}

beforeAll(async () => {
  sink = await startSmtpSink();
  p = await startPipeline('sched-restart', {
    SMTP_URL: sink.url,
    DIGEST_CRON: '0 9 * * 1',
    DIGEST_TZ: 'Europe/Berlin',
  });
  for (const [title, date] of [
    ['In the first window', '2026-11-18T10:00:00Z'],
    ['In the second window', '2026-11-25T10:00:00Z'],
  ] as const) {
    await p.services.posts.addManual(
      { title, url: `https://blog.example.com/${date.slice(0, 10)}`, date: new Date(date) },
      new Date(date),
    );
  }
  await p.services.subscribers.addMany(
    Array.from({ length: N }, (_, i) => ({
      email: `r${i}@example.org`,
      status: 'confirmed' as const,
    })),
  );
});

afterAll(async () => {
  await workers.killAll();
  await p.stop();
  await sink.close();
});

describe('a scheduler killed across an occurrence', () => {
  it('sends the missed digest when it comes back, once, and keeps the chain going', async () => {
    // 30 minutes before Monday's send: the start enqueues its job. Then every process dies.
    const before = await workerAt(O1 - 30 * MIN);
    expect(await jobData('2026-11-23')).toEqual({
      data: {
        frequency: 'weekly',
        date: '2026-11-23',
        trigger: 'schedule',
        scheduledAt: '2026-11-23T08:00:00.000Z',
      },
      state: 'delayed',
    });
    await before.kill();

    // Three hours after the send time, a worker starts again: the digest goes out, late.
    const after = await workerAt(O1 + 3 * HOUR);
    const sent = await waitFor(
      async () => {
        const d = await p.services.digestService.summary('2026-11-23');
        return d?.status === 'sent' ? d : undefined;
      },
      180_000,
      'the missed digest to be sent',
    );
    expect(sent.counters).toMatchObject({ recipients: N, sent: N, failed: 0 });
    expect(sent.sendAt).toBe(new Date(O1).toISOString());
    expect(sink.recipients().sort()).toEqual(
      Array.from({ length: N }, (_, i) => `r${i}@example.org`).sort(),
    );
    // The fire enqueued the next Monday's job.
    await waitFor(async () => (await jobData('2026-11-30'))?.state === 'delayed', 60_000, 'next');
    expect((await jobData('2026-11-30'))!.data).toEqual({
      frequency: 'weekly',
      date: '2026-11-30',
      trigger: 'schedule',
      scheduledAt: new Date(O2).toISOString(),
    });
    await after.kill();

    // Down across the next Monday too, for 30 hours: that job runs when a worker is back (the
    // build path decides what a build more than 24 hours late does) and the chain moves on.
    const late = await workerAt(O2 + 30 * HOUR);
    await waitFor(
      async () => (await jobData('2026-12-07'))?.state === 'delayed',
      180_000,
      'the job after the late one',
    );
    const ran = await waitFor(async () => {
      const j = await jobData('2026-11-30');
      return j && ['completed', 'failed'].includes(j.state) ? j : undefined;
    }, 180_000);
    expect(ran.data).toMatchObject({
      trigger: 'schedule',
      scheduledAt: new Date(O2).toISOString(),
    });
    await late.kill();
    // Restarts and the watchdog never sent the first digest a second time.
    const firstWindow = sink.messages.filter((m) => m.raw.includes('In the first window'));
    expect(firstWindow).toHaveLength(N);
  }, 600_000);
});
