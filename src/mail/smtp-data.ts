import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * The SMTP data path for messages that already have CRLF line endings only (the digest's, which
 * `prepareDigestMessage` builds from 7-bit CRLF pieces). nodemailer's DATA stream looks at every
 * byte of every message to stuff dots and repair line endings, about a quarter of a sending
 * worker's CPU at 48 KB a message. Here a message goes to the socket as it is, after one native
 * search for lines that start with a dot (RFC 5321 section 4.5.2), which a digest rarely has.
 * Everything else, the session (EHLO, STARTTLS, AUTH), PIPELINING of MAIL/RCPT/DATA (RFC 2920),
 * replies, errors and timeouts, stays nodemailer's `SMTPConnection`.
 */

const DOT = Buffer.from('.');
const CRLF_DOT = Buffer.from('\r\n.');
const END_AFTER_CRLF = Buffer.from('.\r\n');
const END = Buffer.from('\r\n.\r\n');

/**
 * `raw` (CRLF line endings only) in SMTP DATA form: every line that starts with "." gets a second
 * one, and the terminating "." line is appended. Returns the pieces to write, in order; the
 * message's own bytes are not copied.
 */
export function dataForm(raw: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  if (raw[0] === 0x2e) {
    out.push(DOT);
  }
  for (let at = raw.indexOf(CRLF_DOT); at >= 0; at = raw.indexOf(CRLF_DOT, at + 3)) {
    // up to and including the dot; the next piece starts with the same dot again
    out.push(raw.subarray(start, at + 3));
    start = at + 2;
  }
  out.push(start === 0 ? raw : raw.subarray(start));
  const endsWithCrlf =
    raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a;
  out.push(endsWithCrlf ? END_AFTER_CRLF : END);
  return out;
}

/** What `SMTPConnection.send` writes the message into and reads the byte count from. */
interface SendStream {
  outByteCount: number;
  write(chunk: Buffer): void;
  end(): void;
}

/** The part of nodemailer's connection internals this file relies on (nodemailer 10). */
interface ConnectionInternals {
  _socket: { cork(): void; uncork(): void };
  _createSendStream(callback: (err: Error | null, str?: string) => void): SendStream & {
    push(chunk: Buffer | null): boolean;
  };
}

/**
 * nodemailer's SMTP connection whose `sendCrlf` skips the per-byte DATA stream. It overrides
 * one internal method, `_createSendStream`: the stream nodemailer makes there is already piped
 * to the socket, with the reply handler queued; the message's pieces are pushed onto its
 * readable side, past its transform. test/integration/transport.test.ts checks the bytes the
 * server receives, so a nodemailer that changes this method fails the tests, not the mail.
 */
export class CrlfSmtpConnection extends SMTPConnection {
  private crlfMessage: Buffer | undefined;

  /** Sends `raw` (CRLF line endings only) as it is, dots stuffed; see `dataForm`. */
  sendCrlf(
    envelope: SMTPConnection.Envelope,
    raw: Buffer,
    done: (err: Error | null, info?: SMTPConnection.SentMessageInfo) => void,
  ): void {
    this.crlfMessage = raw;
    this.send(envelope, raw, (err, info) => {
      this.crlfMessage = undefined;
      done(err, info);
    });
  }

  /** @internal nodemailer calls this once DATA was accepted; see the class comment. */
  _createSendStream(callback: (err: Error | null, str?: string) => void): SendStream {
    const internals = SMTPConnection.prototype as unknown as ConnectionInternals;
    const stream = internals._createSendStream.call(this, callback);
    const raw = this.crlfMessage;
    if (!raw) return stream;
    this.crlfMessage = undefined;
    const socket = (this as unknown as ConnectionInternals)._socket;
    return {
      outByteCount: 0,
      write() {
        let bytes = 0;
        // Corked: the pieces leave in one write (writev), not one system call each.
        socket.cork();
        for (const piece of dataForm(raw)) {
          bytes += piece.length;
          stream.push(piece);
        }
        process.nextTick(() => socket.uncork());
        this.outByteCount = bytes;
      },
      end() {
        // The transform's readable side ends: nodemailer's 'end' handler runs, the socket stays.
        stream.push(null);
      },
    };
  }
}
