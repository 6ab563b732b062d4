import { decodeHTML } from 'entities';
import { stripControls } from '../control-chars.js';

/**
 * Plain text from a fragment of feed HTML: tags removed, script/style content dropped, entities
 * (named and numeric) decoded, whitespace collapsed. Not a sanitiser: the result is text, and
 * whoever renders it escapes it like any other string.
 */
export function htmlToText(html: string, maxInput = 64 * 1024): string {
  // A summary needs a few hundred characters; cutting the input bounds the work on huge bodies.
  let s = html.length > maxInput ? dropOpenTag(html.slice(0, maxInput)) : html;
  s = s
    .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(
      /<(script|style|noscript|template|iframe|object|svg|math)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi,
      ' ',
    )
    .replace(
      /<\/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|hr|section|article|figure|figcaption|header|footer|dd|dt)\b[^>]*>/gi,
      ' ',
    )
    // Only things that look like tags: "a < b" in a text survives.
    .replace(/<\/?[a-zA-Z][^<>]*>/g, '')
    .replace(/<[!?][^<>]*>/g, '');
  return collapseWhitespace(decodeHTML(s));
}

/**
 * Whitespace (incl. no-break spaces) collapsed to single spaces, trimmed. Zero-width spaces and
 * stray BOMs go; zero-width joiners and non-joiners stay: they are part of emoji sequences
 * (👩‍💻) and of Persian and Indic words.
 */
export function collapseWhitespace(s: string): string {
  return s
    .replace(/[\u200B\uFEFF]/g, '')
    .replace(/[\s\u00A0]+/g, ' ')
    .trim();
}

const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** What a cut text must not end with before its "…". */
const TRAILING = /[\s.,;:!?\-–—、，。،؛\p{Ps}\p{Pi}]+$/u;

/**
 * Cuts text to at most `max` characters at a word boundary, adding "…" when it cut.
 * Control characters are removed (they have no place in an email).
 */
export function truncateText(text: string, max = 300): string {
  const clean = stripControls(text, { keep: '\t\n\r', replaceWith: '' });
  if (clean.length <= max) return clean;
  return `${clean.slice(0, cutIndex(clean, max - 1)).replace(TRAILING, '')}…`;
}

/**
 * Where to cut `text` to keep at most `limit` characters: the last space, or in text without
 * spaces there (Thai, Chinese) the last word boundary by Unicode word segmentation, or when
 * that would lose too much (a long URL), the last whole grapheme: never inside 👩‍💻 or
 * between a letter and its combining mark.
 */
export function cutIndex(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const space = text.lastIndexOf(' ', limit);
  if (space > limit * 0.6) return space; // the common case, without the (slower) segmenter
  // Enough context after the limit for the segment that crosses it to be seen whole.
  const head = text.slice(0, limit + 64);
  const word = lastBoundary(words, head, limit);
  return word > limit * 0.6 ? word : lastBoundary(graphemes, head, limit);
}

function lastBoundary(segmenter: Intl.Segmenter, text: string, limit: number): number {
  let last = 0;
  for (const seg of segmenter.segment(text)) {
    const end = seg.index + seg.segment.length;
    if (end > limit) break;
    last = end;
  }
  return last;
}

/** The first `<img src>` of an HTML fragment, raw (resolve and check it before use). */
export function firstImageSrc(html: string): string | undefined {
  const m = /<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(
    html.slice(0, 64 * 1024),
  );
  const raw = m?.[1] ?? m?.[2] ?? m?.[3];
  return raw ? decodeHTML(raw).trim() : undefined;
}

function dropOpenTag(s: string): string {
  const lt = s.lastIndexOf('<');
  return lt > s.lastIndexOf('>') ? s.slice(0, lt) : s;
}
