import addressparser from 'nodemailer/lib/addressparser';

/**
 * Reads the two machine-readable reports a mail system sends back about a digest:
 * - DSN bounce reports (RFC 3464): `multipart/report; report-type=delivery-status`, one block of
 *   fields per recipient (Final-Recipient / Original-Recipient, Action, Status);
 * - ARF complaint reports (RFC 5965): `multipart/report; report-type=feedback-report`, the
 *   complaining address in Original-Rcpt-To or in the To header of the returned original message.
 *
 * Pure and defensive: a message that is not such a report, or is broken, becomes an entry in
 * `errors` with a stable code, never an exception. The MIME walk is our own (a report is a narrow,
 * well-defined shape) because mailparser, a dev dependency only, flattens an inline
 * message/rfc822 part into the body text and so loses the complained-about message's headers.
 */

export type BounceEventKind = 'bounced' | 'complained';

/** One address a report says must not be mailed again. */
export interface BounceEvent {
  email: string;
  kind: BounceEventKind;
  /** The DSN status (e.g. `5.1.1`) of a bounce. */
  status?: string;
  /** The ARF Feedback-Type (abuse, fraud, ...) of a complaint. */
  feedbackType?: string;
  /** Where the report came from: a file path, or `path#n` for the n-th message of an mbox. */
  source: string;
}

/** A recipient a report mentions that must not be suppressed: delays, 4.x.x, deliveries. */
export interface IgnoredRecipient {
  email: string;
  reason: 'temporary' | 'not-failed' | 'no-status' | 'not-a-complaint';
  action?: string;
  status?: string;
  source: string;
}

export type ReportErrorCode =
  'FILE_UNREADABLE' | 'MESSAGE_TOO_LARGE' | 'NOT_A_REPORT' | 'REPORT_MALFORMED' | 'NO_RECIPIENT';

export interface ReportError {
  source: string;
  code: ReportErrorCode;
  message: string;
}

export interface ReportResult {
  events: BounceEvent[];
  ignored: IgnoredRecipient[];
  errors: ReportError[];
  /**
   * What ties the message to mail we sent (report-trust.ts checks the tokens in them): the
   * addresses it was delivered to (To, Delivered-To, X-Original-To, Envelope-To: for a bounce,
   * our VERP sender) and the Message-IDs of the returned original.
   */
  addressedTo: string[];
  originalMessageIds: string[];
}

/** Headers naming where a message was delivered; a bounce goes to our VERP envelope sender. */
const RECIPIENT_HEADERS = ['to', 'delivered-to', 'x-original-to', 'envelope-to'];
const ORIGINAL_TYPES =
  /^(message\/rfc822|text\/rfc822-headers|message\/rfc822-headers|message\/global|message\/global-headers)$/;

/** Feedback types that are a recipient's complaint; `not-spam` and `auth-failure` are not. */
const COMPLAINT_TYPES = new Set(['abuse', 'fraud', 'virus', 'other']);
const MAX_DEPTH = 5;

interface Part {
  headers: Map<string, string[]>;
  body: string;
}

/**
 * Parses one message (raw bytes) into bounce and complaint events. `source` names it in the
 * results. Never throws.
 */
export function parseReport(raw: Buffer, source: string): ReportResult {
  const result: ReportResult = {
    events: [],
    ignored: [],
    errors: [],
    addressedTo: [],
    originalMessageIds: [],
  };
  const fail = (code: ReportErrorCode, message: string) => {
    result.errors.push({ source, code, message });
    return result;
  };
  try {
    // latin1 keeps every byte as one character; MIME structure is ASCII.
    const top = parsePart(raw.toString('latin1'));
    if (!top) return fail('NOT_A_REPORT', 'no message headers found: not an email message');
    result.addressedTo = RECIPIENT_HEADERS.flatMap((h) => top.headers.get(h) ?? []).flatMap((v) =>
      mailboxes(v),
    );
    const report = findReport(top, 0);
    if (!report) {
      const type = contentType(top).type || 'none';
      return fail('NOT_A_REPORT', `not a DSN or ARF report (Content-Type ${type})`);
    }
    const { type, params } = contentType(report);
    const reportType = (params.get('report-type') ?? '').toLowerCase();
    const parts = splitMultipart(report.body, params.get('boundary'));
    if (!parts) return fail('REPORT_MALFORMED', `${type} without a usable boundary`);
    result.originalMessageIds = originalMessageIds(parts);
    if (reportType === 'delivery-status') readDsn(parts, source, result, fail);
    else if (reportType === 'feedback-report') readArf(parts, source, result, fail);
    else
      return fail(
        'NOT_A_REPORT',
        `report-type "${reportType || 'none'}" is neither delivery-status nor feedback-report`,
      );
    return result;
  } catch (err) {
    return fail('REPORT_MALFORMED', `could not be read: ${(err as Error).message}`);
  }
}

function readDsn(
  parts: Part[],
  source: string,
  result: ReportResult,
  fail: (c: ReportErrorCode, m: string) => unknown,
) {
  const status = parts.find((p) =>
    /^message\/(global-)?delivery-status$/.test(contentType(p).type),
  );
  if (!status)
    return fail(
      'REPORT_MALFORMED',
      'delivery-status report without a message/delivery-status part',
    );
  const groups = decodeBody(status)
    .split(/\r?\n[ \t]*\r?\n/)
    .map((g) => parseHeaderBlock(g))
    .filter((h) => h.has('final-recipient') || h.has('original-recipient'));
  if (groups.length === 0)
    return fail('REPORT_MALFORMED', 'delivery-status part names no recipient');
  for (const fields of groups) {
    // Original-Recipient is the address we sent to; Final-Recipient may be an alias's target.
    const email =
      dsnAddress(first(fields, 'original-recipient')) ??
      dsnAddress(first(fields, 'final-recipient'));
    if (!email) {
      fail('NO_RECIPIENT', 'a recipient block has no readable address');
      continue;
    }
    const action =
      (first(fields, 'action') ?? '')
        .trim()
        .toLowerCase()
        .split(/[\s;(]/)[0] ?? '';
    const status =
      statusCode(first(fields, 'status')) ?? statusCode(first(fields, 'diagnostic-code'));
    if (action === 'failed' && status?.startsWith('5.')) {
      result.events.push({ email, kind: 'bounced', status, source });
    } else if (action === 'failed' && !status) {
      result.ignored.push({ email, reason: 'no-status', action, source });
    } else if (action === 'failed' || action === 'delayed') {
      // A 4.x.x failure (e.g. 4.4.7, expired in the queue) says nothing lasting about the address.
      result.ignored.push({ email, reason: 'temporary', action, status, source });
    } else {
      result.ignored.push({ email, reason: 'not-failed', action, status, source });
    }
  }
}

function readArf(
  parts: Part[],
  source: string,
  result: ReportResult,
  fail: (c: ReportErrorCode, m: string) => unknown,
) {
  const feedback = parts.find((p) => contentType(p).type === 'message/feedback-report');
  if (!feedback)
    return fail('REPORT_MALFORMED', 'feedback-report without a message/feedback-report part');
  const fields = parseHeaderBlock(decodeBody(feedback));
  const feedbackType = (first(fields, 'feedback-type') ?? '').trim().toLowerCase();
  if (!feedbackType) return fail('REPORT_MALFORMED', 'feedback report without a Feedback-Type');

  // The envelope recipient is the most precise; providers that give it often redact the To.
  let emails = (fields.get('original-rcpt-to') ?? []).map(dsnAddress).filter(isString);
  if (emails.length === 0) {
    const original = parts.find((p) => ORIGINAL_TYPES.test(contentType(p).type));
    const headers = original ? parsePart(decodeBody(original)) : undefined;
    const to = headers ? (headers.headers.get('to') ?? []).join(', ') : '';
    const addresses = to ? mailboxes(to) : [];
    // Our digests carry exactly one To; anything else is not a message we can attribute.
    if (addresses.length === 1) emails = addresses;
  }
  if (emails.length === 0)
    return fail(
      'NO_RECIPIENT',
      'complaint report names no single recipient (no Original-Rcpt-To, no To)',
    );
  for (const email of emails) {
    if (COMPLAINT_TYPES.has(feedbackType))
      result.events.push({ email, kind: 'complained', feedbackType, source });
    else result.ignored.push({ email, reason: 'not-a-complaint', action: feedbackType, source });
  }
}

/** The Message-ID (and Return-Path, our VERP sender) of the original a report returns. */
function originalMessageIds(parts: Part[]): string[] {
  const original = parts.find((p) => ORIGINAL_TYPES.test(contentType(p).type));
  const headers = original ? parsePart(decodeBody(original)) : undefined;
  if (!headers) return [];
  return ['message-id', 'return-path'].flatMap((h) => headers.headers.get(h) ?? []);
}

/** The multipart/report part: the message itself, or nested in a multipart (a forwarded report). */
function findReport(part: Part, depth: number): Part | undefined {
  const { type, params } = contentType(part);
  if (type === 'multipart/report') return part;
  if (depth >= MAX_DEPTH) return undefined;
  if (type === 'message/rfc822') {
    const inner = parsePart(decodeBody(part));
    return inner ? findReport(inner, depth + 1) : undefined;
  }
  if (!type.startsWith('multipart/')) return undefined;
  for (const child of splitMultipart(part.body, params.get('boundary')) ?? []) {
    const found = findReport(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Headers and body of a message or part; undefined when it does not start with a header. */
function parsePart(text: string): Part | undefined {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : '';
  const headers = parseHeaderBlock(head);
  return headers.size > 0 && /^[!-9;-~]+:/.test(head.trimStart()) ? { headers, body } : undefined;
}

/** Header fields (unfolded), by lower-cased name; lines that are not fields are skipped. */
function parseHeaderBlock(block: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const unfolded = block.trim().replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), m[2]!.trim()]);
  }
  return fields;
}

function contentType(part: Part): { type: string; params: Map<string, string> } {
  const value = first(part.headers, 'content-type') ?? 'text/plain';
  const [type = '', ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))/.exec(p);
    if (m) params.set(m[1]!.toLowerCase(), m[2]?.replace(/\\(.)/g, '$1') ?? m[3] ?? '');
  }
  return { type: type.trim().toLowerCase(), params };
}

/** The body parts between boundary lines; undefined when there is no boundary or no part. */
function splitMultipart(body: string, boundary: string | undefined): Part[] | undefined {
  if (!boundary || boundary.length > 200) return undefined;
  const parts: Part[] = [];
  const delimiter = `--${boundary}`;
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (/^(--)?[ \t]*$/.test(rest)) {
        if (current)
          parts.push(
            parsePart(current.join('\n')) ?? { headers: new Map(), body: current.join('\n') },
          );
        current = rest.startsWith('--') ? undefined : [];
        if (!current) break;
        continue;
      }
    }
    current?.push(line);
  }
  // A truncated report (no closing delimiter) still yields the parts it has.
  if (current)
    parts.push(parsePart(current.join('\n')) ?? { headers: new Map(), body: current.join('\n') });
  return parts.length > 0 ? parts : undefined;
}

/** The part's body with its Content-Transfer-Encoding undone, as latin1 text. */
function decodeBody(part: Part): string {
  const cte = (first(part.headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64')
    return Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable') {
    return part.body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return part.body;
}

/** `rfc822; <a@b>` (DSN / ARF address field) → `a@b`, or undefined when unusable. */
function dsnAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  const raw = (semi >= 0 ? value.slice(semi + 1) : value)
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  return plausibleAddress(toUtf8(raw));
}

/** The mailbox addresses of an address header such as To. */
function mailboxes(value: string): string[] {
  return addressparser(toUtf8(value), { flatten: true })
    .map((a) => plausibleAddress(a.address ?? ''))
    .filter(isString);
}

function plausibleAddress(s: string): string | undefined {
  return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(s) && s.length <= 320 ? s : undefined;
}

/** A DSN status code such as 5.1.1 in a field (Status, or Diagnostic-Code's 5xx reply). */
function statusCode(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /(?:^|[\s;])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/.exec(value);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  const reply = /^\s*smtp\s*;\s*([245])\d\d\b/i.exec(value);
  return reply ? `${reply[1]}.0.0` : undefined;
}

function first(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}

function toUtf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function isString(v: string | undefined): v is string {
  return typeof v === 'string';
}
