/**
 * Quoted-printable (RFC 2045 section 6.7) for the digest's fast path. The digest's text and HTML
 * are encoded once per digest, piece by piece between placeholders; only the short
 * per-recipient values are encoded per message, and usually need nothing at all.
 *
 * Output is 7-bit, uses CRLF, and never contains "=_", which is why the multipart boundary
 * carries that sequence: it cannot occur inside an encoded part.
 */

/** Characters before a soft line break; with the "=" a line is at most 76 (RFC 2045). */
const MAX_CHARS = 75;
const HEX = '0123456789ABCDEF';

/** CRLF ending a line early without a line break in the decoded text. */
export const SOFT_BREAK = '=\r\n';

/**
 * Encodes one line of text (no line breaks in it) as UTF-8 quoted-printable, wrapped with soft
 * line breaks. A space or tab at the end is encoded because transports may strip it.
 */
export function qpEncodeLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const last = bytes.length - 1;
  let out = '';
  let col = 0;
  for (let i = 0; i <= last; i++) {
    const b = bytes[i]!;
    let token: string;
    if ((b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && i < last)) {
      token = String.fromCharCode(b);
    } else {
      token = '=' + HEX[b >> 4]! + HEX[b & 15]!;
    }
    // never split an "=XX" triplet over a soft break
    if (col + token.length > MAX_CHARS) {
      out += SOFT_BREAK;
      col = 0;
    }
    out += token;
    col += token.length;
  }
  return out;
}

/** Encodes text with any line endings (LF, CRLF, CR) into quoted-printable with CRLF hard breaks. */
export function qpEncodeText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map(qpEncodeLine)
    .join('\r\n');
}

/** Printable ASCII (no spaces): all a URL or an ASCII address is made of. */
const PRINTABLE_ASCII = /^[!-~]*$/;

/**
 * Encodes a per-recipient value that starts on a line of its own. URLs and ASCII addresses only
 * need "=" escaped and long values wrapped; anything else (a non-ASCII address) takes the full
 * encoder. Returns the value itself when nothing needs doing.
 */
export function qpEncodeValue(value: string): string {
  if (!PRINTABLE_ASCII.test(value)) return qpEncodeLine(value);
  const escaped = value.includes('=') ? value.replace(/=/g, '=3D') : value;
  return escaped.length <= MAX_CHARS ? escaped : wrapEscaped(escaped);
}

/** Soft-wraps an already escaped ASCII string, never splitting an "=XX" triplet. */
function wrapEscaped(s: string): string {
  let out = '';
  let start = 0;
  while (s.length - start > MAX_CHARS) {
    let end = start + MAX_CHARS;
    if (s.charCodeAt(end - 1) === 61) end -= 1;
    else if (s.charCodeAt(end - 2) === 61) end -= 2;
    out += s.slice(start, end) + SOFT_BREAK;
    start = end;
  }
  return out + s.slice(start);
}
