import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** `json`: one pino JSON line per event (for log collectors); `pretty`: coloured human lines. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  name?: string;
  /** LOG_FORMAT; unset: pretty on a terminal, JSON otherwise. */
  format?: LogFormat;
  /** 1 (stdout, services) or 2 (stderr: the CLI, whose stdout carries its answers). */
  fd?: 1 | 2;
}

/**
 * One pino logger per process; children carry context such as the digest date and job id.
 * Pretty output is written synchronously by pino-pretty in this thread (no transport worker),
 * so the last lines before an exit are never lost.
 */
export function createLogger(level: string, opts: LoggerOptions | string = {}): Logger {
  const o = typeof opts === 'string' ? { name: opts } : opts;
  const fd = o.fd ?? 1;
  const tty = (fd === 2 ? process.stderr : process.stdout).isTTY === true;
  const format = o.format ?? (tty ? 'pretty' : 'json');
  const options = { name: o.name ?? 'digest', level, base: { pid: process.pid } };
  if (format === 'json') return pino(options, pino.destination({ fd, sync: fd === 2 }));
  return pino(
    options,
    pretty({
      destination: fd,
      sync: true,
      colorize: tty,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,name',
    }),
  );
}

export type { Logger };
