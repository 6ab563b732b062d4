/**
 * What reading a returned message gives (bounce-reports.ts): the addresses to suppress, the
 * recipients deliberately left alone, and per-message errors with stable codes.
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

/** Records an error on the result being built (and returns it, for `return fail(...)`). */
export type ReportFail = (code: ReportErrorCode, message: string) => ReportResult;
