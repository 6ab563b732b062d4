import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A real SMTP server (nodemailer's `smtp-server`) in the test process. `reply(rcpt, count)`
 * decides per recipient: undefined accepts; an error with responseCode refuses (e.g. 451, 550).
 */
export async function startSmtpSink(opts: {
  port?: number;
  reply?: (rcpt: string, attempt: number) => { code: number; message: string } | undefined;
  /** ms to wait before answering DATA, to keep messages in flight. */
  dataDelayMs?: number;
} = {}) {
  const messages: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const rcpt = address.address;
      const n = (attempts.get(rcpt) ?? 0) + 1;
      attempts.set(rcpt, n);
      const r = opts.reply?.(rcpt, n);
      if (r) {
        const err = Object.assign(new Error(r.message), { responseCode: r.code });
        return callback(err);
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const finish = () => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          callback();
        };
        if (opts.dataDelayMs) setTimeout(finish, opts.dataDelayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts,
    /** Recipients in the order messages arrived (one entry per message per recipient). */
    recipients: () => messages.flatMap((m) => m.to),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
