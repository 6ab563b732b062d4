import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digests/build-digest.js';
import type { Edition } from '../../src/digests/edition.js';
import { fanOutSlot, type FanOutDeps } from '../../src/digests/fan-out.js';
import { zonePlan } from '../../src/digests/slots.js';
import { createLogger } from '../../src/log.js';
import type { SendJob } from '../../src/queues.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

const DATE = '2026-11-30';
/** The edition DATE names: the default frequency's (weekly). */
const EDITION = `weekly/${DATE}`;
const edition = (date: string): Edition => ({ frequency: 'weekly', date });
const log = createLogger('silent');
let p: Pipeline;

/** Builds the digest of `date` (the build alone: fan-out is per slot). */
/** "Post 3", published at `publishedAt`, stored now: after the editions built before it. */
async function addPost3(publishedAt: string) {
  await p.services.posts.addManual(
    { title: 'Post 3', url: 'https://blog.example.com/3', date: new Date(publishedAt) },
    new Date(),
  );
}

async function build(date: string) {
  await buildDigest(
    {
      digests: p.services.digests,
      posts: p.services.posts,
      variants: p.services.variants,
      schedules: p.services.config.digest,
      maxPosts: 20,
      log,
    },
    date,
  );
}

beforeAll(async () => {
  p = await startPipeline('fanout');
  for (const [n, date] of [
    [1, '2026-11-25T10:00:00Z'],
    [2, '2026-12-02T10:00:00Z'],
  ] as const) {
    await p.services.posts.addManual(
      { title: `Post ${n}`, url: `https://blog.example.com/${n}`, date: new Date(date) },
      new Date(),
    );
  }
  // 4 500 confirmed subscribers, half without a zone and half in Berlin, with a few others in
  // between: the slot pages through two groups over 2 000 at a time.
  const inputs = Array.from({ length: 5_000 }, (_, i) => ({
    email: `r${i}@example.net`,
    status: i % 10 === 9 ? ('pending' as const) : ('confirmed' as const),
    ...(i % 2 === 0 ? { tz: 'Europe/Berlin' } : {}),
  }));
  await p.services.subscribers.addMany(inputs);
});

afterAll(() => p.stop());

function deps(addBulk: FanOutDeps['sendQueue']['addBulk'], extra: Partial<FanOutDeps> = {}) {
  return {
    redis: p.services.redis,
    keys: p.services.keys,
    digests: p.services.digests,
    groups: p.services.groups,
    subscribers: p.services.subscribers,
    zones: p.services.zones,
    sendQueue: { addBulk },
    batchSize: 100,
    log,
    ...extra,
  } satisfies FanOutDeps;
}

/** One slot with both zones (DIGEST_LOCAL_TIME=false puts every zone at DIGEST_TZ's instant). */
async function slotOf(date: string) {
  const schedule = {
    ...p.config.digest,
    localTime: false,
  };
  const plan = zonePlan(schedule, (await p.services.groups.counts()).keys());
  return {
    slot: { edition: edition(date), at: new Date(`${date}T09:00:00Z`), zones: ['UTC'] },
    plan,
  };
}

describe('fan-out of a slot', () => {
  it('resumes an interrupted fan-out with no gap and no duplicate, and stops at the bound', async () => {
    await build(DATE);
    const enqueued: SendJob[] = [];
    const jobIds = new Set<string>();
    let calls = 0;
    const flaky: FanOutDeps['sendQueue']['addBulk'] = async (jobs) => {
      calls++;
      // The crash: the second page is enqueued, but the process dies before the cursor moves.
      for (const j of jobs) {
        if (!jobIds.has(j.opts!.jobId!)) enqueued.push(j.data);
        jobIds.add(j.opts!.jobId!);
      }
      if (calls === 2) throw new Error('killed mid fan-out');
      return [];
    };
    const { slot, plan } = await slotOf(DATE);
    await expect(fanOutSlot(deps(flaky), slot, plan)).rejects.toThrow('killed mid fan-out');
    const mid = await p.services.digests.getSummary(EDITION);
    expect(mid!.counters.recipients).toBe(2_000); // only the first page counted

    // Subscribers who arrive now wait for the next digest (the bound was fixed at the start).
    await p.services.subscribers.add({ email: 'late@example.net', status: 'confirmed' });

    const result = await fanOutSlot(deps(flaky), slot, plan);
    expect(result).toEqual({ recipients: 4_500, done: true });

    const ids = enqueued.flatMap((j) => j.ids);
    const confirmed = await p.services.subscribers.pageIds('confirmed', 0, 10_000);
    const late = (await p.services.subscribers.getByEmail('late@example.net'))!.id;
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(confirmed.filter((id) => id !== late));
    const s = await p.services.digests.getSummary(EDITION);
    expect(s!.counters.recipients).toBe(4_500);
    // Each job names the edition and the zone its group sends to.
    expect(new Set(enqueued.map((j) => `${j.edition} ${j.zone}`))).toEqual(
      new Set(['weekly/2026-11-30 UTC']),
    );

    // A third run (a scheduler retry, an admin click) enqueues nothing more.
    const before = enqueued.length;
    calls = 10;
    await fanOutSlot(deps(flaky), slot, plan);
    expect(enqueued.length).toBe(before);
    expect(enqueued.every((j) => j.ids.length <= 100)).toBe(true);
  });

  it('counts each recipient once when two runs of one slot go at the same time', async () => {
    // A stall taken for a death: the old run goes on while the retry starts.
    const date = '2026-12-07';
    // A post that arrives after the edition of 11-30 was built: the next one's to carry.
    await addPost3('2026-12-02T11:00:00Z');
    await build(date);
    const jobIds = new Set<string>();
    const slow: FanOutDeps['sendQueue']['addBulk'] = async (jobs) => {
      for (const j of jobs) jobIds.add(j.opts!.jobId!);
      await new Promise((r) => setTimeout(r, 5));
      return [];
    };
    const { slot, plan } = await slotOf(date);
    await Promise.all([fanOutSlot(deps(slow), slot, plan), fanOutSlot(deps(slow), slot, plan)]);
    const s = await p.services.digests.getSummary(`weekly/${date}`);
    const confirmed = await p.services.subscribers.pageIds('confirmed', 0, 10_000);
    expect(s!.counters.recipients).toBe(confirmed.length);
    // Per group, ceil(members / 100) batches: never one twice.
    const counts = [...(await p.services.groups.counts()).values()];
    expect(jobIds.size).toBe(counts.reduce((n, c) => n + Math.ceil(c / 100), 0));
  });

  it('reads one page at a time: memory holds a page, never the list', async () => {
    const date = '2026-12-14';
    await addPost3('2026-12-09T10:00:00Z');
    await build(date);
    const reads: number[] = [];
    const groups = {
      page: async (name: string, after: number, limit: number, bound: number) => {
        const ids = await p.services.groups.page(name, after, limit, bound);
        reads.push(ids.length);
        return ids;
      },
    };
    let jobs = 0;
    let largestAdd = 0;
    const count: FanOutDeps['sendQueue']['addBulk'] = async (js) => {
      jobs += js.length;
      largestAdd = Math.max(
        largestAdd,
        js.reduce((n, j) => n + j.data.ids.length, 0),
      );
      return [];
    };
    const { slot, plan } = await slotOf(date);
    const out = await fanOutSlot(deps(count, { groups, pageSize: 300 }), slot, plan);
    const confirmed = (await p.services.subscribers.counts()).confirmed;
    expect(out.recipients).toBe(confirmed);
    expect(Math.max(...reads)).toBe(300);
    expect(largestAdd).toBeLessThanOrEqual(300);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(confirmed);
    expect(reads.length).toBeGreaterThanOrEqual(Math.ceil(confirmed / 300));
    expect(jobs).toBeGreaterThanOrEqual(Math.ceil(confirmed / 100));
  });
});
