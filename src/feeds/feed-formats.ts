import type { AtomFeed, JsonFeed, MediaNs, RdfFeed, RssFeed } from 'feedsmith';
import { firstHttpUrl, looksLikeImage, resolveHttpUrl, type TextKind } from './feed-values.js';

/** A piece of text and how to read it. */
export interface KindedText {
  value: string;
  kind: TextKind;
}

/** What each format's mapper extracts before the shared normalisation (parse-feed.ts). */
export interface RawItem {
  guid?: string;
  /** Pages for people, best first. */
  links: (string | undefined)[];
  /** Enclosures: the link of an item that has no page (podcasts), after an http(s) guid. */
  enclosures: (string | undefined)[];
  base?: string;
  title?: KindedText;
  author?: string;
  dates: (string | undefined)[];
  summary?: KindedText;
  /** The item's HTML body, for its first image and for a summary when it has none. */
  html?: string;
  images: (string | undefined)[];
  categories: (string | undefined)[];
  /** The blog an aggregated item comes from (RSS and Atom `source`), when it says so. */
  blog?: KindedText;
}

export function rssItems(feed: RssFeed.Feed<string>, baseUrl?: string): RawItem[] {
  // Relative links in RSS are relative to the site: xml:base, else the channel link.
  const feedBase = firstHttpUrl(baseUrl, feed.xml?.base, feed.link) ?? baseUrl;
  return (feed.items ?? []).map((item) => {
    const base = resolveHttpUrl(item.xml?.base, feedBase) ?? feedBase;
    return {
      guid: item.guid?.value,
      links: [item.link, ...alternateLinks(item.atom?.links)],
      enclosures: (item.enclosures ?? []).map((e) => e.url),
      base,
      title:
        sniff(item.title ?? item.dc?.titles?.[0] ?? item.itunes?.title) ??
        mediaText(item.media, 'title'),
      author:
        item.authors?.[0]?.name ??
        item.dc?.creators?.[0] ??
        item.itunes?.author ??
        item.authors?.[0]?.email,
      dates: [item.pubDate, item.dc?.dates?.[0], item.atom?.published, item.atom?.updated],
      summary:
        html(item.description) ??
        html(item.content?.encoded) ??
        mediaText(item.media, 'description') ??
        sniff(item.itunes?.summary),
      html: item.content?.encoded ?? item.description,
      images: [
        ...(item.enclosures ?? []).filter((e) => looksLikeImage(e.type, e.url)).map((e) => e.url),
        ...mediaImages(item.media),
        item.itunes?.image,
      ],
      categories: [...(item.categories ?? []).map((c) => c.name), ...(item.dc?.subjects ?? [])],
      blog: sniff(item.source?.title),
    };
  });
}

export function rdfItems(feed: RdfFeed.Feed<string>, baseUrl?: string): RawItem[] {
  const feedBase = firstHttpUrl(baseUrl, feed.xml?.base, feed.link) ?? baseUrl;
  return (feed.items ?? []).map((item) => ({
    guid: undefined,
    links: [item.link, item.rdf?.about],
    enclosures: [],
    base: resolveHttpUrl(item.xml?.base, feedBase) ?? feedBase,
    title: sniff(item.title ?? item.dc?.titles?.[0]),
    author: item.dc?.creators?.[0],
    dates: [item.dc?.dates?.[0]],
    summary: html(item.description) ?? html(item.content?.encoded),
    html: item.content?.encoded ?? item.description,
    images: mediaImages(item.media),
    categories: item.dc?.subjects ?? [],
  }));
}

export function atomItems(feed: AtomFeed.Feed<string>, baseUrl?: string): RawItem[] {
  // Atom resolves against xml:base, else the document's own URL (RFC 4287 §2).
  const feedBase =
    firstHttpUrl(baseUrl, feed.xml?.base) ??
    baseUrl ??
    firstHttpUrl(undefined, ...alternateLinks(feed.links));
  const feedAuthor = feed.authors?.[0]?.name;
  return (feed.entries ?? []).map((entry) => {
    const base = resolveHttpUrl(entry.xml?.base, feedBase) ?? feedBase;
    const content = entry.content?.src ? undefined : atomText(entry.content);
    const links = entry.links ?? [];
    return {
      guid: entry.id,
      links: alternateLinks(links),
      enclosures: links.filter((l) => l.rel === 'enclosure').map((l) => l.href),
      base,
      title: atomText(entry.title) ?? mediaText(entry.media, 'title'),
      author: entry.authors?.[0]?.name ?? entry.dc?.creators?.[0] ?? feedAuthor,
      dates: [entry.published, entry.updated, entry.dc?.dates?.[0]],
      summary: atomText(entry.summary) ?? content ?? mediaText(entry.media, 'description'),
      html: content?.kind === 'html' ? content.value : undefined,
      images: [
        ...links
          .filter((l) => l.rel === 'enclosure' && looksLikeImage(l.type, l.href))
          .map((l) => l.href),
        ...mediaImages(entry.media),
      ],
      categories: (entry.categories ?? []).map((c) => c.term ?? c.label),
      blog: atomText(entry.source?.title),
    };
  });
}

export function jsonItems(feed: JsonFeed.Feed<string>, baseUrl?: string): RawItem[] {
  const feedBase = firstHttpUrl(baseUrl, feed.home_page_url, feed.feed_url) ?? baseUrl;
  const feedAuthor = feed.authors?.[0]?.name;
  return (feed.items ?? []).map((item) => ({
    guid: item.id,
    links: [item.url, item.external_url],
    enclosures: (item.attachments ?? []).map((a) => a.url),
    base: feedBase,
    // JSON Feed titles are plain text by spec; feeds put HTML there all the same.
    title: sniff(item.title),
    author: item.authors?.[0]?.name ?? feedAuthor,
    dates: [item.date_published, item.date_modified],
    summary: sniff(item.summary) ?? text(item.content_text) ?? html(item.content_html),
    html: item.content_html,
    images: [
      item.image,
      item.banner_image,
      ...(item.attachments ?? [])
        .filter((a) => looksLikeImage(a.mime_type, a.url))
        .map((a) => a.url),
    ],
    categories: item.tags ?? [],
  }));
}

/** An Atom text construct: `type` html or xhtml is markup, text (the default) is text. */
export function atomText(t: { value?: string; type?: string } | undefined): KindedText | undefined {
  if (!t?.value) return undefined;
  const type = t.type?.toLowerCase();
  const isHtml =
    type === 'html' || type === 'xhtml' || type === 'text/html' || type === 'application/xhtml+xml';
  return { value: t.value, kind: isHtml ? 'html' : 'text' };
}

export function sniff(value: string | undefined): KindedText | undefined {
  return value ? { value, kind: 'sniff' } : undefined;
}

function html(value: string | undefined): KindedText | undefined {
  return value ? { value, kind: 'html' } : undefined;
}

function text(value: string | undefined): KindedText | undefined {
  return value ? { value, kind: 'text' } : undefined;
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

/**
 * media:title or media:description of the item, its groups or its contents (YouTube puts the
 * description in media:group). Plain text unless its type says html (Media RSS 2.0).
 */
function mediaText(
  media: MediaNs.ItemOrFeed | undefined,
  field: 'title' | 'description',
): KindedText | undefined {
  if (!media) return undefined;
  const holders = [media, ...(media.groups ?? []), ...(media.contents ?? [])];
  for (const g of media.groups ?? []) holders.push(...(g.contents ?? []));
  const t = holders.map((h) => h[field]).find((d) => d?.value);
  if (!t?.value) return undefined;
  return { value: t.value, kind: t.type?.toLowerCase() === 'html' ? 'html' : 'text' };
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
    // YouTube puts its thumbnail in media:group.
    ...[media, ...(media.groups ?? []), ...contents].flatMap((h) =>
      (h.thumbnails ?? []).map((t) => t.url),
    ),
  ];
}
