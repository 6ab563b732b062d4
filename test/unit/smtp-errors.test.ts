import { describe, expect, it } from 'vitest';
import { classifySmtpError } from '../../src/delivery/smtp-errors.js';
import { ValidationError } from '../../src/errors.js';

/** An error shaped like nodemailer's: message, code, and for SMTP replies responseCode and response. */
function smtpError(response: string, responseCode?: number, code = 'EENVELOPE') {
  return Object.assign(new Error(`Can't send mail - ${response}`), {
    code,
    response,
    responseCode,
  });
}

describe('classifySmtpError', () => {
  it.each([
    [
      '421 service not available',
      smtpError('421 4.3.2 Service shutting down', 421, 'EPROTOCOL'),
      'throttle',
      421,
    ],
    [
      '451 4.7.1 rate limited',
      smtpError('451 4.7.1 Try again later, rate limited', 451),
      'throttle',
      451,
    ],
    ['450 4.7.0 greylisted', smtpError('450 4.7.0 Greylisted, see http://x', 450), 'throttle', 450],
    [
      '451 temporary failure',
      smtpError('451 Temporary local problem', 451, 'EMESSAGE'),
      'transient',
      451,
    ],
    ['450 4.2.0 mailbox busy', smtpError('450 4.2.0 Mailbox busy', 450), 'transient', 450],
    [
      '452 4.5.3 too many recipients',
      smtpError('452 4.5.3 Too many recipients', 452),
      'transient',
      452,
    ],
    [
      '550 5.1.1 no such mailbox',
      smtpError('550 5.1.1 <x@y.z>: Recipient address rejected: User unknown', 550),
      'bounce',
      550,
    ],
    ['553 5.1.0 address rejected', smtpError('553 5.1.0 Address rejected', 553), 'bounce', 553],
    [
      '550 5.1.10 null MX',
      smtpError('550 5.1.10 Recipient domain has null MX', 550),
      'bounce',
      550,
    ],
    [
      '550 5.7.1 policy',
      smtpError('550 5.7.1 Message rejected as spam', 550, 'EMESSAGE'),
      'permanent',
      550,
    ],
    [
      '552 5.3.4 too big',
      smtpError('552 5.3.4 Message size exceeds fixed limit', 552, 'EMESSAGE'),
      'permanent',
      552,
    ],
    [
      '550 without an enhanced status',
      smtpError('550 Requested action not taken', 550),
      'permanent',
      550,
    ],
    [
      '554 transaction failed',
      smtpError('554 Transaction failed', 554, 'EMESSAGE'),
      'permanent',
      554,
    ],
    [
      'multi-line 550-5.1.1',
      smtpError('550-5.1.1 The email account does not exist.\n550 5.1.1 more', 550),
      'bounce',
      550,
    ],
  ] as const)('%s', (_name, err, kind, code) => {
    expect(classifySmtpError(err)).toMatchObject({ kind, code });
  });

  it('reads the reply code from the response text when responseCode is missing', () => {
    expect(classifySmtpError(smtpError('550 5.1.1 User unknown'))).toMatchObject({
      kind: 'bounce',
      code: 550,
    });
  });

  it.each([
    [
      'ECONNECTION',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ECONNECTION' }),
    ],
    ['ETIMEDOUT', Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })],
    ['ESOCKET', Object.assign(new Error('socket hang up'), { code: 'ESOCKET' })],
    ['a plain Error', new Error('something odd')],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('network errors without a reply are transient: %s', (_name, err) => {
    const c = classifySmtpError(err);
    expect(c.kind).toBe('transient');
    expect(c.code).toBeUndefined();
  });

  it('treats an envelope we could not send at all, or an unbuildable message, as permanent', () => {
    expect(
      classifySmtpError(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))
        .kind,
    ).toBe('permanent');
    expect(classifySmtpError(new ValidationError('MAIL_VALUE_UNSAFE', 'bad URL')).kind).toBe(
      'permanent',
    );
  });

  it('keeps the server text as the message, bounded', () => {
    const c = classifySmtpError(smtpError(`550 5.1.1 ${'x'.repeat(2000)}`, 550));
    expect(c.message.startsWith('550 5.1.1 x')).toBe(true);
    expect(c.message.length).toBeLessThanOrEqual(500);
  });
});
