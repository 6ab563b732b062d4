import { parseFeed as parseAnyFeed, type AnyFeed } from 'feedsmith';
import { decodeFeedBytes } from './decode-feed.js';
import { FeedError } from './feed-error.js';
import { parseFeedDate } from './feed-date.js';
import {
  atomItems,
  atomText,
  jsonItems,
  rdfItems,
  rssItems,
  sniff,
  type KindedText,
  type RawItem,
} from './feed-formats.js';
import {
  firstHttpUrl,
  isTextStart,
  plainCategories,
  plainSummary,
  plainText,
  plainTitle,
  resolveHttpUrl,
  SUMMARY_MAX,
  titleFromText,
} from './feed-values.js';
import { firstImageSrc, truncateText } from './html-text.js';
import { prepareXml } from './prepare-xml.js';

/** One item of a feed, normalised: plain-text title and summary, http(s) URLs only. */
export interface ParsedItem {
  guid?: string;
  url: string;
  title: string;
  author?: string;
  /** Absent when the feed gave no usable date: the post store uses firstSeenAt. */
  publishedAt?: Date;
  /** The item's date as the feed wrote it, when it gave one that could not be read. */
  unreadableDate?: string;
  summary: string;
  imageUrl?: string;
  /** The name of the blog it belongs to: the feed's title (or the item's own `source`). */
  blog?: string;
  /** Categories / tags, plain text, in feed order, without duplicates. */
  categories?: string[];
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

/** The longest unreadable date kept to show an admin. */
const RAW_DATE_MAX = 100;

/**
 * Parses RSS 0.9x/2.0, RDF (RSS 1.0), Atom 0.3/1.0 and JSON Feed 1.0/1.1 from bytes (or an
 * already decoded string) into normalised items. Throws FeedError FEED_PARSE for anything
 * that is not a readable feed, FEED_ENTITY_LIMIT for an entity-laden DTD, and FEED_NO_LINKS when
 * items exist but none has an http(s) link (a post needs one).
 */
export function parseFeed(input: Uint8Array | string, opts: ParseFeedOptions = {}): ParsedFeed {
  let text = typeof input === 'string' ? input : decodeFeedBytes(input, opts.contentType);
  if (text.trimStart().startsWith('<')) text = prepareXml(text);
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
  const { title, raws } = mapFormat(parsed, opts.baseUrl);
  const blog = plainTitle(title?.value, title?.kind);
  const now = opts.now ?? new Date();
  const items: ParsedItem[] = [];
  for (const raw of raws) {
    const item = normalise(raw, now, blog);
    if (item) items.push(item);
  }
  if (items.length === 0 && raws.length > 0) {
    throw new FeedError(
      'FEED_NO_LINKS',
      `none of its ${raws.length} items has an http(s) link`,
      422,
    );
  }
  return { format: parsed.format, title: blog, items, skipped: raws.length - items.length };
}

function mapFormat(
  parsed: AnyFeed<string>,
  baseUrl: string | undefined,
): { title: KindedText | undefined; raws: RawItem[] } {
  switch (parsed.format) {
    case 'rss':
      return { title: sniff(parsed.feed.title), raws: rssItems(parsed.feed, baseUrl) };
    case 'rdf':
      return { title: sniff(parsed.feed.title), raws: rdfItems(parsed.feed, baseUrl) };
    case 'atom':
      return { title: atomText(parsed.feed.title), raws: atomItems(parsed.feed, baseUrl) };
    case 'json':
      return { title: sniff(parsed.feed.title), raws: jsonItems(parsed.feed, baseUrl) };
  }
}

function normalise(raw: RawItem, now: Date, feedBlog: string | undefined): ParsedItem | undefined {
  const guid = raw.guid?.trim() || undefined;
  // A guid stands in for a link only when it is itself an absolute http(s) URL; an enclosure
  // (a podcast episode's audio) only when there is no page at all.
  const url =
    firstHttpUrl(raw.base, ...raw.links) ??
    resolveHttpUrl(guid) ??
    firstHttpUrl(raw.base, ...raw.enclosures);
  if (!url) return undefined;
  const { title, summary } = titleAndSummary(raw, url);
  const { publishedAt, unreadableDate } = readDate(raw.dates, now);
  const imageUrl = firstHttpUrl(
    raw.base,
    ...raw.images,
    raw.html ? firstImageSrc(raw.html) : undefined,
  );
  const blog = plainTitle(raw.blog?.value, raw.blog?.kind) ?? feedBlog;
  const categories = plainCategories(raw.categories);
  return {
    ...(guid ? { guid } : {}),
    url,
    title,
    ...(raw.author ? { author: plainTitle(raw.author) } : {}),
    ...(publishedAt ? { publishedAt } : {}),
    ...(unreadableDate ? { unreadableDate } : {}),
    summary,
    ...(imageUrl ? { imageUrl } : {}),
    ...(blog ? { blog } : {}),
    ...(categories.length > 0 ? { categories } : {}),
  };
}

/**
 * The title, else one made from the text (Mastodon and micro-blogs have none, or only the
 * text's start with "…"); the summary never just repeats the title.
 */
function titleAndSummary(raw: RawItem, url: string): { title: string; summary: string } {
  const body = raw.summary ?? (raw.html ? { value: raw.html, kind: 'html' as const } : undefined);
  const text = plainText(body?.value, body?.kind);
  const title = plainTitle(raw.title?.value, raw.title?.kind);
  if (title && !isTextStart(title, text)) {
    const summary = truncateText(text, SUMMARY_MAX);
    return { title, summary: summary === title ? '' : summary };
  }
  return titleFromText(text) ?? { title: title ?? url, summary: plainSummary(text, 'text') };
}

function readDate(
  dates: (string | undefined)[],
  now: Date,
): { publishedAt?: Date; unreadableDate?: string } {
  for (const d of dates) {
    const publishedAt = parseFeedDate(d, now);
    if (publishedAt) return { publishedAt };
  }
  const given = dates.find((d) => d?.trim())?.trim();
  return given ? { unreadableDate: given.slice(0, RAW_DATE_MAX) } : {};
}
