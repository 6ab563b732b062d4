import { describe, expect, it } from 'vitest';
import {
  createDeliveryWords,
  describeDelivery,
  type DeliveryConfig,
} from '../../src/subscribers/describe-delivery.js';
import { checkChoice, checkFrequency, checkTopics } from '../../src/subscribers/delivery-choice.js';

const config: DeliveryConfig = {
  tz: 'Europe/Berlin',
  localTime: true,
  defaultFrequency: 'weekly',
  frequencies: ['daily', 'weekly', 'monthly'],
  crons: { daily: '0 9 * * *', weekly: '0 9 * * 1', monthly: '0 9 1 * *' },
};
const withCron = (frequency: 'daily' | 'weekly' | 'monthly', cron: string): DeliveryConfig => ({
  ...config,
  crons: { ...config.crons, [frequency]: cron },
});

describe('describeDelivery', () => {
  it('says the frequency, the day, the time and the zone of the default crons', () => {
    const tokyo = { tz: 'Asia/Tokyo', topics: ['Go', 'Redis'] };
    expect(describeDelivery({ ...tokyo, frequency: 'weekly' }, config)).toBe(
      'weekly, Mondays at 09:00 Asia/Tokyo; topics: Go, Redis',
    );
    expect(describeDelivery({ frequency: 'daily', tz: 'America/Los_Angeles' }, config)).toBe(
      'daily at 09:00 America/Los_Angeles',
    );
    expect(describeDelivery({ frequency: 'monthly', tz: 'Australia/Lord_Howe' }, config)).toBe(
      'monthly, on the 1st of the month at 09:00 Australia/Lord_Howe',
    );
  });

  it('reads the zone as DIGEST_TZ when they have none, and always with DIGEST_LOCAL_TIME=false', () => {
    expect(describeDelivery({}, config)).toBe('weekly, Mondays at 09:00 Europe/Berlin');
    expect(describeDelivery({ tz: 'Asia/Kolkata' }, { ...config, localTime: false })).toBe(
      'weekly, Mondays at 09:00 Europe/Berlin',
    );
    expect(describeDelivery({ tz: 'Asia/Kolkata' }, { ...config, tz: 'UTC' })).toBe(
      'weekly, Mondays at 09:00 Asia/Kolkata',
    );
  });

  it('gives the site default for no frequency, or one the site no longer offers', () => {
    const weeklyOnly = { ...config, frequencies: ['weekly' as const] };
    expect(describeDelivery({ frequency: 'daily' }, weeklyOnly)).toBe(
      'weekly, Mondays at 09:00 Europe/Berlin',
    );
    expect(describeDelivery({}, { ...config, defaultFrequency: 'daily' })).toBe(
      'daily at 09:00 Europe/Berlin',
    );
  });

  it('names all topics only when asked to (a site that has topics)', () => {
    expect(describeDelivery({ topics: [] }, config, { allTopics: 'all topics' })).toBe(
      'weekly, Mondays at 09:00 Europe/Berlin; all topics',
    );
    expect(describeDelivery({ topics: ['Go'] }, config, { allTopics: 'all topics' })).toBe(
      'weekly, Mondays at 09:00 Europe/Berlin; topics: Go',
    );
  });

  it.each([
    ['weekly', '30 7 * * 1-5', 'weekly, Mondays to Fridays at 07:30 Europe/Berlin'],
    ['weekly', '0 18 * * 0,6', 'weekly, Saturdays and Sundays at 18:00 Europe/Berlin'],
    ['weekly', '0 9 * * 1,3,5', 'weekly, Mondays, Wednesdays and Fridays at 09:00 Europe/Berlin'],
    ['weekly', '0 9 * * 7', 'weekly, Sundays at 09:00 Europe/Berlin'],
    ['monthly', '0 9 1,15 * *', 'monthly, on the 1st and 15th of the month at 09:00 Europe/Berlin'],
    ['monthly', '0 9 L * *', 'monthly, on the last day of the month at 09:00 Europe/Berlin'],
    ['monthly', '0 9 * * 5L', 'monthly, the last Friday of the month at 09:00 Europe/Berlin'],
    ['monthly', '0 9 * * 1#2', 'monthly, the second Monday of the month at 09:00 Europe/Berlin'],
    ['monthly', '0 9 22 * *', 'monthly, on the 22nd of the month at 09:00 Europe/Berlin'],
    [
      'monthly',
      '0 9 13 * 5',
      'monthly, on the 13th of the month or Fridays at 09:00 Europe/Berlin',
    ],
    // A date has one send, at the cron's first time that day (README "The schedule").
    ['daily', '0 18,6 * * *', 'daily at 06:00 Europe/Berlin'],
    ['daily', '45 23 * 1,7 *', 'daily, every day in January and July at 23:45 Europe/Berlin'],
  ] as const)('%s "%s" reads "%s"', (frequency, cron, words) => {
    expect(describeDelivery({ frequency }, withCron(frequency, cron))).toBe(words);
  });

  it('memoised words are the same as the pure ones, per choice', () => {
    const words = createDeliveryWords(config);
    const a = { frequency: 'daily' as const, tz: 'Asia/Tokyo', topics: ['Go'] };
    const b = { frequency: 'daily' as const, tz: 'Asia/Tokyo', topics: ['Redis'] };
    expect(words(a)).toBe(describeDelivery(a, config));
    expect(words(b)).toBe(describeDelivery(b, config));
    expect(words(a)).not.toBe(words(b));
  });
});

describe('checking a choice', () => {
  const topics = [{ name: 'Go' }, { name: 'Redis' }];
  it('accepts an offered frequency in any case and refuses others, saying why', () => {
    expect(checkFrequency(' Daily ', ['daily', 'weekly'])).toEqual({ ok: true, value: 'daily' });
    expect(checkFrequency('monthly', ['daily', 'weekly'])).toEqual({
      ok: false,
      message: 'this site does not offer "monthly": choose daily, weekly',
    });
    expect(checkFrequency('hourly', ['weekly'])).toEqual({
      ok: false,
      message: 'unknown frequency "hourly": choose weekly',
    });
  });

  it('spells topics as the store does, each once, and names every unknown one', () => {
    expect(checkTopics(['redis', 'Go', 'REDIS'], topics)).toEqual({
      ok: true,
      value: ['Redis', 'Go'],
    });
    expect(checkTopics(['Go', 'Rust', 'Zig'], topics)).toEqual({
      ok: false,
      message: 'unknown topics "Rust", "Zig": choose among Go, Redis',
    });
  });

  it('clears with empty values and leaves out what is not given', () => {
    const site = { frequencies: ['daily', 'weekly'] as const, topics };
    expect(checkChoice({}, site)).toEqual({ ok: true, value: {} });
    expect(checkChoice({ frequency: '', topics: '' }, site)).toEqual({
      ok: true,
      value: { frequency: null, topics: null },
    });
    expect(checkChoice({ frequency: 'daily', topics: 'go, redis' }, site)).toEqual({
      ok: true,
      value: { frequency: 'daily', topics: ['Go', 'Redis'] },
    });
    expect(checkChoice({ topics: 'Go;Redis' }, site, ';')).toMatchObject({ ok: true });
  });
});
