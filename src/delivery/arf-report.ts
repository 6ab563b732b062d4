import {
  contentType,
  decodeBody,
  dsnAddress,
  first,
  isString,
  mailboxes,
  ORIGINAL_TYPES,
  parseHeaderBlock,
  parsePart,
  type Part,
} from './report-mime.js';
import type { ReportFail, ReportResult } from './report-types.js';

/** Feedback types that are a recipient's complaint; `not-spam` and `auth-failure` are not. */
const COMPLAINT_TYPES = new Set(['abuse', 'fraud', 'virus', 'other']);

/**
 * An ARF complaint report (RFC 5965), `multipart/report; report-type=feedback-report`: the
 * complaining address in Original-Rcpt-To, else in the To header of the returned original.
 */
export function readArf(parts: Part[], source: string, result: ReportResult, fail: ReportFail) {
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
