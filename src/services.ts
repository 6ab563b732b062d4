import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import type { Context } from './context.js';
import type { Logger } from './log.js';
import { createDigestService } from './digests/digest-service.js';
import { createDigestStore } from './digests/digest-store.js';
import { migrateLegacyDigests } from './digests/legacy-editions.js';
import { createVariantStore } from './digests/variant-store.js';
import { createVariants, type Variants } from './digests/variants.js';
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
import { createMailTransport, type MailTransport } from './mail/transport.js';
import { createAdminSessions } from './http/admin-sessions.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createQueues, type Queues } from './queues.js';
import { createRedis } from './redis.js';
import { createRenderer, type Renderer } from './render/render-digest.js';
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
 * The wiring is split by part (stores, rendering, queues, ingest, digests, the send path)
 * into the functions below; this stays the one composition root.
 */
export function createServices(
  ctx: Context,
  opts: { now?: () => Date; forHttp?: boolean; metrics?: Metrics } = {},
) {
  const { config, redis, keys, log } = ctx;
  const secret = ensureSecret(config);
  const stores = createStores(ctx, secret);
  const userAgent = feedUserAgent(config.site.publicUrl);
  const { renderer, variants } = createRendering(ctx, stores, userAgent);
  const { bullConnection, queues } = createQueueSet(ctx, opts.forHttp);
  const ingest = createFeedIngest(ctx, stores, userAgent);
  const { mailer, digestService, scheduler } = createDigestParts(ctx, stores, {
    renderer,
    variants,
    queues,
    now: opts.now,
  });
  const owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // One registry per process: the HTTP server's /metrics shows what this process's workers did
  // (with `npm start`, all of it), and reads digests and queue depths from Redis at scrape time.
  const metrics = opts.metrics ?? createMetrics();
  const sendParts = { ...stores, config, variants, mailer, owner, metrics, log };

  return {
    config,
    log,
    secret,
    bullConnection,
    /** ADMIN_TOKEN, or the one kept under DATA_DIR (made there at first use). */
    adminToken: lazy(() => ensureAdminToken(config, log)),
    adminSessions: createAdminSessions({ redis, keys, secret }),
    ...stores,
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
    queueCounts: () => queueCounts(queues),
    /** The batch sender for send workers (one prepared message per digest per process). */
    batchSender: lazy(() => createSendPath(sendParts)),
    /** Start-up migrations (idempotent): digests of earlier versions become weekly editions. */
    migrate: () => migrateLegacyDigests({ redis, keys, log }),
    /** Adds the feeds named in FEEDS (idempotent); a bad one is logged, not fatal. */
    addConfiguredFeeds: () => addConfiguredFeeds(config.feeds, stores.feeds, log),
    async close() {
      await queues.close();
      await mailer.ifMade()?.close();
      await bullConnection.quit().catch(() => bullConnection.disconnect());
    },
  };
}

export type Services = ReturnType<typeof createServices>;

/** The stores on the context's Redis, and the signed tokens and links. */
function createStores(ctx: Context, secret: string) {
  const { config, redis, keys } = ctx;
  const feeds = createFeedStore({ redis, keys });
  const tokens = createTokens(secret);
  return {
    /** The store's Redis and key names (the workers' fan-out state lives beside the digests). */
    redis,
    keys,
    feeds,
    posts: createPostStore({ redis, keys }),
    subscribers: createSubscriberStore({ redis, keys }),
    topics: createTopicStore({ redis, keys, feeds }),
    groups: createSubscriberGroups({ redis, keys }),
    zones: createZoneProgress({ redis, keys }),
    tokens,
    links: createLinks({ publicUrl: config.site.publicUrl, tokens }),
    digests: createDigestStore({ redis, keys }),
    ledger: createLedger({ redis, keys, leaseMs: config.send.leaseMs }),
  };
}

type Stores = ReturnType<typeof createStores>;

/** The renderer and each reader's variant of an edition. */
function createRendering(ctx: Context, stores: Stores, userAgent: string) {
  const { config, redis, keys, log } = ctx;
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
    posts: stores.posts,
    renderer,
    topics: stores.topics,
    maxPosts: config.digest.maxPosts,
    log,
  });
  return { renderer, variants };
}

/**
 * BullMQ gets its own connection: workers need commands that wait out a Redis restart; the
 * HTTP server's queues only add jobs, and a request must not wait for Redis to come back.
 */
function createQueueSet(ctx: Context, forHttp: boolean | undefined) {
  const { config, log } = ctx;
  const bullConnection = createRedis(config.redis, {
    url: ctx.redisUrl,
    ...(forHttp ? { forHttp: true } : { forBullmq: true }),
  });
  const queues = createQueues(bullConnection, config.redis.prefix, config.send);
  // Each queue re-emits its connection's errors, and BullMQ prints those nobody listens to (a
  // stack trace a second while Redis is away); the context already reports Redis trouble.
  for (const q of [queues.ingest, queues.build, queues.send])
    q.on('error', (err) =>
      log.debug({ err: err.message, queue: q.name }, 'queue connection error'),
    );
  return { bullConnection, queues };
}

/**
 * The mail transport (made on first use), the digest service (HTTP admin and CLI) and the
 * scheduler of editions and ingests.
 */
function createDigestParts(
  ctx: Context,
  stores: Stores,
  parts: { renderer: Renderer; variants: Variants; queues: Queues; now?: () => Date },
) {
  const { config, redis, keys, log } = ctx;
  const mailer = lazy(() =>
    createMailTransport({
      smtp: config.smtp,
      outboxDir: config.outboxDir,
      dkim: config.mail.dkim,
      log,
    }),
  );
  const digestService = createDigestService({
    ...parts,
    config,
    digests: stores.digests,
    posts: stores.posts,
    mailer,
    preflight: () => preflightSmtp(mailer()),
    subscribers: stores.subscribers,
    tokens: stores.tokens,
    links: stores.links,
    zones: stores.zones,
  });
  const scheduler = createScheduler({
    redis,
    keys,
    queues: parts.queues,
    schedule: config.digest,
    ingest: { cron: config.ingestCron, tz: config.digest.tz },
    groups: stores.groups,
    log,
  });
  return { mailer, digestService, scheduler };
}

/** The ingest of feeds into posts, with the feeds' address guard. */
function createFeedIngest(ctx: Context, stores: Stores, userAgent: string) {
  const { config, redis, keys, log } = ctx;
  return createIngest({
    feedStore: stores.feeds,
    postStore: stores.posts,
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
}

/** The batch sender of send workers, on the process's mail transport. */
function createSendPath(
  parts: Stores & {
    config: Config;
    variants: Variants;
    mailer: Lazy<MailTransport>;
    owner: string;
    metrics: Metrics;
    log: Logger;
  },
) {
  const { config, redis, keys } = parts;
  return createBatchSender({
    digests: parts.digests,
    subscribers: parts.subscribers,
    posts: parts.posts,
    variants: parts.variants,
    ledger: parts.ledger,
    transport: parts.mailer(),
    links: parts.links,
    tokens: parts.tokens,
    mail: config.mail,
    site: config.site,
    digest: config.digest,
    parallel: config.send.concurrency,
    owner: parts.owner,
    metrics: parts.metrics,
    // SEND_RATE is shared by every process through one Redis key; unset, nothing runs.
    rate: config.send.rate
      ? createSendRateLimiter({ redis, keys, rate: config.send.rate })
      : undefined,
    log: parts.log,
  });
}

async function queueCounts(queues: Queues) {
  const [ingest, build, send] = await Promise.all([
    queues.ingest.getJobCounts(),
    queues.build.getJobCounts(),
    queues.send.getJobCounts(),
  ]);
  return { ingest, build, send };
}

async function addConfiguredFeeds(
  sources: readonly string[],
  feeds: Stores['feeds'],
  log: Logger,
): Promise<void> {
  for (const source of sources) {
    try {
      await feeds.add(source);
    } catch (err) {
      log.warn({ feed: source, err: (err as Error).message }, 'feed from FEEDS not added');
    }
  }
}
