import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../escape-html.js';
import { ValidationError } from '../errors.js';
import { splitOnPlaceholders, type PlaceholderName } from '../render/placeholders.js';
import {
  assertHeaderSafeUrl,
  checkRecipientAddress,
  currentDate,
  domainOf,
  formatDate,
  headerText,
  mailboxHeaderValue,
  parseMailbox,
  randomIdPart,
  subjectHeader,
} from './headers.js';
import { qpEncodeText, qpEncodeValue, SOFT_BREAK } from './quoted-printable.js';
import { encodeWords } from 'nodemailer/lib/mime-funcs';

/**
 * The digest's fast path (README guarantee 5). Everything expensive happens once
 * per digest in `prepareDigestMessage`: headers encoded, both bodies quoted-printable encoded
 * piece by piece between the placeholders, all of it laid out as a plan of prepared Buffers with
 * numbered slots between them. `build` then checks the recipient's values, fills the few slots
 * and copies the plan into one Buffer: no template engine, no MIME builder, one allocation for
 * the message.
 *
 * Each body slot starts on a line of its own (the piece before it ends with a soft line break)
 * and is followed by one, so filling a value never lengthens a line the encoder already wrapped.
 */

export interface DigestMessageInput {
  /** Subject, HTML and text of the digest; HTML and text carry placeholders. */
  subject: string;
  html: string;
  text: string;
  /** MAIL_FROM as configured: `Name <address>` or `address`. */
  from: string;
  fromAddress: string;
  /** `label.domain` (see `listIdFor`). */
  listId: string;
  /** Optional display name for List-Id, e.g. the site name. */
  listName?: string;
  /** Fixed Date header for every copy; by default the time of each build. */
  date?: Date;
}

export interface DigestRecipient {
  email: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
  /** What they get, in words (src/subscribers/describe-delivery.ts); every subscriber's copy has it. */
  delivery?: string;
  /** Their "less often" / "more often" link (src/subscribers/links.ts); with `delivery`. */
  frequencyUrl?: string;
  /** With LIST_UNSUBSCRIBE_MAILTO: this recipient's `unsubscribe+<token>@…` (recipient.ts). */
  unsubscribeMailto?: string;
  /** The signed bounce token; it goes into the Message-ID so a complaint can name us. */
  bounceToken?: string;
}

// Slots: values that differ per recipient.
const TO = 0;
const DATE = 1;
const MESSAGE_ID = 2;
const UNSUBSCRIBE_HEADER = 3;
const TEXT_BASE = 4; // + placeholder index
const HTML_BASE = 9;
const SLOT_COUNT = 14;
const PLACEHOLDER_INDEX: Record<PlaceholderName, number> = {
  email: 0,
  unsubscribeUrl: 1,
  preferencesUrl: 2,
  delivery: 3,
  frequencyUrl: 4,
};

/** Alternating static pieces and slots: statics[0] slot[0] statics[1] ... statics[n]. */
class Plan {
  readonly statics: Buffer[] = [];
  readonly slots: number[] = [];
  private pending = '';

  text(s: string): void {
    this.pending += s;
  }

  slot(n: number): void {
    this.flush();
    this.slots.push(n);
  }

  finish(): { statics: Buffer[]; slots: number[]; staticLength: number } {
    this.flush();
    return {
      statics: this.statics,
      slots: this.slots,
      staticLength: this.statics.reduce((n, b) => n + b.length, 0),
    };
  }

  private flush(): void {
    // Everything prepared is 7-bit by construction; a non-ASCII byte here is a bug, not input.
    if (/[\u0080-\uffff]/.test(this.pending)) {
      throw new Error('digest message: prepared piece is not 7-bit');
    }
    this.statics.push(Buffer.from(this.pending, 'latin1'));
    this.pending = '';
  }
}

/**
 * Prepares a digest's message once; `build(recipient)` then returns one complete RFC 5322
 * message (CRLF, 7-bit unless the recipient's address is non-ASCII) as a Buffer.
 * `build` throws a ValidationError (code MAIL_VALUE_UNSAFE) for a value that could inject a
 * header: CR, LF or other control characters, or an unusable address or URL.
 */
export function prepareDigestMessage(input: DigestMessageInput): {
  build(r: DigestRecipient): Buffer;
} {
  const { statics, slots, staticLength } = planMessage(input);
  const fixedDate = input.date ? formatDate(input.date) : undefined;
  const used = new Set(slots);
  const values: string[] = new Array<string>(SLOT_COUNT).fill('');

  return {
    build(r) {
      const addressKind = checkRecipientAddress(r.email);
      assertHeaderSafeUrl(r.unsubscribeUrl, 'unsubscribe URL');
      assertHeaderSafeUrl(r.preferencesUrl, 'preferences URL');
      if (r.frequencyUrl) assertHeaderSafeUrl(r.frequencyUrl, 'frequency URL');
      values[TO] = r.email;
      values[DATE] = fixedDate ?? currentDate();
      values[MESSAGE_ID] = r.bounceToken
        ? `${randomIdPart()}.${checkToken(r.bounceToken)}`
        : randomIdPart();
      values[UNSUBSCRIBE_HEADER] = unsubscribeHeader(r);
      fillBodySlots(values, used, r);

      let length = staticLength;
      for (let i = 0; i < slots.length; i++) length += values[slots[i]!]!.length;
      if (addressKind === 'utf8') length += Buffer.byteLength(r.email, 'utf8') - r.email.length;

      const buf = Buffer.allocUnsafe(length);
      let offset = 0;
      for (let i = 0; i < slots.length; i++) {
        const piece = statics[i]!;
        buf.set(piece, offset);
        offset += piece.length;
        const slot = slots[i]!;
        offset += buf.write(
          values[slot]!,
          offset,
          slot === TO && addressKind === 'utf8' ? 'utf8' : 'latin1',
        );
      }
      buf.set(statics[slots.length]!, offset);
      return buf;
    },
  };
}

/** Lays out the whole message once: its encoded headers and parts around the slots. */
function planMessage(input: DigestMessageInput): ReturnType<Plan['finish']> {
  const domain = domainOf(parseMailbox(input.fromAddress).address);
  if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/.test(input.listId)) {
    throw new ValidationError(
      'MAIL_LIST_ID_INVALID',
      'listId must be a dot-atom such as "weekly.example.com"',
    );
  }
  // "=_" never occurs in quoted-printable output, so no encoded line can look like the boundary.
  const boundary = `=_digest_${randomBytes(12).toString('hex')}`;

  const plan = new Plan();
  // To in angle brackets: SpamAssassin scores a bare address (PDS_BRAND_SUBJ_NAKED_TO).
  plan.text(`From: ${mailboxHeaderValue(input.from)}\r\nTo: <`);
  plan.slot(TO);
  plan.text(`>\r\n${subjectHeader(input.subject)}Date: `);
  plan.slot(DATE);
  plan.text('\r\nMessage-ID: <');
  plan.slot(MESSAGE_ID);
  // Precedence and Auto-Submitted keep vacation responders quiet (RFC 3834 §2).
  plan.text(
    `@${domain}>\r\nMIME-Version: 1.0\r\nPrecedence: bulk\r\nAuto-Submitted: auto-generated\r\n` +
      `List-Id: ${listNamePhrase(input.listName)}<${input.listId}>\r\nList-Unsubscribe: `,
  );
  plan.slot(UNSUBSCRIBE_HEADER);
  plan.text(`\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n`);
  addPart(plan, boundary, 'text/plain', input.text, TEXT_BASE);
  addPart(plan, boundary, 'text/html', input.html, HTML_BASE);
  plan.text(`--${boundary}--\r\n`);
  return plan.finish();
}

/** List-Id's display name with its trailing space, quoted or encoded; '' without one. */
function listNamePhrase(name: string | undefined): string {
  const listName = name ? headerText(name) : '';
  if (!listName) return '';
  return /^[\x20-\x7e]*$/.test(listName)
    ? `"${listName.replace(/["\\]/g, '\\$&')}" `
    : `${encodeWords(listName, 'Q', 52, true)} `;
}

/**
 * The List-Unsubscribe value for one recipient, and List-Unsubscribe-Post when the URL is https:
 * RFC 8058 §3 allows one-click only with an HTTPS URI.
 */
function unsubscribeHeader(r: DigestRecipient): string {
  let value = `<${r.unsubscribeUrl}>`;
  if (r.unsubscribeMailto) {
    assertHeaderSafeUrl(r.unsubscribeMailto, 'unsubscribe mailto');
    value += `,\r\n <mailto:${r.unsubscribeMailto}?subject=unsubscribe>`;
  }
  if (r.unsubscribeUrl.startsWith('https://'))
    value += '\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click';
  return value;
}

function checkToken(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token))
    throw new ValidationError('MAIL_VALUE_UNSAFE', 'bounce token must be base64url');
  return token;
}

/** Adds one body part: its headers, then literal pieces encoded now and slots for the values. */
function addPart(plan: Plan, boundary: string, type: string, body: string, base: number): void {
  plan.text(
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`,
  );
  const pieces = splitOnPlaceholders(body);
  let afterSlot = false;
  pieces.forEach((piece, i) => {
    if (typeof piece === 'string') {
      plan.text((afterSlot ? SOFT_BREAK : '') + qpEncodeText(piece));
      afterSlot = false;
      if (i < pieces.length - 1) plan.text(SOFT_BREAK);
    } else {
      if (afterSlot) plan.text(SOFT_BREAK);
      plan.slot(base + PLACEHOLDER_INDEX[piece.name]);
      afterSlot = true;
    }
  });
  plan.text('\r\n');
}

/** Encodes the recipient's values for the body slots the digest actually uses. */
function fillBodySlots(values: string[], used: Set<number>, r: DigestRecipient): void {
  const raw = [r.email, r.unsubscribeUrl, r.preferencesUrl, r.delivery ?? '', r.frequencyUrl ?? ''];
  for (let i = 0; i < raw.length; i++) {
    if (used.has(TEXT_BASE + i)) values[TEXT_BASE + i] = qpEncodeValue(raw[i]!);
    if (used.has(HTML_BASE + i)) values[HTML_BASE + i] = qpEncodeValue(escapeHtml(raw[i]!));
  }
}
