import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import { createFeedStore } from '../../src/feeds/feed-store.js';
import { createIngest } from '../../src/feeds/ingest.js';
import { createImageMeasurer, MEASURE_BYTES } from '../../src/feeds/measure-image.js';
import { createPostImageStore } from '../../src/feeds/post-image-store.js';
import { MEASURE_RECENT_DAYS } from '../../src/feeds/post-images.js';
import { createPostStore } from '../../src/feeds/post-store.js';
import { DEFAULT_MAX_BYTES } from '../../src/feeds/safe-fetch.js';
import { createLogger } from '../../src/log.js';
import { createRenderer } from '../../src/render/render-digest.js';
import { deletePrefix, testRedis } from '../helpers/redis.js';

/**
 * Ingest measures the images of new posts over HTTP (the first bytes only, through the feeds'
 * address guard), once each, and the digest shows them with those sizes.
 */

const t = testRedis('post-images');
const feedStore = createFeedStore({ redis: t.redis, keys: t.keys });
const postStore = createPostStore({ redis: t.redis, keys: t.keys });
const imageStore = createPostImageStore({ redis: t.redis, keys: t.keys });
const UA = 'weekly-digest/0.1 (+https://digest.example)';
const IMAGES = path.join(import.meta.dirname, '../fixtures/images');
const image = (name: string) => readFileSync(path.join(IMAGES, name));

/** path -> [content type, body]; every request is counted by path, with its Range header. */
const files = new Map<string, [string, Buffer]>();
const requests: { path: string; range: string | undefined }[] = [];
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    const file = files.get(req.url ?? '');
    if (!file) return void res.writeHead(404).end('not here');
    // Like many servers: the whole body, Range or not.
    res.writeHead(200, { 'content-type': file[0], 'content-length': file[1].length });
    res.end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(async () => {
  files.clear();
  requests.length = 0;
  await deletePrefix(t.redis, t.prefix);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await t.cleanup();
});

const day = 86_400_000;
const now = new Date('2026-03-08T12:00:00Z');

function feed(items: { slug: string; image: string; daysAgo?: number }[]): Buffer {
  const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>Pictures</title><link>${base}/</link>${items
    .map(
      (i) =>
        `<item><title>Post ${i.slug}</title><link>https://blog.example/${i.slug}</link>` +
        `<guid>https://blog.example/${i.slug}</guid>` +
        `<pubDate>${new Date(now.getTime() - (i.daysAgo ?? 1) * day).toUTCString()}</pubDate>` +
        `<description>About ${i.slug}.</description>` +
        `<enclosure url="${base}${i.image}" type="image/jpeg" length="1"/></item>`,
    )
    .join('')}</channel></rss>`;
  return Buffer.from(xml);
}

function ingester(allowPrivate = true) {
  return createIngest({
    feedStore,
    postStore,
    log: createLogger('silent'),
    allowPrivate: true, // the feed itself is on loopback
    userAgent: UA,
    now: () => now,
    images: {
      store: imageStore,
      measure: createImageMeasurer({ allowPrivate, userAgent: UA, timeoutMs: 5000 }),
    },
  });
}

async function postsBySlug() {
  const { posts } = await postStore.list({ limit: 100 });
  return new Map(posts.map((p) => [p.url.replace('https://blog.example/', ''), p]));
}

const hits = (p: string) => requests.filter((r) => r.path === p).length;

describe('post images', () => {
  it('measures each new image once, from its first bytes, and the digest shows them so', async () => {
    // a 6 MB JPEG: more than a feed may weigh, so only a partial read can measure it
    const big = Buffer.concat([image('cover-1201x677.jpg'), Buffer.alloc(DEFAULT_MAX_BYTES + 1)]);
    files.set('/big.jpg', ['image/jpeg', big]);
    files.set('/cover.jpg', ['image/jpeg', image('cover-1201x677-progressive.jpg')]);
    files.set('/photo.jpg', ['image/jpeg', image('photo-640x480-orientation-6.jpg')]);
    files.set('/page.jpg', ['text/html', Buffer.from('<!doctype html><title>Oops</title>')]);
    files.set('/feed.xml', [
      'application/rss+xml',
      feed([
        { slug: 'a', image: '/cover.jpg' },
        { slug: 'b', image: '/big.jpg' },
        { slug: 'c', image: '/photo.jpg' },
        { slug: 'd', image: '/gone.jpg' }, // 404
        { slug: 'e', image: '/page.jpg' }, // not an image
        { slug: 'old', image: '/cover.jpg?old', daysAgo: MEASURE_RECENT_DAYS + 1 },
      ]),
    ]);
    await feedStore.add(`${base}/feed.xml`);
    const [first] = await ingester().ingestAll();
    expect(first).toMatchObject({ ok: true, new: 6 });

    const posts = await postsBySlug();
    expect(posts.get('a')?.imageSize).toEqual({ width: 1201, height: 677 });
    expect(posts.get('b')?.imageSize).toEqual({ width: 1201, height: 677 });
    expect(posts.get('c')?.imageSize).toEqual({ width: 480, height: 640 });
    for (const slug of ['d', 'e', 'old']) expect(posts.get(slug)?.imageSize, slug).toBeUndefined();
    expect(hits('/cover.jpg?old')).toBe(0); // too old for any digest
    expect(requests.find((r) => r.path === '/big.jpg')?.range).toBe(`bytes=0-${MEASURE_BYTES - 1}`);

    // Fetched again: nothing is measured twice, the ones that failed included.
    await ingester().ingestAll();
    for (const p of ['/cover.jpg', '/big.jpg', '/photo.jpg', '/gone.jpg', '/page.jpg'])
      expect(hits(p), p).toBe(1);

    const renderer = createRenderer({ site: { ...siteConfig, logoUrl: undefined } });
    const digest = await renderer.renderDigest({
      date: '2026-03-09',
      posts: [...posts.values()],
      window: digestWindow('2026-03-09', { cron: '0 9 * * 1', tz: 'UTC' }),
    });
    const imgs = [...digest.html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]);
    expect(imgs).toHaveLength(3);
    expect(imgs.filter((i) => i.includes(`src="${base}/cover.jpg"`))[0]).toMatch(
      /\swidth="544" height="307"/,
    );
    expect(imgs.filter((i) => i.includes(`src="${base}/photo.jpg"`))[0]).toMatch(
      /\swidth="480" height="640"/,
    );
  });

  it('measures again when a post changes its image, and never records a stale one', async () => {
    files.set('/one.png', ['image/png', image('cover-1201x677.png')]);
    files.set('/two.gif', ['image/gif', image('cover-401x227.gif')]);
    files.set('/feed.xml', ['application/rss+xml', feed([{ slug: 'a', image: '/one.png' }])]);
    await feedStore.add(`${base}/feed.xml`);
    await ingester().ingestAll();
    expect((await postsBySlug()).get('a')?.imageSize).toEqual({ width: 1201, height: 677 });

    files.set('/feed.xml', ['application/rss+xml', feed([{ slug: 'a', image: '/two.gif' }])]);
    const [again] = await ingester().ingestAll();
    expect(again).toMatchObject({ ok: true, updated: 1 });
    const post = (await postsBySlug()).get('a')!;
    expect(post.imageUrl).toBe(`${base}/two.gif`);
    expect(post.imageSize).toEqual({ width: 401, height: 227 });

    // A measurement of the image the post showed before is not recorded over the new one.
    expect(await imageStore.setImageSize(post.id, `${base}/one.png`, { width: 1, height: 1 })).toBe(
      false,
    );
    // Nor over a size already there.
    expect(await imageStore.setImageSize(post.id, `${base}/two.gif`, undefined)).toBe(false);
    expect((await postStore.get(post.id))?.imageSize).toEqual({ width: 401, height: 227 });
  });

  it('keeps to the feeds address guard: a private address is not fetched unless allowed', async () => {
    files.set('/one.png', ['image/png', image('cover-1201x677.png')]);
    files.set('/feed.xml', ['application/rss+xml', feed([{ slug: 'a', image: '/one.png' }])]);
    await feedStore.add(`${base}/feed.xml`);
    await ingester(false).ingestAll();
    expect(hits('/one.png')).toBe(0);
    expect((await postsBySlug()).get('a')?.imageSize).toBeUndefined();
    const measure = createImageMeasurer({ allowPrivate: false, userAgent: UA });
    expect(await measure('http://169.254.169.254/latest/meta-data')).toBeUndefined();
    expect(await measure('file:///etc/passwd')).toBeUndefined();
    expect(await measure('/etc/passwd')).toBeUndefined();
  });
});

const siteConfig = {
  name: 'Example Blog',
  publicUrl: 'https://blog.example',
  lang: 'en',
  postalAddress: '1 Example Street',
  accentColor: '#0f766e',
};
