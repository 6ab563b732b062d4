import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { registerLuaCommands } from './lua-command.js';

/** Either a single Redis or a Redis Cluster client: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * Every key the service writes, under one prefix. The default prefix carries a hash tag
 * (`{newsletter}`), so all keys land in one cluster slot and multi-key Lua scripts work on
 * Redis Cluster too (README guarantee 8). BullMQ queues use the same prefix.
 */
export function createKeys(prefix: string) {
  const k = (...parts: (string | number)[]) => [prefix, ...parts].join(':');
  return {
    prefix,
    /** hash: feed url -> JSON feed state */
    feeds: k('feeds'),
    /** hash: one post's fields, by post id */
    post: (id: string) => k('post', id),
    /** hash: dedupe key (guid:<g> / url:<u>) -> post id */
    postIndex: k('posts', 'index'),
    /** zset: post id scored by publishedAt (ms) */
    postsByPublished: k('posts', 'published'),
    /** zset: post id scored by firstSeenAt (ms) */
    postsBySeen: k('posts', 'seen'),
    /** counter: the latest post arrival sequence number given out (INCR when a post is first stored) */
    postSeq: k('posts', 'seq-counter'),
    /** zset: post id scored by its arrival sequence number */
    postsBySeq: k('posts', 'seq'),
    /** counter for subscriber ids */
    subscriberSeq: k('sub', 'seq'),
    /** hash: one subscriber's fields */
    subscriber: (id: number | string) => k('sub', id),
    /** hash: normalised email -> subscriber id */
    subscriberByEmail: k('sub', 'by-email'),
    /** zset: subscriber ids of one status, scored by id (paging in id order) */
    subscribersByStatus: (status: string) => k('subs', status),
    /**
     * hash: "<frequency|default>:<zone|default>" -> how many confirmed subscribers that group
     * has; each group's zset is `groups:<name>` (ids scored by id; src/subscribers/store-scripts.ts)
     */
    subscriberGroups: k('groups'),
    /** zset: the confirmed subscriber ids of one group ("weekly:Asia/Tokyo"), scored by id */
    subscriberGroup: (name: string) => k('groups', name),
    /** hash: sha256 of a suppressed (erased / complained / bounced) address -> "reason:ms" */
    suppressions: k('suppressions'),
    /** hash: one edition (`weekly/2026-12-07`): status, frozen seqFrom/seqTo, main content, counters, fan-out cursor */
    digest: (edition: string) => k('digest', edition),
    /** zset: edition ids, scored by send time (ms) */
    digests: k('digests'),
    /** zset: the edition ids of one frequency, scored by send time (ms) */
    digestsOf: (frequency: string) => k('digests', frequency),
    /** hash: "<cause>:<code|none>" -> failed deliveries of one edition (`runs --json`) */
    digestFailures: (edition: string) => k('digest', edition, 'failures'),
    /** hash: one variant of an edition (a distinct post set): subject, HTML, text, post ids */
    digestVariant: (edition: string, variant: string) => k('digest', edition, 'variant', variant),
    /** string: held while one process renders a variant (SET NX PX) */
    digestVariantLock: (edition: string, variant: string) =>
      k('digest', edition, 'variant', variant, 'lock'),
    /**
     * hash: one slot's fan-out (an edition's zones sending at one instant, src/digests/fan-out.ts):
     * its groups, id bound and cursor, recipients, done
     */
    digestSlot: (edition: string, atMs: number) => k('digest', edition, 'slot', atMs),
    /** hash: an edition's zones: planned instant and subscribers, fan-out state, progress */
    digestZones: (edition: string) => k('digest', edition, 'zones'),
    /** hash: subscriber id -> delivery state, for one edition */
    ledger: (edition: string) => k('ledger', edition),
    /** hash: subscriber id -> the variant their claim carries (a retry resends the same one) */
    ledgerVariant: (edition: string) => k('ledger', edition, 'variant'),
    /** hash: misc service state (last build time, ...) */
    state: k('state'),
    /** rate limit counters */
    rate: (name: string, id: string) => k('rate', name, id),
    /** hash: one admin session (by sha256 of its id): created, seen */
    adminSession: (idHash: string) => k('admin', 'session', idHash),
    /** zset: admin session id hashes scored by creation (ms), so all can be revoked */
    adminSessions: k('admin', 'sessions'),
    /** string: a one-time admin login code (by its sha256), deleted when used */
    adminLoginCode: (codeHash: string) => k('admin', 'login-code', codeHash),
    /** zset: pending subscriber ids scored by their last request (ms), for expiry */
    pendingSince: k('subs', 'pending-since'),
    /** hash: lower-cased topic name -> JSON Topic (src/topics/topic-store.ts) */
    topics: k('topics'),
    /** hash: lower-cased name -> "next|last|had|name" of a topic removal still going through subscribers */
    topicRemovals: k('topics', 'removing'),
    /** string: written by /readyz to prove Redis takes writes */
    readyProbe: k('ready'),
  };
}

export type Keys = ReturnType<typeof createKeys>;

/** Options BullMQ needs on its connections: blocking commands must never time out. */
const bullmqOptions: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };

/** How long an HTTP request waits for one Redis command before it is answered 503. */
export const HTTP_COMMAND_TIMEOUT_MS = 5000;

/**
 * The HTTP process's client: a request must never hang while Redis is away, so commands are
 * not queued while disconnected (they fail at once), and one that gets no reply fails after
 * HTTP_COMMAND_TIMEOUT_MS. ioredis keeps reconnecting, so pages recover by themselves.
 */
const httpOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  commandTimeout: HTTP_COMMAND_TIMEOUT_MS,
  connectTimeout: HTTP_COMMAND_TIMEOUT_MS,
};

/**
 * Creates a Redis client for the configured URL (single node or cluster). `forBullmq` gives a
 * connection fit for BullMQ workers (commands wait for Redis to come back instead of failing).
 * `waitForRedis` makes the store's commands wait out a Redis restart too, instead of failing
 * after a few reconnect attempts: what workers need, since a ledger write that fails after an
 * SMTP 250 turns into a second message once the claim's lease expires. `forHttp` gives the
 * HTTP process's fail-fast client (no offline queue, a command timeout); it also suits BullMQ
 * `Queue`s that only add jobs, never workers.
 */
export function createRedis(
  redis: Config['redis'],
  opts: { forBullmq?: boolean; forHttp?: boolean; url?: string; waitForRedis?: boolean } = {},
): RedisClient {
  const url = opts.url ?? redis.url ?? 'redis://127.0.0.1:6379';
  const extra: RedisOptions = opts.forHttp
    ? httpOptions
    : opts.forBullmq
      ? bullmqOptions
      : { maxRetriesPerRequest: opts.waitForRedis ? null : 3 };
  const client = connect(url, redis.cluster, extra, opts.forBullmq);
  // Every script the service has loaded, as an ioredis command (src/lua-command.ts).
  registerLuaCommands(client);
  return client;
}

function connect(
  url: string,
  cluster: boolean,
  extra: RedisOptions,
  forBullmq: boolean | undefined,
): RedisClient {
  if (cluster) {
    const u = new URL(url);
    return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      redisOptions: {
        ...extra,
        username: u.username || undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        tls: u.protocol === 'rediss:' ? {} : undefined,
      },
      enableAutoPipelining: !forBullmq,
    });
  }
  return new Redis(url, { ...extra, enableAutoPipelining: !forBullmq });
}

/**
 * Resolves once `client` is ready, or rejects after `timeoutMs`: a client without an offline
 * queue (the HTTP one) fails every command sent before that.
 */
export async function waitForReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new RedisUnavailableError(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** No Redis answers and none could be started: the entry point prints how to get one. */
export class RedisUnavailableError extends AppError {
  constructor(message: string) {
    super('REDIS_UNAVAILABLE', message, 503);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Replies that mean "Redis cannot do this now" rather than "this command is wrong": out of
 * memory, a read-only replica, a failed snapshot, loading, a busy script, a cluster moving.
 */
const REFUSAL = /^(OOM|READONLY|MISCONF|LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;
/** ioredis's own words for a command that never reached Redis or got no reply. */
const UNREACHABLE =
  /Stream isn't writeable|Command timed out|Connection is closed|Reached the max retries|connect ETIMEDOUT|ECONNREFUSED|Failed to refresh slots cache|None of startup nodes is available/;

/** True when `err` says Redis is down, unreachable, full or read-only (HTTP answers 503). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof RedisUnavailableError) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  // A MULTI whose commands Redis refused to queue (out of memory, read-only) aborts as a whole.
  const previous = (err as { previousErrors?: unknown[] }).previousErrors;
  if (err.message.startsWith('EXECABORT') && previous) return previous.some(isRedisUnavailable);
  return REFUSAL.test(err.message) || UNREACHABLE.test(err.message);
}

/**
 * Arguments for a redis-server that holds data, not cache: loopback only, AOF (unless turned
 * off), no RDB snapshots, never evicting keys.
 */
export function redisServerArgs(o: {
  port: number;
  dir: string;
  appendonly?: boolean;
  maxmemoryPolicy?: string;
}): string[] {
  return [
    '--port',
    String(o.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    o.dir,
    '--appendonly',
    o.appendonly === false ? 'no' : 'yes',
    '--save',
    '',
    '--maxmemory-policy',
    o.maxmemoryPolicy ?? 'noeviction',
    '--protected-mode',
    'yes',
  ];
}

export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` child process with durable settings (AOF on, noeviction),
 * data under `dir`, and resolves once it answers. The child dies with this process.
 */
export async function startLocalRedis(opts: {
  dir: string;
  port: number;
  /** Default true: the service's own data must survive a restart. */
  appendonly?: boolean;
}): Promise<LocalRedis> {
  const which = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (which.error || which.status !== 0) {
    throw new RedisUnavailableError(
      'No Redis answers on 127.0.0.1:6379 and no redis-server binary was found. ' +
        'Start one with `docker compose up -d redis`, install it (`apt-get install redis-server`), ' +
        'or set REDIS_URL.',
    );
  }
  const dir = path.resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    redisServerArgs({ port: opts.port, dir, appendonly: opts.appendonly !== false }),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const stopOnExit = () => child.kill('SIGTERM');
  process.once('exit', stopOnExit);

  for (let i = 0; i < 100; i++) {
    if (exited) throw new RedisUnavailableError(`redis-server exited at start (data dir ${dir})`);
    if (await isListening('127.0.0.1', opts.port, 200)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${opts.port}`,
    async stop() {
      process.off('exit', stopOnExit);
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/**
 * Resolves the Redis URL an entry point should use: REDIS_URL when set; else the local
 * 127.0.0.1:6379 when it answers; else a private redis-server under DATA_DIR/redis.
 */
export async function resolveRedis(
  config: Pick<Config, 'redis' | 'dataDir'>,
  /** The local port to look at and to start on; 6379 but in tests. */
  port = 6379,
): Promise<{ url: string; local?: LocalRedis }> {
  if (config.redis.url) return { url: config.redis.url };
  if (await isListening('127.0.0.1', port)) return { url: `redis://127.0.0.1:${port}` };
  const local = await startLocalRedis({ dir: path.join(config.dataDir, 'redis'), port });
  return { url: local.url, local };
}
