import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createScheduler, SCHEDULED } from '../../src/digests/schedules.js';
import { jobIds, LEGACY_SCHEDULERS, SCHEDULER } from '../../src/queues.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline('schedules');
});
afterAll(() => p.stop());

/** A clock the test moves by hand. */
let clock = new Date('2026-03-02T12:00:00Z');
const weekly = { cron: '0 9 * * 1', tz: 'UTC' };

/** The site's schedule with only DIGEST_CRON and DIGEST_TZ set (weekly, local time on). */
function zoneSchedule(digest: { cron: string; tz: string }, localTime = true) {
  return {
    frequencies: ['weekly'] as const,
    defaultFrequency: 'weekly' as const,
    crons: { daily: '0 9 * * *', weekly: digest.cron, monthly: '0 9 1 * *' },
    tz: digest.tz,
    localTime,
  };
}

function scheduler(digest = weekly, ingest = { cron: '0 * * * *', tz: 'UTC' }, localTime = true) {
  return createScheduler({
    redis: p.ctx.redis,
    keys: p.ctx.keys,
    queues: p.services.queues,
    schedule: zoneSchedule(digest, localTime),
    ingest,
    groups: p.services.groups,
    log: createLogger('silent'),
    now: () => clock,
  });
}

/** The weekly slot of `date` at `at`: its job id. */
const slot = (date: string, at: string) => jobIds.slot('weekly', date, Date.parse(at));
const payload = (date: string, at: string) => ({
  frequency: 'weekly',
  date,
  trigger: 'schedule',
  scheduledAt: new Date(at).toISOString(),
});

async function scheduledJobs() {
  const jobs = await p.services.queues.build.getJobs(['delayed', 'waiting'], 0, 1000);
  return jobs
    .filter((j) => j.name === SCHEDULED.build)
    .map((j) => ({ id: j.id, data: j.data }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

beforeEach(async () => {
  await p.services.queues.build.obliterate({ force: true });
  await p.services.queues.ingest.obliterate({ force: true });
  await p.ctx.redis.hdel(p.ctx.keys.state, 'scheduleCursor');
  clock = new Date('2026-03-02T12:00:00Z'); // a Monday, after its 09:00
});

describe('the digest schedule', () => {
  it('replaces the old cron schedulers with one job per occurrence, however often it starts', async () => {
    // What an earlier version left: BullMQ cron schedulers and their pending jobs.
    await p.services.queues.build.upsertJobScheduler(
      LEGACY_SCHEDULERS.digest,
      { pattern: '0 9 * * 1', tz: 'UTC' },
      { name: 'scheduled-build', data: {} },
    );
    await p.services.queues.ingest.upsertJobScheduler(
      LEGACY_SCHEDULERS.ingest,
      { pattern: '0 * * * *', tz: 'UTC' },
      { name: 'scheduled-ingest', data: {} },
    );
    await Promise.all([1, 2, 3].map(() => scheduler().start()));

    const schedulers = await p.services.queues.build.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toEqual([SCHEDULER.watchdog]);
    expect(await p.services.queues.ingest.getJobSchedulers()).toEqual([]);
    expect(await scheduledJobs()).toEqual([
      {
        id: slot('2026-03-09', '2026-03-09T09:00:00Z'),
        data: payload('2026-03-09', '2026-03-09T09:00:00Z'),
      },
    ]);
    const delayed = await p.services.queues.build.getJobs(['delayed']);
    expect(delayed.filter((j) => !j.id?.startsWith('repeat:')).map((j) => j.id)).toEqual([
      slot('2026-03-09', '2026-03-09T09:00:00Z'),
    ]);
    const ingest = await p.services.queues.ingest.getJobs(['delayed']);
    expect(ingest.map((j) => j.id)).toEqual([jobIds.ingest(Date.parse('2026-03-02T13:00:00Z'))]);
  });

  it('enqueues the next occurrence when one fires, even a little early', async () => {
    const s = scheduler();
    await s.start();
    clock = new Date('2026-03-09T08:59:59.900Z'); // this worker's clock is 100 ms behind
    await s.fired('2026-03-09T09:00:00.000Z');
    expect((await scheduledJobs()).map((j) => j.id)).toEqual([
      slot('2026-03-09', '2026-03-09T09:00:00Z'),
      slot('2026-03-16', '2026-03-16T09:00:00Z'),
    ]);
  });

  it('the watchdog puts back a missing or wrong next job and says so', async () => {
    const s = scheduler();
    await s.start();
    const job = await p.services.queues.build.getJob(slot('2026-03-09', '2026-03-09T09:00:00Z'));
    await job!.remove();
    let report = await s.check();
    expect(report.repairs).toEqual([
      expect.stringMatching(/no job for the next slot weekly\/2026-03-09@2026-03-09T09:00/),
    ]);
    expect((await scheduledJobs()).map((j) => j.data.scheduledAt)).toEqual([
      '2026-03-09T09:00:00.000Z',
    ]);

    // DIGEST_CRON changed to 07:30 on Mondays: the same date, another time.
    const changed = scheduler({ cron: '30 7 * * 1', tz: 'UTC' });
    report = await changed.check();
    expect(report.repairs).toEqual([
      expect.stringMatching(/no job for the next slot weekly\/2026-03-09@2026-03-09T07:30/),
      expect.stringMatching(/2026-03-09T09:00:00.000Z\) is not in the schedule: removed/),
    ]);
    expect((await scheduledJobs()).map((j) => j.data.scheduledAt)).toEqual([
      '2026-03-09T07:30:00.000Z',
    ]);

    // Then to Fridays in Paris: the Monday job goes, the Friday one comes.
    const friday = scheduler({ cron: '0 9 * * 5', tz: 'Europe/Paris' });
    report = await friday.check();
    expect(report.repairs).toEqual([
      expect.stringMatching(/no job for the next slot weekly\/2026-03-06/),
      expect.stringMatching(/slot-weekly-2026-03-09-\d+ .* removed/),
    ]);
    expect(await scheduledJobs()).toEqual([
      {
        id: slot('2026-03-06', '2026-03-06T08:00:00Z'),
        data: payload('2026-03-06', '2026-03-06T08:00:00Z'),
      },
    ]);
    expect((await friday.check()).repairs).toEqual([]);
  });

  it('catches up the occurrences missed while no process ran, each as a late scheduled build', async () => {
    const s = scheduler();
    await s.start();
    // Every process is down from now; its delayed job is lost too (the worst case).
    await (await p.services.queues.build.getJob(
      slot('2026-03-09', '2026-03-09T09:00:00Z'),
    ))!.remove();
    clock = new Date('2026-03-17T10:00:00Z'); // two Mondays later, one of them 25 hours ago
    const report = await s.check();
    expect(report.missed.map((o) => o.date)).toEqual(['2026-03-09', '2026-03-16']);
    expect(report.next.map((o) => o.date)).toEqual(['2026-03-23']);
    const jobs = await scheduledJobs();
    expect(jobs.map((j) => j.data)).toEqual([
      payload('2026-03-09', '2026-03-09T09:00:00Z'),
      payload('2026-03-16', '2026-03-16T09:00:00Z'),
      payload('2026-03-23', '2026-03-23T09:00:00Z'),
    ]);
    // The missed ones are due now (waiting), the next one later (delayed).
    const waiting = await p.services.queues.build.getWaiting();
    expect(
      waiting
        .filter((j) => j.name === SCHEDULED.build)
        .map((j) => j.id)
        .sort(),
    ).toEqual([
      slot('2026-03-09', '2026-03-09T09:00:00Z'),
      slot('2026-03-16', '2026-03-16T09:00:00Z'),
    ]);
    // A second watchdog run finds nothing more to do.
    expect(await s.check()).toMatchObject({ missed: [], repairs: [] });
  });

  it('does not enqueue occurrences from months back one by one, and says so', async () => {
    const s = scheduler();
    await s.start();
    clock = new Date('2026-12-01T00:00:00Z');
    const report = await s.check();
    // 92 days back at most: the 14 Mondays from 2026-08-31 to 2026-11-30.
    expect(report.missed.map((o) => o.date)).toHaveLength(14);
    expect(report.missed[0]!.date).toBe('2026-08-31');
    expect(report.repairs[0]).toMatch(/too old to catch up/);
  });

  it('keeps a next job across the DST days that stopped the cron library', async () => {
    const cases = [
      {
        cron: '0 2 * * 0',
        tz: 'Australia/Lord_Howe',
        from: '2026-09-26T00:00:00Z',
        next: '2026-09-27',
      },
      {
        cron: '0 2 * * 0',
        tz: 'Australia/Lord_Howe',
        from: '2026-10-03T00:00:00Z',
        next: '2026-10-04',
      },
      {
        cron: '0 8 1 * *',
        tz: 'Australia/Lord_Howe',
        from: '2026-04-04T00:00:00Z',
        next: '2026-05-01',
      },
      {
        cron: '0 0 * * 0',
        tz: 'America/Santiago',
        from: '2026-09-05T12:00:00Z',
        next: '2026-09-06',
      },
      {
        cron: '0 2 * * 0',
        tz: 'America/New_York',
        from: '2026-03-07T12:00:00Z',
        next: '2026-03-08',
      },
    ];
    for (const c of cases) {
      await p.services.queues.build.obliterate({ force: true });
      await p.ctx.redis.hdel(p.ctx.keys.state, 'scheduleCursor');
      clock = new Date(c.from);
      const report = await scheduler({ cron: c.cron, tz: c.tz }).start();
      expect(
        report.next.map((o) => o.date),
        `${c.cron} ${c.tz}`,
      ).toEqual([c.next]);
      expect((await scheduledJobs()).map((j) => j.data.date)).toEqual([c.next]);
    }
  });

  it('keeps the ingest chain: the next firing is enqueued when one fires', async () => {
    const s = scheduler(weekly, { cron: '0 * * * *', tz: 'Australia/Lord_Howe' });
    // Lord Howe's spring change: 02:00 becomes 02:30 (2026-10-04, local), so "0 2" does not exist.
    clock = new Date('2026-10-03T14:30:00Z'); // 01:00 local, +10:30
    await s.start();
    const ids = async () => (await p.services.queues.ingest.getJobs(['delayed'])).map((j) => j.id);
    expect(await ids()).toEqual([jobIds.ingest(Date.parse('2026-10-03T15:30:00Z'))]); // 02:00 read at +10:30 = 02:30 +11
    clock = new Date('2026-10-03T15:30:00Z');
    await p.services.queues.ingest.obliterate({ force: true });
    await s.ingestFired(Date.parse('2026-10-03T15:30:00Z'));
    expect(await ids()).toEqual([jobIds.ingest(Date.parse('2026-10-03T16:00:00Z'))]); // 03:00 +11
  });

  // Last: it adds subscribers, whose zones every later scheduler would read.
  it('reads the cron in each zone in use, one slot per send instant; without local time, one', async () => {
    for (const [email, tz] of <[string, string][]>[
      ['tokyo@example.org', 'Asia/Tokyo'],
      ['berlin@example.org', 'Europe/Berlin'],
      ['paris@example.org', 'Europe/Paris'],
      ['la@example.org', 'America/Los_Angeles'],
      ['pending@example.org', 'Pacific/Kiritimati'], // not confirmed: no zone of its own
    ]) {
      const status = email.startsWith('pending') ? 'pending' : 'confirmed';
      await p.services.subscribers.add({ email, tz, status });
    }
    const s = scheduler();
    const first = await s.start();
    // It is 12:00 UTC on Monday 2 March: Los Angeles' 09:00 (PST, 17:00 UTC) is still ahead.
    expect(first.next).toEqual([
      {
        frequency: 'weekly',
        date: '2026-03-02',
        at: new Date('2026-03-02T17:00:00Z'),
        zones: ['America/Los_Angeles'],
      },
    ]);
    const fire = async (at: string) => {
      clock = new Date(at);
      await s.fired(new Date(at).toISOString());
      return (await s.check()).next;
    };
    // Then Monday 9 March 09:00 in Tokyo, 00:00 UTC: the first of that Monday's four instants.
    expect(await fire('2026-03-02T17:00:00Z')).toMatchObject([
      { date: '2026-03-09', at: new Date('2026-03-09T00:00:00Z'), zones: ['Asia/Tokyo'] },
    ]);
    expect(await fire('2026-03-09T00:00:00Z')).toMatchObject([
      {
        date: '2026-03-09',
        at: new Date('2026-03-09T08:00:00Z'),
        zones: ['Europe/Berlin', 'Europe/Paris'],
      },
    ]);
    expect(await fire('2026-03-09T08:00:00Z')).toMatchObject([
      { date: '2026-03-09', at: new Date('2026-03-09T09:00:00Z'), zones: ['UTC'] },
    ]);
    // Los Angeles is on daylight time from 8 March: 09:00 PDT is 16:00 UTC.
    expect(await fire('2026-03-09T09:00:00Z')).toMatchObject([
      { date: '2026-03-09', at: new Date('2026-03-09T16:00:00Z'), zones: ['America/Los_Angeles'] },
    ]);
    expect(await fire('2026-03-09T16:00:00Z')).toMatchObject([
      { date: '2026-03-16', at: new Date('2026-03-16T00:00:00Z'), zones: ['Asia/Tokyo'] },
    ]);
    expect((await scheduledJobs()).map((j) => j.data.scheduledAt)).toEqual([
      '2026-03-02T17:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
      '2026-03-09T08:00:00.000Z',
      '2026-03-09T09:00:00.000Z',
      '2026-03-09T16:00:00.000Z',
      '2026-03-16T00:00:00.000Z',
    ]);

    // DIGEST_LOCAL_TIME=false: everyone at DIGEST_TZ; the Tokyo job is not in that schedule.
    const single = scheduler(weekly, undefined, false);
    const report = await single.check();
    expect(report.next).toEqual([
      {
        frequency: 'weekly',
        date: '2026-03-16',
        at: new Date('2026-03-16T09:00:00Z'),
        zones: ['UTC'],
      },
    ]);
    expect(report.repairs).toEqual([
      expect.stringMatching(/no job for the next slot weekly\/2026-03-16@2026-03-16T09:00/),
      expect.stringMatching(/2026-03-16T00:00:00.000Z\) is not in the schedule: removed/),
    ]);
  });
});
