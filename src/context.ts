import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import {
  createKeys,
  createRedis,
  RedisUnavailableError,
  resolveRedis,
  type Keys,
  type RedisClient,
} from './redis.js';
import { checkRedisForProduction } from './redis-checks.js';

/** How long an entry point waits for Redis at start before it gives up with one sentence. */
export const REDIS_START_TIMEOUT_MS = 10_000;

/**
 * The dependencies every entry point builds once: config, one Redis client, key names and a
 * logger. Feature factories take the slice they need (`{ redis, keys }`), never this whole
 * object through an import.
 */
export interface Context {
  config: Config;
  redis: RedisClient;
  /** The Redis URL in use (REDIS_URL, the local one, or a private redis-server's). */
  redisUrl: string;
  keys: Keys;
  log: Logger;
  close(): Promise<void>;
}

export interface ContextOptions {
  logName?: string;
  /** 2 for the CLI: its stdout carries answers, its log lines go to stderr. Default 1. */
  logFd?: 1 | 2;
  /** The level when LOG_LEVEL is unset; default `info`. */
  logLevel?: string;
  checkRedis?: boolean;
  waitForRedis?: boolean;
  /** Default REDIS_START_TIMEOUT_MS. */
  redisTimeoutMs?: number;
}

/**
 * `checkRedis` (default true) warns loudly at start when Redis would evict data or loses it on
 * restart (maxmemory-policy other than noeviction, persistence off). `waitForRedis` (processes
 * that run workers): store commands wait while Redis restarts instead of failing. Throws
 * RedisUnavailableError when Redis does not answer a PING within `redisTimeoutMs`.
 */
export async function createContext(config: Config, opts: ContextOptions = {}): Promise<Context> {
  const log = createLogger(config.logLevel ?? opts.logLevel ?? 'info', {
    name: opts.logName,
    format: config.logFormat,
    fd: opts.logFd,
  });
  // Loud on purpose: each is a way mail leaves that receivers will reject or readers cannot use.
  for (const warning of config.warnings) log.warn(`CONFIGURATION WARNING: ${warning}`);
  const { url, local } = await resolveRedis(config);
  if (local) log.info({ url }, 'started a private redis-server under DATA_DIR/redis');
  const redis = createRedis(config.redis, { url, waitForRedis: opts.waitForRedis });
  try {
    await answersWithin(redis, opts.redisTimeoutMs ?? REDIS_START_TIMEOUT_MS);
  } catch (err) {
    redis.disconnect();
    await local?.stop();
    throw new RedisUnavailableError(
      `Redis at ${redactUrl(url)} did not answer within ${Math.round((opts.redisTimeoutMs ?? REDIS_START_TIMEOUT_MS) / 1000)} s` +
        ` (${(err as Error).message}): ` +
        (config.redis.url
          ? 'check that it runs and that REDIS_URL is right, or unset REDIS_URL to use a local redis-server.'
          : 'set REDIS_URL, or install redis-server so that a private one can start.'),
    );
  }
  // Only now: during the wait above, one sentence (the error) says it all.
  reportRedisErrors(redis, log);
  if (opts.checkRedis !== false) await checkRedisForProduction(redis, log);
  return {
    config,
    redis,
    redisUrl: url,
    keys: createKeys(config.redis.prefix),
    log,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
      await local?.stop();
    },
  };
}

/**
 * ioredis reports every failed reconnect as an 'error' event (a stack trace on the console when
 * nobody listens): log the first of a run of failures, and again at most every 30 s.
 */
function reportRedisErrors(redis: RedisClient, log: Logger): void {
  let last = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - last < 30_000) return;
    last = Date.now();
    log.warn({ err: err.message }, 'Redis connection error; retrying');
  });
  redis.on('ready', () => (last = 0));
}

/** Resolves once Redis answers a PING; rejects after `timeoutMs` with the last error seen. */
async function answersWithin(redis: RedisClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  const onError = (err: Error) => (lastError = err.message || 'connection error');
  redis.on('error', onError);
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(lastError);
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        redis.ping().then(
          () => true,
          (err: Error) => ((lastError = err.message), false),
        ),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), left))),
      ]);
      clearTimeout(timer);
      if (ok) return;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    redis.off('error', onError);
  }
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * createContext for entry points: when no Redis can be had, prints how to get one and exits
 * with code 1 instead of a stack trace.
 */
export async function createContextOrExit(
  config: Config,
  opts: Parameters<typeof createContext>[1] = {},
): Promise<Context> {
  try {
    return await createContext(config, opts);
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
