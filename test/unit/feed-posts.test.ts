import { describe, expect, it } from 'vitest';
import { decodeFeedBytes } from '../../src/feeds/decode-feed.js';
import { truncateText } from '../../src/feeds/html-text.js';
import { parseFeed } from '../../src/feeds/parse-feed.js';
import { byUrl, fixture } from '../helpers/feed-fixtures.js';

const NOW = new Date('2025-03-10T00:00:00Z');

describe('titles are plain text', () => {
  const feed = parseFeed(fixture('html-titles.atom.xml'), { now: NOW });

  it('an Atom type="html" title loses its tags and its script and style content', () => {
    const item = byUrl(feed, 'https://html.example.org/posts/hello');
    expect(item.title).toBe('Hello world & friends');
    expect(feed.title).toBe('Ann’s Notes');
  });

  it('an xhtml title too; a text construct keeps words that look like tags', () => {
    const item = byUrl(feed, 'https://elsewhere.example.net/blog/2025/entry-two');
    expect(item.title).toBe('An XHTML title');
    expect(item.summary).toBe('Escaping <script> is a text here, not a tag.');
  });

  it('escaped markup in an RSS or JSON title is stripped, script content dropped', () => {
    const rss = `<rss version="2.0"><channel><title>&lt;b&gt;Loud&lt;/b&gt; blog</title>
      <item><title>&lt;p&gt;Hello&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; bye</title><link>https://r.example/1</link></item>
      <item><title><![CDATA[Ship <em>it</em><br/>now &amp; <style>x{}</style>then]]></title><link>https://r.example/2</link></item>
      <item><title>1 &lt; 2 &amp;&amp; 3 &gt; 2</title><link>https://r.example/3</link></item>
    </channel></rss>`;
    const parsed = parseFeed(rss, { now: NOW });
    expect(parsed.title).toBe('Loud blog');
    expect(parsed.items.map((i) => i.title)).toEqual([
      'Hello & bye',
      'Ship it now & then',
      '1 < 2 && 3 > 2',
    ]);
    const json = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'J',
      items: [
        { id: '1', url: 'https://j.example/1', title: '<i>Tilted</i>   <script>x()</script>title' },
      ],
    });
    expect(parseFeed(json, { now: NOW }).items[0]?.title).toBe('Tilted title');
  });
});

describe('legacy encodings', () => {
  // "‘Quoted’ – 5 € — “done”" in windows-1252, written byte by byte.
  const cp1252 = (s: string) => Buffer.from(s, 'latin1');
  const text = Buffer.concat([
    cp1252('<title>'),
    Buffer.from([0x91]),
    cp1252('Quoted'),
    Buffer.from([0x92, 0x20, 0x96, 0x20]),
    cp1252('5 '),
    Buffer.from([0x80, 0x20, 0x97, 0x20, 0x93]),
    cp1252('done'),
    Buffer.from([0x94, 0x85]),
    cp1252('</title>'),
  ]);
  const feed = (decl: string) =>
    Buffer.concat([
      cp1252(`<?xml version="1.0"${decl}?><rss version="2.0"><channel>`),
      text,
      cp1252('<item>'),
      text,
      cp1252('<link>https://w.example/1</link><description>Caf'),
      Buffer.from([0xe9]),
      cp1252(' cr'),
      Buffer.from([0xe8]),
      cp1252('me</description></item></channel></rss>'),
    ]);
  const expected = '‘Quoted’ – 5 € — “done”…';

  it('a feed declared windows-1252 keeps its smart quotes, dashes and euro', () => {
    const bytes = feed(' encoding="windows-1252"');
    expect(bytes.includes(Buffer.from('€', 'utf8'))).toBe(false); // really single bytes
    const parsed = parseFeed(bytes, { now: NOW });
    expect(parsed.title).toBe(expected);
    expect(parsed.items[0]?.title).toBe(expected);
    expect(parsed.items[0]?.summary).toBe('Café crème');
  });

  it('ISO-8859-1 declared (in the document or the Content-Type) is read as windows-1252', () => {
    expect(parseFeed(feed(' encoding="ISO-8859-1"'), { now: NOW }).title).toBe(expected);
    expect(
      parseFeed(feed(''), { contentType: 'application/rss+xml; charset=iso-8859-1', now: NOW })
        .title,
    ).toBe(expected);
  });

  it('undeclared (or wrongly declared UTF-8) bytes that are not UTF-8 are sniffed as windows-1252', () => {
    expect(parseFeed(feed(''), { now: NOW }).title).toBe(expected);
    expect(
      parseFeed(feed(' encoding="utf-8"'), { contentType: 'text/xml; charset=utf-8', now: NOW })
        .title,
    ).toBe(expected);
  });

  it('UTF-8 with one stray byte stays UTF-8 (the byte becomes U+FFFD)', () => {
    const bytes = Buffer.concat([
      Buffer.from('<x>‘Grüße’ – € '),
      Buffer.from([0xff]),
      Buffer.from('</x>'),
    ]);
    expect(decodeFeedBytes(bytes)).toBe('<x>‘Grüße’ – € \uFFFD</x>');
  });

  it('other legacy encodings decode too (KOI8-R, Shift_JIS)', () => {
    const koi = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]); // Привет
    expect(decodeFeedBytes(koi, 'text/xml; charset=koi8-r')).toBe('Привет');
    const sjis = Buffer.from([0x93, 0xfa, 0x96, 0x7b]); // 日本
    expect(
      decodeFeedBytes(
        Buffer.concat([Buffer.from('<?xml version="1.0" encoding="Shift_JIS"?>'), sjis]),
      ),
    ).toBe('<?xml version="1.0" encoding="Shift_JIS"?>日本');
  });
});

describe('links, entities, enclosures, media:description, joiners', () => {
  const atom = parseFeed(fixture('html-titles.atom.xml'), { now: NOW });
  const podcast = parseFeed(fixture('podcast.xml'), { now: NOW });

  it('xml:base on an Atom <link> resolves its href', () => {
    expect(atom.items.map((i) => i.url)).toEqual([
      'https://html.example.org/posts/hello',
      'https://elsewhere.example.net/blog/2025/entry-two',
      'https://www.youtube.com/watch?v=abc123',
    ]);
  });

  it('DTD-declared entities are expanded in guids and text', () => {
    expect(podcast.items.map((i) => i.guid)).toEqual([
      'offmic-trailer',
      'https://pod.example.com/episodes/2',
      'offmic-3',
      'offmic-4',
      'offmic-5',
      'offmic-6',
    ]);
    const cdata = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY who "Ann">]><rss version="2.0"><channel><title>&who;</title>
      <item><title>By &who;</title><link>https://e.example/1</link><description><![CDATA[&who; stays in CDATA]]></description></item></channel></rss>`;
    const parsed = parseFeed(cdata, { now: NOW });
    expect(parsed.title).toBe('Ann');
    expect(parsed.items[0]?.title).toBe('By Ann');
  });

  it('expanding entities is bounded: a long value referenced often is refused', () => {
    const value = 'x'.repeat(10_000);
    const refs = '&big;'.repeat(200);
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "${value}">]><rss version="2.0"><channel><title>t</title>
      <item><title>${refs}</title><link>https://e.example/1</link></item></channel></rss>`;
    let code: string | undefined;
    try {
      parseFeed(xml, { now: NOW });
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('FEED_ENTITY_LIMIT');
  });

  it('an item with only an enclosure links to it; an http(s) guid (the item page) comes first', () => {
    expect(podcast.items[0]).toMatchObject({
      url: 'https://cdn.pod.example.com/trailer.mp3',
      title: 'Trailer',
    });
    expect(podcast.items[1]?.url).toBe('https://pod.example.com/episodes/2');
  });

  it('media:description in a media:group is the summary (YouTube), read as plain text', () => {
    const video = byUrl(atom, 'https://www.youtube.com/watch?v=abc123');
    expect(video.summary).toBe(
      'Line one of the description. Line two has a <tag> that is only text.',
    );
    expect(video.imageUrl).toBe('https://i.ytimg.example/vi/abc123/hqdefault.jpg');
  });

  it('zero-width joiners and non-joiners survive (👩‍💻, Persian, Devanagari)', () => {
    const video = byUrl(atom, 'https://www.youtube.com/watch?v=abc123');
    expect(video.title).toBe(
      'Making \u{1F469}\u200D\u{1F4BB} tools: \u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645 and \u0915\u094D\u200D\u0937',
    );
    // A zero-width space still goes.
    expect(
      parseFeed('<rss version="2.0"><channel><title>a\u200Bb</title></channel></rss>').title,
    ).toBe('ab');
  });

  it('a cut never splits an emoji sequence or a word', () => {
    const text = `${'x'.repeat(295)} \u{1F469}\u200D\u{1F4BB}\u{1F469}\u200D\u{1F4BB} tail`;
    expect(truncateText(text, 300)).toBe(`${'x'.repeat(295)}…`);
    const noSpaces = `${'y'.repeat(297)}\u{1F469}\u200D\u{1F4BB}`;
    expect(truncateText(noSpaces, 300)).toBe(`${'y'.repeat(297)}…`);
  });
});

describe('posts without a real title (microblogs)', () => {
  const masto = parseFeed(fixture('microblog.rss.xml'), { now: NOW });

  it('a long text is cut at a word, without a dangling comma; the summary goes on from there', () => {
    const [first] = masto.items;
    expect(first?.title).toBe(
      'Spent the whole weekend rewriting the sync engine for the app, and the results…',
    );
    expect(first?.summary).toBe(
      '…to my own surprise, are much better than I had hoped for More soon.',
    );
  });

  it('a short first sentence is the title, the rest the summary, never the same text twice', () => {
    const [, wedding, release, desk] = masto.items;
    expect(wedding).toMatchObject({ title: 'Got a wedding date 😎', summary: '' });
    expect(release).toMatchObject({
      title: 'Release day!',
      summary: 'Version 2 of the 👩‍💻 toolkit is out, with a new site.',
    });
    // A title that is only the text's start with "…" counts as none.
    expect(desk).toMatchObject({
      title: 'Trying the new desk setup at home, and honestly it works better than the office',
      summary: 'Who knew.',
    });
  });

  it('a JSON Feed microblog too; each post is credited to the blog, not its domain', () => {
    const json = parseFeed(fixture('microblog.json'), { now: NOW });
    expect(json.items.map((i) => [i.title, i.summary, i.blog])).toEqual([
      ['Coffee with the team this morning, then a long walk by the river', '', "Bo's Microblog"],
      ['Reading The Left Hand of Darkness again', 'Still great.', "Bo's Microblog"],
    ]);
    expect(masto.items.every((i) => i.blog === 'Ann Example')).toBe(true);
  });

  it('a real title equal to its summary leaves the summary empty', () => {
    const rss = `<rss version="2.0"><channel><title>N</title><item><title>Same words</title>
      <description>Same words</description><link>https://n.example/1</link></item></channel></rss>`;
    expect(parseFeed(rss, { now: NOW }).items[0]).toMatchObject({
      title: 'Same words',
      summary: '',
    });
  });
});

describe('blog names and categories', () => {
  it('an aggregated item is credited to its source; others to the feed title', () => {
    const atom = parseFeed(fixture('html-titles.atom.xml'), { now: NOW });
    expect(atom.items.map((i) => i.blog)).toEqual(['Ann’s Notes', 'Elsewhere Blog', 'Ann’s Notes']);
  });

  it('RSS <category>, Atom category/@term and JSON Feed tags, plain and de-duplicated', () => {
    const atom = parseFeed(fixture('html-titles.atom.xml'), { now: NOW });
    expect(atom.items[0]?.categories).toEqual(['Release Notes', 'typescript']);
    expect(atom.items[1]?.categories).toBeUndefined();
    const podcast = parseFeed(fixture('podcast.xml'), { now: NOW });
    expect(podcast.items[0]?.categories).toEqual(['Comedy', 'Food & Drink']);
    const json = parseFeed(fixture('microblog.json'), { now: NOW });
    expect(json.items[0]?.categories).toEqual(['life', 'coffee']);
  });
});

describe('unreadable dates', () => {
  it('are kept as written, and the item has no publishedAt', () => {
    const podcast = parseFeed(fixture('podcast.xml'), { now: NOW });
    const teatime = podcast.items[5];
    expect(teatime?.publishedAt).toBeUndefined();
    expect(teatime?.unreadableDate).toBe('06/01/2006 at teatime');
    expect(podcast.items[0]?.publishedAt?.toISOString()).toBe('2006-01-02T20:04:05.000Z');
    expect(podcast.items[0]?.unreadableDate).toBeUndefined();
  });
});
