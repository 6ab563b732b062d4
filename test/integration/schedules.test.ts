import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { scheduledDigestDate, upsertSchedules } from '../../src/digests/schedules.js';
import { SCHEDULER } from '../../src/queues.js';
import { startPipeline, type Pipeline } from '../helpers/pipeline.js';

let p: Pipeline;
beforeAll(async () => {
  p = await startPipeline('schedules');
});
afterAll(() => p.stop());

describe('schedules', () => {
  it('keeps one weekly-digest schedule however often workers start, and updates it in place', async () => {
    // Three "worker starts" (redeploys, several processes) with the same config.
    await Promise.all([1, 2, 3].map(() => upsertSchedules(p.services.queues, p.config)));
    let schedulers = await p.services.queues.build.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toEqual([SCHEDULER.digest]);
    expect(schedulers[0]).toMatchObject({ pattern: '0 9 * * 1', tz: 'UTC' });
    expect((await p.services.queues.ingest.getJobSchedulers()).map((s) => s.key)).toEqual([
      SCHEDULER.ingest,
    ]);
    // One pending run of the weekly digest, not three.
    expect(await p.services.queues.build.getDelayedCount()).toBe(1);

    const changed = loadConfig({ ...p.env, DIGEST_CRON: '30 7 * * 5', DIGEST_TZ: 'Europe/Paris' });
    await upsertSchedules(p.services.queues, changed);
    schedulers = await p.services.queues.build.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ pattern: '30 7 * * 5', tz: 'Europe/Paris' });
    expect(await p.services.queues.build.getDelayedCount()).toBe(1);
  });

  it('names the digest by the local date of the occurrence the scheduler fired for', () => {
    const schedule = { cron: '0 9 * * 1', tz: 'America/New_York' };
    // Monday 2026-11-30 09:00 in New York is 14:00 UTC; a run that starts 3 minutes late
    // still builds that Monday's digest.
    const fired = Date.parse('2026-11-30T14:00:00Z');
    expect(scheduledDigestDate({ prevMillis: fired, timestamp: fired + 180_000 }, schedule)).toBe(
      '2026-11-30',
    );
    // An early-morning schedule in a zone ahead of UTC: the local date, not the UTC one.
    const tokyo = { cron: '0 6 * * 1', tz: 'Asia/Tokyo' };
    const firedTokyo = Date.parse('2026-11-29T21:00:00Z'); // Monday 06:00 in Tokyo
    expect(scheduledDigestDate({ prevMillis: firedTokyo, timestamp: firedTokyo }, tokyo)).toBe(
      '2026-11-30',
    );
  });
});
