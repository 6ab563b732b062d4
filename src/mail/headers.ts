import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { encodeWords, foldLines, quoteString } from 'nodemailer/lib/mime-funcs';
import { hasControls, stripControls } from '../control-chars.js';
import { ValidationError } from '../errors.js';

/**
 * Header pieces for the digest message. Those built once per digest (From, Subject, List-Id)
 * may be slow; those built per recipient (Date, Message-ID, checks on the recipient's values)
 * must be cheap.
 */

/** Longest per-recipient value: keeps every header line far below 998 octets. */
const MAX_VALUE_LENGTH = 900;

/**
 * One line for a header phrase: control characters (CR and LF above all, src/control-chars.ts)
 * become spaces, so a name or subject cannot add a header.
 */
export function headerText(s: string): string {
  return stripControls(s).replace(/ {2,}/g, ' ').trim();
}

/** `Subject: ...` as one folded header line (CRLF-terminated), RFC 2047-encoded when not ASCII. */
export function subjectHeader(subject: string): string {
  const clean = headerText(subject).slice(0, 500);
  const value = /^[\x20-\x7e]*$/.test(clean) ? clean : encodeWords(clean, 'Q', 52, true);
  return foldLines(`Subject: ${value}`, 76) + '\r\n';
}

/** Splits `Name <a@b.c>` or `a@b.c` into name and address. */
export function parseMailbox(from: string): { name: string; address: string } {
  const m = /^\s*([\s\S]*?)\s*<([^<>\s]+)>\s*$/.exec(from);
  const name = m ? headerText(m[1]!.replace(/^"(.*)"$/, '$1')) : '';
  const address = (m ? m[2]! : from).trim();
  if (!/^[!-~]+@[!-~]+$/.test(address) || /[<>]/.test(address)) {
    throw new ValidationError(
      'MAIL_FROM_INVALID',
      'MAIL_FROM must be "Name <address>" or an address',
    );
  }
  return { name, address };
}

/** The mailbox for From: display name encoded (RFC 2047) or quoted as needed, then the address. */
export function mailboxHeaderValue(from: string): string {
  const { name, address } = parseMailbox(from);
  if (!name) return address;
  let phrase: string;
  if (!/^[\x20-\x7e]*$/.test(name)) phrase = encodeWords(name, 'Q', 52, true);
  else if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) phrase = name;
  else phrase = quoteString(name);
  return `${phrase} <${address}>`;
}

/** The domain of an address, lower-cased and as ASCII (punycode). */
export function domainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domainToASCII(domain) || domain;
}

/**
 * A List-Id (RFC 2919) for a site: `slug.domain`, where the slug comes from the site name and the
 * domain from MAIL_FROM. Pass the result as `listId`.
 */
export function listIdFor(siteName: string, fromAddress: string): string {
  const slug =
    siteName
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'digest';
  return `${slug}.${domainOf(fromAddress)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => (n < 10 ? '0' : '') + n;

/** RFC 5322 date-time in UTC: `Mon, 06 Jan 2025 09:00:00 +0000`. */
export function formatDate(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

let dateSecond = -1;
let dateText = '';

/** The current time as a Date header value, formatted at most once a second. */
export function currentDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = formatDate(new Date(second * 1000));
  }
  return dateText;
}

// 15 random bytes (120 bits) per Message-ID; drawn from a pool because one randomBytes call per
// message showed up in profiles of the send path.
const ID_BYTES = 15;
const POOL_SIZE = ID_BYTES * 1024;
let pool = randomBytes(POOL_SIZE);
let poolPos = 0;

/** 20 random base64url characters for a Message-ID's left part. */
export function randomIdPart(): string {
  if (poolPos + ID_BYTES > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  const id = pool.toString('base64url', poolPos, poolPos + ID_BYTES);
  poolPos += ID_BYTES;
  return id;
}

/**
 * Throws unless `url` can sit between angle brackets in a header and in an HTML attribute:
 * printable ASCII only (no CR, LF, space or other control), no `<`, `>` or `"`, bounded length.
 */
export function assertHeaderSafeUrl(url: string, what: string): void {
  let ok = url.length > 0 && url.length <= MAX_VALUE_LENGTH;
  for (let i = 0; ok && i < url.length; i++) {
    const c = url.charCodeAt(i);
    ok = c > 0x20 && c < 0x7f && c !== 0x3c && c !== 0x3e && c !== 0x22;
  }
  if (!ok)
    throw new ValidationError(
      'MAIL_VALUE_UNSAFE',
      `${what} must be printable ASCII without <, > or "`,
    );
}

const ADDR_ASCII = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+@[A-Za-z0-9.-]+$/;
const ADDR_GENERAL = /^(?:[^\s<>()[\]\\,;:@"]+|"(?:[^"\\]|\\.)*")@[^\s<>()[\]\\,;:@"]+$/u;

/**
 * Checks a recipient address for the To header. Returns 'ascii' for the fast path, 'utf8' for
 * an address with non-ASCII characters (SMTPUTF8, RFC 6532: the header carries raw UTF-8).
 * Throws on anything that could end the header or add an address: control characters, CR,
 * LF, whitespace outside a quoted local part, `<>,;` and the like.
 */
export function checkRecipientAddress(email: string): 'ascii' | 'utf8' {
  if (email.length <= 254 && ADDR_ASCII.test(email)) return 'ascii';
  if (hasControls(email)) {
    throw new ValidationError(
      'MAIL_VALUE_UNSAFE',
      'recipient address contains a control character',
    );
  }
  let ascii = true;
  for (let i = 0; i < email.length; i++) {
    if (email.charCodeAt(i) > 0x7e) ascii = false;
  }
  if (email.length > MAX_VALUE_LENGTH || !ADDR_GENERAL.test(email)) {
    throw new ValidationError(
      'MAIL_VALUE_UNSAFE',
      'recipient address cannot be written in a To header',
    );
  }
  return ascii ? 'ascii' : 'utf8';
}
