import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { guardedLookup, isPublicAddress } from '../../src/feeds/address-guard.js';
import { FeedError } from '../../src/feeds/feed-error.js';
import { createFeedStore } from '../../src/feeds/feed-store.js';
import { createIngest, type IngestResult } from '../../src/feeds/ingest.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { fetchFeed } from '../../src/feeds/safe-fetch.js';
import { createLogger } from '../../src/log.js';
import { feedCommands, openTestServices } from '../helpers/cli.js';
import { deletePrefix, testRedis } from '../helpers/redis.js';

const t = testRedis('ingest');
const feedStore = createFeedStore({ redis: t.redis, keys: t.keys });
const postStore = createPostStore({ redis: t.redis, keys: t.keys });
const log = createLogger('silent');
const UA = 'weekly-digest/0.1 (+https://digest.example)';

const rss = (items: { guid?: string; link: string; title: string; date?: string }[]) =>
  `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title><link>https://site.example/</link>${items
    .map(
      (i) =>
        `<item><title>${i.title}</title><link>${i.link}</link>${i.guid ? `<guid isPermaLink="false">${i.guid}</guid>` : ''}` +
        `<pubDate>${i.date ?? 'Mon, 03 Mar 2025 09:30:00 GMT'}</pubDate><description>About ${i.title}</description></item>`,
    )
    .join('')}</channel></rss>`;

/** Mutable per-route behaviour; each test sets what it needs. */
const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const handler = routes.get(req.url ?? '');
    if (handler) handler(req, res);
    else res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(async () => {
  routes.clear();
  seen.length = 0;
  await deletePrefix(t.redis, t.prefix);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t.cleanup();
});

const ingest = (opts: { allowPrivate?: boolean; timeoutMs?: number; maxBytes?: number } = {}) =>
  createIngest({
    feedStore,
    postStore,
    log,
    allowPrivate: opts.allowPrivate ?? true,
    userAgent: UA,
    fetch: { timeoutMs: opts.timeoutMs ?? 2000, maxBytes: opts.maxBytes },
  });

const serveFeed = (path: string, body: () => string, headers: Record<string, string> = {}) =>
  routes.set(path, (req, res) => {
    if (headers.etag && req.headers['if-none-match'] === headers.etag)
      return void res.writeHead(304).end();
    res
      .writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', ...headers })
      .end(body());
  });

describe('ingest over HTTP', () => {
  it('conditional GET: a 304 says notModified and changes nothing', async () => {
    serveFeed('/rss', () => rss([{ guid: 'a', link: 'https://site.example/a', title: 'A' }]), {
      etag: '"v1"',
      'last-modified': 'Mon, 03 Mar 2025 10:00:00 GMT',
    });
    await feedStore.add(`${base}/rss`);
    const first = await ingest().ingestOne(`${base}/rss`);
    expect(first).toEqual({ feed: `${base}/rss`, ok: true, new: 1, updated: 0, unchanged: 0 });
    const state = await feedStore.get(`${base}/rss`);
    expect(state).toMatchObject({
      etag: '"v1"',
      lastModified: 'Mon, 03 Mar 2025 10:00:00 GMT',
      lastResult: { new: 1, updated: 0, unchanged: 0 },
    });
    expect(seen[0]?.headers['user-agent']).toBe(UA);

    const second = await ingest().ingestOne(`${base}/rss`);
    expect(second).toMatchObject({ ok: true, new: 0, updated: 0, unchanged: 0, notModified: true });
    expect(seen[1]?.headers['if-none-match']).toBe('"v1"');
    expect(seen[1]?.headers['if-modified-since']).toBe('Mon, 03 Mar 2025 10:00:00 GMT');
    expect((await postStore.list({ limit: 10 })).total).toBe(1);
  });

  it('follows a redirect (relative Location) and reads a gzipped body', async () => {
    routes.set('/old', (_req, res) => res.writeHead(301, { location: '/new' }).end());
    routes.set('/new', (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' })
        .end(
          gzipSync(
            rss([{ link: 'rel/path', title: 'Moved' }]).replace(
              '<link>https://site.example/</link>',
              '',
            ),
          ),
        ),
    );
    const res = await fetchFeed(`${base}/old`, { allowPrivate: true, userAgent: UA });
    expect(res.notModified).toBe(false);
    if (res.notModified) return;
    expect(res.url).toBe(`${base}/new`);
    await feedStore.add(`${base}/old`);
    expect(await ingest().ingestOne(`${base}/old`)).toMatchObject({ ok: true, new: 1 });
    // Relative links resolve against the URL the feed finally came from.
    expect((await postStore.list({ limit: 1 })).posts[0]?.url).toBe(`${base}/rel/path`);
  });

  it('stops after 5 redirects', async () => {
    let n = 0;
    routes.set('/loop', (_req, res) => res.writeHead(302, { location: `/loop?${++n}` }).end());
    for (let i = 1; i <= 10; i++) routes.set(`/loop?${i}`, routes.get('/loop')!);
    await expect(
      fetchFeed(`${base}/loop`, { allowPrivate: true, userAgent: UA }),
    ).rejects.toMatchObject({
      code: 'FEED_TOO_MANY_REDIRECTS',
    });
    expect(seen).toHaveLength(6);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    routes.set('/to-file', (_req, res) =>
      res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
    );
    await expect(
      fetchFeed(`${base}/to-file`, { allowPrivate: true, userAgent: UA }),
    ).rejects.toMatchObject({
      code: 'FEED_INVALID_SOURCE',
    });
  });

  it('times out a server that never finishes', async () => {
    routes.set('/slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<rss version="2.0"><channel>'); // ...and never ends
    });
    await feedStore.add(`${base}/slow`);
    const started = Date.now();
    const result = await ingest({ timeoutMs: 200 }).ingestOne(`${base}/slow`);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^FEED_TIMEOUT/) });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await feedStore.get(`${base}/slow`))?.lastError).toMatch(/^FEED_TIMEOUT/);
  });

  it('aborts a body over the limit, declared or streamed', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    routes.set('/declared', (_req, res) =>
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end(),
    );
    routes.set('/streamed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const write = (i: number) => {
        if (i > 100 || res.destroyed) return void res.end();
        res.write(chunk, () => write(i + 1));
      };
      write(0);
    });
    await expect(
      fetchFeed(`${base}/declared`, { allowPrivate: true, userAgent: UA }),
    ).rejects.toMatchObject({ code: 'FEED_TOO_LARGE' });
    await expect(
      fetchFeed(`${base}/streamed`, { allowPrivate: true, userAgent: UA, maxBytes: 256 * 1024 }),
    ).rejects.toMatchObject({ code: 'FEED_TOO_LARGE' });
    // A gzip bomb is measured after decompression.
    routes.set('/bomb', (_req, res) =>
      res
        .writeHead(200, { 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20))),
    );
    await expect(
      fetchFeed(`${base}/bomb`, { allowPrivate: true, userAgent: UA, maxBytes: 1024 * 1024 }),
    ).rejects.toMatchObject({
      code: 'FEED_TOO_LARGE',
    });
  });

  it('refuses private addresses unless allowed: literal IPs, localhost, and at connect time', async () => {
    serveFeed('/rss', () => rss([{ link: 'https://site.example/p', title: 'P' }]));
    await feedStore.add(`${base}/rss`);
    const refused = await ingest({ allowPrivate: false }).ingestOne(`${base}/rss`);
    expect(refused).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^FEED_PRIVATE_ADDRESS/),
    });
    expect(seen).toHaveLength(0);
    const port = new URL(base).port;
    for (const host of [
      `localhost:${port}`,
      `[::1]:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `0.0.0.0:${port}`,
    ]) {
      await expect(
        fetchFeed(`http://${host}/rss`, { allowPrivate: false, userAgent: UA }),
      ).rejects.toMatchObject({
        code: 'FEED_PRIVATE_ADDRESS',
      });
    }
    // The lookup hook is what node:http calls when it connects: the resolved address is checked.
    const err = await new Promise<Error>((resolve) => {
      http
        .get(
          { host: 'localhost', port, path: '/rss', lookup: guardedLookup(false), agent: false },
          () => resolve(new Error('connected')),
        )
        .once('error', resolve);
    });
    expect(err).toBeInstanceOf(FeedError);
    expect((err as FeedError).code).toBe('FEED_PRIVATE_ADDRESS');
    expect(seen).toHaveLength(0);
  });

  it('classifies addresses', () => {
    for (const a of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isPublicAddress(a), a).toBe(true);
  });

  it('a failing feed keeps its posts and records the error; the others go on', async () => {
    let broken = false;
    routes.set('/flaky', (_req, res) => {
      if (broken) return void res.writeHead(500).end('oops');
      res
        .writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(rss([{ guid: 'f1', link: 'https://site.example/f1', title: 'F1' }]));
    });
    serveFeed('/good', () => rss([{ guid: 'g1', link: 'https://site.example/g1', title: 'G1' }]));
    routes.set('/garbage', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>nope</html>'),
    );
    for (const p of ['/flaky', '/good', '/garbage']) await feedStore.add(`${base}${p}`);

    const byFeed = (results: IngestResult[]) =>
      new Map(results.map((r) => [r.feed.slice(base.length), r]));
    const first = byFeed(await ingest().ingestAll());
    expect([...first.values()].map((r) => r.ok).sort()).toEqual([false, true, true]);
    broken = true;
    const second = byFeed(await ingest().ingestAll());
    expect(second.get('/flaky')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^FEED_HTTP_STATUS: HTTP 500/),
    });
    expect(second.get('/good')).toMatchObject({ ok: true, unchanged: 1 });
    expect(second.get('/garbage')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^FEED_PARSE/),
    });

    const flaky = await feedStore.get(`${base}/flaky`);
    expect(flaky?.lastError).toMatch(/^FEED_HTTP_STATUS/);
    expect(flaky?.lastErrorAt).toBeDefined();
    expect(flaky?.lastOkAt).toBeDefined();
    expect((await postStore.list({ limit: 10 })).posts.map((p) => p.title).sort()).toEqual([
      'F1',
      'G1',
    ]);

    broken = false;
    await ingest().ingestOne(`${base}/flaky`);
    const healed = await feedStore.get(`${base}/flaky`);
    expect(healed?.lastError).toBeUndefined();
    expect(healed?.lastErrorAt).toBeUndefined();
  });

  it('the same post in two feeds is stored once (same guid, or no guid and same URL)', async () => {
    serveFeed('/one', () =>
      rss([
        { guid: 'shared-guid', link: 'https://site.example/s', title: 'Shared' },
        { link: 'https://site.example/no-guid', title: 'No guid' },
      ]),
    );
    serveFeed('/two', () =>
      rss([
        { guid: 'shared-guid', link: 'https://mirror.example/s', title: 'Shared (mirror)' },
        { link: 'https://site.example/no-guid', title: 'No guid (mirror)' },
      ]),
    );
    await feedStore.add(`${base}/one`);
    await feedStore.add(`${base}/two`);
    const one = await ingest().ingestOne(`${base}/one`);
    const two = await ingest().ingestOne(`${base}/two`);
    expect(one).toMatchObject({ new: 2 });
    expect(two).toMatchObject({ new: 0, unchanged: 2 });
    const { posts, total } = await postStore.list({ limit: 10 });
    expect(total).toBe(2);
    expect(posts.every((p) => p.feed === `${base}/one`)).toBe(true);
  });

  it('a changed post is updated, not duplicated', async () => {
    let title = 'First title';
    serveFeed('/changing', () => rss([{ guid: 'c1', link: 'https://site.example/c1', title }]));
    await feedStore.add(`${base}/changing`);
    expect(await ingest().ingestOne(`${base}/changing`)).toMatchObject({ new: 1 });
    title = 'Second title';
    expect(await ingest().ingestOne(`${base}/changing`)).toMatchObject({ new: 0, updated: 1 });
    expect(await ingest().ingestOne(`${base}/changing`)).toMatchObject({ unchanged: 1 });
    const { posts, total } = await postStore.list({ limit: 10 });
    expect(total).toBe(1);
    expect(posts[0]?.title).toBe('Second title');
  });

  it('reads a local file feed, and a missing file is a clear error', async () => {
    const path = new URL('../fixtures/feeds/rss2.xml', import.meta.url).pathname;
    await feedStore.add(path);
    expect(await ingest({ allowPrivate: false }).ingestOne(path)).toMatchObject({
      ok: true,
      new: 4,
    });
    await expect(
      fetchFeed('/no/such/feed.xml', { allowPrivate: false, userAgent: UA }),
    ).rejects.toMatchObject({ code: 'FEED_NOT_FOUND' });
    await expect(feedStore.add('/no/such/feed.xml')).rejects.toMatchObject({
      code: 'FEED_INVALID_SOURCE',
    });
    await expect(feedStore.add('ftp://example.com/feed')).rejects.toMatchObject({
      code: 'FEED_INVALID_SOURCE',
    });
  });

  it('a removed feed is not brought back by an ingest that was running', async () => {
    serveFeed('/gone', () => rss([{ link: 'https://site.example/gone', title: 'Gone' }]));
    await feedStore.add(`${base}/gone`);
    await feedStore.remove(`${base}/gone`);
    await feedStore.update(`${base}/gone`, { lastError: 'x' });
    expect(await feedStore.list()).toEqual([]);
  });
});

describe('feed commands (in-process)', () => {
  const openCli = openTestServices(t.prefix, { FEED_ALLOW_PRIVATE: 'true' });
  const run = feedCommands(openCli);
  afterAll(() => {
    process.exitCode = undefined;
  });

  it('posts list flags a post whose date could not be read, with the text the feed gave', async () => {
    serveFeed('/teatime', () =>
      rss([{ link: 'https://site.example/tea', title: 'Tea', date: '06/01/2006 at teatime' }]),
    );
    await run('feeds', 'add', `${base}/teatime`);
    await run('ingest');
    expect(await run('posts', 'list')).toMatch(
      /^\d{4}-\d\d-\d\d {2}Tea {2}<https:\/\/site\.example\/tea> \[unreadable date "06\/01\/2006 at teatime", dated when first seen\]$/,
    );
  });

  it('feeds add/list/remove, ingest and posts add/list', async () => {
    const file = new URL('../fixtures/feeds/atom.xml', import.meta.url).pathname;
    routes.set('/down', (_req, res) => res.writeHead(503).end());
    expect(await run('feeds', 'add', file)).toMatch(
      new RegExp(`^Feed added: ${file} \\(".+", 2 items\\)$`),
    );
    // Down now: refused with the reason, or added on purpose without the check.
    await expect(run('feeds', 'add', `${base}/down`)).rejects.toMatchObject({
      code: 'FEED_HTTP_STATUS',
    });
    expect(await run('feeds', 'add', '--no-check', `${base}/down`)).toBe(
      `Feed added: ${base}/down`,
    );
    const ingested = await run('ingest');
    expect(ingested).toContain(`${file}: 2 new, 0 updated, 0 unchanged`);
    expect(ingested).toContain(`${base}/down: error FEED_HTTP_STATUS: HTTP 503`);
    expect(process.exitCode).toBeUndefined();
    const listed = await run('feeds', 'list');
    expect(listed).toMatch(/last error at \w{3} \d{1,2} \w{3}, \d\d:\d\d: FEED_HTTP_STATUS/);
    expect(listed).toContain('last result: 2 new, 0 updated, 0 unchanged');

    await expect(
      run('posts', 'add', '--title', 'X', '--url', 'javascript:alert(1)'),
    ).rejects.toMatchObject({ code: 'POST_INVALID' });
    await expect(
      run('posts', 'add', '--title', 'X', '--url', 'https://a.example/x', '--date', 'soon'),
    ).rejects.toMatchObject({
      code: 'POST_INVALID',
    });
    expect(
      await run(
        'posts',
        'add',
        '--title',
        'By hand',
        '--url',
        'https://a.example/x',
        '--date',
        '2025-03-09',
      ),
    ).toMatch(
      /^Post [\w-]{16}: By hand <https:\/\/a\.example\/x> published 2025-03-09T00:00:00\.000Z$/,
    );
    // The undated Atom entry takes firstSeenAt (now), so it lists first, flagged.
    const posts = (await run('posts', 'list', '--limit', '2')).split('\n');
    expect(posts[0]).toMatch(
      /^\d{4}-\d\d-\d\d {2}An XHTML title {2}<https:\/\/atom\.example\.org\/other\/entry-two> \[no date, dated when first seen\]$/,
    );
    expect(posts[1]).toBe('2025-03-09  By hand  <https://a.example/x>');
    expect(posts[2]).toBe('(2 of 3)');

    expect(await run('feeds', 'remove', `${base}/down`)).toBe(`Feed removed: ${base}/down`);
    routes.set('/down', (_req, res) => res.writeHead(503).end());
    await run('feeds', 'remove', file);
    await run('feeds', 'add', '--no-check', `${base}/down`);
    await run('ingest');
    expect(process.exitCode).toBe(1);
  });
});
