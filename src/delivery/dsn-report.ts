import {
  contentType,
  decodeBody,
  dsnAddress,
  first,
  parseHeaderBlock,
  type Part,
} from './report-mime.js';
import type { ReportFail, ReportResult } from './report-types.js';

/**
 * A DSN bounce report (RFC 3464), `multipart/report; report-type=delivery-status`: one block of
 * fields per recipient (Final-Recipient / Original-Recipient, Action, Status). Only a permanent
 * failure (`failed` with a 5.x.x status) is an event; delays, 4.x.x and deliveries are ignored.
 */
export function readDsn(parts: Part[], source: string, result: ReportResult, fail: ReportFail) {
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

/** A DSN status code such as 5.1.1 in a field (Status, or Diagnostic-Code's 5xx reply). */
function statusCode(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /(?:^|[\s;])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/.exec(value);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  const reply = /^\s*smtp\s*;\s*([245])\d\d\b/i.exec(value);
  return reply ? `${reply[1]}.0.0` : undefined;
}
