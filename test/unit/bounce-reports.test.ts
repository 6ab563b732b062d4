import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReport } from '../../src/delivery/bounce-reports.js';
import { MAX_MESSAGE_BYTES, readReportMessages } from '../../src/delivery/bounce-sources.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/bounces');
const fixture = async (name: string) =>
  parseReport(await readFile(path.join(FIXTURES, name)), name);

async function collect(target: string) {
  const out = [];
  for await (const m of readReportMessages(target)) out.push(m);
  return out;
}

describe('parseReport: DSN (RFC 3464)', () => {
  it('a 5.1.1 failure is a permanent bounce of the original recipient', async () => {
    const r = await fixture('dsn-failed-5.1.1.eml');
    expect(r.errors).toEqual([]);
    expect(r.events).toEqual([
      {
        email: 'gone@example.net',
        kind: 'bounced',
        status: '5.1.1',
        source: 'dsn-failed-5.1.1.eml',
      },
    ]);
  });

  it('reads the DSNs Postfix wrote (whole original and headers only), with our tokens in them', async () => {
    // Made by Postfix 3.7 for digests the service sent: fixtures/bounces/postfix/README.md.
    const dir = 'postfix/Maildir/new';
    const names = (await readdir(path.join(FIXTURES, dir))).sort();
    expect(names).toHaveLength(2);
    const [whole, headers] = await Promise.all(names.map((n) => fixture(`${dir}/${n}`)));
    const bounceToken = /^bounces\+[A-Za-z0-9_-]{40}@news\.example\.com$/;
    const messageId = /^<[A-Za-z0-9]{20}\.[A-Za-z0-9_-]{40}@news\.example\.com>$/;
    for (const [r, email] of [
      [whole!, 'gone@reader.example'],
      [headers!, 'moved@reader.example'],
    ] as const) {
      expect(r.errors).toEqual([]);
      expect(r.ignored).toEqual([]);
      expect(r.events).toEqual([
        expect.objectContaining({ email, kind: 'bounced', status: '5.1.1' }),
      ]);
      // To, Delivered-To and X-Original-To: the VERP sender the DSN went back to
      expect(r.addressedTo).toHaveLength(3);
      for (const a of r.addressedTo) expect(a).toMatch(bounceToken);
      expect(r.originalMessageIds).toEqual([
        expect.stringMatching(messageId),
        expect.stringMatching(/^<bounces\+[A-Za-z0-9_-]{40}@news\.example\.com>$/),
      ]);
    }
  });

  it('a delayed 4.x report is ignored as temporary', async () => {
    const r = await fixture('dsn-delayed.eml');
    expect(r.events).toEqual([]);
    expect(r.ignored).toEqual([
      expect.objectContaining({
        email: 'slow@example.com',
        reason: 'temporary',
        action: 'delayed',
        status: '4.4.1',
      }),
    ]);
  });

  it('reads every recipient block of a multi-recipient report', async () => {
    const r = await fixture('dsn-multi.eml');
    // Original-Recipient (what we sent to) wins over Final-Recipient (an alias's target);
    // lower-case field names and <angle brackets> are accepted.
    expect(r.events.map((e) => [e.email, e.status])).toEqual([
      ['Alice@Example.COM', '5.2.1'],
      ['bob@example.com', '5.1.10'],
    ]);
    expect(r.ignored.map((i) => [i.email, i.reason, i.status])).toEqual([
      ['carol@example.com', 'temporary', '4.4.7'],
      ['dave@example.com', 'not-failed', '2.0.0'],
    ]);
  });

  it('takes the status from Diagnostic-Code when Status is missing', () => {
    const raw = report('delivery-status', 'message/delivery-status', [
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; nostatus@example.net',
      'Action: failed',
      'Diagnostic-Code: smtp; 550 no such user',
    ]);
    expect(parseReport(raw, 'x').events).toEqual([
      expect.objectContaining({ email: 'nostatus@example.net', kind: 'bounced', status: '5.0.0' }),
    ]);
  });

  it('finds a report forwarded inside a multipart/mixed message', () => {
    const inner = report('delivery-status', 'message/delivery-status', [
      'Final-Recipient: rfc822; fwd@example.net',
      'Action: failed',
      'Status: 5.1.1',
    ]).toString('latin1');
    const raw = Buffer.from(
      [
        'From: admin@example.org',
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        '--outer',
        'Content-Type: text/plain',
        '',
        'Forwarding this bounce.',
        '--outer',
        'Content-Type: message/rfc822',
        '',
        inner,
        '--outer--',
      ].join('\r\n'),
      'latin1',
    );
    expect(parseReport(raw, 'x').events.map((e) => e.email)).toEqual(['fwd@example.net']);
  });
});

describe('parseReport: ARF (RFC 5965)', () => {
  it('an abuse report takes the address from the message/rfc822 part', async () => {
    const r = await fixture('arf-abuse-rfc822.eml');
    expect(r.errors).toEqual([]);
    expect(r.events).toEqual([
      {
        email: 'Erin@hotmail.example',
        kind: 'complained',
        feedbackType: 'abuse',
        source: 'arf-abuse-rfc822.eml',
      },
    ]);
  });

  it('an abuse report takes the address from a text/rfc822-headers part', async () => {
    const r = await fixture('arf-abuse-headers.eml');
    expect(r.events.map((e) => [e.email, e.kind])).toEqual([['frank@isp.example', 'complained']]);
  });

  it('Original-Rcpt-To wins over a redacted To, even in a base64 part', async () => {
    const [, second] = await collect(path.join(FIXTURES, 'several.mbox'));
    expect(second && 'raw' in second).toBe(true);
    const r = parseReport((second as { raw: Buffer }).raw, 'm');
    expect(r.events).toEqual([
      expect.objectContaining({
        email: 'ivy@mail.example',
        kind: 'complained',
        feedbackType: 'fraud',
      }),
    ]);
  });

  it('a not-spam report is no complaint', () => {
    const raw = report('feedback-report', 'message/feedback-report', [
      'Feedback-Type: not-spam',
      'Version: 1',
      'Original-Rcpt-To: <happy@example.com>',
    ]);
    const r = parseReport(raw, 'x');
    expect(r.events).toEqual([]);
    expect(r.ignored).toEqual([
      expect.objectContaining({ email: 'happy@example.com', reason: 'not-a-complaint' }),
    ]);
  });

  it('a complaint naming nobody is an error, not a guess', () => {
    const raw = report('feedback-report', 'message/feedback-report', [
      'Feedback-Type: abuse',
      'Version: 1',
    ]);
    expect(parseReport(raw, 'x').errors).toEqual([
      expect.objectContaining({ code: 'NO_RECIPIENT' }),
    ]);
  });
});

describe('parseReport: robustness', () => {
  it('a garbage file is a clear error', async () => {
    const r = await fixture('garbage.eml');
    expect(r.events).toEqual([]);
    expect(r.errors).toEqual([
      {
        source: 'garbage.eml',
        code: 'NOT_A_REPORT',
        message: expect.stringContaining('not an email message'),
      },
    ]);
  });

  it('an ordinary message and an unknown report-type are NOT_A_REPORT', () => {
    const plain = Buffer.from('From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n');
    expect(parseReport(plain, 'p').errors[0]).toMatchObject({
      code: 'NOT_A_REPORT',
      message: expect.stringContaining('text/plain'),
    });
    const mdn = report('disposition-notification', 'message/disposition-notification', [
      'Disposition: manual-action/MDN-sent-manually; displayed',
    ]);
    expect(parseReport(mdn, 'm').errors[0]).toMatchObject({
      code: 'NOT_A_REPORT',
      message: expect.stringContaining('disposition-notification'),
    });
  });

  it('a multipart/report without a boundary or without its status part is REPORT_MALFORMED', () => {
    const noBoundary = Buffer.from(
      'From: a@example.com\r\nContent-Type: multipart/report; report-type=delivery-status\r\n\r\nx\r\n',
    );
    expect(parseReport(noBoundary, 'a').errors[0]?.code).toBe('REPORT_MALFORMED');
    const noStatus = report('delivery-status', 'text/plain', ['just text']);
    expect(parseReport(noStatus, 'b').errors[0]?.code).toBe('REPORT_MALFORMED');
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 50 + i * 7 }, (_, j) => (i * 31 + j * 17) % 256),
      );
      const prefix = Buffer.from(
        'Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n',
      );
      expect(() => parseReport(Buffer.concat([prefix, bytes]), 'r')).not.toThrow();
    }
  });
});

describe('readReportMessages', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bounce-sources-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('splits an mbox on From lines and unescapes >From', async () => {
    const messages = await collect(path.join(FIXTURES, 'several.mbox'));
    expect(messages.map((m) => m.source.replace(/^.*\//, ''))).toEqual([
      'several.mbox#1',
      'several.mbox#2',
      'several.mbox#3',
      'several.mbox#4',
    ]);
    const first = (messages[0] as { raw: Buffer }).raw.toString();
    expect(first).toContain('\nFrom here on, the body has an escaped From line.');
    const results = messages.map((m) => ('raw' in m ? parseReport(m.raw, m.source) : undefined));
    expect(results.flatMap((r) => r?.events.map((e) => `${e.kind}:${e.email}`) ?? [])).toEqual([
      'bounced:henry@example.net',
      'complained:ivy@mail.example',
    ]);
    expect(results[2]?.ignored[0]).toMatchObject({
      email: 'jack@example.com',
      reason: 'temporary',
    });
    expect(results[3]?.errors[0]?.code).toBe('NOT_A_REPORT');
  });

  it('reads a directory (sorted, hidden files skipped) and reports a missing path', async () => {
    const messages = await collect(FIXTURES);
    // 6 files and the mbox's 4 messages, then postfix/ read recursively: README.md, and the
    // Maildir's 2 (a folder sorts by name, as a file does).
    expect(messages.filter((m) => 'raw' in m)).toHaveLength(6 + 4 + 3);
    expect(messages.map((m) => path.relative(FIXTURES, m.source)).slice(6, 9)).toEqual([
      'postfix/Maildir/new/1796186117.Vfe00I18000aM369362.vm',
      'postfix/Maildir/new/1796186143.Vfe00I18000dM554526.vm',
      'postfix/README.md',
    ]);
    const missing = await collect(path.join(dir, 'nope'));
    expect(missing).toEqual([
      {
        source: path.join(dir, 'nope'),
        error: expect.objectContaining({ code: 'FILE_UNREADABLE' }),
      },
    ]);
  });

  it('skips a message that is too large instead of loading it', async () => {
    const big = path.join(dir, 'big.eml');
    writeFileSync(big, Buffer.alloc(MAX_MESSAGE_BYTES + 1, 'a'));
    expect(await collect(big)).toEqual([
      { source: big, error: expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }) },
    ]);
  });
});

/** A minimal multipart/report with a text part and one report part holding `lines`. */
function report(reportType: string, partType: string, lines: string[]): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@example.net',
      'To: digest@example.org',
      'MIME-Version: 1.0',
      `Content-Type: multipart/report; report-type=${reportType}; boundary="b1"`,
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Human-readable part.',
      '--b1',
      `Content-Type: ${partType}`,
      '',
      ...lines,
      '',
      '--b1--',
      '',
    ].join('\r\n'),
    'latin1',
  );
}
