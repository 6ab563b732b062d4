import { readArf } from './arf-report.js';
import { readDsn } from './dsn-report.js';
import {
  contentType,
  decodeBody,
  mailboxes,
  ORIGINAL_TYPES,
  parsePart,
  splitMultipart,
  type Part,
} from './report-mime.js';
import type { ReportErrorCode, ReportResult } from './report-types.js';

export type {
  BounceEvent,
  BounceEventKind,
  IgnoredRecipient,
  ReportError,
  ReportErrorCode,
  ReportResult,
} from './report-types.js';

/**
 * Reads the two machine-readable reports a mail system sends back about a digest: DSN bounce
 * reports (RFC 3464, dsn-report.ts) and ARF complaint reports (RFC 5965, arf-report.ts), found
 * in the message or nested in a forwarded one (the MIME walk is report-mime.ts).
 *
 * Pure and defensive: a message that is not such a report, or is broken, becomes an entry in
 * `errors` with a stable code, never an exception.
 */

/** Headers naming where a message was delivered; a bounce goes to our VERP envelope sender. */
const RECIPIENT_HEADERS = ['to', 'delivered-to', 'x-original-to', 'envelope-to'];
const MAX_DEPTH = 5;

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
