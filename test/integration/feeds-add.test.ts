import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFeed, reportIngestProgress } from '../../src/feeds/ingest-jobs.js';
import { QUEUE } from '../../src/queues.js';
import { feedCommands, openTestServices } from '../helpers/cli.js';
import { htmlPage, rssFeed, startFeedSite, type FeedSite } from '../helpers/feed-site.js';
import { testRedis } from '../helpers/redis.js';
import { adminLogin, httpHarness, type Harness } from './http-setup.js';

const RSS = 'application/rss+xml';
let site: FeedSite;

beforeAll(async () => {
  site = await startFeedSite();
  const feed = rssFeed('Example Blog', [
    { title: 'Hello', link: 'https://blog.example/hello', date: '2022-11-04T10:00:00Z' },
  ]);
  site.routes.set('/feed.xml', [RSS, feed]);
  site.routes.set('/comments.xml', [RSS, rssFeed('Comments', [])]);
  // One feed, linked relative to the page.
  site.routes.set('/blog/', ['text/html', htmlPage([{ type: RSS, href: '../feed.xml' }])]);
  site.routes.set('/two/', [
    'text/html; charset=utf-8',
    htmlPage([
      { type: RSS, href: '/feed.xml', title: 'Posts' },
      { type: 'application/atom+xml', href: '/comments.xml', title: 'Comments' },
    ]),
  ]);
  site.routes.set('/nofeed/', ['text/html', htmlPage([])]);
  site.routes.set('/gone.xml', 404);
});
afterAll(() => site.close());

describe('feeds add (CLI)', () => {
  const t = testRedis('feeds-add-cli');
  const openCli = openTestServices(t.prefix, { FEED_ALLOW_PRIVATE: 'true' });
  const run = feedCommands(openCli);
  afterAll(async () => {
    process.exitCode = undefined;
    await t.cleanup();
  });

  it('refuses a 404, a page without feeds and a host that does not exist, with the reason', async () => {
    await expect(run('feeds', 'add', `${site.base}/gone.xml`)).rejects.toMatchObject({
      code: 'FEED_NOT_FOUND',
      message: `HTTP 404 from ${site.base}/gone.xml`,
    });
    await expect(run('feeds', 'add', `${site.base}/nofeed/`)).rejects.toMatchObject({
      code: 'FEED_PARSE',
      message: expect.stringContaining('an HTML page that links to no feed'),
    });
    await expect(run('feeds', 'add', 'http://no-such-blog.invalid/feed')).rejects.toMatchObject({
      code: 'FEED_NOT_FOUND',
      message: 'no such host: no-such-blog.invalid',
    });
    expect(await run('feeds', 'list')).toBe('No feeds. Add one with `feeds add <url|path>`.');
  });

  it('adds the one feed an HTML page links to (relative href resolved)', async () => {
    expect(await run('feeds', 'add', `${site.base}/blog/`)).toBe(
      `Found a feed on ${site.base}/blog/.\nFeed added: ${site.base}/feed.xml ("Example Blog", 1 item)`,
    );
  });

  it('lists the feeds of a page with several, adds none, exits 1', async () => {
    const said = await run('feeds', 'add', `${site.base}/two/`);
    expect(said).toBe(
      `${site.base}/two/ links to 2 feeds; add the one you want:\n` +
        `  digest feeds add ${site.base}/feed.xml   (Posts)\n` +
        `  digest feeds add ${site.base}/comments.xml   (Comments)`,
    );
    expect(process.exitCode).toBe(1);
    process.exitCode = undefined;
    expect((await run('feeds', 'list')).match(/^http/gm)).toHaveLength(1);
  });

  it('--no-check adds without fetching', async () => {
    expect(await run('feeds', 'add', '--no-check', 'http://down.invalid/feed')).toBe(
      'Feed added: http://down.invalid/feed',
    );
  });
});

describe('feeds add with FEED_ALLOW_HOSTS', () => {
  const t = testRedis('feeds-add-allow-hosts');
  // Private addresses refused, but for the one named: the check uses the same guard as ingest.
  const cli = (env: Record<string, string>) => feedCommands(openTestServices(t.prefix, env));
  afterAll(async () => {
    process.exitCode = undefined;
    await t.cleanup();
  });

  it('refuses a loopback feed by default and adds it once its host is allowed', async () => {
    const url = `${site.base}/feed.xml`;
    await expect(cli({})('feeds', 'add', url)).rejects.toThrow(/127\.0\.0\.1/);
    const run = cli({ FEED_ALLOW_HOSTS: '127.0.0.1' });
    await run('feeds', 'add', url);
    expect(await run('feeds', 'list')).toContain(url);
  });
});

describe('feeds page: add with a choice, fetch all as a job', () => {
  let h: Harness;
  let cookie = '';
  let post: Awaited<ReturnType<typeof adminLogin>>['post'];
  beforeAll(async () => {
    h = await httpHarness('feeds-add', { env: { FEED_ALLOW_PRIVATE: 'true' } });
    ({ cookie, post } = await adminLogin(h, '/admin/feeds'));
  });
  afterAll(() => h.close());

  it('refuses a 404 on the page, with the reason and the URL kept', async () => {
    const res = await post('/admin/feeds', { url: `${site.base}/gone.xml` });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(`Not added: HTTP 404 from ${site.base}/gone.xml`);
    expect(res.body).toContain(`value="${site.base}/gone.xml"`);
    expect(await h.feeds.list()).toEqual([]);
  });

  it('offers the feeds of a page with several; the chosen one is added', async () => {
    const res = await post('/admin/feeds', { url: `${site.base}/two/` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('links to 2 feeds');
    expect(res.body).toContain(
      `<input type="hidden" name="url" value="${site.base}/comments.xml" />`,
    );
    expect(await h.feeds.list()).toEqual([]);
    const chosen = await post('/admin/feeds', { url: `${site.base}/feed.xml` });
    expect(chosen.statusCode).toBe(303);
    expect((await h.feeds.list()).map((f) => f.url)).toEqual([`${site.base}/feed.xml`]);
  });

  it('"Fetch all feeds now" starts a job; the page and the API show its progress', async () => {
    await h.feeds.add(`${site.base}/comments.xml`);
    const start = await post('/admin/feeds/ingest', {});
    expect(start.statusCode).toBe(303);
    const location = String(start.headers.location);
    const id = /job=([^&]+)/.exec(location)![1]!;
    const waiting = await h.app.inject({ url: location, headers: { cookie } });
    expect(waiting.body).toContain(`data-ingest-job="${id}"`);
    expect(waiting.body).toContain('Waiting for a worker');

    // The ingest worker, as start-workers.ts runs it.
    const worker = new Worker(
      QUEUE.ingest,
      async (job) =>
        (await h.ingest.ingestAll({ onProgress: reportIngestProgress(job) })).map(jobFeed),
      { connection: h.bullConnection, prefix: h.keys.prefix },
    );
    try {
      let view;
      for (let i = 0; i < 600; i++) {
        view = (
          await h.app.inject({ url: `/admin/api/feeds/ingest/${id}`, headers: { cookie } })
        ).json();
        if (view.state === 'completed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(view).toMatchObject({ id, state: 'completed', total: 2, done: 2 });
      expect(view.feeds).toEqual(
        expect.arrayContaining([
          { feed: `${site.base}/feed.xml`, ok: true, new: 1, updated: 0 },
          { feed: `${site.base}/comments.xml`, ok: true, new: 0, updated: 0 },
        ]),
      );
      const done = await h.app.inject({ url: location, headers: { cookie } });
      expect(done.body).toContain('Done: 2 of 2 feeds fetched, 1 new post.');
    } finally {
      await worker.close();
    }
  });
});
