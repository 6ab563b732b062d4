import { AppError } from '../errors.js';

/**
 * What a failed send means for the delivery:
 * - `throttle`: the server asks us to slow down (421, or an enhanced status 4.7.x); retry later.
 * - `transient`: any other 4xx, or no SMTP reply at all (connection, timeout, socket); retry.
 * - `bounce`: 5xx with an enhanced status 5.1.x (bad mailbox or domain); the subscriber bounced.
 * - `permanent`: any other 5xx, or a message we could not build; record and do not retry.
 */
export type SmtpErrorKind = 'transient' | 'throttle' | 'permanent' | 'bounce';

export interface SmtpErrorClass {
  kind: SmtpErrorKind;
  /** The SMTP reply code, when the server gave one. */
  code?: number;
  message: string;
}

/** nodemailer error codes that mean our own input is wrong: retrying cannot help. */
const PERMANENT_WITHOUT_REPLY = new Set(['EENVELOPE', 'ECONFIG', 'EMAXRECIPIENTS']);

const REPLY = /^\s*([2-5]\d\d)(?:[\s-]|$)/;
const ENHANCED = /(?:^|[\s(-])([245])\.(\d{1,3})\.(\d{1,3})(?=[\s,;:)]|$)/;

/**
 * Classifies an error thrown by the transport (nodemailer puts `responseCode`, `response` and
 * `code` on its errors). Anything unrecognised without a reply code counts as transient, so a
 * network hiccup is retried rather than dropped.
 */
export function classifySmtpError(err: unknown): SmtpErrorClass {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    responseCode?: unknown;
    response?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const response = typeof e.response === 'string' ? e.response : '';
  const message = (response || (typeof e.message === 'string' ? e.message : String(err))).slice(
    0,
    500,
  );
  const code = replyCode(e.responseCode, response);

  if (code === undefined) {
    if (err instanceof AppError) return { kind: 'permanent', message };
    if (typeof e.code === 'string' && PERMANENT_WITHOUT_REPLY.has(e.code))
      return { kind: 'permanent', message };
    return { kind: 'transient', message };
  }
  const enhanced = ENHANCED.exec(response || message);
  const subject = enhanced ? Number(enhanced[2]) : undefined;
  if (code >= 400 && code < 500) {
    return { kind: code === 421 || subject === 7 ? 'throttle' : 'transient', code, message };
  }
  if (code >= 500) return { kind: subject === 1 ? 'bounce' : 'permanent', code, message };
  // a 2xx or 3xx reply reported as an error is a protocol oddity; try again
  return { kind: 'transient', code, message };
}

function replyCode(responseCode: unknown, response: string): number | undefined {
  if (typeof responseCode === 'number' && responseCode >= 200 && responseCode < 600)
    return responseCode;
  const m = REPLY.exec(response);
  return m ? Number(m[1]) : undefined;
}
