import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { hasChromium } from '../helpers/e2e-service.js';
import { startFeedSite, type FeedSite } from '../helpers/feed-site.js';
import {
  adminApi,
  categorizedFeed,
  digestMails,
  editionSummary,
  localHour,
  ownDigestSuite,
  postLinks,
  preferencesUrl,
  subscribeAndConfirm,
  type DigestMail,
  type FeedItem,
} from '../helpers/own-digest.js';
import { connectTestRedis } from '../helpers/redis.js';
import { createKeys } from '../../src/redis.js';

/**
 * Issue 12's "Done when", as a new user (README "The schedule", guarantees 3 and 5): a site
 * offering daily, weekly and monthly digests and two topics (one defined with the CLI, one
 * with the admin API, over a category and a feed); four readers in three zones choose on the
 * subscribe form and the preferences page in Chromium and confirm from their mail. The HTTP
 * server (src/server.ts) and worker processes run on the real Redis with a real SMTP server,
 * their clocks set (test/helpers/shifted-clock.ts): the server the evening before, each worker
 * just before one zone's 09:00 on Monday 1 February 2027 (daily, weekly and monthly all due)
 * and on the Tuesday after (daily). Each worker is SIGKILLed once its zone is counted.
 */

const H = 3_600_000;
/** The server's clock: Sunday evening, after Los Angeles' Sunday 09:00. */
const EVENING = Date.parse('2027-01-31T18:00:00Z');
const MON = {
  tokyo: Date.parse('2027-02-01T00:00:00Z'),
  berlin: Date.parse('2027-02-01T08:00:00Z'),
  la: Date.parse('2027-02-01T17:00:00Z'),
};
const TUE = { tokyo: MON.tokyo + 24 * H, la: MON.la + 24 * H };
/** A worker starts this long before its zone's instant. */
const LEAD_MS = 30_000;
/** Budgets, generous for 2 loaded cores: a process start, one zone's delivery. */
const START_MS = 90_000;
const DELIVERY_MS = 120_000;

const post = (blog: string, id: string, hour: number, categories: string[]): FeedItem => ({
  url: `https://${blog}.example/${id}`,
  title: id,
  date: `2027-01-31T${String(hour).padStart(2, '0')}:00:00Z`,
  categories,
});
const GO1 = post('alpha', 'go-1', 10, ['golang']);
const GO2 = post('alpha', 'go-2', 11, ['golang']);
const RUST = post('alpha', 'rust-1', 12, ['rust']);
const REDIS = post('beta', 'redis-1', 13, ['databases']);
// In both topics (its feed and, in another case, the category): once in a digest.
const BOTH = post('beta', 'go-redis', 14, ['GoLang']);
// Published in Monday's daily window, but arrives after that edition was built (at Tokyo's 09:00).
const LATE = post('beta', 'late', 17, ['golang']);
const urls = (...ps: FeedItem[]) => ps.map((p) => p.url);

let site: FeedSite;

async function mailsTo(email: string): Promise<DigestMail[]> {
  return (await digestMails(own.sink)).filter((m) => m.to === email);
}

beforeAll(async () => {
  site = await startFeedSite();
  site.routes.set('/alpha.xml', [
    'application/rss+xml',
    categorizedFeed('Alpha', [GO1, GO2, RUST]),
  ]);
  site.routes.set('/beta.xml', ['application/rss+xml', categorizedFeed('Beta', [REDIS, BOTH])]);
});
afterAll(() => site?.close());

const own = ownDigestSuite(
  'own-digest',
  {
    SECRET: 'own-digest-secret-own-digest-secret-0123',
    FEED_ALLOW_PRIVATE: 'true',
    DIGEST_FREQUENCIES: 'daily,weekly,monthly',
    DIGEST_TZ: 'Europe/Berlin',
  },
  { clockAt: EVENING, startMs: START_MS, leadMs: LEAD_MS, deliveryMs: DELIVERY_MS },
);

describe.skipIf(!hasChromium)('every subscriber their own digest', () => {
  it(
    'three zones, three frequencies, two topics: the right posts at 09:00 local, once each',
    async () => {
      const beta = `${site.base}/beta.xml`;
      for (const f of ['alpha', 'beta'])
        await adminApi(own.svc, 'POST', '/feeds', { url: `${site.base}/${f}.xml` }, 201);
      const cli = await runCli(
        { prefix: own.svc.env.REDIS_PREFIX!, dataDir: own.svc.dir, env: own.svc.env },
        ...['topics', 'add', 'Go', '--category', 'golang'],
      );
      expect(cli.code, cli.stderr).toBe(0);
      await adminApi(own.svc, 'POST', '/topics', { name: 'Redis', feeds: [beta] }, 201);
      await adminApi(own.svc, 'POST', '/feeds/ingest');

      await subscribeAndConfirm(own.browser, own.svc, own.sink, {
        email: 'tokyo@example.org',
        browserTz: 'Asia/Tokyo',
        frequency: 'Daily',
        topics: ['Go'],
      });
      await subscribeAndConfirm(own.browser, own.svc, own.sink, {
        email: 'berlin@example.org',
        browserTz: 'Europe/Berlin',
        topics: ['Go', 'Redis'],
      });
      // Weekly and everything on the form; daily and Redis on the preferences page.
      const la = await subscribeAndConfirm(own.browser, own.svc, own.sink, {
        email: 'la@example.org',
        browserTz: 'America/Los_Angeles',
      });
      await la.page.goto(await preferencesUrl(own.svc, 'la@example.org'));
      await la.page.getByRole('group', { name: 'How often' }).getByLabel('Daily').check();
      await la.page
        .getByRole('group', { name: /Topics/ })
        .getByLabel('Redis')
        .check();
      await la.page.getByRole('button', { name: 'Save' }).click();
      await la.page.getByText('Saved.').waitFor();
      expect(await la.page.locator('#delivery').textContent()).toBe(
        'daily at 09:00 America/Los_Angeles; topics: Redis',
      );
      // Monthly on the form in a Berlin browser; Tokyo's time on the preferences page.
      const month = await subscribeAndConfirm(own.browser, own.svc, own.sink, {
        email: 'month@example.org',
        browserTz: 'Europe/Berlin',
        frequency: 'Monthly',
      });
      await month.page.goto(await preferencesUrl(own.svc, 'month@example.org'));
      await month.page.getByLabel('Time zone').selectOption('Asia/Tokyo');
      await month.page.getByRole('button', { name: 'Save' }).click();
      await month.page.getByText('Saved.').waitFor();
      expect(await month.page.locator('#delivery').textContent()).toBe(
        'monthly, on the 1st of the month at 09:00 Asia/Tokyo; all topics',
      );

      // Monday 09:00 in Tokyo: daily and monthly are built (their first zone) and go to Tokyo.
      await own.zoneAt(MON.tokyo, [
        ['daily/2027-02-01', 'Asia/Tokyo', 1],
        ['monthly/2027-02-01', 'Asia/Tokyo', 1],
      ]);
      site.routes.set('/beta.xml', [
        'application/rss+xml',
        categorizedFeed('Beta', [REDIS, BOTH, LATE]),
      ]);
      await adminApi(own.svc, 'POST', '/feeds/ingest');
      // Berlin: weekly's first zone, built now (with the late post); daily's and monthly's
      // DIGEST_TZ slots have nobody.
      await own.zoneAt(MON.berlin, [['weekly/2027-02-01', 'Europe/Berlin', 1]]);
      await own.zoneAt(MON.la, [['daily/2027-02-01', 'America/Los_Angeles', 1]]);
      await own.zoneAt(TUE.tokyo, [['daily/2027-02-02', 'Asia/Tokyo', 1]]);
      await own.zoneAt(TUE.la, [['daily/2027-02-02', 'America/Los_Angeles', 1]]);

      const expected: Record<string, [edition: string, at: number, tz: string, posts: string[]][]> =
        {
          'tokyo@example.org': [
            ['daily/2027-02-01', MON.tokyo, 'Asia/Tokyo', urls(BOTH, GO2, GO1)],
            ['daily/2027-02-02', TUE.tokyo, 'Asia/Tokyo', urls(LATE)],
          ],
          'la@example.org': [
            ['daily/2027-02-01', MON.la, 'America/Los_Angeles', urls(BOTH, REDIS)],
            ['daily/2027-02-02', TUE.la, 'America/Los_Angeles', urls(LATE)],
          ],
          'berlin@example.org': [
            ['weekly/2027-02-01', MON.berlin, 'Europe/Berlin', urls(LATE, BOTH, REDIS, GO2, GO1)],
          ],
          'month@example.org': [
            ['monthly/2027-02-01', MON.tokyo, 'Asia/Tokyo', urls(BOTH, REDIS, RUST, GO2, GO1)],
          ],
        };
      for (const [email, editions] of Object.entries(expected)) {
        const got = await mailsTo(email);
        expect(
          got.map((m) => m.edition),
          email,
        ).toEqual(editions.map((e) => e[0]));
        got.forEach((m, i) => {
          const [edition, at, tz, posts] = editions[i]!;
          expect(m.posts, `${email} ${edition}`).toEqual(posts);
          // The Date header has whole seconds: not before 09:00, within the hour a start takes.
          expect(m.at + 999, `${email} ${edition}`).toBeGreaterThanOrEqual(at);
          expect(m.at, `${email} ${edition}`).toBeLessThan(at + H);
          expect(localHour(m.at, tz), `${email} ${edition}`).toBe('09');
        });
        // Across consecutive editions: no post twice.
        const all = got.flatMap((m) => m.posts);
        expect(new Set(all).size, email).toBe(all.length);
      }

      // Tuesday's daily: two recipients, one post set, one render (and the archive's copy).
      expect(await rendersPerPostSet(await digestMails(own.sink))).toEqual({
        'daily/2027-02-01': 4,
        'daily/2027-02-02': 2,
        'monthly/2027-02-01': 2,
        'weekly/2027-02-01': 3,
      });
    },
    START_MS * 7 + DELIVERY_MS * 8,
  );
});

/**
 * Each edition's `renders` equals its distinct post sets (those its recipients got and its
 * main one, the archive's, a reader with no topics) plus one for the archive page's copy of
 * the main set (a public footer, rendered once per edition when first opened), not the number
 * of recipients. Resolves with each edition's count.
 */
async function rendersPerPostSet(mails: DigestMail[]): Promise<Record<string, number>> {
  const redis = connectTestRedis();
  const keys = createKeys(own.svc.env.REDIS_PREFIX!);
  const out: Record<string, number> = {};
  try {
    for (const edition of new Set(mails.map((m) => m.edition))) {
      expect((await editionSummary(own.svc, edition)).status, edition).toBe('sent');
      const archive = await (await fetch(`${own.svc.base}/digests/${edition}`)).text();
      const sets = new Set(
        mails.filter((m) => m.edition === edition).map((m) => m.posts.join(' ')),
      );
      sets.add([...new Set(postLinks(archive))].join(' '));
      const renders = Number(await redis.hget(keys.digest(edition), 'renders'));
      expect(renders, edition).toBe(sets.size + 1);
      out[edition] = renders;
    }
  } finally {
    redis.disconnect();
  }
  return out;
}
