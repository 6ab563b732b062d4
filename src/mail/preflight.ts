import { AppError } from '../errors.js';
import type { MailTransport } from './transport.js';

/**
 * The SMTP server did not pass the preflight (README, "Before anything is sent"): nothing was
 * fanned out and no delivery recorded. `reason` is nodemailer's own words
 * ("connect ECONNREFUSED 127.0.0.1:8726", "Greeting never received",
 * "Invalid login: 535 Authentication failed").
 */
export class SmtpPreflightError extends AppError {
  constructor(readonly reason: string) {
    super('SMTP_PREFLIGHT_FAILED', `SMTP check failed: ${reason}. Nothing was sent.`, 503);
    this.name = 'SmtpPreflightError';
  }
}

/**
 * Checks the SMTP server before a digest is built for sending (connect, greeting, EHLO,
 * STARTTLS and AUTH as configured). The outbox needs no check.
 *
 * @throws SmtpPreflightError naming the cause.
 */
export async function preflightSmtp(transport: Pick<MailTransport, 'verify'>): Promise<void> {
  try {
    await transport.verify();
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    const message = typeof e.message === 'string' && e.message ? e.message : String(err);
    throw new SmtpPreflightError(message.replace(/\s+/g, ' ').trim().slice(0, 300));
  }
}
