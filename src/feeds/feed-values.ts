import { decodeHTML } from 'entities';
import { collapseWhitespace, htmlToText, truncateText } from './html-text.js';

export const SUMMARY_MAX = 300;
export const TITLE_MAX = 300;

/**
 * Resolves `ref` against `base` and keeps it only if it is an http(s) URL: `javascript:`,
 * `data:`, `mailto:` and anything unparsable give undefined. The fragment is kept (it can
 * point into a page) but credentials are dropped.
 */
export function resolveHttpUrl(ref: string | undefined, base?: string): string | undefined {
  const raw = ref?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.username = '';
  url.password = '';
  return url.href;
}

/** The first argument that resolves to an http(s) URL. */
export function firstHttpUrl(
  base: string | undefined,
  ...refs: (string | undefined)[]
): string | undefined {
  for (const ref of refs) {
    const url = resolveHttpUrl(ref, base);
    if (url) return url;
  }
  return undefined;
}

// Zone abbreviations V8's Date.parse does not know but feeds use.
const ZONES: Record<string, string> = {
  BST: '+0100',
  IST: '+0530',
  CET: '+0100',
  CEST: '+0200',
  EET: '+0200',
  EEST: '+0300',
  MSK: '+0300',
  JST: '+0900',
  KST: '+0900',
  AEST: '+1000',
  AEDT: '+1100',
  NZST: '+1200',
  NZDT: '+1300',
};

/**
 * Parses a feed date (RFC 822 in RSS, RFC 3339 in Atom and JSON Feed, and the usual sloppy
 * variants). A date that cannot be read, is before 1990, or lies more than a day after `now`
 * gives undefined: such a post takes its firstSeenAt instead of pinning itself to the top.
 */
export function parseFeedDate(raw: string | undefined, now: Date): Date | undefined {
  const s = raw?.trim();
  // V8's Date.parse is lenient ("sometime soon" is a date to it): demand a year first.
  if (!s || !/(?:^|\D)(?:19|20)\d\d(?:\D|$)/.test(s)) return undefined;
  let ms = Date.parse(s);
  if (Number.isNaN(ms)) {
    const zoned = s.replace(/\b([A-Z]{3,4})$/, (z) => ZONES[z] ?? z);
    ms = Date.parse(zoned);
    if (Number.isNaN(ms)) ms = Date.parse(s.replace(/\s+[A-Za-z]{1,5}$/, ' +0000'));
  }
  if (Number.isNaN(ms)) return undefined;
  if (ms < Date.UTC(1990, 0, 1) || ms > now.getTime() + 24 * 3600 * 1000) return undefined;
  return new Date(ms);
}

/**
 * Inline markup that feeds put in titles. Anything else that looks like a tag is kept as text:
 * a post titled "Escaping <script> in email" means those words (it is escaped on output).
 */
const TITLE_TAGS =
  /<\/?(?:a|b|i|u|s|em|strong|code|kbd|span|abbr|sup|sub|small|mark|q|cite|font|del|ins|br)\b[^<>]*>/gi;

/** A title as plain text: inline HTML stripped, entities decoded, whitespace collapsed, bounded. */
export function plainTitle(value: string | undefined, isHtml = true): string | undefined {
  if (!value) return undefined;
  const text = isHtml
    ? collapseWhitespace(decodeHTML(value.replace(TITLE_TAGS, '')))
    : collapseWhitespace(value);
  return text ? truncateText(text, TITLE_MAX) : undefined;
}

/** A summary as plain text of at most about 300 characters, cut at a word. */
export function plainSummary(value: string | undefined, isHtml = true): string {
  if (!value) return '';
  const text = isHtml ? htmlToText(value) : collapseWhitespace(value.slice(0, 64 * 1024));
  return truncateText(text, SUMMARY_MAX);
}

/** True when a MIME type or a URL's extension says "image". */
export function looksLikeImage(type: string | undefined, url: string | undefined): boolean {
  if (type) return type.toLowerCase().startsWith('image/');
  return !!url && /\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)/i.test(url);
}
