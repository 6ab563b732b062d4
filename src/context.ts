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

/**
 * `checkRedis` (default true) warns loudly at start when Redis would evict data or loses it on
 * restart (maxmemory-policy other than noeviction, persistence off). `waitForRedis` (processes
 * that run workers): store commands wait while Redis restarts instead of failing.
 */
export async function createContext(
  config: Config,
  opts: { logName?: string; checkRedis?: boolean; waitForRedis?: boolean } = {},
): Promise<Context> {
  const log = createLogger(config.logLevel, opts.logName);
  // Loud on purpose: each is a way mail leaves that receivers will reject or readers cannot use.
  for (const warning of config.warnings) log.warn(`CONFIGURATION WARNING: ${warning}`);
  const { url, local } = await resolveRedis(config);
  if (local) log.info({ url }, 'started a private redis-server under DATA_DIR/redis');
  const redis = createRedis(config.redis, { url, waitForRedis: opts.waitForRedis });
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
