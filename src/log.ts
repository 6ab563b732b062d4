import { pino, type Logger } from 'pino';

/** One pino logger per process; children carry context such as the digest date and job id. */
export function createLogger(level: string, name = 'digest'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

export type { Logger };
