import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFeedDate } from '../../src/feeds/feed-date.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => path.join(root, 'test/fixtures/feeds', name);
const NOW = new Date('2025-03-10T00:00:00Z');
const iso = (s: string) => parseFeedDate(s, NOW)?.toISOString();

/** Date strings as real feeds write them, and the instant each means. */
const CASES: [string, string][] = [
  // RFC 822 / 2822 as written by the book
  ['Mon, 02 Jan 2006 15:04:05 -0700', '2006-01-02T22:04:05.000Z'],
  ['Mon, 02 Jan 2006 15:04:05 GMT', '2006-01-02T15:04:05.000Z'],
  ['Mon, 02 Jan 2006 15:04:05 UT', '2006-01-02T15:04:05.000Z'],
  // two-digit years (RFC 822 §5.1; RFC 2822 §4.3: 00-49 are 20xx, 50-99 19xx)
  ['02 Jan 06 15:04 GMT', '2006-01-02T15:04:00.000Z'],
  ['Sun, 31 Dec 99 23:00:00 GMT', '1999-12-31T23:00:00.000Z'],
  // RFC 850 / cookie style, full names, no seconds, odd spacing and commas
  ['Monday, 02-Jan-06 15:04:05 PST', '2006-01-02T23:04:05.000Z'],
  ['Monday, 02 January 2006 15:04 EDT', '2006-01-02T19:04:00.000Z'],
  ['Mon,02 Jan 2006 15:04:05 +0000', '2006-01-02T15:04:05.000Z'],
  ['Mon, 2 Jan 2006 15:04:05   +01:00', '2006-01-02T14:04:05.000Z'],
  ['Wed, 02 Oct 2002 13:00:00 GMT+1', '2002-10-02T12:00:00.000Z'],
  ['Sat, 01 Mar 2025 12:00:00 CEST', '2025-03-01T10:00:00.000Z'],
  ['Sat, 01 Mar 2025 12:00:00 Z', '2025-03-01T12:00:00.000Z'],
  ['2 Jan 2006', '2006-01-02T00:00:00.000Z'],
  // zone-less: UTC
  ['Mon, 02 Jan 2006 15:04:05', '2006-01-02T15:04:05.000Z'],
  // asctime, JavaScript's Date#toString, month first
  ['Mon Jan  2 15:04:05 2006', '2006-01-02T15:04:05.000Z'],
  ['Mon Jan 2 15:04:05 MST 2006', '2006-01-02T22:04:05.000Z'],
  ['Tue Apr 05 2022 10:00:00 GMT+0200 (Central European Summer Time)', '2022-04-05T08:00:00.000Z'],
  ['January 2, 2006', '2006-01-02T00:00:00.000Z'],
  // RFC 3339 / ISO 8601 / W3C-DTF
  ['2006-01-02T15:04:05Z', '2006-01-02T15:04:05.000Z'],
  ['2006-01-02T15:04:05.123-05:00', '2006-01-02T20:04:05.123Z'],
  ['2006-01-02t15:04:05z', '2006-01-02T15:04:05.000Z'],
  ['2006-01-02T15:04:05', '2006-01-02T15:04:05.000Z'],
  ['2006-01-02 15:04:05', '2006-01-02T15:04:05.000Z'],
  ['2006-01-02 15:04:05 +0000', '2006-01-02T15:04:05.000Z'],
  ['2006-01-02', '2006-01-02T00:00:00.000Z'],
  ['2006-01', '2006-01-01T00:00:00.000Z'],
];

describe('parseFeedDate', () => {
  it.each(CASES)('%s', (raw, expected) => {
    expect(iso(raw)).toBe(expected);
  });

  it('refuses what is not a date, impossible dates, and dates far in the future or past', () => {
    for (const bad of [
      'sometime soon',
      '06/01/2006 at teatime',
      'Mon, 31 Feb 2006 10:00:00 GMT',
      'Mon, 02 Jan 2006 25:00:00 GMT',
      'Mon, 02 Foo 2006 10:00:00 GMT',
      'Mon, 02 Jan 2006 10:00:00 +2500',
      'Fri, 01 Jan 2100 00:00:00 GMT',
      '1970-01-01T00:00:00Z',
      '',
      undefined,
    ]) {
      expect(iso(bad as string), String(bad)).toBeUndefined();
    }
  });
});

describe('dates without a zone, under TZ=America/New_York', () => {
  // Two child processes that each load tsx: generous on a busy machine.
  it('read as UTC whatever the process time zone', { timeout: 180_000 }, () => {
    const zoneless = [
      '2006-01-02T15:04:05',
      'Thu, 05 Jan 2006 15:04:05',
      'Fri Jan  6 15:04:05 2006',
    ];
    const run = (tz: string) => {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'test/helpers/feed-dates-child.ts',
          JSON.stringify(zoneless),
          fixture('html-titles.atom.xml'),
          fixture('podcast.xml'),
        ],
        { cwd: root, env: { ...process.env, TZ: tz }, encoding: 'utf8', timeout: 150_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as {
        offsetMinutes: number;
        dates: (string | null)[];
        feeds: (string | null)[][];
      };
    };
    const ny = run('America/New_York');
    expect(ny.offsetMinutes).toBe(300); // the zone really applied in the child
    expect(ny.dates).toEqual([
      '2006-01-02T15:04:05.000Z',
      '2006-01-05T15:04:05.000Z',
      '2006-01-06T15:04:05.000Z',
    ]);
    // The Atom entry's <updated>2025-03-04T15:04:05</updated> and the podcast's zone-less
    // pubDate (Ep 4) and asctime (Ep 5).
    expect(ny.feeds[0]?.[0]).toBe('2025-03-04T15:04:05.000Z');
    expect(ny.feeds[1]?.slice(3, 5)).toEqual([
      '2006-01-05T15:04:05.000Z',
      '2006-01-06T15:04:05.000Z',
    ]);
    // The same in a zone east of UTC.
    expect(run('Asia/Kolkata').feeds).toEqual(ny.feeds);
  });
});
