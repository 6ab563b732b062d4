import { describe, expect, it } from 'vitest';
import { upcomingSends } from '../../src/digests/schedule-listing.js';
import { zonePlan, type ZoneSchedule } from '../../src/digests/slots.js';
import { describeNextSend } from '../../src/http/pages/next-sends.js';

const schedule = (tz: string, localTime = true): ZoneSchedule => ({
  frequencies: ['weekly'],
  defaultFrequency: 'weekly',
  crons: { daily: '0 9 * * *', weekly: '0 9 * * 1', monthly: '0 9 1 * *' },
  tz,
  localTime,
});

/** The dashboard's line for the next weekly edition after `now`, from the scheduler's slots. */
function nextWeekly(s: ZoneSchedule, groups: string[], now: string): string {
  const counts = new Map(groups.map((g) => [g, 1]));
  const [next] = upcomingSends(
    { schedule: s, plan: zonePlan(s, groups), counts },
    new Date(now),
    1,
  );
  return describeNextSend(next!);
}

describe('describeNextSend', () => {
  it('says one instant where every zone sends at once (DIGEST_LOCAL_TIME=false)', () => {
    const line = nextWeekly(schedule('UTC', false), ['weekly:Asia/Tokyo'], '2026-12-02T10:00:00Z');
    expect(line).toBe('weekly 2026-12-07: at 09:00 UTC; 1 zone');
  });

  it('names the first zone of an instant and how many share it', () => {
    const line = nextWeekly(
      schedule('Europe/Berlin'),
      ['weekly:Europe/Paris', 'weekly:America/New_York'],
      '2026-12-02T10:00:00Z',
    );
    expect(line).toBe(
      'weekly 2026-12-07: first at 09:00 Europe/Berlin and 1 other zone (08:00 UTC), last at 09:00 America/New_York; 3 zones',
    );
  });

  it('gives the UTC date where it is not the edition’s, and only the zones still to go', () => {
    const groups = ['weekly:Pacific/Auckland', 'weekly:America/New_York'];
    expect(nextWeekly(schedule('UTC'), groups, '2026-12-02T10:00:00Z')).toBe(
      'weekly 2026-12-07: first at 09:00 Pacific/Auckland (2026-12-06 20:00 UTC), last at 09:00 America/New_York; 3 zones',
    );
    // Monday 10:00 UTC: Auckland and UTC have sent; New York's 09:00 is still to come.
    expect(nextWeekly(schedule('UTC'), groups, '2026-12-07T10:00:00Z')).toBe(
      'weekly 2026-12-07: at 09:00 America/New_York (14:00 UTC); 1 zone',
    );
  });
});
