import { describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queues.js';
import {
  addReaders,
  DATE,
  digestWhen,
  EDITION,
  settled,
  statusIn,
  testPipeline,
  testSink,
  waitFor,
  type Pipeline,
} from '../helpers/pipeline.js';

async function addPost(p: Pipeline, n: number) {
  return p.services.posts.addManual(
    {
      title: `Post ${n}`,
      url: `https://blog.example.com/${n}`,
      date: new Date(Date.UTC(2026, 10, 24, n)),
    },
    new Date(),
  );
}

/** Waits for a build job to finish and returns its result. */
async function jobResult(p: Pipeline, id: string) {
  return waitFor(async () => {
    const job = await p.services.queues.build.getJob(id);
    return job && (await job.getState()) === 'completed' ? (job.returnvalue as object) : undefined;
  });
}

describe('a date is never burnt', () => {
  it('refuses a manual send with no posts and stores nothing', async () => {
    const pipeline = await testPipeline('burnt-manual');
    await addReaders(pipeline, 2);
    await expect(pipeline.services.digestService.trigger(DATE)).rejects.toMatchObject({
      code: 'DIGEST_EMPTY',
      message: expect.stringContaining('nothing to send'),
    });
    expect(await pipeline.services.digests.getSummary(EDITION)).toBeUndefined();
    expect(await pipeline.services.queues.build.count()).toBe(0);
  });

  it('records a scheduled occurrence with no posts as skipped; a later manual send builds it', async () => {
    const pipeline = await testPipeline('burnt-scheduled');
    await addReaders(pipeline, 3);
    await pipeline.startWorkers();
    await pipeline.services.queues.build.add(
      'build',
      { date: DATE, trigger: 'schedule', scheduledAt: new Date().toISOString() },
      { jobId: jobIds.build(DATE) },
    );
    expect(await jobResult(pipeline, jobIds.build(DATE))).toMatchObject({ status: 'skipped' });
    const skipped = (await pipeline.services.digestService.summary(DATE))!;
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'no posts', posts: 0 });
    expect((await pipeline.services.digestService.list()).map((d) => d.status)).toEqual([
      'skipped',
    ]);

    // A post arrives (published in the window): the skipped date is still free.
    const post = await addPost(pipeline, 1);
    const { created } = await pipeline.services.digestService.trigger(DATE);
    expect(created).toBe(true);
    const s = await digestWhen(pipeline, statusIn('sent'));
    expect(s).toMatchObject({ posts: 1, counters: { sent: 3 } });
    expect(s.reason).toBeUndefined();
    // The post went out in this edition: its range covers it and every reader's cursor moved
    // past it, so no later edition carries it to them again.
    const built = (await pipeline.services.digests.getSummary(EDITION))!;
    const seq = (await pipeline.services.posts.get(post.id))!.seq!;
    expect(built.seqTo).toBeGreaterThanOrEqual(seq);
    const readers = await pipeline.services.subscribers.pageIds('confirmed', 0, 10);
    const infos = await pipeline.services.subscribers.sendInfo(readers);
    expect(infos.map((i) => i!.cursor)).toEqual(readers.map(() => built.seqTo));
  });

  it('skips an occurrence missed by more than 24 hours, and catches up a later one', async () => {
    // A cron that fired 23 hours ago (to the minute), every day: its slot of 23 hours ago is
    // still caught up; its slot of DATE, days back, is not.
    const recentAt = new Date(Math.floor((Date.now() - 23 * 3_600_000) / 60_000) * 60_000);
    const [h, m] = [recentAt.getUTCHours(), recentAt.getUTCMinutes()];
    const pipeline = await testPipeline('burnt-missed', { DIGEST_CRON: `${m} ${h} * * *` });
    await addPost(pipeline, 2);
    await addReaders(pipeline, 1);
    await pipeline.startWorkers();
    const late = new Date(`${DATE}T00:00:00Z`);
    late.setUTCHours(h, m);
    await pipeline.services.queues.build.add(
      'build',
      { date: DATE, trigger: 'schedule', scheduledAt: late.toISOString() },
      { jobId: 'missed' },
    );
    await jobResult(pipeline, 'missed');
    expect(await pipeline.services.digestService.summary(DATE)).toMatchObject({
      status: 'skipped',
      reason: 'missed: every process was down',
    });
    expect(await pipeline.services.ledger.size(EDITION)).toBe(0);

    const recent = recentAt.toISOString().slice(0, 10);
    await pipeline.services.queues.build.add(
      'build',
      { date: recent, trigger: 'schedule', scheduledAt: recentAt.toISOString() },
      { jobId: 'recent' },
    );
    await pipeline.services.posts.addManual(
      {
        title: 'Next week',
        url: 'https://blog.example.com/n',
        date: new Date(recentAt.getTime() - 3_600_000),
      },
      new Date(),
    );
    await jobResult(pipeline, 'recent');
    expect((await settled(pipeline, recent)).status).toBe('sent');
  });

  it('refuses a date more than 7 days back unless forced, in words', async () => {
    const pipeline = await testPipeline(
      'burnt-past',
      {},
      { now: () => new Date('2026-11-30T12:00:00Z') },
    );
    await pipeline.services.posts.addManual(
      { title: 'Old', url: 'https://blog.example.com/old', date: new Date('2026-11-05T12:00:00Z') },
      // Stored the day after it was published (a fresh post; an old backlog never goes out).
      new Date('2026-11-06T12:00:00Z'),
    );
    const service = pipeline.services.digestService;
    await expect(service.trigger('2026-11-09')).rejects.toMatchObject({
      code: 'DIGEST_DATE_PAST',
      message: expect.stringContaining('(Monday 9 November 2026) is 3 weeks ago'),
    });
    expect(service.pastDate('2026-11-09')).toEqual({
      ago: '3 weeks ago',
      words: 'Monday 9 November 2026',
    });
    expect(service.pastDate('2026-11-23')).toBeUndefined(); // 7 days: no question
    expect(await pipeline.services.queues.build.count()).toBe(0);
    const forced = await service.trigger('2026-11-09', { force: true });
    expect(forced.created).toBe(true);
    const job = await pipeline.services.queues.build.getJob(forced.jobId!);
    expect(job?.data).toEqual({
      frequency: 'weekly',
      date: '2026-11-09',
      trigger: 'manual',
      force: true,
    });
  });
});

describe('failures', () => {
  it('shows the first error at once, ends failed with 0 sent, and --retry-failed recovers it', async () => {
    let storm = true;
    const sink = await testSink({
      reply: () => (storm ? { code: 451, message: '4.3.0 try again later' } : undefined),
    });
    const pipeline = await testPipeline('burnt-failed', {
      SMTP_URL: sink.url,
      SEND_ATTEMPTS: '3',
      SEND_RETRY_DELAY_MS: '1000',
    });
    await addPost(pipeline, 3);
    await addReaders(pipeline, 4);
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    // The first 451 is recorded while the jobs still have attempts left.
    const during = await digestWhen(pipeline, (d) => Boolean(d.errors.transient));
    expect(during.status).toBe('sending');
    expect(during.errors.transient).toMatchObject({
      code: 451,
      message: expect.stringContaining('4.3.0'),
    });

    const failed = await settled(pipeline);
    expect(failed.status).toBe('failed');
    expect(failed.counters).toMatchObject({ sent: 0, failed: 4 });
    expect(failed.failures).toEqual([{ cause: 'temporary', code: 451, count: 4 }]);

    storm = false;
    const r = await pipeline.services.digestService.retryFailed(DATE);
    expect(r.temporary).toBe(4);
    await jobResult(pipeline, r.jobId!);
    const s = await settled(pipeline);
    expect(s.status).toBe('sent');
    expect(s.counters).toMatchObject({ sent: 4, failed: 0, pending: 0 });
    expect(s.failures).toEqual([]);
    expect(sink.recipients().sort()).toEqual([0, 1, 2, 3].map((i) => `reader${i}@example.org`));
  });

  it('after a failure storm, two retries at once reach everyone exactly once, the bounced excluded', async () => {
    let storm = true;
    const sink = await testSink({
      reply: (rcpt) => {
        if (rcpt === 'reader3@example.org') return { code: 550, message: '5.1.1 no such mailbox' };
        if (rcpt === 'reader4@example.org') return { code: 554, message: '5.7.1 refused' };
        if (storm && !/reader[012]@/.test(rcpt)) return { code: 451, message: '4.3.0 busy' };
        return undefined;
      },
    });
    const pipeline = await testPipeline('burnt-storm', {
      SMTP_URL: sink.url,
      SEND_ATTEMPTS: '2',
      SEND_BATCH_SIZE: '3',
    });
    await addPost(pipeline, 4);
    const ids = await addReaders(pipeline, 14);
    await pipeline.startWorkers();
    await pipeline.services.digestService.trigger(DATE);
    const first = await settled(pipeline);
    expect(first.status).toBe('sent_with_failures');
    expect(first.counters).toMatchObject({ recipients: 14, sent: 3, failed: 11 });
    expect(first.failures).toEqual([
      { cause: 'temporary', code: 451, count: 9 },
      { cause: 'bounce', code: 550, count: 1 },
      { cause: 'permanent', code: 554, count: 1 },
    ]);
    expect(sink.recipients()).toHaveLength(3);

    storm = false;
    // Not confirmed any more: never sent again.
    await pipeline.services.subscribers.setStatus(ids[5]!, 'unsubscribed');
    const [a, b] = await Promise.all([
      pipeline.services.digestService.retryFailed(DATE),
      pipeline.services.digestService.retryFailed(DATE),
    ]);
    expect(a.temporary).toBe(9);
    await Promise.all([jobResult(pipeline, a.jobId!), jobResult(pipeline, b.jobId!)]);
    const s = await settled(pipeline);
    expect(s.status).toBe('sent_with_failures');
    expect(s.counters).toMatchObject({ sent: 11, failed: 2, skipped: 1, pending: 0 });

    const got = sink.recipients().sort();
    const expected = [0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13].map((i) => `reader${i}@example.org`);
    expect(got).toEqual(expected.sort());
    expect(got).not.toContain('reader3@example.org');
    expect(got).not.toContain('reader5@example.org');
    expect(await pipeline.services.ledger.state(EDITION, ids[3]!)).toMatch(/^f:550:\d+:b$/);

    // Nothing temporary left: a third retry queues nothing.
    expect((await pipeline.services.digestService.retryFailed(DATE)).temporary).toBe(0);
  });
});
