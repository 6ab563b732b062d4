import { Parser } from 'htmlparser2';

/** A feed an HTML page announces with `<link rel="alternate" type="…">`. */
export interface DiscoveredFeed {
  url: string;
  title?: string;
  type: string;
}

const FEED_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/json',
]);

/** True when a body that is not a feed looks like an HTML page. */
export function looksLikeHtml(text: string, contentType?: string): boolean {
  if (contentType && /\btext\/html\b|application\/xhtml\+xml/i.test(contentType)) return true;
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>])/i.test(text);
}

/**
 * The feeds an HTML page links to (RSS, Atom, JSON Feed), with relative hrefs resolved against
 * the page's `<base href>` or its URL. Only http(s) links; each URL once, in page order.
 */
export function discoverFeeds(html: string, pageUrl: string | undefined): DiscoveredFeed[] {
  let base = pageUrl;
  const found: DiscoveredFeed[] = [];
  const seen = new Set<string>();
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'base' && attrs.href && base) base = resolve(attrs.href, base) ?? base;
        if (name !== 'link') return;
        const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
        const type = (attrs.type ?? '').toLowerCase().split(';')[0]!.trim();
        if (!rel.includes('alternate') || !FEED_TYPES.has(type) || !attrs.href) return;
        const url = resolve(attrs.href, base);
        if (!url || seen.has(url)) return;
        seen.add(url);
        found.push({ url, type, ...(attrs.title?.trim() ? { title: attrs.title.trim() } : {}) });
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return found;
}

function resolve(href: string, base: string | undefined): string | undefined {
  try {
    const url = new URL(href.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}
