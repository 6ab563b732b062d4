import { describe, expect, it } from 'vitest';
import { decodeFeedBytes } from '../../src/feeds/decode-feed.js';
import { FeedError } from '../../src/feeds/feed-error.js';
import { htmlToText, truncateText } from '../../src/feeds/html-text.js';
import { parseFeed } from '../../src/feeds/parse-feed.js';
import { byUrl, fixture } from '../helpers/feed-fixtures.js';

const NOW = new Date('2025-03-10T00:00:00Z');

function feedError(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeedError);
    return err as FeedError;
  }
  throw new Error('expected a FeedError');
}

describe('parseFeed: RSS 2.0', () => {
  const feed = parseFeed(fixture('rss2.xml'), { now: NOW });

  it('reads the channel and drops the javascript: item', () => {
    expect(feed.format).toBe('rss');
    expect(feed.title).toBe('Example Blog & Friends');
    expect(feed.items.map((i) => i.url)).toEqual([
      'https://blog.example.com/posts/faster-builds',
      'https://blog.example.com/posts/att?utm=rss&x=1',
      'https://blog.example.com/posts/undated',
      'https://blog.example.com/posts/guid-only',
    ]);
    expect(feed.skipped).toBe(1);
  });

  it('strips HTML from CDATA titles and resolves relative links against the channel link', () => {
    const item = byUrl(feed, 'https://blog.example.com/posts/faster-builds');
    expect(item.title).toBe('Shipping faster builds & happier teams');
    expect(item.guid).toBe('post-101');
    expect(item.author).toBe('Ada Lovelace');
    expect(item.publishedAt?.toISOString()).toBe('2025-03-03T09:30:00.000Z');
    expect(item.summary).toBe('We cut our CI time in half. Here’s how — step by step.');
    expect(item.summary).not.toContain('alert');
    expect(item.imageUrl).toBe('https://blog.example.com/img/ci.png');
  });

  it('decodes entities (named and numeric) and strips escaped tags in titles', () => {
    const item = byUrl(feed, 'https://blog.example.com/posts/att?utm=rss&x=1');
    expect(item.title).toBe('AT&T bold claims “5G” été');
    expect(item.summary).toBe('Plain text with an ampersand & a less-than a < b.');
    expect(item.imageUrl).toBe('https://cdn.example.com/att.jpg');
  });

  it('leaves publishedAt unset when the item has no date', () => {
    const item = byUrl(feed, 'https://blog.example.com/posts/undated');
    expect(item.publishedAt).toBeUndefined();
    expect(item.guid).toBeUndefined();
  });

  it('uses an http(s) guid when there is no link', () => {
    const item = byUrl(feed, 'https://blog.example.com/posts/guid-only');
    expect(item.guid).toBe('https://blog.example.com/posts/guid-only');
    expect(item.imageUrl).toBe('https://cdn.example.com/thumb.png');
  });

  it('prefers the fetched URL over nothing when a relative link has no channel link', () => {
    const xml =
      '<rss version="2.0"><channel><title>t</title><item><title>x</title><link>a/b</link></item></channel></rss>';
    expect(
      parseFeed(xml, { baseUrl: 'https://host.example/feeds/rss.xml', now: NOW }).items[0]?.url,
    ).toBe('https://host.example/feeds/a/b');
  });
});

describe('parseFeed: Atom 1.0', () => {
  const feed = parseFeed(fixture('atom.xml'), { now: NOW });

  it('resolves links against xml:base (feed and entry) and keeps only http(s)', () => {
    expect(feed.format).toBe('atom');
    expect(feed.title).toBe('Atom Example');
    expect(feed.items.map((i) => i.url)).toEqual([
      'https://atom.example.org/blog/2025/03/hello',
      'https://atom.example.org/other/entry-two',
    ]);
  });

  it('reads html and xhtml titles as plain text, summary before content', () => {
    const [first, second] = feed.items;
    expect(first?.title).toBe('Hello World & more');
    expect(first?.guid).toBe('tag:atom.example.org,2025:1');
    expect(first?.author).toBe('Grace Hopper');
    expect(first?.publishedAt?.toISOString()).toBe('2025-03-04T07:00:00.000Z');
    expect(first?.summary).toBe('A short summary.');
    expect(first?.imageUrl).toBe('https://atom.example.org/blog/pics/hello.jpg');
    expect(second?.title).toBe('An XHTML title');
    expect(second?.summary).toBe('Only content, no summary, and no dates at all.');
    expect(second?.publishedAt).toBeUndefined();
    expect(second?.author).toBe('Feed Author');
  });

  it('reads Atom 0.3 too', () => {
    const xml = `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>old</title>
      <entry><title>e</title><link rel="alternate" type="text/html" href="http://old.example/e"/>
      <id>tag:old,1</id><issued>2004-01-01T00:00:00Z</issued></entry></feed>`;
    const old = parseFeed(xml, { now: NOW });
    expect(old.items[0]).toMatchObject({ url: 'http://old.example/e', title: 'e' });
    expect(old.items[0]?.publishedAt?.toISOString()).toBe('2004-01-01T00:00:00.000Z');
  });
});

describe('parseFeed: JSON Feed 1.1', () => {
  const feed = parseFeed(fixture('feed.json'), { contentType: 'application/feed+json', now: NOW });

  it('reads items, resolves relative URLs, drops javascript: ones', () => {
    expect(feed.format).toBe('json');
    expect(feed.items.map((i) => i.url)).toEqual([
      'https://json.example.net/p/1',
      'https://json.example.net/p/2',
    ]);
  });

  it('strips HTML (and style content) and keeps plain text as text', () => {
    const [first, second] = feed.items;
    expect(first?.title).toBe('Bold & brave');
    expect(first?.summary).toBe('First post body.');
    expect(first?.author).toBe('Item Author');
    expect(first?.imageUrl).toBe('https://json.example.net/i/1.png');
    expect(second?.summary).toBe('Plain text with spaces <not a tag>.');
    expect(second?.publishedAt).toBeUndefined();
    expect(second?.author).toBe('Feed Owner');
    expect(second?.imageUrl).toBe('https://json.example.net/i/2.jpg');
  });
});

describe('parseFeed: encodings', () => {
  it('decodes a feed declared ISO-8859-1 from its bytes', () => {
    const bytes = fixture('latin1.xml');
    expect(bytes.includes(Buffer.from('Grüße', 'utf8'))).toBe(false); // really latin-1 bytes
    const feed = parseFeed(bytes, { now: NOW });
    expect(feed.title).toBe('Café Müller');
    expect(feed.items[0]?.title).toBe('Grüße aus Köln – Crème brûlée');
    expect(feed.items[0]?.summary).toBe('Äpfel, Öl und Übergrößen für 5 £.');
  });

  it('falls back to the XML declaration when a server claims UTF-8 wrongly', () => {
    const feed = parseFeed(fixture('latin1.xml'), {
      contentType: 'text/xml; charset=utf-8',
      now: NOW,
    });
    expect(feed.title).toBe('Café Müller');
  });

  it('honours the Content-Type charset and a BOM', () => {
    const latin = Buffer.from('<?xml version="1.0"?><x>é</x>', 'latin1');
    expect(decodeFeedBytes(latin, 'application/xml; charset="ISO-8859-1"')).toContain('<x>é</x>');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<x>ü</x>', 'utf8')]);
    expect(decodeFeedBytes(bom, 'text/xml; charset=iso-8859-1')).toBe('<x>ü</x>');
  });
});

describe('parseFeed: bad input', () => {
  it('a malformed feed fails with FEED_PARSE', () => {
    expect(feedError(() => parseFeed(fixture('malformed.xml'))).code).toBe('FEED_PARSE');
    expect(feedError(() => parseFeed('<html><body>not a feed</body></html>')).code).toBe(
      'FEED_PARSE',
    );
    expect(
      feedError(() => parseFeed('{"version": "https://jsonfeed.org/version/1.1", "items": [')).code,
    ).toBe('FEED_PARSE');
    expect(feedError(() => parseFeed(Buffer.from([0x00, 0xff, 0x13, 0x37]))).code).toBe(
      'FEED_PARSE',
    );
  });

  it('an XML entity bomb fails fast with FEED_ENTITY_LIMIT', () => {
    const levels = Array.from({ length: 9 }, (_, i) => {
      const ref = `&lol${i};`.repeat(10);
      return `<!ENTITY lol${i + 1} "${ref}">`;
    });
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol0 "lol">
  ${levels.join('\n  ')}
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://bomb.example/</link></item></channel></rss>`;
    const started = performance.now();
    const err = feedError(() => parseFeed(Buffer.from(bomb)));
    expect(err.code).toBe('FEED_ENTITY_LIMIT');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a small nested-entity DTD is refused too, an external entity as well', () => {
    const nested = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><rss version="2.0"><channel><title>&b;</title></channel></rss>`;
    expect(feedError(() => parseFeed(nested)).code).toBe('FEED_ENTITY_LIMIT');
    const external = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&x;</title></channel></rss>`;
    expect(feedError(() => parseFeed(external)).code).toBe('FEED_ENTITY_LIMIT');
  });

  it('items without any http(s) link give FEED_NO_LINKS, an empty feed gives no items', () => {
    const noLinks =
      '<rss version="2.0"><channel><title>t</title><item><description>x</description></item></channel></rss>';
    expect(feedError(() => parseFeed(noLinks)).code).toBe('FEED_NO_LINKS');
    expect(parseFeed('<rss version="2.0"><channel><title>t</title></channel></rss>').items).toEqual(
      [],
    );
  });

  it('a huge feed (3 MB) parses in bounded time and items are capped', () => {
    const body = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(10);
    const items = Array.from(
      { length: 5000 },
      (_, i) =>
        `<item><title>Post ${i}</title><link>https://huge.example/p/${i}</link><guid>huge-${i}</guid>` +
        `<pubDate>Mon, 03 Mar 2025 09:30:00 GMT</pubDate><description><![CDATA[<p>${body}</p>]]></description></item>`,
    );
    const xml = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title><link>https://huge.example/</link>${items.join('')}</channel></rss>`;
    expect(xml.length).toBeGreaterThan(3_000_000);
    const started = performance.now();
    const feed = parseFeed(Buffer.from(xml), { now: NOW });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(feed.items).toHaveLength(500);
    expect(feed.items[499]?.summary.length).toBeLessThanOrEqual(300);
    expect(feed.items[499]?.summary.endsWith('…')).toBe(true);
  });

  it('dates in the far future or unreadable are dropped', () => {
    const xml = `<rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>https://d.example/a</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
      <item><title>b</title><link>https://d.example/b</link><pubDate>sometime soon</pubDate></item>
      <item><title>c</title><link>https://d.example/c</link><pubDate>Sat, 01 Mar 2025 12:00:00 CEST</pubDate></item>
    </channel></rss>`;
    const [a, b, c] = parseFeed(xml, { now: NOW }).items;
    expect(a?.publishedAt).toBeUndefined();
    expect(b?.publishedAt).toBeUndefined();
    expect(c?.publishedAt?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
  });
});

describe('htmlToText and truncateText', () => {
  it('drops script and style content, comments and tags; decodes entities', () => {
    expect(
      htmlToText(
        '<p>a<script>var x = "<p>";</script> b<!-- c --> &amp; &#x41;&#66;&nbsp;d</p><style>p{}</style>',
      ),
    ).toBe('a b & AB d');
    expect(htmlToText('1 < 2 and 3 > 2')).toBe('1 < 2 and 3 > 2');
  });

  it('cuts at a word boundary with an ellipsis', () => {
    const text = 'word '.repeat(100).trim();
    const cut = truncateText(text, 300);
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut.endsWith('word…')).toBe(true);
    expect(truncateText('short', 300)).toBe('short');
  });
});

describe('titles', () => {
  it('keeps words that look like tags and strips inline markup', () => {
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>Escaping &lt;script&gt; in email &amp; why it matters</title><link>https://b.example/1</link></item>
      <item><title>&lt;b&gt;Bold&lt;/b&gt; and &lt;em&gt;loud&lt;/em&gt;</title><link>https://b.example/2</link></item>
    </channel></rss>`;
    const { items } = parseFeed(xml);
    expect(items.map((i) => i.title)).toEqual([
      'Escaping <script> in email & why it matters',
      'Bold and loud',
    ]);
  });
});
