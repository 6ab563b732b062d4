import { stripControls } from '../control-chars.js';
import { neutralisePlaceholders } from './placeholders.js';

/**
 * Cleaning for strings that come from feeds and forms before they reach a template. The
 * template engine escapes HTML; these make the values plain, bounded and free of anything
 * that could become a placeholder, a header break or a non-http(s) link.
 */

/** One line of plain text: controls removed, whitespace collapsed, at most `max` characters. */
export function cleanText(s: string | undefined, max: number): string {
  if (!s) return '';
  // Controls, line separators and bidi overrides (which can disguise text): src/control-chars.ts.
  const flat = stripControls(s).replace(/\s+/g, ' ').trim();
  return neutralisePlaceholders(truncate(flat, max));
}

/** Cuts at a word boundary near `max` and adds an ellipsis. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s.,;:!?-]+$/, '')}\u2026`;
}

// Longer URLs are dropped: they are rare, and a line of the message must stay under 998 bytes.
const MAX_URL = 900;

/**
 * An http(s) URL, normalised by the WHATWG parser (which percent-encodes quotes, spaces and
 * angle brackets), or undefined for anything else: `javascript:`, `data:`, relative, too long.
 * A stray `%` is encoded so no URL can spell a placeholder.
 */
export function safeUrl(s: string | undefined): string | undefined {
  if (!s || s.length > MAX_URL) return undefined;
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.username = '';
  u.password = '';
  const href = u.href.replace(/%(?![0-9a-fA-F]{2})/g, '%25');
  return href.length > MAX_URL ? undefined : href;
}

/** Wraps plain text at `width` columns for the text part (words longer than a line stay whole). */
export function wrapText(s: string, width = 76): string {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/**
 * Makes rendered HTML smaller and 7-bit: drops indentation and blank lines (MJML indents
 * heavily) and writes every non-ASCII character as a numeric entity, so the mail path
 * can send the body as prepared pieces without re-encoding it per recipient.
 * Safe for MJML output: it has no <pre> or <textarea>, and its CSS and comments are ASCII.
 */
export function compactHtml(html: string): string {
  return html
    .replace(/^[ \t]+/gm, '')
    .replace(IMG_TAG, imageHeights)
    .replace(/\n{2,}/g, '\n')
    .replace(/[^\p{ASCII}]/gu, (c) => `&#x${c.codePointAt(0)!.toString(16)};`)
    .split('\n')
    .map((line) => (line.length > LINE_MAX ? breakLine(line) : line))
    .join('\n');
}

const LINE_MAX = 500;

const IMG_TAG = /<img\b[^>]*>/g;

/**
 * Every image is sent with numeric `width` and `height` attributes, which Outlook sizes it by
 * (it ignores CSS sizes); the templates give both (digest-view.ts `shownSize`). MJML also puts
 * that height into the image's CSS, where it would distort the image once a phone narrows it to
 * `width:100%`: there it becomes `height:auto`, which every other client follows. A height that
 * is not a number (MJML's `height="auto"` for an image a custom template gives no height) is
 * dropped: it is invalid, and Outlook would draw the image at its natural size.
 */
function imageHeights(tag: string): string {
  if (!/\sheight="\d+"/.test(tag)) return tag.replace(/\s+height="[^"]*"/g, '');
  return tag.replace(/(\sstyle="(?:[^"]*;)?\s*)height:\s*\d+px/, '$1height:auto');
}

/**
 * Breaks a long line at spaces where a newline means the same as a space: in text, or between
 * attributes in a tag. Never inside a quoted attribute value or a `<!...>` construct (Outlook's
 * conditional comments).
 */
function breakLine(line: string): string {
  let out = '';
  let since = 0; // characters since the last break
  let inTag = false;
  let inComment = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (inTag) {
      if (c === '"' || c === "'") quote = c;
      else if (c === '>') inTag = inComment = false;
    } else if (c === '<') {
      inTag = true;
      inComment = line[i + 1] === '!';
    }
    if (c === ' ' && !quote && !inComment && since >= LINE_MAX - 100) {
      out += '\n';
      since = 0;
      continue;
    }
    out += c;
    since++;
  }
  return out;
}

/** Plain text for the text part and the subject: no controls except the line breaks we put. */
export function cleanMultiline(s: string): string {
  return stripControls(s.replace(/\r\n?/g, '\n'), { keep: '\n', replaceWith: '' })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
