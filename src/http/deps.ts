import type { Config } from '../config.js';
import type { DigestService } from '../digests/digest-service.js';
import type { FeedStore } from '../feeds/feed-store.js';
import type { IngestResult } from '../feeds/ingest.js';
import type { PostStore } from '../feeds/post-store.js';
import type { Logger } from '../log.js';
import type { MailTransport } from '../mail/transport.js';
import type { Metrics } from '../metrics.js';
import type { Keys, RedisClient } from '../redis.js';
import type { Renderer } from '../render/render-digest.js';
import type { SubscriberStore } from '../subscribers/subscriber-store.js';
import type { Tokens } from '../subscribers/tokens.js';

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
export type FeedStoreLike = Pick<FeedStore, 'add' | 'remove' | 'list'>;
export type PostStoreLike = Pick<PostStore, 'addManual' | 'list'>;
export interface IngestLike {
  ingestAll(): Promise<IngestResult[]>;
}
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
  /** Confirmation emails per address per day (default 3). */
  confirmationsPerAddressPerDay?: number;
  /** Admin login attempts per IP per 15 minutes (default 20). */
  loginPerIp?: number;
  /** Body limit for JSON and forms, bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Body limit for CSV imports, bytes (default 20 MiB). */
  importLimit?: number;
}

export interface HttpDeps {
  config: Config;
  log: Logger;
  redis: RedisClient;
  keys: Keys;
  subscribers: SubscriberStoreLike;
  tokens: Tokens;
  feeds: FeedStoreLike;
  posts: PostStoreLike;
  ingest: IngestLike;
  digests: DigestServiceLike;
  mailer: MailerLike;
  renderer: RendererLike;
  /** From ensureAdminToken: ADMIN_TOKEN or the generated one. */
  adminToken: string;
  /** Process metrics (src/metrics.ts); buildApp makes its own when absent. */
  metrics?: Metrics;
  /**
   * Job counts per queue and state (BullMQ's `getJobCounts()`), read at each /metrics scrape
   * for the queue-depth gauge.
   */
  queueCounts?: () => Promise<Record<string, Record<string, number>>>;
  limits?: HttpLimits;
  /** Trust X-Forwarded-For (behind a reverse proxy). Default false. */
  trustProxy?: boolean;
  /** The clock (tests). */
  now?: () => Date;
}
