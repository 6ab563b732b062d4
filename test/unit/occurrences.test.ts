import { describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import {
  nextFiring,
  occurrencesBetween,
  type Occurrence,
  type Schedule,
} from '../../src/digests/occurrences.js';
import {
  bruteForceFirings,
  bruteForceOccurrences,
  wallClock,
  type CronSpec,
} from '../helpers/brute-force-schedule.js';

/**
 * Property tests of the digest schedule (README "The schedule") over many years and zones,
 * checked against Intl.DateTimeFormat's wall clock and, over shorter spans, against a
 * minute-by-minute walk (test/helpers/brute-force-schedule.ts).
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Each cron with what it means, written apart from the cron text. */
const CRONS: Record<string, CronSpec> = {
  '0 9 * * 1': { times: [[9, 0]], days: (_y, _m, _d, wd) => wd === 1 },
  '0 2 * * 0': { times: [[2, 0]], days: (_y, _m, _d, wd) => wd === 0 },
  '30 2 * * *': { times: [[2, 30]], days: () => true },
  '0 0 * * *': { times: [[0, 0]], days: () => true },
  '0 8 1 * *': { times: [[8, 0]], days: (_y, _m, d) => d === 1 },
  '30 23 * * 6': { times: [[23, 30]], days: (_y, _m, _d, wd) => wd === 6 },
  '15,45 0-3 * * *': {
    times: [0, 1, 2, 3].flatMap((h) => [[h, 15] as [number, number], [h, 45] as [number, number]]),
    days: () => true,
  },
};

/** Zones with 30- and 45-minute offsets and changes, changes at midnight, a skipped day. */
const ZONES = [
  'Australia/Lord_Howe', // 30-minute DST change at 02:00
  'America/Santiago', // DST changes at midnight
  'America/New_York',
  'Pacific/Chatham', // +12:45 / +13:45, changes at 02:45
  'Pacific/Apia', // skipped 2011-12-30 whole
  'Asia/Kathmandu', // +05:45
  'Asia/Kolkata', // +05:30
  'Australia/Adelaide', // +09:30 / +10:30
  'America/St_Johns', // -03:30 / -02:30
  'Asia/Tehran', // +03:30, DST at midnight until 2022
  'America/Havana', // DST at midnight
  'Asia/Beirut', // DST at midnight
  'Africa/Cairo', // DST at midnight (some years)
  'America/Asuncion',
  'Europe/London',
  'Europe/Dublin', // "negative" DST in tzdata
  'Antarctica/Troll', // a two-hour change
  'Africa/Casablanca', // changes around Ramadan
  'Pacific/Kiritimati', // +14, skipped 1994-12-31
  'Pacific/Kwajalein', // skipped 1993-08-21
];

const pad = (n: number) => String(n).padStart(2, '0');
const civil = (n: number) => {
  const t = new Date(n * DAY);
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCDay()] as const;
};

/**
 * Checks the schedule of `cron` in `tz` over [from, to): each occurrence is on its own local
 * date at the cron's wall time (or, in a gap, at that time read with the offset before the
 * change), one per matching date, strictly later each time, and each window starts where the
 * previous occurrence was. A matching date without an occurrence must be one the zone does not
 * reach the cron's time on. Returns how many occurrences it checked.
 */
function checkSchedule(cron: string, tz: string, from: string, to: string): number {
  const spec = CRONS[cron]!;
  const schedule: Schedule = { cron, tz };
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  const occ = occurrencesBetween(new Date(fromMs), new Date(toMs), schedule, 1_000_000);
  const byDate = new Map<string, Occurrence>();
  let prev: Occurrence | undefined;
  for (const o of occ) {
    const what = `${cron} in ${tz}: ${o.date} at ${o.at.toISOString()}`;
    const w = wallClock(o.at.getTime(), tz);
    expect(w.date, what).toBe(o.date);
    const exact = spec.times.some(([h, m]) => h === w.h && m === w.m);
    if (
      !exact ||
      (spec.times.length > 1 && (w.h !== spec.times[0]![0] || w.m !== spec.times[0]![1]))
    ) {
      checkGapReading(spec, tz, o, what);
    }
    if (prev) {
      expect(o.at.getTime(), what).toBeGreaterThan(prev.at.getTime());
      expect(o.date > prev.date, what).toBe(true);
      const win = digestWindow(o.date, schedule);
      expect(win.sendAt.getTime(), what).toBe(o.at.getTime());
      expect(win.windowStart.getTime(), what).toBe(prev.at.getTime());
    }
    byDate.set(o.date, o);
    prev = o;
  }
  // Every matching local date in the range has its occurrence, unless the zone skips it.
  // Dates whose whole local day lies inside the range, whatever the offset.
  const first = Math.floor(fromMs / DAY) + 2;
  const last = Math.floor(toMs / DAY) - 2;
  for (let n = first; n < last; n++) {
    const [y, m, d, wd] = civil(n);
    if (!spec.days(y, m, d, wd)) continue;
    const date = `${y}-${pad(m)}-${pad(d)}`;
    if (byDate.has(date)) continue;
    // Walk that date: no minute of it shows a time at or after the cron's first time.
    const [h0, m0] = spec.times[0]!;
    const reached = bruteForceFirings(
      { times: spec.times, days: (yy, mm, dd) => yy === y && mm === m && dd === d },
      tz,
      Date.UTC(y, m - 1, d) - 15 * HOUR,
      Date.UTC(y, m - 1, d + 1) + 15 * HOUR,
    );
    expect(reached, `${cron} in ${tz}: ${date} (${h0}:${m0}) has no occurrence`).toEqual([]);
  }
  return occ.length;
}

/** An occurrence not at the cron's first wall time: the walk of its day must agree. */
function checkGapReading(spec: CronSpec, tz: string, o: Occurrence, what: string) {
  const [y, m, d] = o.date.split('-').map(Number) as [number, number, number];
  const day = bruteForceOccurrences(
    { times: spec.times, days: (yy, mm, dd) => yy === y && mm === m && dd === d },
    tz,
    Math.max(Date.UTC(y, m - 1, d) - 15 * HOUR, o.at.getTime() - 26 * HOUR),
    o.at.getTime() + 60_000,
  );
  expect(day, what).toEqual([{ date: o.date, at: o.at }]);
}

describe('digest occurrences, property checks', () => {
  it('hold in the named zones: weekly 2010-2035, monthly 1990-2040, daily 2025-2027', () => {
    const ranges: [string, string, string][] = [
      ['0 2 * * 0', '2010-01-01', '2035-01-01'],
      ['0 8 1 * *', '1990-01-01', '2040-01-01'],
      ['30 23 * * 6', '2020-01-01', '2030-01-01'],
      ['0 0 * * *', '2025-01-01', '2028-01-01'],
      ['15,45 0-3 * * *', '2025-01-01', '2027-01-01'],
    ];
    let n = 0;
    for (const tz of ZONES) {
      for (const [cron, from, to] of ranges) n += checkSchedule(cron, tz, from, to);
    }
    console.log(`occurrence properties: ${n} occurrences in ${ZONES.length} zones checked`);
  }, 600_000);

  it('hold in every IANA zone through 2026, for a weekly cron in the small hours', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    let n = 0;
    for (const tz of zones) {
      n += checkSchedule('0 2 * * 0', tz, '2026-01-01', '2027-01-01');
    }
    console.log(`occurrence properties: ${n} occurrences in all ${zones.length} zones checked`);
  }, 600_000);

  it('a DST gap still sends that day, at the wall time read with the old offset', () => {
    const at = (cron: string, tz: string, from: string) =>
      occurrencesBetween(new Date(from), new Date(Date.parse(from) + 2 * DAY), { cron, tz }, 1)[0]!;
    // New York, 2026-03-08: 02:30 does not exist; 02:30 EST is 03:30 EDT, on the 8th.
    expect(at('30 2 * * *', 'America/New_York', '2026-03-08T00:00:00Z')).toEqual({
      date: '2026-03-08',
      at: new Date('2026-03-08T07:30:00Z'),
    });
    // Lord Howe, 2026-10-04: 02:00 becomes 02:30 (+10:30 to +11).
    expect(at('0 2 * * 0', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z')).toEqual({
      date: '2026-10-04',
      at: new Date('2026-10-03T15:30:00Z'),
    });
    // Santiago, 2026-09-06: midnight does not exist; 00:00 -04 is 01:00 -03, on the 6th.
    expect(at('0 0 * * *', 'America/Santiago', '2026-09-06T00:00:00Z')).toEqual({
      date: '2026-09-06',
      at: new Date('2026-09-06T04:00:00Z'),
    });
    // Chatham, 2026-09-27: 02:45 becomes 03:45; 03:00 +12:45 is 04:00 +13:45.
    expect(at('0 3 * * *', 'Pacific/Chatham', '2026-09-26T12:00:00Z')).toEqual({
      date: '2026-09-27',
      at: new Date('2026-09-26T14:15:00Z'),
    });
  });

  it('an overlap sends once, at the first of the two times', () => {
    // New York, 2026-11-01: 01:30 happens at -04 and again at -05.
    const o = occurrencesBetween(
      new Date('2026-10-31T12:00:00Z'),
      new Date('2026-11-02T12:00:00Z'),
      { cron: '30 1 * * *', tz: 'America/New_York' },
      10,
    );
    expect(o).toEqual([
      { date: '2026-11-01', at: new Date('2026-11-01T05:30:00Z') },
      { date: '2026-11-02', at: new Date('2026-11-02T06:30:00Z') },
    ]);
  });

  it('Pacific/Apia skipped 2011-12-30: no digest of that date, and the windows still tile', () => {
    const schedule = { cron: '0 9 * * *', tz: 'Pacific/Apia' };
    const o = occurrencesBetween(
      new Date('2011-12-28T00:00:00Z'),
      new Date('2012-01-02T00:00:00Z'),
      schedule,
      10,
    );
    expect(o.map((x) => x.date)).toEqual([
      '2011-12-28',
      '2011-12-29',
      '2011-12-31',
      '2012-01-01',
      '2012-01-02',
    ]);
    expect(digestWindow('2011-12-31', schedule).windowStart).toEqual(o[1]!.at);
    expect(() => digestWindow('2011-12-30', schedule)).toThrow(/does not exist in Pacific\/Apia/);
  });

  it('agrees with a minute-by-minute walk around DST changes (the digest and INGEST_CRON)', () => {
    const spans: [string, string, string][] = [
      ['Australia/Lord_Howe', '2026-04-03T00:00:00Z', '2026-04-07T00:00:00Z'],
      ['Australia/Lord_Howe', '2026-10-02T00:00:00Z', '2026-10-06T00:00:00Z'],
      ['America/Santiago', '2026-04-03T00:00:00Z', '2026-04-07T00:00:00Z'],
      ['America/Santiago', '2026-09-04T00:00:00Z', '2026-09-08T00:00:00Z'],
      ['Pacific/Chatham', '2026-09-25T00:00:00Z', '2026-09-29T00:00:00Z'],
      ['America/New_York', '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'],
      ['America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z'],
      ['Pacific/Apia', '2011-12-28T00:00:00Z', '2012-01-02T00:00:00Z'],
    ];
    for (const [tz, from, to] of spans) {
      const f = Date.parse(from);
      const t = Date.parse(to);
      for (const cron of ['15,45 0-3 * * *', '0 0 * * *', '30 2 * * *']) {
        const expected = bruteForceOccurrences(CRONS[cron]!, tz, f, t);
        const got = occurrencesBetween(new Date(f - 1), new Date(t - 1), { cron, tz }, 1000);
        expect(got, `${cron} ${tz} ${from}`).toEqual(expected);
      }
      // Every firing of a many-times-a-day cron, as the ingest chain takes them.
      const hourly: CronSpec = {
        times: Array.from({ length: 24 }, (_, h) => [h, 0] as [number, number]),
        days: () => true,
      };
      const firings: number[] = [];
      for (let at = nextFiring(new Date(f - 1), { cron: '0 * * * *', tz }); at.getTime() < t;) {
        firings.push(at.getTime());
        at = nextFiring(at, { cron: '0 * * * *', tz });
      }
      expect(firings, `hourly ${tz} ${from}`).toEqual(bruteForceFirings(hourly, tz, f, t));
    }
  });
});
