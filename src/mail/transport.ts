import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { DKIMOptions } from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import { createSmtpPool } from './smtp-pool.js';

/**
 * Where mail goes: with SMTP_URL, one pool of SMTP connections per process (src/mail/smtp-pool.ts;
 * the digest's raw messages and the one-off mails share its connections); without it, the outbox: one `.eml`
 * file per message, for development and for looking at what would be sent.
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
}

export interface MailTransport {
  kind: 'smtp' | 'outbox';
  /**
   * Sends a complete RFC 5322 message with CRLF line endings only (as `prepareDigestMessage`
   * builds it): it goes to the server as it is, dots stuffed (src/mail/smtp-data.ts). Resolves with the server's reply; rejects with nodemailer's error (see classifySmtpError). */
  sendRaw(envelope: MailEnvelope, raw: Buffer): Promise<{ response: string; code: number }>;
  /** Composes and sends a one-off mail (confirmation, test send) with nodemailer. */
  sendMail(msg: StructuredMail): Promise<{ response: string }>;
  /** Closes the pool; a message being transmitted finishes first. */
  close(): Promise<void>;
}

export interface MailTransportDeps {
  smtp: Config['smtp'];
  outboxDir: string;
  dkim?: Config['mail']['dkim'];
  log: Logger;
}

// Headers the DKIM signature covers. RFC 8058: one-click unsubscribe only counts when
// List-Unsubscribe and List-Unsubscribe-Post are both signed.
const DKIM_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'List-Id:List-Unsubscribe:List-Unsubscribe-Post';

/** Creates the process's mail transport: the SMTP pool when `smtp.url` is set, else the outbox. */
export function createMailTransport(deps: MailTransportDeps): MailTransport {
  const dkim: DKIMOptions | undefined = deps.dkim
    ? { ...deps.dkim, headerFieldNames: DKIM_HEADERS }
    : undefined;
  return deps.smtp.url
    ? createSmtpTransport(deps.smtp.url, deps.smtp.maxConnections, dkim, deps.log)
    : createOutboxTransport(deps.outboxDir, dkim, deps.log);
}

function createSmtpTransport(
  url: string,
  maxConnections: number,
  dkim: DKIMOptions | undefined,
  log: Logger,
): MailTransport {
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
  const composer = createComposer(dkim);
  const signer = dkim ? new DKIM(dkim) : undefined;
  const target = new URL(url);
  log.info(
    { host: target.hostname, port: target.port || undefined, maxConnections, dkim: Boolean(dkim) },
    'SMTP pool ready',
  );

  return {
    kind: 'smtp',
    async sendRaw(envelope, raw) {
      const message = signer ? await signRaw(signer, raw) : raw;
      const info = await pool.send(envelope, message, true);
      const response = String(info.response ?? '');
      return { response, code: replyCode(response) };
    },
    async sendMail(msg) {
      // Composed (and signed) by nodemailer; its line endings are its own, so the full DATA
      // stream handles it.
      const composed = await composer.sendMail(structured(msg));
      const info = await pool.send(
        { from: composed.envelope.from || '', to: composed.envelope.to[0] ?? msg.to },
        composed.message as Buffer,
        false,
      );
      return { response: String(info.response ?? '') };
    },
    async close() {
      pool.close();
      composer.close();
    },
  };
}

/** nodemailer composing one-off mails (signed with DKIM when configured) into a CRLF Buffer. */
function createComposer(dkim: DKIMOptions | undefined) {
  return nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    dkim,
  });
}

/** A raw message with its DKIM-Signature header prepended (nodemailer's signer). */
async function signRaw(signer: DKIM, raw: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of signer.sign(raw)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function createOutboxTransport(
  dir: string,
  dkim: DKIMOptions | undefined,
  log: Logger,
): MailTransport {
  // nodemailer composes (and signs) the one-off mails into a Buffer; the outbox stores the bytes.
  const composer = createComposer(dkim);
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
      const name = await store(raw);
      return { response: `250 stored as ${name}`, code: 250 };
    },
    async sendMail(msg) {
      const info = await composer.sendMail(structured(msg));
      const name = await store(info.message as Buffer);
      return { response: `250 stored as ${name}` };
    },
    async close() {
      composer.close();
    },
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
