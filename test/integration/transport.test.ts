import { createHash, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifySmtpError } from '../../src/delivery/smtp-errors.js';
import { createLogger } from '../../src/log.js';
import { prepareDigestMessage } from '../../src/mail/digest-message.js';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.js';
import { PLACEHOLDERS } from '../../src/render/placeholders.js';

const log = createLogger('silent');
const FROM = 'digest@news.example.com';

interface Received {
  from: string;
  to: string[];
  raw: Buffer;
}

/** A real SMTP server in this process; recipients in `replies` get that error at RCPT TO. */
function startServer() {
  const received: Received[] = [];
  const replies = new Map<string, { code: number; text: string }>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      const reply = replies.get(address.address);
      if (!reply) return cb();
      cb(Object.assign(new Error(reply.text), { responseCode: reply.code }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  return {
    received,
    replies,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const message = prepareDigestMessage({
  subject: 'Digest — café',
  html: `<p>Hello ${PLACEHOLDERS.email}</p><a href="${PLACEHOLDERS.unsubscribeUrl}">unsubscribe</a>`,
  text: `Hello ${PLACEHOLDERS.email}\nUnsubscribe: ${PLACEHOLDERS.unsubscribeUrl}\n`,
  from: `Digest <${FROM}>`,
  fromAddress: FROM,
  listId: 'digest.news.example.com',
});
const build = (email: string) =>
  message.build({
    email,
    unsubscribeUrl: `https://news.example.com/u?t=${email}`,
    preferencesUrl: 'https://news.example.com/p',
  });

describe('SMTP transport', () => {
  const server = startServer();
  let transport: MailTransport;
  let url: string;

  beforeAll(async () => {
    url = await server.listen();
    transport = createMailTransport({
      smtp: { url, maxConnections: 3 },
      outboxDir: '/nonexistent',
      log,
    });
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });
  beforeEach(() => {
    server.received.length = 0;
  });

  it('delivers 50 raw messages through the pool, each once and unchanged', async () => {
    const emails = Array.from({ length: 50 }, (_, i) => `reader${i}@example.org`);
    const raws = new Map(emails.map((e) => [e, build(e)]));
    const results = await Promise.all(
      emails.map((e) => transport.sendRaw({ from: FROM, to: e }, raws.get(e)!)),
    );
    expect(transport.kind).toBe('smtp');
    expect(results.every((r) => r.code === 250 && r.response.startsWith('250'))).toBe(true);
    expect(server.received).toHaveLength(50);
    expect(server.received.map((m) => m.to[0]).sort()).toEqual([...emails].sort());
    for (const m of server.received) {
      expect(m.from).toBe(FROM);
      expect(m.raw.equals(raws.get(m.to[0]!)!)).toBe(true);
    }
    const parsed = await simpleParser(server.received[0]!.raw);
    expect(parsed.subject).toBe('Digest — café');
    expect(parsed.text).toContain(`Hello ${server.received[0]!.to[0]}`);
  });

  it('stuffs line-leading dots: the server receives the message byte for byte', async () => {
    const raw = Buffer.from(
      `From: ${FROM}\r\nTo: dots@example.org\r\nSubject: dots\r\n\r\n` +
        '.starts with a dot\r\n.\r\n..two\r\nmiddle . dot\r\n.\r\n',
      'latin1',
    );
    const r = await transport.sendRaw({ from: FROM, to: 'dots@example.org' }, raw);
    expect(r.code).toBe(250);
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.raw.toString('latin1')).toBe(raw.toString('latin1'));
  });

  it('surfaces 550 5.1.1 as responseCode 550, classified as a bounce', async () => {
    server.replies.set('gone@example.org', { code: 550, text: '5.1.1 No such mailbox' });
    const err = await transport
      .sendRaw({ from: FROM, to: 'gone@example.org' }, build('gone@example.org'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ responseCode: 550 });
    expect(classifySmtpError(err)).toMatchObject({ kind: 'bounce', code: 550 });
    expect(server.received).toHaveLength(0);
  });

  it('surfaces 451 as a transient failure, and the pool keeps working', async () => {
    server.replies.set('later@example.org', { code: 451, text: '4.3.0 Try again later' });
    const err = await transport
      .sendRaw({ from: FROM, to: 'later@example.org' }, build('later@example.org'))
      .catch((e: unknown) => e);
    expect(classifySmtpError(err)).toMatchObject({ kind: 'transient', code: 451 });
    const ok = await transport.sendRaw(
      { from: FROM, to: 'fine@example.org' },
      build('fine@example.org'),
    );
    expect(ok.code).toBe(250);
    expect(server.received.map((m) => m.to)).toEqual([['fine@example.org']]);
  });

  it('sends structured one-off mails through the same pool', async () => {
    await transport.sendMail({
      from: `Digest <${FROM}>`,
      to: 'new@example.org',
      subject: 'Confirm — é',
      html: '<p>Hi</p>',
      text: 'Hi',
    });
    const parsed = await simpleParser(server.received[0]!.raw);
    expect(parsed.subject).toBe('Confirm — é');
    expect(server.received[0]!.to).toEqual(['new@example.org']);
  });

  it('refuses a header value with CR or LF in a one-off mail', async () => {
    await expect(
      transport.sendMail({
        from: FROM,
        to: 'x@example.org',
        subject: 's',
        html: 'h',
        text: 't',
        headers: { 'X-A': 'a\r\nBcc: v@example.org' },
      }),
    ).rejects.toMatchObject({ code: 'MAIL_VALUE_UNSAFE' });
  });
});

/**
 * A minimal DKIM check (RFC 6376, relaxed/relaxed, rsa-sha256) so the test proves the signature
 * verifies, not only that a header is there. Returns the signed header names.
 */
function verifyDkim(message: Buffer, publicKey: KeyObject): string[] {
  const text = message.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const lines: string[] = [];
  for (const l of text.slice(0, split).split('\r\n')) {
    if (/^[ \t]/.test(l)) lines[lines.length - 1] += `\r\n${l}`;
    else lines.push(l);
  }
  const relaxed = (l: string) => {
    const i = l.indexOf(':');
    return `${l.slice(0, i).trim().toLowerCase()}:${l
      .slice(i + 1)
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim()}`;
  };
  const sigLine = lines.find((l) => /^dkim-signature:/i.test(l))!;
  const tags = Object.fromEntries(
    sigLine
      .slice(sigLine.indexOf(':') + 1)
      .replace(/\r\n/g, '')
      .split(';')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1).replace(/\s+/g, '')]),
  ) as Record<string, string>;
  const body = text
    .slice(split + 4)
    .split('\r\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
    .join('\r\n');
  expect(
    createHash('sha256')
      .update(body.replace(/(\r\n)*$/, '') + '\r\n', 'latin1')
      .digest('base64'),
  ).toBe(tags.bh);
  const names = tags.h!.split(':');
  const used = new Set<number>();
  let data = '';
  for (const name of names) {
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!used.has(i) && lines[i]!.toLowerCase().startsWith(`${name}:`)) {
        used.add(i);
        data += `${relaxed(lines[i]!)}\r\n`;
        break;
      }
    }
  }
  data += relaxed(sigLine).replace(/b=[^;]*$/, 'b=');
  expect(
    createVerify('RSA-SHA256').update(data, 'latin1').verify(publicKey, tags.b!, 'base64'),
  ).toBe(true);
  return names;
}

describe('DKIM', () => {
  const server = startServer();
  let transport: MailTransport;
  let publicKey: KeyObject;

  beforeAll(async () => {
    const url = await server.listen();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKey = pair.privateKey;
    publicKey = pair.publicKey;
    transport = createMailTransport({
      smtp: { url, maxConnections: 1 },
      outboxDir: '/nonexistent',
      dkim: {
        domainName: 'news.example.com',
        keySelector: 'mail',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      log,
    });
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  it('signs raw digest messages, covering List-Unsubscribe and List-Unsubscribe-Post', async () => {
    const raw = build('signed@example.org');
    await transport.sendRaw({ from: FROM, to: 'signed@example.org' }, raw);
    await transport.sendMail({
      from: FROM,
      to: 'signed@example.org',
      subject: 's',
      html: '<p>h</p>',
      text: 'h',
    });
    expect(server.received).toHaveLength(2);
    const [rawSigned, structuredSigned] = server.received.map((m) => verifyDkim(m.raw, publicKey));
    expect(rawSigned).toEqual(
      expect.arrayContaining([
        'from',
        'subject',
        'to',
        'date',
        'message-id',
        'list-id',
        'list-unsubscribe',
        'list-unsubscribe-post',
      ]),
    );
    expect(structuredSigned).toEqual(
      expect.arrayContaining(['from', 'subject', 'to', 'message-id']),
    );
    expect(server.received[0]!.raw.toString()).toMatch(
      /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=news\.example\.com;[\s\S]* s=mail;/,
    );
    // the signature is prepended; the message itself is untouched
    expect(
      server.received[0]!.raw.subarray(server.received[0]!.raw.length - raw.length).equals(raw),
    ).toBe(true);
  });
  it('sends through the pool with the per-recipient VERP sender, oversigned by our signer', async () => {
    const verp = 'bounces+abc123@news.example.com';
    const raw = build('verp@example.org');
    await transport.sendRaw({ from: verp, to: 'verp@example.org' }, raw);
    const got = server.received.at(-1)!;
    expect(got.from).toBe(verp);
    expect(got.to).toEqual(['verp@example.org']);
    const names = verifyDkim(got.raw, publicKey);
    // dkim.ts lists these once more than they occur, which nodemailer's signer cannot do
    for (const h of ['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']) {
      expect(names.filter((n) => n === h)).toHaveLength(2);
    }
    expect(got.raw.subarray(got.raw.length - raw.length).equals(raw)).toBe(true);
  });
});

describe('outbox transport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'outbox-')), 'nested', 'outbox');
  });
  afterAll(async () => {
    await rm(join(dir, '..', '..'), { recursive: true, force: true });
  });

  it('writes each message as an .eml file that mailparser reads', async () => {
    const transport = createMailTransport({
      smtp: { url: undefined, maxConnections: 1 },
      outboxDir: dir,
      log,
    });
    expect(transport.kind).toBe('outbox');
    const raw = build('box@example.org');
    const res = await transport.sendRaw({ from: FROM, to: 'box@example.org' }, raw);
    expect(res.code).toBe(250);
    await transport.sendMail({
      from: FROM,
      to: 'one@example.org',
      subject: 'Welcome — é',
      html: '<p>Hi</p>',
      text: 'Hi',
    });
    await transport.close();

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => /^\d{8}T\d{6}-\d{3}Z-[0-9a-f]{12}\.eml$/.test(f))).toBe(true);
    const contents = await Promise.all(files.map((f) => readFile(join(dir, f))));
    expect(contents.some((c) => c.equals(raw))).toBe(true);
    const subjects = (await Promise.all(contents.map((c) => simpleParser(c))))
      .map((p) => p.subject)
      .sort();
    expect(subjects).toEqual(['Digest — café', 'Welcome — é']);
  });
});

describe('SMTP AUTH', () => {
  it('logs in with the credentials of SMTP_URL before sending, on every pooled connection', async () => {
    const logins: string[] = [];
    const received: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username !== 'digest' || auth.password !== 'p@ss word') {
          return cb(new Error('Invalid username or password'));
        }
        logins.push(auth.username);
        cb(null, { user: auth.username });
      },
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          received.push(String(session.user));
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    const transport = createMailTransport({
      smtp: {
        url: `smtp://digest:${encodeURIComponent('p@ss word')}@127.0.0.1:${port}`,
        maxConnections: 2,
      },
      outboxDir: '/nonexistent',
      log,
    });
    const wrong = createMailTransport({
      smtp: { url: `smtp://digest:wrong@127.0.0.1:${port}`, maxConnections: 1 },
      outboxDir: '/nonexistent',
      log,
    });
    try {
      const emails = ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org'];
      await Promise.all(emails.map((e) => transport.sendRaw({ from: FROM, to: e }, build(e))));
      expect(received).toEqual(['digest', 'digest', 'digest', 'digest']);
      expect(logins).toEqual(['digest', 'digest']);
      const err = await wrong
        .sendRaw({ from: FROM, to: 'a@example.org' }, build('a@example.org'))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'EAUTH', responseCode: 535 });
      expect(received).toHaveLength(4);
    } finally {
      await transport.close();
      await wrong.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
