import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Context } from './context.js';
import { createDigestService } from './digests/digest-service.js';
import { createDigestStore } from './digests/digest-store.js';
import { migrateLegacyDigests } from './digests/legacy-editions.js';
import { createVariantStore } from './digests/variant-store.js';
import { createVariants } from './digests/variants.js';
import { createScheduler } from './digests/schedules.js';
import { createLedger } from './delivery/ledger.js';
import { createSendRateLimiter } from './delivery/rate-limit.js';
import { createBatchSender } from './delivery/send-batch.js';
import { createFeedStore } from './feeds/feed-store.js';
import { createIngest } from './feeds/ingest.js';
import { createIngestJobs } from './feeds/ingest-jobs.js';
import { createImageMeasurer } from './feeds/measure-image.js';
import { createPostImageStore } from './feeds/post-image-store.js';
import { createPostStore } from './feeds/post-store.js';
import { feedUserAgent } from './feeds/safe-fetch.js';
import { preflightSmtp } from './mail/preflight.js';
import { createMailTransport } from './mail/transport.js';
import { createAdminSessions } from './http/admin-sessions.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createQueues } from './queues.js';
import { createRedis } from './redis.js';
import { createRenderer } from './render/render-digest.js';
import { ensureAdminToken, ensureSecret } from './secrets.js';
import { createSubscriberStore } from './subscribers/subscriber-store.js';
import { createSubscriberGroups } from './subscribers/subscriber-groups.js';
import { createZoneProgress } from './digests/zone-progress.js';
import { createLinks } from './subscribers/links.js';
import { createTokens } from './subscribers/tokens.js';
import { createTopicStore } from './topics/topic-store.js';

/**
 * A service made on first use, then always the same one. Services whose making has a cost or a
 * side effect outside Redis (an SMTP pool, a file under DATA_DIR) are handed out this way, and
 * only those, so a command that never sends opens no SMTP connection and reads no admin token:
 * `services.mailer()`. `ifMade()` gives it without making it (for closing).
 */
export interface Lazy<T> {
  (): T;
  ifMade(): T | undefined;
}

function lazy<T>(make: () => T): Lazy<T> {
  let made: { value: T } | undefined;
  return Object.assign(() => (made ??= { value: make() }).value, { ifMade: () => made?.value });
}

/**
 * Every store and service, built once per process from the context. Entry points (CLI, HTTP
 * server, workers, tests, the benchmark) call this and hand the pieces on; nothing reaches them
 * through imports. Every service is a plain value except the few made on first use (`Lazy`).
 * `now` is the digest service's clock (tests set it; the build and send paths use real time).
 * `forHttp`: the HTTP server's set, on its fail-fast Redis client (src/start-http.ts), with
 * queues that only add jobs and fail fast too; `metrics` shares the process's registry.
 */
export function createServices(
  ctx: Context,
  opts: { now?: () => Date; forHttp?: boolean; metrics?: Metrics } = {},
) {
  const { config, redis, keys, log } = ctx;
  const secret = ensureSecret(config);
  const feeds = createFeedStore({ redis, keys });
  const posts = createPostStore({ redis, keys });
  const subscribers = createSubscriberStore({ redis, keys });
  const topics = createTopicStore({ redis, keys, feeds });
  const groups = createSubscriberGroups({ redis, keys });
  const zones = createZoneProgress({ redis, keys });
  const tokens = createTokens(secret);
  const links = createLinks({ publicUrl: config.site.publicUrl, tokens });
  const digests = createDigestStore({ redis, keys });
  const ledger = createLedger({ redis, keys, leaseMs: config.send.leaseMs });
  const userAgent = feedUserAgent(config.site.publicUrl);
  const renderer = createRenderer({
    site: config.site,
    templatesDir: config.templatesDir,
    tz: config.digest.tz,
    // LOGO_URL is the admin's own setting, not a feed's: it may be on a private address.
    measureLogo: createImageMeasurer({
      allowPrivate: true,
      allowHosts: config.feedAllowHosts,
      userAgent,
    }),
    log,
    frequencyLinks: config.digest.frequencies.length > 1,
  });
  // Each reader's post set filters by the topic store's definitions (cached briefly per process).
  const variants = createVariants({
    store: createVariantStore({ redis, keys }),
    posts,
    renderer,
    topics,
    maxPosts: config.digest.maxPosts,
    log,
  });
  // BullMQ gets its own connection: workers need commands that wait out a Redis restart; the
  // HTTP server's queues only add jobs, and a request must not wait for Redis to come back.
  const bullConnection = createRedis(config.redis, {
    url: ctx.redisUrl,
    ...(opts.forHttp ? { forHttp: true } : { forBullmq: true }),
  });
  const queues = createQueues(bullConnection, config.redis.prefix, config.send);
  // Each queue re-emits its connection's errors, and BullMQ prints those nobody listens to (a
  // stack trace a second while Redis is away); the context already reports Redis trouble.
  for (const q of [queues.ingest, queues.build, queues.send])
    q.on('error', (err) =>
      log.debug({ err: err.message, queue: q.name }, 'queue connection error'),
    );
  const ingest = createIngest({
    feedStore: feeds,
    postStore: posts,
    log,
    allowPrivate: config.feedAllowPrivate,
    allowHosts: config.feedAllowHosts,
    userAgent,
    // Post images come from feeds: the feeds' address guard applies to them too.
    images: {
      store: createPostImageStore({ redis, keys }),
      measure: createImageMeasurer({
        allowPrivate: config.feedAllowPrivate,
        allowHosts: config.feedAllowHosts,
        userAgent,
      }),
    },
  });
  const mailer = lazy(() =>
    createMailTransport({
      smtp: config.smtp,
      outboxDir: config.outboxDir,
      dkim: config.mail.dkim,
      log,
    }),
  );
  const digestService = createDigestService({
    config,
    digests,
    posts,
    renderer,
    variants,
    queues,
    mailer,
    preflight: () => preflightSmtp(mailer()),
    subscribers,
    tokens,
    links,
    zones,
    now: opts.now,
  });
  const scheduler = createScheduler({
    redis,
    keys,
    queues,
    schedule: config.digest,
    ingest: { cron: config.ingestCron, tz: config.digest.tz },
    groups,
    log,
  });
  const owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // One registry per process: the HTTP server's /metrics shows what this process's workers did
  // (with `npm start`, all of it), and reads digests and queue depths from Redis at scrape time.
  const metrics = opts.metrics ?? createMetrics();

  return {
    config,
    log,
    secret,
    bullConnection,
    /** ADMIN_TOKEN, or the one kept under DATA_DIR (made there at first use). */
    adminToken: lazy(() => ensureAdminToken(config, log)),
    adminSessions: createAdminSessions({ redis, keys, secret }),
    /** The store's Redis and key names (the workers' fan-out state lives beside the digests). */
    redis,
    keys,
    feeds,
    posts,
    subscribers,
    topics,
    groups,
    zones,
    tokens,
    links,
    digests,
    ledger,
    renderer,
    variants,
    queues,
    ingest,
    ingestJobs: createIngestJobs(queues.ingest),
    mailer,
    digestService,
    scheduler,
    owner,
    metrics,
    /** Job counts per queue and state, for /metrics. */
    queueCounts: async () => {
      const [ingestCounts, build, send] = await Promise.all([
        queues.ingest.getJobCounts(),
        queues.build.getJobCounts(),
        queues.send.getJobCounts(),
      ]);
      return { ingest: ingestCounts, build, send };
    },
    /** The batch sender for send workers (one prepared message per digest per process). */
    batchSender: lazy(() =>
      createBatchSender({
        digests,
        subscribers,
        posts,
        variants,
        ledger,
        transport: mailer(),
        links,
        tokens,
        mail: config.mail,
        site: config.site,
        digest: config.digest,
        parallel: config.send.concurrency,
        owner,
        metrics,
        // SEND_RATE is shared by every process through one Redis key; unset, nothing runs.
        rate: config.send.rate
          ? createSendRateLimiter({ redis, keys, rate: config.send.rate })
          : undefined,
        log,
      }),
    ),
    /** Start-up migrations (idempotent): digests of earlier versions become weekly editions. */
    migrate: () => migrateLegacyDigests({ redis, keys, log }),
    /** Adds the feeds named in FEEDS (idempotent); a bad one is logged, not fatal. */
    async addConfiguredFeeds() {
      for (const source of config.feeds) {
        try {
          await feeds.add(source);
        } catch (err) {
          log.warn({ feed: source, err: (err as Error).message }, 'feed from FEEDS not added');
        }
      }
    },
    async close() {
      await queues.close();
      await mailer.ifMade()?.close();
      await bullConnection.quit().catch(() => bullConnection.disconnect());
    },
  };
}

export type Services = ReturnType<typeof createServices>;
