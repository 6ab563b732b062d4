import { describe, expect, it } from 'vitest';
import { runBuildJob } from '../../src/digests/build-job.js';
import type { EditionWindow } from '../../src/digests/edition-window.js';
import { BuildJob, buildJobFrequency, SendJob } from '../../src/queues.js';
import { preflightFailingBuildDeps } from '../helpers/build-job-deps.js';

describe('jobs queued by an earlier version', () => {
  it('reads a bare-date send job as the weekly edition of that date', () => {
    expect(SendJob.parse({ date: '2026-12-07', ids: [3, 4] })).toEqual({
      edition: 'weekly/2026-12-07',
      ids: [3, 4],
    });
    // Today's shape is read as it is.
    const current = { edition: 'daily/2026-12-07', ids: [5], zone: 'Asia/Tokyo' };
    expect(SendJob.parse(current)).toEqual(current);
    // Still refused: a date that is no date, no recipients, an address in the payload.
    expect(SendJob.safeParse({ date: '2026-02-30', ids: [1] }).success).toBe(false);
    expect(SendJob.safeParse({ date: '2026-12-07', ids: [] }).success).toBe(false);
    expect(SendJob.safeParse({ date: '2026-12-07', emails: ['a@example.org'] }).success).toBe(
      false,
    );
  });

  it('reads a build job without a frequency as the weekly edition, whatever the default', async () => {
    const legacy = BuildJob.parse({
      date: '2026-12-07',
      trigger: 'schedule',
      scheduledAt: '2026-12-07T09:00:00Z',
    });
    expect(buildJobFrequency(legacy)).toBe('weekly');
    expect(buildJobFrequency(BuildJob.parse({ frequency: 'daily', date: '2026-12-07' }))).toBe(
      'daily',
    );

    // The build job itself, on a site whose default is daily: it holds (SMTP down) the weekly
    // edition, the one the earlier version queued it for.
    const held: string[] = [];
    const calls: string[] = [];
    const deps = preflightFailingBuildDeps({
      digests: {
        getSummary: async () => undefined,
        previousBuilt: async () => undefined,
        markHeld: async (w: EditionWindow) => void held.push(w.id),
        holds: async () => held.length,
      },
      postAt: '2026-12-06T10:00:00Z',
      now: '2026-12-07T09:01:00Z',
      frequencies: ['daily', 'weekly'],
      defaultFrequency: 'daily',
      calls,
    });
    expect(await runBuildJob(deps, legacy, () => '2026-12-08')).toEqual({ retryInMs: 30_000 });
    expect(held).toEqual(['weekly/2026-12-07']);
    expect(calls).toEqual([]);
  });
});
