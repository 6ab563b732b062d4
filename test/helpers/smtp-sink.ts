import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** Date.now() when the message was stored. */
  at: number;
}

/**
 * A fault injected at DATA (for fault tests):
 * - `drop-mid`: the socket is destroyed while the message streams in; nothing is stored.
 * - `drop-after`: the whole message is stored (a real server may have queued it), then the
 *   socket is destroyed before the 250, so the client cannot know it went through.
 * - `delay`: the reply comes after `ms` (a slow server).
 * - `reply`: refuses the message after DATA with this reply (e.g. 451).
 */
export type DataFault =
  | { kind: 'drop-mid' }
  | { kind: 'drop-after' }
  | { kind: 'delay'; ms: number }
  | { kind: 'reply'; code: number; message: string };

/**
 * A real SMTP server (nodemailer's `smtp-server`) in the test process. `reply(rcpt, count)`
 * decides per recipient: undefined accepts; an error with responseCode refuses (e.g. 451, 550).
 */
export async function startSmtpSink(
  opts: {
    port?: number;
    reply?: (rcpt: string, attempt: number) => { code: number; message: string } | undefined;
    /** ms to wait before answering DATA, to keep messages in flight. */
    dataDelayMs?: number;
    /** Decides a fault per DATA command (`n` counts them from 1); undefined accepts. */
    data?: (n: number, rcpts: string[]) => DataFault | undefined;
    /** 'reject': offers AUTH (over plain text) and refuses every login with 535. */
    auth?: 'reject';
    /** Called with each stored message; the 250 waits for it (a test reads what it made). */
    onMessage?: (m: ReceivedMessage) => Promise<void>;
  } = {},
) {
  /** While set, every new connection is greeted with this refusal (`refuseConnections`). */
  let refusal: { code: number; message: string } | undefined;
  const messages: ReceivedMessage[] = [];
  const attempts = new Map<string, number>();
  const faults = { dropMid: 0, dropAfter: 0, delayed: 0, refused: 0 };
  let dataCount = 0;
  // smtp-server keeps one session object per connection: find the socket to cut it.
  const dropConnection = (session: object) => {
    for (const c of server.connections) {
      if (c.session === session) c._socket.destroy();
    }
  };
  const server = new SMTPServer({
    authOptional: opts.auth === undefined,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    onAuth(_auth, _session, callback) {
      callback(Object.assign(new Error('5.7.8 Authentication failed'), { responseCode: 535 }));
    },
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
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
      const fault = opts.data?.(
        ++dataCount,
        session.envelope.rcptTo.map((r) => r.address),
      );
      if (fault?.kind === 'drop-mid') {
        faults.dropMid++;
        stream.once('data', () => dropConnection(session));
        stream.resume();
        return;
      }
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const store = () => {
          const m = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            at: Date.now(),
          };
          messages.push(m);
          return m;
        };
        if (fault?.kind === 'drop-after') {
          faults.dropAfter++;
          store();
          dropConnection(session);
          return;
        }
        if (fault?.kind === 'reply') {
          faults.refused++;
          return callback(Object.assign(new Error(fault.message), { responseCode: fault.code }));
        }
        const finish = () => {
          const m = store();
          if (!opts.onMessage) return callback();
          opts.onMessage(m).then(
            () => callback(),
            (err: Error) => callback(err),
          );
        };
        const delay = fault?.kind === 'delay' ? fault.ms : opts.dataDelayMs;
        if (fault?.kind === 'delay') faults.delayed++;
        if (delay) setTimeout(finish, delay);
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
    /** What `data` injected so far. */
    faults,
    /** Refuses every new connection with this greeting (e.g. 421) until called with undefined. */
    refuseConnections(reply: { code: number; message: string } | undefined) {
      refusal = reply;
    },
    /** Recipients in the order messages arrived (one entry per message per recipient). */
    recipients: () => messages.flatMap((m) => m.to),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

/**
 * A TCP server on 127.0.0.1 that accepts connections and never says a word: an SMTP client
 * waits for a greeting that never comes.
 */
export async function startSilentServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
