import { decodeHTML } from 'entities';

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

/** Whitespace (incl. no-break and zero-width spaces) collapsed to single spaces, trimmed. */
export function collapseWhitespace(s: string): string {
  return s
    .replace(/[\u200B-\u200D\uFEFF]/g, '')
    .replace(/[\s\u00A0]+/g, ' ')
    .trim();
}

/**
 * Cuts text to at most `max` characters at a word boundary, adding "…" when it cut.
 * Control characters are removed (they have no place in an email).
 */
export function truncateText(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
  if (clean.length <= max) return clean;
  const hard = clean.slice(0, max - 1);
  const space = hard.lastIndexOf(' ');
  const cut = space > max * 0.6 ? hard.slice(0, space) : hard;
  return `${cut.replace(/[\s.,;:!?\-–—]+$/u, '')}…`;
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
