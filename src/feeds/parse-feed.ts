import {
  parseFeed as parseAnyFeed,
  type AnyFeed,
  type AtomFeed,
  type JsonFeed,
  type MediaNs,
  type RdfFeed,
  type RssFeed,
} from 'feedsmith';
import { checkDtd, decodeFeedBytes } from './decode-feed.js';
import { FeedError } from './feed-error.js';
import {
  firstHttpUrl,
  looksLikeImage,
  parseFeedDate,
  plainSummary,
  plainTitle,
  resolveHttpUrl,
} from './feed-values.js';
import { firstImageSrc } from './html-text.js';

/** One item of a feed, normalised: plain-text title and summary, http(s) URLs only. */
export interface ParsedItem {
  guid?: string;
  url: string;
  title: string;
  author?: string;
  /** Absent when the feed gave no usable date: the post store uses firstSeenAt. */
  publishedAt?: Date;
  summary: string;
  imageUrl?: string;
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'rdf' | 'json';
  title: string | undefined;
  items: ParsedItem[];
  /** Items dropped for having no http(s) URL. */
  skipped: number;
}

export interface ParseFeedOptions {
  /** The response's Content-Type (its charset counts when decoding bytes). */
  contentType?: string;
  /** Where the feed was fetched from: the base for relative links. */
  baseUrl?: string;
  /** For rejecting dates in the future. */
  now?: Date;
  /** Items beyond this are ignored (feeds list the newest first). */
  maxItems?: number;
}

/** What each format's mapper extracts before the shared normalisation. */
interface RawItem {
  guid?: string;
  links: (string | undefined)[];
  base?: string;
  title?: string;
  titleIsHtml: boolean;
  author?: string;
  dates: (string | undefined)[];
  summary?: string;
  summaryIsHtml: boolean;
  html?: string;
  images: (string | undefined)[];
}

/**
 * Parses RSS 0.9x/2.0, RDF (RSS 1.0), Atom 0.3/1.0 and JSON Feed 1.0/1.1 from bytes (or an
 * already decoded string) into normalised items. Throws FeedError FEED_PARSE for anything
 * that is not a readable feed, FEED_ENTITY_LIMIT for an entity-laden DTD, and FEED_NO_LINKS when
 * items exist but none has an http(s) link (a post needs one).
 */
export function parseFeed(input: Uint8Array | string, opts: ParseFeedOptions = {}): ParsedFeed {
  const text = typeof input === 'string' ? input : decodeFeedBytes(input, opts.contentType);
  if (text.trimStart().startsWith('<')) checkDtd(text);
  let parsed: AnyFeed<string>;
  try {
    parsed = parseAnyFeed<string>(text, { maxItems: opts.maxItems ?? 500 });
  } catch (err) {
    throw new FeedError(
      'FEED_PARSE',
      `not a readable RSS, Atom or JSON feed (${(err as Error).message})`,
      422,
    );
  }
  const now = opts.now ?? new Date();
  let title: string | undefined;
  let raws: RawItem[];
  switch (parsed.format) {
    case 'rss':
      title = parsed.feed.title;
      raws = rssItems(parsed.feed, opts.baseUrl);
      break;
    case 'rdf':
      title = parsed.feed.title;
      raws = rdfItems(parsed.feed, opts.baseUrl);
      break;
    case 'atom':
      title = parsed.feed.title?.value;
      raws = atomItems(parsed.feed, opts.baseUrl);
      break;
    case 'json':
      title = parsed.feed.title;
      raws = jsonItems(parsed.feed, opts.baseUrl);
      break;
  }
  const items: ParsedItem[] = [];
  for (const raw of raws) {
    const item = normalise(raw, now);
    if (item) items.push(item);
  }
  if (items.length === 0 && raws.length > 0) {
    throw new FeedError(
      'FEED_NO_LINKS',
      `none of its ${raws.length} items has an http(s) link`,
      422,
    );
  }
  return {
    format: parsed.format,
    title: plainTitle(title),
    items,
    skipped: raws.length - items.length,
  };
}

function normalise(raw: RawItem, now: Date): ParsedItem | undefined {
  const guid = raw.guid?.trim() || undefined;
  // A guid stands in for a link only when it is itself an absolute http(s) URL.
  const url = firstHttpUrl(raw.base, ...raw.links) ?? resolveHttpUrl(guid);
  if (!url) return undefined;
  const summary = plainSummary(raw.summary ?? raw.html, raw.summary ? raw.summaryIsHtml : true);
  // Some feeds (Mastodon, micro-blogs) have no titles: the start of the text stands in.
  const title =
    plainTitle(raw.title, raw.titleIsHtml) ??
    (summary ? plainTitle(summary.slice(0, 80), false) : undefined) ??
    url;
  let publishedAt: Date | undefined;
  for (const d of raw.dates) {
    publishedAt = parseFeedDate(d, now);
    if (publishedAt) break;
  }
  const imageUrl = firstHttpUrl(
    raw.base,
    ...raw.images,
    raw.html ? firstImageSrc(raw.html) : undefined,
  );
  return {
    ...(guid ? { guid } : {}),
    url,
    title,
    ...(raw.author ? { author: plainTitle(raw.author) } : {}),
    ...(publishedAt ? { publishedAt } : {}),
    summary,
    ...(imageUrl ? { imageUrl } : {}),
  };
}

function rssItems(feed: RssFeed.Feed<string>, baseUrl?: string): RawItem[] {
  // Relative links in RSS are relative to the site: xml:base, else the channel link.
  const feedBase = firstHttpUrl(baseUrl, feed.xml?.base, feed.link) ?? baseUrl;
  return (feed.items ?? []).map((item) => {
    const base = resolveHttpUrl(item.xml?.base, feedBase) ?? feedBase;
    const html = item.content?.encoded ?? item.description;
    return {
      guid: item.guid?.value,
      links: [item.link, ...alternateLinks(item.atom?.links)],
      base,
      title: item.title ?? item.dc?.titles?.[0] ?? item.media?.title?.value,
      titleIsHtml: true,
      author:
        item.authors?.[0]?.name ??
        item.dc?.creators?.[0] ??
        item.itunes?.author ??
        item.authors?.[0]?.email,
      dates: [item.pubDate, item.dc?.dates?.[0], item.atom?.published, item.atom?.updated],
      summary:
        item.description ??
        item.content?.encoded ??
        item.media?.description?.value ??
        item.itunes?.summary,
      summaryIsHtml: true,
      html,
      images: [
        ...(item.enclosures ?? []).filter((e) => looksLikeImage(e.type, e.url)).map((e) => e.url),
        ...mediaImages(item.media),
        item.itunes?.image,
      ],
    };
  });
}

function rdfItems(feed: RdfFeed.Feed<string>, baseUrl?: string): RawItem[] {
  const feedBase = firstHttpUrl(baseUrl, feed.xml?.base, feed.link) ?? baseUrl;
  return (feed.items ?? []).map((item) => ({
    guid: undefined,
    links: [item.link, item.rdf?.about],
    base: resolveHttpUrl(item.xml?.base, feedBase) ?? feedBase,
    title: item.title ?? item.dc?.titles?.[0],
    titleIsHtml: true,
    author: item.dc?.creators?.[0],
    dates: [item.dc?.dates?.[0]],
    summary: item.description ?? item.content?.encoded,
    summaryIsHtml: true,
    html: item.content?.encoded ?? item.description,
    images: mediaImages(item.media),
  }));
}

function atomItems(feed: AtomFeed.Feed<string>, baseUrl?: string): RawItem[] {
  // Atom resolves against xml:base, else the document's own URL (RFC 4287 §2).
  const feedBase =
    firstHttpUrl(baseUrl, feed.xml?.base) ??
    baseUrl ??
    firstHttpUrl(undefined, ...alternateLinks(feed.links));
  const feedAuthor = feed.authors?.[0]?.name;
  return (feed.entries ?? []).map((entry) => {
    const base = resolveHttpUrl(entry.xml?.base, feedBase) ?? feedBase;
    const content = entry.content?.src ? undefined : entry.content?.value;
    return {
      guid: entry.id,
      links: alternateLinks(entry.links),
      base,
      title: entry.title?.value,
      titleIsHtml: isHtmlType(entry.title?.type),
      author: entry.authors?.[0]?.name ?? entry.dc?.creators?.[0] ?? feedAuthor,
      dates: [entry.published, entry.updated, entry.dc?.dates?.[0]],
      summary: entry.summary?.value ?? content ?? entry.media?.description?.value,
      summaryIsHtml: entry.summary
        ? isHtmlType(entry.summary.type)
        : content
          ? isHtmlType(entry.content?.type)
          : true,
      html: content && isHtmlType(entry.content?.type) ? content : undefined,
      images: [
        ...(entry.links ?? [])
          .filter((l) => l.rel === 'enclosure' && looksLikeImage(l.type, l.href))
          .map((l) => l.href),
        ...mediaImages(entry.media),
      ],
    };
  });
}

function jsonItems(feed: JsonFeed.Feed<string>, baseUrl?: string): RawItem[] {
  const feedBase = firstHttpUrl(baseUrl, feed.home_page_url, feed.feed_url) ?? baseUrl;
  const feedAuthor = feed.authors?.[0]?.name;
  return (feed.items ?? []).map((item) => ({
    guid: item.id,
    links: [item.url, item.external_url],
    base: feedBase,
    title: item.title,
    // JSON Feed titles are plain text by spec; strip anyway, feeds put HTML there.
    titleIsHtml: true,
    author: item.authors?.[0]?.name ?? feedAuthor,
    dates: [item.date_published, item.date_modified],
    summary: item.summary ?? item.content_text ?? item.content_html,
    summaryIsHtml: item.summary !== undefined || item.content_text === undefined,
    html: item.content_html,
    images: [
      item.image,
      item.banner_image,
      ...(item.attachments ?? [])
        .filter((a) => looksLikeImage(a.mime_type, a.url))
        .map((a) => a.url),
    ],
  }));
}

/** Links meant for people: rel="alternate" or no rel, alternate first. */
function alternateLinks(
  links: { href?: string; rel?: string }[] | undefined,
): (string | undefined)[] {
  if (!links) return [];
  const alternate = links.filter((l) => !l.rel || l.rel === 'alternate');
  alternate.sort((a, b) => (a.rel === 'alternate' ? 0 : 1) - (b.rel === 'alternate' ? 0 : 1));
  return alternate.map((l) => l.href);
}

function mediaImages(media: MediaNs.ItemOrFeed | undefined): (string | undefined)[] {
  if (!media) return [];
  const contents = [
    ...(media.contents ?? []),
    ...(media.groups ?? []).flatMap((g) => g.contents ?? []),
  ];
  return [
    ...contents
      .filter((c) => c.medium === 'image' || looksLikeImage(c.type, c.url))
      .map((c) => c.url),
    ...(media.thumbnails ?? []).map((t) => t.url),
    ...contents.flatMap((c) => (c.thumbnails ?? []).map((t) => t.url)),
  ];
}

function isHtmlType(type: string | undefined): boolean {
  const t = type?.toLowerCase();
  return t === 'html' || t === 'xhtml' || t === 'text/html' || t === 'application/xhtml+xml';
}
