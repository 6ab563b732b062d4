import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import { createDkimSigner, type DkimSigner } from './dkim.js';
import { createSmtpPool } from './smtp-pool.js';

/**
 * Where mail goes: with SMTP_URL, one pool of SMTP connections per process (src/mail/smtp-pool.ts;
 * the digest's raw messages and the one-off mails share its connections); without it, the outbox: one `.eml`
 * file per message, for development and for looking at what would be sent. With DKIM configured,
 * both sign every message the same way (dkim.ts), so the outbox shows what a receiver verifies.
 */

export interface MailEnvelope {
  from: string;
  to: string;
}

export interface StructuredMail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  /** SMTP MAIL FROM; by default the From address. */
  envelopeFrom?: string;
}

export interface MailTransport {
  kind: 'smtp' | 'outbox';
  /**
   * Sends a complete RFC 5322 message with CRLF line endings only (as `prepareDigestMessage`
   * builds it), signed (dkim.ts) and then written as it is, dots stuffed (src/mail/smtp-data.ts).
   * Resolves with the server's reply; rejects with nodemailer's error (see classifySmtpError).
   */
  sendRaw(envelope: MailEnvelope, raw: Buffer): Promise<{ response: string; code: number }>;
  /** Composes and sends a one-off mail (confirmation, test send) with nodemailer. */
  sendMail(msg: StructuredMail): Promise<{ response: string }>;
  /**
   * Checks that the server can take mail: connect, greeting, EHLO, STARTTLS and AUTH as
   * configured (nodemailer's `verify()`, on a connection of its own, with short timeouts).
   * Rejects with nodemailer's error. The outbox has nothing to check.
   */
  verify(): Promise<void>;
  /** Closes the pool; a message being transmitted finishes first. */
  close(): Promise<void>;
}

export interface MailTransportDeps {
  smtp: Config['smtp'];
  outboxDir: string;
  dkim?: Config['mail']['dkim'];
  log: Logger;
}

/** Each step of the preflight (connect, greeting, each reply) waits at most this long. */
const VERIFY_TIMEOUT_MS = 10_000;

/** Creates the process's mail transport: the SMTP pool when `smtp.url` is set, else the outbox. */
export function createMailTransport(deps: MailTransportDeps): MailTransport {
  // An invalid key was refused when the config was loaded (config.ts), so this does not throw.
  const signer = deps.dkim ? createDkimSigner(deps.dkim) : undefined;
  return deps.smtp.url
    ? createSmtpTransport(deps.smtp.url, deps.smtp.maxConnections, signer, deps.log)
    : createOutboxTransport(deps.outboxDir, signer, deps.log);
}

function createSmtpTransport(
  url: string,
  maxConnections: number,
  signer: DkimSigner | undefined,
  log: Logger,
): MailTransport {
  const compose = createComposer();
  // smtp:// on 587 upgrades with STARTTLS when the server offers it (nodemailer's default);
  // smtps:// is implicit TLS. Credentials stay in the URL and out of the logs.
  const pool = createSmtpPool({
    url,
    maxConnections,
    // Reconnecting costs a handshake per connection; servers that want fewer messages per
    // connection say so with a 421, which is retried.
    maxMessages: 10_000,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    log,
  });
  const target = new URL(url);
  log.info(
    {
      host: target.hostname,
      port: target.port || undefined,
      maxConnections,
      dkim: Boolean(signer),
    },
    'SMTP pool ready',
  );

  /**
   * Signs with our signer (never nodemailer's) and sends through the pool. `crlf`: the message
   * has CRLF line endings only, so the data writer sends it as it is (smtp-data.ts); otherwise
   * nodemailer's DATA stream repairs line endings and stuffs dots.
   */
  async function send(envelope: MailEnvelope, raw: Buffer, crlf: boolean) {
    const info = await pool.send(envelope, signer ? signer.sign(raw) : raw, crlf);
    const response = String(info.response ?? '');
    return { response, code: replyCode(response) };
  }

  return {
    kind: 'smtp',
    sendRaw: (envelope, raw) => send(envelope, raw, true),
    async sendMail(msg) {
      // nodemailer's composed bytes: its line endings are its own, so the full DATA stream.
      const { envelope, raw } = await compose(msg);
      return send(envelope, raw, false);
    },
    async verify() {
      // Not the pool's verify: it would use the pool's 30 s timeouts, twice over.
      const probe = nodemailer.createTransport({
        url,
        connectionTimeout: VERIFY_TIMEOUT_MS,
        greetingTimeout: VERIFY_TIMEOUT_MS,
        // Longer than the greeting's: on a silent server the greeting timer fires first, so the
        // cause reads "Greeting never received", not a bare socket timeout.
        socketTimeout: 2 * VERIFY_TIMEOUT_MS,
      });
      try {
        await probe.verify();
      } finally {
        probe.close();
      }
    },
    async close() {
      pool.close();
    },
  };
}

function createOutboxTransport(
  dir: string,
  signer: DkimSigner | undefined,
  log: Logger,
): MailTransport {
  const compose = createComposer();
  let ready: Promise<unknown> | undefined;
  log.info({ dir }, 'no SMTP_URL: mail goes to the outbox directory');

  async function store(raw: Buffer): Promise<string> {
    ready ??= mkdir(dir, { recursive: true }).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '-');
    const name = `${stamp}-${randomBytes(6).toString('hex')}.eml`;
    // write then rename: a reader of the directory never sees half a message
    const temp = join(dir, `.${name}.tmp`);
    await writeFile(temp, raw, { mode: 0o600 });
    await rename(temp, join(dir, name));
    return name;
  }

  return {
    kind: 'outbox',
    async sendRaw(_envelope, raw) {
      const name = await store(signer ? signer.sign(raw) : raw);
      return { response: `250 stored as ${name}`, code: 250 };
    },
    async sendMail(msg) {
      const { raw } = await compose(msg);
      const name = await store(signer ? signer.sign(raw) : raw);
      return { response: `250 stored as ${name}` };
    },
    async verify() {},
    async close() {},
  };
}

/**
 * nodemailer composes one-off mails (confirmations) into bytes, which are then signed and sent
 * like a digest. nodemailer writes a To without a display name bare (`To: a@b`); SpamAssassin
 * scores that (PDS_BRAND_SUBJ_NAKED_TO), so the address gets its angle brackets.
 */
function createComposer() {
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  });
  return async (msg: StructuredMail): Promise<{ envelope: MailEnvelope; raw: Buffer }> => {
    const info = await composer.sendMail(structured(msg));
    const raw = info.message as Buffer;
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
    const fixed = head.replace(/^To: ([^\s<>,"]+)$/m, 'To: <$1>');
    const from = msg.envelopeFrom ?? String(info.envelope.from ?? '');
    return {
      envelope: { from, to: msg.to },
      raw: Buffer.concat([Buffer.from(fixed, 'latin1'), raw.subarray(head.length)]),
    };
  };
}

/** nodemailer's message options for a one-off mail; refuses header values that could add a header. */
function structured(msg: StructuredMail) {
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (!/^[!-9;-~]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new ValidationError(
        'MAIL_VALUE_UNSAFE',
        `header ${JSON.stringify(name)} has an unsafe name or value`,
      );
    }
  }
  return {
    from: msg.from,
    to: msg.to,
    subject: msg.subject,
    html: msg.html,
    text: msg.text,
    headers: msg.headers,
  };
}

function replyCode(response: string): number {
  const code = Number(response.slice(0, 3));
  return code >= 200 && code < 600 ? code : 250;
}
