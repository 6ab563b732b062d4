import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FeedError } from '../../src/feeds/feed-error.js';
import { parseFeed } from '../../src/feeds/parse-feed.js';

/**
 * The sample feeds next to the project (../shared/feeds, see its README): real-world and
 * specification feeds. Each must give posts with a title and an http(s) URL (and a date, or
 * none at all, so the post takes its firstSeenAt), or fail with a clear FEED_* error.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.resolve(repoRoot, '../shared/feeds');
const present = existsSync(path.join(dir, 'INDEX.tsv'));

if (!present) {
  console.warn(
    `shared-feeds: skipped, ${dir} is absent (it exists on developer machines and in CI)`,
  );
}

const rows = present
  ? readFileSync(path.join(dir, 'INDEX.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [file = '', kind = '', title = ''] = line.split('\t');
        return { file, kind, title };
      })
  : [];

// Feeds known to lack dates on purpose (spec examples without pubDate / dc:date).
const UNDATED_OK = /0\.91|0\.92|RDF Site Summary/;
// Samples whose items have no link of their own (an MSN slideshow with only a non-URL guid
// and "related" links): no post can be made, FEED_NO_LINKS says so. (RSS 0.92's items have
// enclosures, which stand in for a link.)
const NO_LINKS_OK = /Slideshow/;

describe.skipIf(!present)('shared sample feeds', () => {
  it('the index lists the feeds', () => {
    expect(rows.length).toBeGreaterThan(40);
  });

  it.each(rows)('$kind: $title', ({ file, title }) => {
    const bytes = readFileSync(path.join(dir, file));
    const started = performance.now();
    let feed: ReturnType<typeof parseFeed>;
    try {
      feed = parseFeed(bytes, { now: new Date('2030-01-01T00:00:00Z') });
    } catch (err) {
      expect(err).toBeInstanceOf(FeedError);
      expect((err as FeedError).code).toMatch(/^FEED_/);
      expect(NO_LINKS_OK.test(title), `${title} failed: ${(err as Error).message}`).toBe(true);
      return;
    } finally {
      expect(performance.now() - started).toBeLessThan(3000);
    }
    expect(feed.items.length).toBeGreaterThan(0);
    for (const item of feed.items) {
      expect(item.title.length).toBeGreaterThan(0);
      expect(item.title).not.toMatch(/<\/?[a-z][^>]*>/i);
      expect(item.url).toMatch(/^https?:\/\//);
      expect(() => new URL(item.url)).not.toThrow();
      expect(item.summary.length).toBeLessThanOrEqual(300);
      if (item.imageUrl) expect(item.imageUrl).toMatch(/^https?:\/\//);
      // Every date the samples give is read; the summary never just repeats the title.
      expect(item.unreadableDate, `${title}: ${item.title}`).toBeUndefined();
      if (item.summary) expect(item.summary).not.toBe(item.title);
      if (!UNDATED_OK.test(title))
        expect(item.publishedAt, `${title}: ${item.title}`).toBeInstanceOf(Date);
    }
  });
});
