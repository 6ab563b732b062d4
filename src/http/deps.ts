import type { Config } from '../config.js';
import type { DigestService } from '../digests/digest-service.js';
import type { FeedStore } from '../feeds/feed-store.js';
import type { IngestProgress, IngestResult, SourceCheck } from '../feeds/ingest.js';
import type { IngestJobs } from '../feeds/ingest-jobs.js';
import type { PostStore } from '../feeds/post-store.js';
import type { Logger } from '../log.js';
import type { MailTransport } from '../mail/transport.js';
import type { Metrics } from '../metrics.js';
import type { Keys, RedisClient } from '../redis.js';
import type { Renderer } from '../render/render-digest.js';
import type { SubscriberGroups } from '../subscribers/subscriber-groups.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Tokens } from '../subscribers/tokens.js';
import type { TopicStore } from '../topics/topic-store.js';
import type { AuthLimits } from './auth-limiter.js';

/*
 * What the HTTP layer needs from the rest of the service: the slices of the real factories it
 * calls (the consumer names what it uses), so tests may pass a store or a plain-object fake.
 */

export type SubscriberStoreLike = Pick<
  SubscriberStore,
  | 'add'
  | 'addMany'
  | 'get'
  | 'getByEmail'
  | 'setStatus'
  | 'update'
  | 'remove'
  | 'erase'
  | 'isSuppressed'
  | 'suppress'
  | 'list'
  | 'counts'
  | 'iterate'
>;
/** The group index: the zones in use and their subscribers, for the dashboard's next sends. */
export type SubscriberGroupsLike = Pick<SubscriberGroups, 'counts'>;
export type FeedStoreLike = Pick<FeedStore, 'add' | 'remove' | 'list'>;
export type TopicStoreLike = Pick<TopicStore, 'add' | 'list' | 'remove' | 'unfinished'>;
export type PostStoreLike = Pick<PostStore, 'addManual' | 'list' | 'getMany'>;
export interface IngestLike {
  ingestAll(opts?: { onProgress?: (p: IngestProgress) => unknown }): Promise<IngestResult[]>;
  checkSource(source: string): Promise<SourceCheck>;
}
export type IngestJobsLike = Pick<IngestJobs, 'start' | 'get'>;
export type DigestServiceLike = Pick<
  DigestService,
  | 'list'
  | 'get'
  | 'summary'
  | 'trigger'
  | 'retryFailed'
  | 'pastDate'
  | 'preview'
  | 'testSend'
  | 'next'
  | 'archiveHtml'
>;
export type DigestListItem = Awaited<ReturnType<DigestService['list']>>[number];
export type MailerLike = Pick<MailTransport, 'sendMail' | 'sendRaw'>;
export type RendererLike = Pick<Renderer, 'renderConfirm'>;

/** Optional tuning, mostly for tests. */
export interface HttpLimits {
  /** Requests per IP per minute on /subscribe (default 10). */
  subscribePerIpPerMinute?: number;
  /** Confirmation emails per address per day, whoever asks (default 10). */
  confirmationsPerAddressPerDay?: number;
  /** Confirmation emails per address per requester (IPv4, IPv6 /64) per day (default 3). */
  confirmationsPerRequesterPerDay?: number;
  /** Failed admin authentication: counts and delays (auth-limiter.ts). */
  auth?: Partial<AuthLimits>;
  /** Body limit for JSON and forms, bytes (default 64 KiB); public forms take 8 KiB. */
  bodyLimit?: number;
  /** Body limit for CSV imports, bytes (default 20 MiB). */
  importLimit?: number;
  /** A request's whole body must arrive within this (default 60 s): Node's requestTimeout. */
  requestTimeoutMs?: number;
  /** How often Node looks for requests past requestTimeoutMs (default 5 s). */
  timeoutCheckMs?: number;
  /** A handler that has not answered after this gets 503 (default 30 s; imports 10 min). */
  handlerTimeoutMs?: number;
  /** The public form must be sent at least this long after it was shown (default 2 s). */
  minFormSeconds?: number;
}

export interface HttpDeps {
  config: Config;
  log: Logger;
  redis: RedisClient;
  keys: Keys;
  subscribers: SubscriberStoreLike;
  groups: SubscriberGroupsLike;
  tokens: Tokens;
  feeds: FeedStoreLike;
  /** The topics subscribers may choose (src/topics/topic-store.ts). */
  topics: TopicStoreLike;
  posts: PostStoreLike;
  ingest: IngestLike;
  /** "Fetch all feeds now" as a job on the ingest queue (src/feeds/ingest-jobs.ts). */
  ingestJobs: IngestJobsLike;
  digests: DigestServiceLike;
  mailer: MailerLike;
  renderer: RendererLike;
  /** From ensureAdminToken: ADMIN_TOKEN or the generated one. */
  adminToken: string;
  /** The signing secret (SECRET): session cookies and form stamps use keys derived from it. */
  secret: string;
  /** Process metrics (src/metrics.ts); buildApp makes its own when absent. */
  metrics?: Metrics;
  /**
   * Job counts per queue and state (BullMQ's `getJobCounts()`), read at each /metrics scrape
   * for the queue-depth gauge.
   */
  queueCounts?: () => Promise<Record<string, Record<string, number>>>;
  limits?: HttpLimits;
  /** TRUST_PROXY: false, a hop count, or the proxies' addresses/CIDRs. Default false. */
  trustProxy?: false | number | readonly string[];
  /** The clock (tests). */
  now?: () => Date;
}
