import { describe, expect, it } from 'vitest';
import {
  currentDigestDate,
  digestWindow,
  isDigestDate,
  nextDigestDate,
} from '../../src/digests/digest-window.js';

const HOUR = 3_600_000;
const weekly = (tz: string) => ({ cron: '0 9 * * 1', tz });
const hours = (w: { windowStart: Date; windowEnd: Date }) =>
  (w.windowEnd.getTime() - w.windowStart.getTime()) / HOUR;

describe('digestWindow', () => {
  it('weekly default in UTC: Monday 09:00 back to the previous Monday 09:00', () => {
    const w = digestWindow('2026-03-09', weekly('UTC'));
    expect(w.sendAt.toISOString()).toBe('2026-03-09T09:00:00.000Z');
    expect(w.windowEnd.getTime()).toBe(w.sendAt.getTime());
    expect(w.windowStart.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(hours(w)).toBe(168);
    expect(w.date).toBe('2026-03-09');
  });

  it('Europe/London, spring forward (29 March 2026): a 167-hour window', () => {
    const w = digestWindow('2026-03-30', weekly('Europe/London'));
    expect(w.sendAt.toISOString()).toBe('2026-03-30T08:00:00.000Z'); // 09:00 BST
    expect(w.windowStart.toISOString()).toBe('2026-03-23T09:00:00.000Z'); // 09:00 GMT
    expect(hours(w)).toBe(167);
  });

  it('Europe/London, fall back (25 October 2026): a 169-hour window', () => {
    const w = digestWindow('2026-10-26', weekly('Europe/London'));
    expect(w.sendAt.toISOString()).toBe('2026-10-26T09:00:00.000Z');
    expect(w.windowStart.toISOString()).toBe('2026-10-19T08:00:00.000Z');
    expect(hours(w)).toBe(169);
  });

  it('America/New_York across both changes (8 March and 1 November 2026)', () => {
    const spring = digestWindow('2026-03-09', weekly('America/New_York'));
    expect(spring.sendAt.toISOString()).toBe('2026-03-09T13:00:00.000Z'); // 09:00 EDT
    expect(spring.windowStart.toISOString()).toBe('2026-03-02T14:00:00.000Z'); // 09:00 EST
    expect(hours(spring)).toBe(167);
    const fall = digestWindow('2026-11-02', weekly('America/New_York'));
    expect(fall.sendAt.toISOString()).toBe('2026-11-02T14:00:00.000Z');
    expect(fall.windowStart.toISOString()).toBe('2026-10-26T13:00:00.000Z');
    expect(hours(fall)).toBe(169);
  });

  it('consecutive weekly windows tile time with no gap and no overlap across DST', () => {
    const dates = ['2026-03-16', '2026-03-23', '2026-03-30', '2026-04-06'];
    const ws = dates.map((d) => digestWindow(d, weekly('Europe/London')));
    for (let i = 1; i < ws.length; i++) {
      expect(ws[i]!.windowStart.getTime()).toBe(ws[i - 1]!.windowEnd.getTime());
    }
  });

  it('a daily cron gives daily digests, 23 hours on a spring-forward day', () => {
    const daily = { cron: '30 7 * * *', tz: 'Europe/Paris' };
    const w = digestWindow('2026-06-10', daily);
    expect(w.sendAt.toISOString()).toBe('2026-06-10T05:30:00.000Z');
    expect(w.windowStart.toISOString()).toBe('2026-06-09T05:30:00.000Z');
    expect(hours(digestWindow('2026-03-29', daily))).toBe(23);
  });

  it('a midnight cron fires on its own date', () => {
    const w = digestWindow('2026-03-09', { cron: '0 0 * * 1', tz: 'UTC' });
    expect(w.sendAt.toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(w.windowStart.toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('across a year end: 2026-12-28 to 2027-01-04', () => {
    const w = digestWindow('2027-01-04', weekly('UTC'));
    expect(w.windowStart.toISOString()).toBe('2026-12-28T09:00:00.000Z');
    expect(w.sendAt.toISOString()).toBe('2027-01-04T09:00:00.000Z');
  });

  it('ISO week 53 (2020-W53 is 28 Dec 2020 .. 3 Jan 2021) in a zone ahead of UTC', () => {
    const tz = 'Pacific/Auckland';
    const w53 = digestWindow('2020-12-28', weekly(tz));
    expect(w53.sendAt.toISOString()).toBe('2020-12-27T20:00:00.000Z'); // 09:00 NZDT
    const next = digestWindow('2021-01-04', weekly(tz));
    expect(next.windowStart.getTime()).toBe(w53.sendAt.getTime());
    expect(hours(next)).toBe(168);
  });

  it('a manual date the cron does not fire on uses the cron time on that date', () => {
    const w = digestWindow('2026-03-10', weekly('Europe/London')); // a Tuesday
    expect(w.sendAt.toISOString()).toBe('2026-03-10T09:00:00.000Z');
    expect(w.windowStart.toISOString()).toBe('2026-03-09T09:00:00.000Z'); // Monday's run
    const ny = digestWindow('2026-07-15', weekly('America/New_York')); // a Wednesday
    expect(ny.sendAt.toISOString()).toBe('2026-07-15T13:00:00.000Z');
    expect(ny.windowStart.toISOString()).toBe('2026-07-13T13:00:00.000Z');
  });

  it('rejects what is not a real date', () => {
    expect(() => digestWindow('2026-02-30', weekly('UTC'))).toThrow(/not a date/);
    expect(() => digestWindow('next monday', weekly('UTC'))).toThrowError(
      expect.objectContaining({ code: 'DIGEST_DATE_INVALID' }),
    );
  });
});

describe('nextDigestDate and currentDigestDate', () => {
  it('names the next occurrence after now, in the schedule zone', () => {
    expect(nextDigestDate(new Date('2026-03-04T12:00:00Z'), weekly('UTC'))).toBe('2026-03-09');
    // Exactly at a send time, the next one is a week later.
    expect(nextDigestDate(new Date('2026-03-09T09:00:00Z'), weekly('UTC'))).toBe('2026-03-16');
    // Sunday 21:00 UTC is already Monday in Auckland; its 09:00 is still ahead.
    expect(nextDigestDate(new Date('2026-03-08T19:00:00Z'), weekly('Pacific/Auckland'))).toBe(
      '2026-03-09',
    );
    expect(nextDigestDate(new Date('2026-12-30T00:00:00Z'), weekly('UTC'))).toBe('2027-01-04');
  });

  it('currentDigestDate names the occurrence at or before now', () => {
    expect(currentDigestDate(new Date('2026-03-09T09:00:00Z'), weekly('UTC'))).toBe('2026-03-09');
    expect(currentDigestDate(new Date('2026-03-09T09:00:05Z'), weekly('UTC'))).toBe('2026-03-09');
    expect(currentDigestDate(new Date('2026-03-09T08:59:59Z'), weekly('UTC'))).toBe('2026-03-02');
  });
});

describe('isDigestDate', () => {
  it('accepts real dates only', () => {
    expect(isDigestDate('2024-02-29')).toBe(true);
    expect(isDigestDate('2026-12-31')).toBe(true);
    expect(isDigestDate('2025-02-29')).toBe(false);
    expect(isDigestDate('2026-13-01')).toBe(false);
    expect(isDigestDate('2026-1-5')).toBe(false);
    expect(isDigestDate('2026-01-05T00:00')).toBe(false);
    expect(isDigestDate('')).toBe(false);
  });
});
