import { parseFeed } from 'feedsmith';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestWindow } from '../../src/digests/digest-window.js';
import { editionWindow } from '../../src/digests/edition-window.js';
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
