import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sendTimeInWords, type UpcomingSend } from '../../src/digests/schedule-listing.js';
import {
  bruteForceOccurrences,
  wallClock,
  type CronSpec,
} from '../helpers/brute-force-schedule.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;

/** `digest schedule …` as a user runs it, with only DIGEST_CRON and DIGEST_TZ set. */
function digestSchedule(cron: string, tz: string, args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'schedule', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        DIGEST_CRON: cron,
        DIGEST_TZ: tz,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'digest-schedule-')),
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
    },
  );
  return r;
}

/** Each cron with what it means, written apart from the cron text (see the brute force). */
const cases: { cron: string; spec: CronSpec; tz: string; after: string; count: number }[] = [
  {
    cron: '0 2 * * 0',
    spec: { times: [[2, 0]], days: (_y, _m, _d, wd) => wd === 0 },
    tz: 'Australia/Lord_Howe',
    after: '2026-09-15T00:00:00Z', // across the 30-minute change of 2026-10-04
    count: 5,
  },
  {
    cron: '0 0 * * *',
    spec: { times: [[0, 0]], days: () => true },
    tz: 'America/Santiago',
    after: '2026-09-03T12:00:00Z', // across the midnight change of 2026-09-06
    count: 6,
  },
  {
    cron: '30 2 * * *',
    spec: { times: [[2, 30]], days: () => true },
    tz: 'America/New_York',
    after: '2026-03-06T00:00:00Z', // across the gap of 2026-03-08
    count: 5,
  },
  {
    cron: '0 9 * * 1',
    spec: { times: [[9, 0]], days: (_y, _m, _d, wd) => wd === 1 },
    tz: 'Europe/Berlin',
    after: '2026-10-15T00:00:00Z', // across the fall back of 2026-10-25
    count: 4,
  },
];

describe('digest schedule', () => {
  it.each(cases)(
    'lists what a minute-by-minute walk finds: $cron in $tz',
    ({ cron, spec, tz, after, count }) => {
      const r = digestSchedule(cron, tz, ['--count', String(count), '--after', after, '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const sends = JSON.parse(r.stdout) as UpcomingSend[];
      expect(sends).toHaveLength(count);

      // The walk starts a week before, so it also knows the occurrence the first window opens at.
      const from = Date.parse(after) - 8 * DAY;
      const until = Date.parse(sends[count - 1]!.at) + 1;
      const walked = bruteForceOccurrences(spec, tz, from, until);
      const upcoming = walked.filter((o) => o.at.getTime() > Date.parse(after));
      expect(sends.map((s) => [s.date, s.at])).toEqual(
        upcoming.map((o) => [o.date, o.at.toISOString()]),
      );
      for (const [i, s] of sends.entries()) {
        const prev = walked[walked.length - count - 1 + i]!;
        expect(s.windowStart, s.date).toBe(prev.at.toISOString());
        expect(s.windowEnd).toBe(s.at);
        // The local ISO time shows the zone's wall clock and its offset at that instant.
        const w = wallClock(Date.parse(s.at), tz);
        expect(s.local.slice(0, 16)).toBe(`${w.date}T${pad(w.h)}:${pad(w.m)}`);
        expect(Date.parse(s.local)).toBe(Date.parse(s.at));
        const weekday = new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'long' });
        expect(s.words).toMatch(new RegExp(`^${weekday.format(Date.parse(s.at))} `));
        expect(s.words.endsWith(` ${pad(w.h)}:${pad(w.m)} ${tz}`)).toBe(true);
      }
    },
    120_000,
  );

  it('prints one line per send, and refuses a bad --count with exit 1', () => {
    const r = digestSchedule('0 9 * * 1', 'Europe/Berlin', [
      '--count',
      '2',
      '--after',
      '2026-12-01T00:00:00Z',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'DIGEST_CRON "0 9 * * 1" in Europe/Berlin',
      expect.stringMatching(
        /^2026-12-07 {2}2026-12-07T08:00:00.000Z {2}2026-12-07T09:00:00\+01:00 {2}\(Monday 7 December, 09:00 Europe\/Berlin\) {2}window 2026-11-30T08:00:00.000Z \.\. 2026-12-07T08:00:00.000Z$/,
      ),
      expect.stringMatching(/^2026-12-14 /),
    ]);
    const bad = digestSchedule('0 9 * * 1', 'UTC', ['--count', 'many']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--count "many"');
  }, 60_000);
});

describe('sendTimeInWords', () => {
  it('says the day, the date and the time in the zone, with the year only when it differs', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(sendTimeInWords(new Date('2026-12-07T08:00:00Z'), 'Europe/Berlin', now)).toBe(
      'Monday 7 December, 09:00 Europe/Berlin',
    );
    expect(sendTimeInWords(new Date('2027-01-04T08:00:00Z'), 'Europe/Berlin', now)).toBe(
      'Monday 4 January 2027, 09:00 Europe/Berlin',
    );
    // Tokyo is already on Tuesday.
    expect(sendTimeInWords(new Date('2026-12-07T20:30:00Z'), 'Asia/Tokyo', now)).toBe(
      'Tuesday 8 December, 05:30 Asia/Tokyo',
    );
  });
});

const pad = (n: number) => String(n).padStart(2, '0');
