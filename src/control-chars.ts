/**
 * The one control-character cleaner, for every value from a feed, a form or the environment
 * that ends up in a page, a stored record or a mail header. One set of characters for all:
 *
 * - C0 controls U+0000–U+001F (NUL, CR, LF, TAB …), DEL U+007F and the C1 controls
 *   U+0080–U+009F: they end a header line, truncate a value or mean nothing in text;
 * - the line and paragraph separators U+2028 and U+2029 (line breaks to some readers);
 * - the bidi embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069, which can make
 *   text display as something else than it says.
 *
 * Never among them: the zero-width joiner and non-joiner U+200D and U+200C (part of emoji
 * sequences such as 👩‍💻 and of Persian and Indic words) and the left-to-right and
 * right-to-left marks U+200E and U+200F (ordinary in right-to-left text).
 */

/** Line breaks and tabs a caller may keep; every other control always goes. */
export type KeptControls = '\n' | '\t\n\r';

const C0 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i));
const OTHERS = '\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069';
const patterns = new Map<string, RegExp>();

/** A run of controls except those kept; made once per set of kept characters. */
function controlRun(keep: string): RegExp {
  let re = patterns.get(keep);
  if (!re) {
    const c0 = C0.filter((c) => !keep.includes(c))
      .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('');
    re = new RegExp(`[${c0}${OTHERS}]+`, 'gu');
    patterns.set(keep, re);
  }
  return re;
}

/**
 * Replaces each run of control characters (the set above) by `replaceWith` (default one space;
 * `''` removes them), keeping the line breaks and tabs named in `keep`. Trimming, collapsing
 * spaces and bounding the length are the caller's.
 */
export function stripControls(
  s: string,
  opts: { keep?: KeptControls; replaceWith?: ' ' | '' } = {},
): string {
  return s.replace(controlRun(opts.keep ?? ''), opts.replaceWith ?? ' ');
}

const ANY = new RegExp(controlRun('').source, 'u');

/** Whether `s` has any control character of the set above (a tab and a line break included). */
export function hasControls(s: string): boolean {
  return ANY.test(s);
}
