import { decodeHTML } from 'entities';
import { collapseWhitespace, cutIndex, htmlToText, truncateText } from './html-text.js';

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

/** How a value's text is to be read: declared HTML, declared text, or unknown (RSS, JSON Feed). */
export type TextKind = 'html' | 'text' | 'sniff';

/**
 * Whether text of unknown kind is HTML: it has a closing tag or a void element (`<br>`), as
 * feedparser decides. "Escaping <script> in email" means those words; "<b>Bold</b>" is markup.
 */
export function looksLikeHtml(s: string): boolean {
  return /<\/[a-z][a-z0-9]*\s*>|<(?:br|hr|img|wbr)\b[^<>]*>/i.test(s);
}

/** A value as plain text (bounded input): HTML stripped, entities decoded, whitespace collapsed. */
export function plainText(value: string | undefined, kind: TextKind = 'html'): string {
  if (!value) return '';
  if (kind === 'html' || (kind === 'sniff' && looksLikeHtml(value))) return htmlToText(value);
  const text = value.slice(0, 64 * 1024);
  // Feeds escape twice ("AT&amp;amp;T"): text of unknown kind is entity-decoded once more.
  return collapseWhitespace(kind === 'sniff' ? decodeHTML(text) : text);
}

/**
 * A title as plain text: all tags stripped (script and style content dropped), entities
 * decoded, whitespace collapsed, bounded.
 */
export function plainTitle(
  value: string | undefined,
  kind: TextKind = 'sniff',
): string | undefined {
  const text = plainText(value, kind);
  return text ? truncateText(text, TITLE_MAX) : undefined;
}

/** A summary as plain text of at most about 300 characters, cut at a word. */
export function plainSummary(value: string | undefined, kind: TextKind = 'html'): string {
  return truncateText(plainText(value, kind), SUMMARY_MAX);
}

/** A post's text, cut at a word, makes a title of at most this length... */
export const TEXT_TITLE_MAX = 80;
/** ...unless its first sentence, up to this long, can be the title whole. */
export const SENTENCE_TITLE_MAX = 120;
const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/**
 * Title and summary of a post without a title of its own (Mastodon, microblogs): its first
 * sentence when that is short, else its text cut at a word; the summary is the rest of the
 * text, so the digest does not say the same thing twice.
 */
export function titleFromText(text: string): { title: string; summary: string } | undefined {
  const head = text.slice(0, SENTENCE_TITLE_MAX + 1);
  const first = sentences.segment(head)[Symbol.iterator]().next();
  // A segment that runs to the end of `head` may be a sentence cut short by the slice.
  const ended = !first.done && (first.value.segment.length < head.length || head === text);
  const sentence = ended ? first.value.segment.trimEnd() : '';
  const whole = sentence.length > 0 && sentence.length <= SENTENCE_TITLE_MAX;
  const cut = whole ? sentence.length : cutIndex(text, TEXT_TITLE_MAX - 1);
  const title = whole
    ? sentence.replace(/[\s.,;:、，。،]+$/u, '')
    : truncateText(text, TEXT_TITLE_MAX);
  if (!title) return undefined;
  const rest = text.slice(cut).replace(/^[\s.,;:!?\-–—、，。،]+/u, '');
  return { title, summary: rest ? truncateText(whole ? rest : `…${rest}`, SUMMARY_MAX) : '' };
}

/**
 * Whether a title is only the start of the text with an ellipsis (bridges and microblogs
 * write such titles): then the post is treated as having none.
 */
export function isTextStart(title: string, text: string): boolean {
  const stem = /^(.*?)\s*(?:…|\.\.\.)$/su.exec(title)?.[1];
  return !!stem && stem.length >= 10 && text.startsWith(stem);
}

/** At most this many categories per post, each at most CATEGORY_MAX characters. */
export const MAX_CATEGORIES = 20;
export const CATEGORY_MAX = 100;

/** A post's categories as plain text, without empties and duplicates (case-insensitive). */
export function plainCategories(values: (string | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    const c = plainTitle(value)?.slice(0, CATEGORY_MAX);
    if (!c || seen.has(c.toLowerCase())) continue;
    seen.add(c.toLowerCase());
    out.push(c);
    if (out.length === MAX_CATEGORIES) break;
  }
  return out;
}

/** True when a MIME type or a URL's extension says "image". */
export function looksLikeImage(type: string | undefined, url: string | undefined): boolean {
  if (type) return type.toLowerCase().startsWith('image/');
  return !!url && /\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)/i.test(url);
}
