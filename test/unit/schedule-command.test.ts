import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sendTimeInWords, type UpcomingSend } from '../../src/digests/schedule-listing.js';
import { createSubscriberStore } from '../../src/subscribers/subscriber-store.js';
import {
  bruteForceOccurrences,
  wallClock,
  type CronSpec,
} from '../helpers/brute-force-schedule.js';
import { testRedis } from '../helpers/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;
/** The group index `schedule` reads its zones and subscribers from: a prefix of this file's. */
const t = testRedis('schedule-command');
afterAll(() => t.cleanup());

/**
 * `digest schedule …` as a user runs it, with only DIGEST_CRON and DIGEST_TZ set (and `env`),
 * on the test Redis.
 */
function digestSchedule(
  cron: string,
  tz: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'schedule', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: t.url,
        REDIS_CLUSTER: t.cluster ? 'true' : 'false',
        REDIS_PREFIX: t.prefix,
        DIGEST_CRON: cron,
        DIGEST_TZ: tz,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'digest-schedule-')),
        LOG_LEVEL: 'silent',
        ...env,
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
        // No subscriber yet: DIGEST_TZ alone, at that instant.
        expect(s).toMatchObject({ frequency: 'weekly', id: `weekly/${s.date}` });
        expect(s.slots).toEqual([
          { at: s.at, local: s.local, zones: [{ zone: tz, subscribers: 0 }] },
        ]);
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
      `weekly: "0 9 * * 1" in each subscriber's zone (DIGEST_TZ Europe/Berlin)`,
      expect.stringMatching(
        /^2026-12-07 {2}2026-12-07T08:00:00.000Z {2}2026-12-07T09:00:00\+01:00 {2}\(Monday 7 December, 09:00 Europe\/Berlin\) {2}window 2026-11-30T08:00:00.000Z \.\. 2026-12-07T08:00:00.000Z$/,
      ),
      '    2026-12-07T08:00:00.000Z  Europe/Berlin (0 subscribers)',
      expect.stringMatching(/^2026-12-14 /),
      '    2026-12-14T08:00:00.000Z  Europe/Berlin (0 subscribers)',
    ]);
    const bad = digestSchedule('0 9 * * 1', 'UTC', ['--count', 'many']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--count "many"');
  }, 60_000);
});

describe('digest schedule across zones and frequencies', () => {
  it('lists each offered frequency with its slots: the zones at each instant and their subscribers', async () => {
    const store = createSubscriberStore({ redis: t.redis, keys: t.keys });
    const add = (email: string, tz: string | undefined, frequency: 'daily' | 'weekly') =>
      store.add({ email, status: 'confirmed', frequency, ...(tz ? { tz } : {}) });
    await add('t1@example.org', 'Asia/Tokyo', 'weekly');
    await add('t2@example.org', 'Asia/Tokyo', 'weekly');
    await add('la@example.org', 'America/Los_Angeles', 'weekly');
    await add('home@example.org', undefined, 'weekly');
    await add('td@example.org', 'Asia/Tokyo', 'daily');
    await add('gone@example.org', 'Asia/Tokyo', 'daily');
    await store.setStatus((await store.getByEmail('gone@example.org'))!.id, 'unsubscribed');
    const env = { DIGEST_FREQUENCIES: 'daily,weekly' };
    const after = '2026-12-01T00:00:00Z';
    const run = (args: string[]) => {
      const r = digestSchedule('0 9 * * 1', 'Europe/Berlin', ['--after', after, ...args], env);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as UpcomingSend[];
    };

    const weekly = run(['--frequency', 'weekly', '--count', '2', '--json']);
    expect(weekly.map((s) => s.id)).toEqual(['weekly/2026-12-07', 'weekly/2026-12-14']);
    const monday: CronSpec = { times: [[9, 0]], days: (_y, _m, _d, wd) => wd === 1 };
    const subscribers = { 'Asia/Tokyo': 2, 'Europe/Berlin': 1, 'America/Los_Angeles': 1 };
    // Each zone's Mondays at 09:00, found by the minute-by-minute walk.
    const walked = Object.entries(subscribers).map(([zone, n]) => ({
      zone,
      n,
      occurrences: bruteForceOccurrences(
        monday,
        zone,
        Date.parse(after),
        Date.parse(after) + 15 * DAY,
      ),
    }));
    for (const s of weekly) {
      const expected = walked
        .map(({ zone, n, occurrences }) => ({
          at: occurrences.find((x) => x.date === s.date)!.at.toISOString(),
          zone,
          subscribers: n,
        }))
        .sort((a, b) => a.at.localeCompare(b.at));
      expect(s.slots.map((x) => ({ at: x.at, zones: x.zones }))).toEqual(
        expected.map((e) => ({ at: e.at, zones: [{ zone: e.zone, subscribers: e.subscribers }] })),
      );
      // Built at its first slot (Tokyo's); the window is DIGEST_TZ's cron's.
      expect(s.at).toBe(expected[0]!.at);
      expect(s.windowEnd).toBe(expected.find((e) => e.zone === 'Europe/Berlin')!.at);
    }

    // Every offered frequency without --frequency. At 2026-12-01T00:00Z Tokyo's 09:00 of 1
    // December is past and Berlin's (DIGEST_TZ) to come: that edition lists Berlin alone.
    const both = run(['--count', '1', '--json']);
    expect(both.map((s) => s.id)).toEqual(['daily/2026-12-01', 'weekly/2026-12-07']);
    expect(both[0]!.slots).toEqual([
      expect.objectContaining({
        at: '2026-12-01T08:00:00.000Z',
        zones: [{ zone: 'Europe/Berlin', subscribers: 0 }],
      }),
    ]);
    // The next daily edition: Tokyo's reader (the unsubscribed one is not counted), then Berlin.
    const daily = run(['--frequency', 'daily', '--count', '2', '--json']);
    expect(daily[1]!.slots.map((x) => ({ at: x.at, zones: x.zones }))).toEqual([
      { at: '2026-12-02T00:00:00.000Z', zones: [{ zone: 'Asia/Tokyo', subscribers: 1 }] },
      { at: '2026-12-02T08:00:00.000Z', zones: [{ zone: 'Europe/Berlin', subscribers: 0 }] },
    ]);

    const bad = digestSchedule('0 9 * * 1', 'UTC', ['--frequency', 'monthly'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--frequency "monthly" is not one this site offers');
  }, 120_000);
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
