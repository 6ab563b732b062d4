import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDigest, type BuildDeps } from '../../src/digests/build-digest.js';
import { createLogger } from '../../src/log.js';
import type { SendJob } from '../../src/queues.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const DATE = '2026-11-30';
let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline('fanout');
  await p.services.posts.addManual(
    {
      title: 'One post',
      url: 'https://blog.example.com/one',
      date: new Date('2026-11-25T10:00:00Z'),
    },
    new Date(),
  );
  // 4 500 confirmed subscribers with a few others in between: fan-out pages over 2 000.
  const inputs = Array.from({ length: 5_000 }, (_, i) => ({
    email: `r${i}@example.net`,
    status: i % 10 === 9 ? ('pending' as const) : ('confirmed' as const),
  }));
  await p.services.subscribers.addMany(inputs);
});

afterAll(() => p.stop());

function deps(addBulk: BuildDeps['sendQueue']['addBulk']): BuildDeps {
  return {
    digests: p.services.digests,
    posts: p.services.posts,
    subscribers: p.services.subscribers,
    renderer: p.services.renderer,
    sendQueue: { addBulk },
    schedule: { cron: '0 9 * * 1', tz: 'UTC' },
    maxPosts: 20,
    batchSize: 100,
    log: createLogger('silent'),
  };
}

describe('fan-out', () => {
  it('resumes an interrupted fan-out with no gap and no duplicate, and stops at the bound', async () => {
    const enqueued: SendJob[] = [];
    const jobIds = new Set<string>();
    let calls = 0;
    const flaky: BuildDeps['sendQueue']['addBulk'] = async (jobs) => {
      calls++;
      // The crash: the second page is enqueued, but the process dies before the cursor moves.
      for (const j of jobs) {
        if (!jobIds.has(j.opts!.jobId!)) enqueued.push(j.data);
        jobIds.add(j.opts!.jobId!);
      }
      if (calls === 2) throw new Error('killed mid fan-out');
      return [];
    };
    await expect(buildDigest(deps(flaky), DATE)).rejects.toThrow('killed mid fan-out');
    const mid = await p.services.digests.getSummary(DATE);
    expect(mid!.counters.recipients).toBe(2_000); // only the first page counted

    // Subscribers who arrive now wait for the next digest (the bound was fixed at the start).
    await p.services.subscribers.add({ email: 'late@example.net', status: 'confirmed' });

    const result = await buildDigest(deps(flaky), DATE);
    expect(result.status).toBe('sending');

    const ids = enqueued.flatMap((j) => j.ids);
    const confirmed = await p.services.subscribers.pageIds('confirmed', 0, 10_000);
    const late = (await p.services.subscribers.getByEmail('late@example.net'))!.id;
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(confirmed.filter((id) => id !== late));
    const s = await p.services.digests.getSummary(DATE);
    expect(s!.counters.recipients).toBe(4_500);

    // A third run (a scheduler retry, an admin click) enqueues nothing more.
    const before = enqueued.length;
    calls = 10;
    await buildDigest(deps(flaky), DATE);
    expect(enqueued.length).toBe(before);
    expect(enqueued.every((j) => j.ids.length <= 100 && j.date === DATE)).toBe(true);
  });

  it('counts each recipient once when two builders of one digest run at the same time', async () => {
    // A stall taken for a death: the old builder goes on while the retry starts.
    const date = '2026-12-07';
    await p.services.posts.addManual(
      {
        title: 'Another post',
        url: 'https://blog.example.com/two',
        date: new Date('2026-12-02T10:00:00Z'),
      },
      new Date(),
    );
    const jobIds = new Set<string>();
    const slow: BuildDeps['sendQueue']['addBulk'] = async (jobs) => {
      for (const j of jobs) jobIds.add(j.opts!.jobId!);
      await new Promise((r) => setTimeout(r, 5));
      return [];
    };
    await Promise.all([buildDigest(deps(slow), date), buildDigest(deps(slow), date)]);
    const s = await p.services.digests.getSummary(date);
    const confirmed = await p.services.subscribers.pageIds('confirmed', 0, 10_000);
    expect(s!.counters.recipients).toBe(confirmed.length);
    expect(jobIds.size).toBe(Math.ceil(confirmed.length / 100));
  });
});
