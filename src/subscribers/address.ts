import { domainToASCII } from 'node:url';
import { hasControls } from '../control-chars.js';
import { ValidationError } from '../errors.js';

/** Stable codes for a rejected address (HTTP answers and import reports carry them). */
export type AddressErrorCode =
  | 'ADDRESS_EMPTY'
  | 'ADDRESS_CONTROL_CHARS'
  | 'ADDRESS_TOO_LONG'
  | 'ADDRESS_LOCAL_TOO_LONG'
  | 'ADDRESS_INVALID'
  | 'ADDRESS_DOMAIN_INVALID';

export type AddressResult =
  { ok: true; email: string } | { ok: false; code: AddressErrorCode; message: string };

/** RFC 5321: a path of at most 256 octets including the angle brackets, so 254 for the address. */
export const MAX_ADDRESS_LENGTH = 254;
export const MAX_LOCAL_LENGTH = 64;

// Dot-atom (RFC 5322 atext separated by single dots). Quoted local parts ("a b"@x) are rejected
// on purpose: they are rare, many providers refuse them, and they would bring spaces and @ into
// addresses. Non-ASCII local parts (SMTPUTF8) are rejected too: every per-recipient value on
// the send path stays ASCII.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function fail(code: AddressErrorCode, message: string): AddressResult {
  return { ok: false, code, message };
}

/**
 * Checks and normalises an email address: trimmed; at most 254 characters with a local part of
 * at most 64; exactly one @; no control characters (CR, LF, NUL ...) and no spaces anywhere; a
 * dot-atom local part, kept as written (case included); the domain lower-cased, with at least one
 * dot and valid labels, an international domain converted to punycode (`bücher.de` →
 * `xn--bcher-kva.de`). IP-literal domains and quoted local parts are refused.
 */
export function normaliseAddress(input: unknown): AddressResult {
  if (typeof input !== 'string') return fail('ADDRESS_EMPTY', 'an email address is required');
  // Checked before trimming, so a trailing CR/LF is refused rather than silently dropped.
  // A control character (CR, LF, NUL, TAB …: src/control-chars.ts) is never part of an address,
  // and CR/LF would be header injection once the address is written into a message.
  if (hasControls(input)) {
    return fail(
      'ADDRESS_CONTROL_CHARS',
      'the address contains control characters (CR, LF, NUL ...)',
    );
  }
  const s = input.trim();
  if (s.length === 0) return fail('ADDRESS_EMPTY', 'an email address is required');
  // A cheap guard before any more work; the final length is checked again after punycode.
  if (s.length > MAX_ADDRESS_LENGTH) {
    return fail('ADDRESS_TOO_LONG', `the address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  }
  const at = s.indexOf('@');
  if (at < 0 || at !== s.lastIndexOf('@')) {
    return fail('ADDRESS_INVALID', 'the address must contain exactly one @');
  }
  if (/\s/.test(s)) return fail('ADDRESS_INVALID', 'the address contains spaces');
  const local = s.slice(0, at);
  const domainInput = s.slice(at + 1);
  if (local.length === 0) return fail('ADDRESS_INVALID', 'the part before the @ is empty');
  if (local.length > MAX_LOCAL_LENGTH) {
    return fail(
      'ADDRESS_LOCAL_TOO_LONG',
      `the part before the @ is longer than ${MAX_LOCAL_LENGTH} characters`,
    );
  }
  if (!DOT_ATOM.test(local)) {
    return fail(
      'ADDRESS_INVALID',
      'the part before the @ has characters or dots that are not allowed',
    );
  }
  const domain = normaliseDomain(domainInput);
  if (!domain) return fail('ADDRESS_DOMAIN_INVALID', 'the domain is not valid');
  const email = `${local}@${domain}`;
  if (email.length > MAX_ADDRESS_LENGTH) {
    return fail('ADDRESS_TOO_LONG', `the address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  }
  return { ok: true, email };
}

/** Lower-cased ASCII (punycode) domain, or undefined when it is not a usable mail domain. */
function normaliseDomain(input: string): string | undefined {
  if (input.length === 0 || input.startsWith('[')) return undefined;
  // domainToASCII lower-cases, applies IDNA (UTS #46) and returns '' for what it cannot map.
  const ascii = domainToASCII(input);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  // A numeric top-level label would make "1.2.3.4" look like a domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return ascii;
}

/**
 * The key that makes one subscriber per address: the normalised address, lower-cased whole.
 * RFC 5321 lets a mail server treat `Bob@x` and `bob@x` as different mailboxes, but practically
 * none does, and two subscriptions (two digests a week) for one person is the worse outcome.
 * The stored address keeps the case the subscriber wrote. Normalised addresses are ASCII, so
 * this lower-casing is locale-free.
 */
export function addressKey(normalisedEmail: string): string {
  return normalisedEmail.toLowerCase();
}

/** normaliseAddress for boundaries: the normalised address, or a ValidationError saying why. */
export function requireAddress(input: unknown): string {
  const a = normaliseAddress(input);
  if (!a.ok) throw new ValidationError(a.code, a.message);
  return a.email;
}
