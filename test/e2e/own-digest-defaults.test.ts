import { describe, expect, it } from 'vitest';
import { hasChromium } from '../helpers/e2e-service.js';
import {
  adminApi,
  digestMails,
  editionSummary,
  localHour,
  ownDigestSuite,
  preferencesUrl,
  subscribeAndConfirm,
  type Reader,
} from '../helpers/own-digest.js';

/**
 * Issue 12's "Done when", second half: with no new setting at all (DIGEST_CRON Mondays 09:00,
 * DIGEST_TZ UTC, weekly only, no topics) the service sends one weekly edition as before; the
 * only change is that a reader with a time zone gets it at 09:00 in that zone, and
 * DIGEST_LOCAL_TIME=false brings back one instant for everyone. Readers subscribe in Chromium
 * (the form offers no frequency or topic); the HTTP server (src/server.ts) and worker processes
 * run with their clocks set (test/helpers/shifted-clock.ts) around Monday 1 February 2027.
 */

const H = 3_600_000;
const EVENING = Date.parse('2027-01-31T18:00:00Z');
const EDITION = 'weekly/2027-02-01';
const AT = {
  'Asia/Tokyo': Date.parse('2027-02-01T00:00:00Z'),
  UTC: Date.parse('2027-02-01T09:00:00Z'),
  'America/Los_Angeles': Date.parse('2027-02-01T17:00:00Z'),
};
const LEAD_MS = 30_000;
/** Budgets, generous for 2 loaded cores: a process start, one zone's delivery. */
const START_MS = 90_000;
const DELIVERY_MS = 120_000;
const POSTS = ['https://blog.example/one', 'https://blog.example/two'];

const READERS: (Reader & { tz: keyof typeof AT })[] = [
  { email: 'tokyo@example.org', browserTz: 'Asia/Tokyo', tz: 'Asia/Tokyo' },
  { email: 'la@example.org', browserTz: 'America/Los_Angeles', tz: 'America/Los_Angeles' },
  // Clears the zone on the preferences page: DIGEST_TZ's time.
  { email: 'nozone@example.org', browserTz: 'Europe/Berlin', tz: 'UTC' },
];

function suite(localTime: boolean) {
  const own = ownDigestSuite(
    localTime ? 'own-defaults' : 'own-single',
    {
      SECRET: 'own-defaults-secret-own-defaults-secret-01',
      ...(localTime ? {} : { DIGEST_LOCAL_TIME: 'false' }),
    },
    { clockAt: EVENING, startMs: START_MS, leadMs: LEAD_MS, deliveryMs: DELIVERY_MS },
  );

  /** The three readers subscribe and confirm in the browser; one clears their zone. */
  async function subscribeAll() {
    for (const [i, url] of POSTS.entries()) {
      const date = `2027-01-31T1${i}:00:00Z`;
      await adminApi(own.svc, 'POST', '/posts', { title: `Post ${i + 1}`, url, date }, 201);
    }
    for (const r of READERS) {
      const { page } = await subscribeAndConfirm(own.browser, own.svc, own.sink, r);
      if (r.email === READERS[0]!.email) {
        // One frequency, no topics: the form asks for neither (as before).
        await page.goto(`${own.svc.base}/`);
        expect(await page.getByRole('group', { name: 'How often' }).count()).toBe(0);
        expect(await page.getByRole('group', { name: /Topics/ }).count()).toBe(0);
      }
      if (r.tz !== 'UTC') continue;
      await page.goto(await preferencesUrl(own.svc, r.email));
      await page.getByLabel('Time zone').selectOption('');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved.').waitFor();
      expect(await page.locator('#delivery').textContent()).toBe('weekly, Mondays at 09:00 UTC');
    }
  }

  /** Each reader got the edition once, with both posts, written at `at(reader)`. */
  async function expectOnceEach(at: (tz: keyof typeof AT) => number) {
    const mails = await digestMails(own.sink);
    for (const r of READERS) {
      const got = mails.filter((m) => m.to === r.email);
      expect(
        got.map((m) => m.edition),
        r.email,
      ).toEqual([EDITION]);
      expect([...got[0]!.posts].sort(), r.email).toEqual(POSTS);
      expect(got[0]!.at + 999, r.email).toBeGreaterThanOrEqual(at(r.tz));
      expect(got[0]!.at, r.email).toBeLessThan(at(r.tz) + H);
    }
    const s = await editionSummary(own.svc, EDITION);
    expect(s.status).toBe('sent');
    expect(s.counters).toMatchObject({ recipients: 3, sent: 3 });
    // One edition in all, as before.
    const { digests } = (await adminApi(own.svc, 'GET', '/digests')) as {
      digests: { id: string }[];
    };
    expect(digests.map((d) => d.id)).toEqual([EDITION]);
    return mails;
  }

  if (localTime) {
    it(
      'a reader with a time zone gets the weekly edition at 09:00 there',
      async () => {
        await subscribeAll();
        for (const zone of ['Asia/Tokyo', 'UTC', 'America/Los_Angeles'] as const)
          await own.zoneAt(AT[zone], [[EDITION, zone, 1]]);
        const mails = await expectOnceEach((tz) => AT[tz]);
        for (const r of READERS) {
          const m = mails.find((x) => x.to === r.email)!;
          expect(localHour(m.at, r.tz), r.email).toBe('09');
        }
      },
      START_MS * 4 + DELIVERY_MS * 3,
    );
  } else {
    it(
      'DIGEST_LOCAL_TIME=false: everyone at the single instant',
      async () => {
        await subscribeAll();
        await own.zoneAt(AT.UTC, [[EDITION, 'UTC', 3]]);
        await expectOnceEach(() => AT.UTC);
        const s = await editionSummary(own.svc, EDITION);
        expect(s.zones.map((z) => [z.zone, z.at, z.subscribers])).toEqual([
          ['UTC', new Date(AT.UTC).toISOString(), 3],
        ]);
      },
      START_MS * 2 + DELIVERY_MS,
    );
  }
}

describe.skipIf(!hasChromium)('no new setting: one weekly edition, at local time', () =>
  suite(true),
);
describe.skipIf(!hasChromium)('no new setting, DIGEST_LOCAL_TIME=false: one instant', () =>
  suite(false),
);
