import { parseFeed } from 'feedsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveHtml } from '../../src/digests/archive-html.js';
import { buildDigest } from '../../src/digests/build-digest.js';
import { digestWindow } from '../../src/digests/digest-window.js';
import { editionWindow } from '../../src/digests/edition-window.js';
import { createVariantStore } from '../../src/digests/variant-store.js';
import { createVariants } from '../../src/digests/variants.js';
import { createLogger } from '../../src/log.js';
import { httpHarness, type Harness } from './http-setup.js';

const NOW = new Date('2026-01-20T10:00:00Z');
const NASTY = '<script>alert(1)</script> & "quotes" ]]> \u0001end';
let h: Harness;

beforeAll(async () => {
  h = await httpHarness('archive', {
    now: () => NOW,
    env: { DIGEST_FREQUENCIES: 'daily,weekly', DIGEST_DEFAULT_FREQUENCY: 'weekly' },
  });
});
afterAll(async () => h.close());

/** When the harness stored the digest's content (its `updated` in the feed). */
const builtAt = async (date: string) => (await h.digestStore.getSummary(`weekly/${date}`))!.builtAt;

describe('the archive with no digest yet', () => {
  it('lists each offered frequency, empty, and gives a valid empty feed', async () => {
    const page = await h.app.inject({ url: '/digests' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h2 id="archive-daily">Daily digests</h2>');
    expect(page.body).toContain('<h2 id="archive-weekly">Weekly digests</h2>');
    expect(page.body).not.toContain('Monthly digests');
    expect(page.body.match(/None yet: the first one is on its way/g)).toHaveLength(2);
    expect(page.body).toContain(
      '<link rel="alternate" type="application/atom+xml" href="/digests.atom"',
    );

    const atom = await h.app.inject({ url: '/digests.atom' });
    expect(atom.statusCode).toBe(200);
    expect(atom.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    const parsed = parseFeed(atom.body);
    expect(parsed.format).toBe('atom');
    if (parsed.format !== 'atom') return;
    expect(parsed.feed).toMatchObject({
      id: 'http://localhost:3000/digests.atom',
      title: { value: 'Test Digest: the digest archive' },
      updated: NOW.toISOString(),
      authors: [{ name: 'Test Digest' }],
    });
    expect(parsed.feed.links).toContainEqual(
      expect.objectContaining({ rel: 'self', href: 'http://localhost:3000/digests.atom' }),
    );
    expect(parsed.feed.entries ?? []).toEqual([]);
  });
});

describe('the archive per frequency', () => {
  beforeAll(async () => {
    await h.storeDigest('2026-01-05', 'sent');
    await h.storeDigest('2026-01-12', 'sending');
    await h.redis.hset(h.keys.digest('weekly/2026-01-12'), 'subject', NASTY);
    // Skipped: not built, so neither listed nor in the feed.
    await h.digestStore.markSkipped(
      editionWindow({ frequency: 'weekly', date: '2026-01-19' }, h.config.digest),
      'no posts',
      NOW,
    );
  });

  it('lists the editions that went out under their frequency, newest first, escaped', async () => {
    const page = await h.app.inject({ url: '/digests' });
    const weekly = page.body.slice(page.body.indexOf('archive-weekly'));
    const hrefs = [...weekly.matchAll(/href="(\/digests\/[^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['/digests/weekly/2026-01-12', '/digests/weekly/2026-01-05']);
    expect(page.body).not.toContain('2026-01-19');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    // The daily list is still there, empty.
    expect(page.body.match(/None yet/g)).toHaveLength(1);
  });

  it('shows an edition at /digests/<frequency>/<date>; a bare date redirects to the weekly one', async () => {
    const one = await h.app.inject({ url: '/digests/weekly/2026-01-05' });
    expect(one.statusCode).toBe(200);
    expect(String(one.headers['content-security-policy'])).toContain("default-src 'none'");
    const old = await h.app.inject({ url: '/digests/2026-01-05' });
    expect(old.statusCode).toBe(301);
    expect(old.headers.location).toBe('/digests/weekly/2026-01-05');
    for (const url of ['/digests/daily/2026-01-05', '/digests/weekly/2026-01-19']) {
      expect((await h.app.inject({ url })).statusCode).toBe(404);
    }
  });

  it('gives an Atom feed with one entry per edition that went out, read back by feedsmith', async () => {
    const res = await h.app.inject({ url: '/digests.atom' });
    expect(res.statusCode).toBe(200);
    // Only characters XML 1.0 allows (the subject's U+0001 is dropped).
    // eslint-disable-next-line no-control-regex
    expect(res.body).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    const parsed = parseFeed(res.body);
    expect(parsed.format).toBe('atom');
    if (parsed.format !== 'atom') return;
    const { feed } = parsed;
    expect(feed.id).toBe('http://localhost:3000/digests.atom');
    expect(feed.updated).toBe(await builtAt('2026-01-12'));
    expect(feed.links).toContainEqual(
      expect.objectContaining({ rel: 'self', href: 'http://localhost:3000/digests.atom' }),
    );
    expect(feed.links).toContainEqual(
      expect.objectContaining({ rel: 'alternate', href: 'http://localhost:3000/digests' }),
    );
    const entries = feed.entries ?? [];
    expect(entries.map((e) => e.id)).toEqual([
      'http://localhost:3000/digests/weekly/2026-01-12',
      'http://localhost:3000/digests/weekly/2026-01-05',
    ]);
    const [newest, older] = entries;
    expect(newest).toMatchObject({
      title: { value: NASTY.replace('\u0001', '') },
      updated: await builtAt('2026-01-12'),
      published: digestWindow('2026-01-12', h.config.digest).sendAt.toISOString(),
      links: [
        {
          href: 'http://localhost:3000/digests/weekly/2026-01-12',
          rel: 'alternate',
          type: 'text/html',
        },
      ],
      summary: { value: 'Weekly digest of Monday 12 January 2026: 0 posts.' },
      categories: [{ term: 'weekly' }],
    });
    expect(older).toMatchObject({
      title: { value: 'Digest 2026-01-05' },
      updated: await builtAt('2026-01-05'),
    });
    // Each entry's link opens its page.
    for (const e of entries) {
      const href = e.links![0]!.href!.replace('http://localhost:3000', '');
      expect((await h.app.inject({ url: href })).statusCode).toBe(200);
    }
  });
});

/** The distinct post links in a digest's HTML, sorted. */
const postLinks = (html: string) =>
  [...new Set(html.match(/https:\/\/blog\.example\.com\/[\w-]+/g) ?? [])].sort();

describe('the archive page of a built edition', () => {
  const ID = 'daily/2026-01-19';

  it('shows the main variant’s posts, its copy rendered once and counted (README guarantee 5)', async () => {
    const { services } = h;
    for (const [n, hour] of [
      ['one', 12],
      ['two', 15],
      ['three', 20],
    ] as const)
      await services.posts.addManual(
        {
          title: `Post ${n}`,
          url: `https://blog.example.com/${n}`,
          date: new Date(Date.UTC(2026, 0, 18, hour)),
        },
        new Date(Date.UTC(2026, 0, 18, hour, 30)),
      );
    const log = createLogger('silent');
    const built = await buildDigest(
      {
        digests: services.digests,
        posts: services.posts,
        variants: services.variants,
        schedules: h.config.digest,
        maxPosts: h.config.digest.maxPosts,
        log,
        now: () => new Date('2026-01-19T09:00:00Z'),
      },
      ID,
    );
    expect(built.status).toBe('built');
    const main = (await h.digestStore.get(ID))!;
    expect(main.renders).toBe(1);
    const links = postLinks(main.html);
    expect(links).toHaveLength(3);

    const page = await h.app.inject({ url: `/digests/${ID}` });
    expect(page.statusCode).toBe(200);
    expect(postLinks(page.body)).toEqual(links);
    expect(page.body).toContain('from the archive');
    expect(page.body).not.toContain('%%');
    // The archive's copy is one more MJML run of the edition, counted; later views reuse it.
    expect((await h.digestStore.getSummary(ID))!.renders).toBe(2);
    expect((await h.app.inject({ url: `/digests/${ID}` })).body).toBe(page.body);
    expect((await h.digestStore.getSummary(ID))!.renders).toBe(2);

    // Another process serves the stored copy: it runs no MJML and counts nothing.
    const renderDigest = () => Promise.reject(new Error('rendered again'));
    const elsewhere = createArchiveHtml({
      digests: h.digestStore,
      posts: services.posts,
      variants: createVariants({
        store: createVariantStore({ redis: h.redis, keys: h.keys }),
        posts: services.posts,
        renderer: { renderDigest },
        maxPosts: h.config.digest.maxPosts,
        log,
      }),
      editionOf: (s) =>
        editionWindow({ frequency: 'daily', date: s.split('/')[1]! }, h.config.digest),
    });
    expect(await elsewhere(ID)).toBe(page.body);
    expect((await h.digestStore.getSummary(ID))!.renders).toBe(2);
  });
});
