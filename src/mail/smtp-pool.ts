import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type { Logger } from '../log.js';
import { CrlfSmtpConnection } from './smtp-data.js';

/**
 * The process's SMTP connections: up to `maxConnections` nodemailer `SMTPConnection`s, each
 * sending one message at a time (MAIL, RCPT and DATA pipelined where the server offers
 * PIPELINING), reused for up to `maxMessages` messages. A connection opens when a message waits
 * and none is free; one that fails or is closed by the server (a 421) is dropped, the message
 * it carried rejected with nodemailer's error (`responseCode`, `code`: see classifySmtpError),
 * and the next message opens a new one. Messages are never retried here: the ledger and the
 * job's retries decide (README "Sending").
 */

export interface SmtpPoolOptions {
  url: string;
  maxConnections: number;
  /** Messages per connection before it is replaced. */
  maxMessages: number;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  log: Logger;
}

interface Pending {
  envelope: SMTPConnection.Envelope;
  raw: Buffer;
  /** CRLF line endings only: skips nodemailer's per-byte DATA stream (see smtp-data.ts). */
  crlf: boolean;
  resolve(info: SMTPConnection.SentMessageInfo): void;
  reject(err: unknown): void;
}

interface Conn {
  smtp: CrlfSmtpConnection;
  messages: number;
  dead: boolean;
}

/**
 * The pool's state, shared by the functions below: module functions taking it, rather than
 * closures made per pool, so the per-message path (`run`, `release`, `pump`) stays as it was.
 */
interface PoolState {
  options: SMTPConnection.Options;
  credentials: { user: string; pass: string } | undefined;
  maxConnections: number;
  maxMessages: number;
  log: Logger;
  queue: Pending[];
  free: Conn[];
  open: number;
  closed: boolean;
}

export function createSmtpPool(o: SmtpPoolOptions) {
  const s = poolState(o);
  return {
    /** Sends one message; resolves with nodemailer's info (`response` is the server's reply). */
    send(
      envelope: { from: string; to: string },
      raw: Buffer,
      crlf: boolean,
    ): Promise<SMTPConnection.SentMessageInfo> {
      if (s.closed) return Promise.reject(new Error('SMTP pool is closed'));
      return new Promise((resolve, reject) => {
        s.queue.push({
          envelope: { from: envelope.from, to: [envelope.to] },
          raw,
          crlf,
          resolve,
          reject,
        });
        pump(s);
      });
    },
    /** Stops taking messages; queued ones are rejected, free connections say QUIT. */
    close(): void {
      s.closed = true;
      for (const p of s.queue.splice(0)) p.reject(new Error('SMTP pool is closed'));
      for (const conn of s.free.splice(0)) {
        conn.dead = true;
        s.open--;
        conn.smtp.quit();
      }
    },
  };
}

function poolState(o: SmtpPoolOptions): PoolState {
  const { auth, ...target } = parseConnectionUrl(o.url);
  return {
    options: {
      ...target,
      connectionTimeout: o.connectionTimeout,
      greetingTimeout: o.greetingTimeout,
      socketTimeout: o.socketTimeout,
      logger: false,
    },
    credentials: auth?.user || auth?.pass ? { user: auth.user, pass: auth.pass } : undefined,
    maxConnections: o.maxConnections,
    maxMessages: o.maxMessages,
    log: o.log,
    queue: [],
    free: [],
    open: 0,
    closed: false,
  };
}

function drop(s: PoolState, conn: Conn): void {
  if (conn.dead) return;
  conn.dead = true;
  s.open--;
  const i = s.free.indexOf(conn);
  if (i >= 0) s.free.splice(i, 1);
  conn.smtp.close();
  pump(s);
}

/** Opens a connection for `first`: connect, AUTH when the URL has credentials, then send. */
function openFor(s: PoolState, first: Pending): void {
  s.open++;
  const conn: Conn = { smtp: new CrlfSmtpConnection(s.options), messages: 0, dead: false };
  let ready = false;
  const fail = (err: unknown) => {
    if (ready) return;
    ready = true;
    first.reject(err);
    drop(s, conn);
  };
  // After the handshake, errors reach the send callback too; before it, only this event.
  conn.smtp.on('error', (err: Error) => {
    if (!ready) fail(err);
    else s.log.debug({ err }, 'SMTP connection error');
  });
  conn.smtp.once('end', () => {
    if (!ready) fail(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
    else drop(s, conn);
  });
  conn.smtp.connect((err?: Error | null) => {
    if (err) return fail(err);
    // As nodemailer's pool: credentials are used when the server offers AUTH.
    if (!s.credentials || !conn.smtp.allowsAuth) return start();
    conn.smtp.login(s.credentials, (loginErr) => (loginErr ? fail(loginErr) : start()));
  });
  function start() {
    if (ready) return;
    ready = true;
    run(s, conn, first);
  }
}

function run(s: PoolState, conn: Conn, p: Pending): void {
  conn.messages++;
  const done = (err: Error | null, info?: SMTPConnection.SentMessageInfo) => {
    if (!err) {
      p.resolve(info!);
      return release(s, conn);
    }
    p.reject(err);
    // A refused recipient or message leaves the session usable once reset (as nodemailer's
    // pool does); a 421 or a network error ends it.
    const e = err as { code?: string; responseCode?: number };
    if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.responseCode !== 421) {
      conn.smtp.reset((resetErr) => (resetErr ? drop(s, conn) : release(s, conn)));
    } else {
      drop(s, conn);
    }
  };
  if (p.crlf) conn.smtp.sendCrlf(p.envelope, p.raw, done);
  else conn.smtp.send(p.envelope, p.raw, done);
}

function release(s: PoolState, conn: Conn): void {
  if (conn.dead) return;
  if (s.closed || conn.messages >= s.maxMessages) return drop(s, conn);
  const next = s.queue.shift();
  if (next) return run(s, conn, next);
  s.free.push(conn);
}

function pump(s: PoolState): void {
  while (s.queue.length > 0 && !s.closed) {
    const conn = s.free.pop();
    if (conn) run(s, conn, s.queue.shift()!);
    else if (s.open < s.maxConnections) openFor(s, s.queue.shift()!);
    else break;
  }
}

export type SmtpPool = ReturnType<typeof createSmtpPool>;
