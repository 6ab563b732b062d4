import type { Logger } from '../log.js';
import { decodeFeedBytes } from './decode-feed.js';
import { discoverFeeds, looksLikeHtml, type DiscoveredFeed } from './discover-feeds.js';
import { describeFeedError, FeedError } from './feed-error.js';
import type { FeedStore } from './feed-store.js';
import { parseFeed } from './parse-feed.js';
import type { MeasureImage } from './measure-image.js';
import type { PostImageStore } from './post-image-store.js';
import { measurePostImages } from './post-images.js';
import type { PostStore } from './post-store.js';
import { fetchFeed, type FetchFeedOptions, type FetchFeedResult } from './safe-fetch.js';

export type IngestResult =
  | {
      feed: string;
      ok: true;
      new: number;
      updated: number;
      unchanged: number;
      notModified?: boolean;
    }
  | { feed: string; ok: false; error: string };

/** What a source is, fetched once: a feed (its title, how many items) or an HTML page. */
export type SourceCheck =
  | { kind: 'feed'; url: string; title?: string; items: number }
  | { kind: 'page'; url: string; feeds: DiscoveredFeed[] };

/** Per-feed progress of `ingestAll`, for a progress bar or a job's progress. */
export interface IngestProgress {
  total: number;
  done: number;
  /** The feed that just finished. */
  result: IngestResult;
}

export interface IngestDeps {
  feedStore: Pick<FeedStore, 'get' | 'list' | 'update'>;
  postStore: Pick<PostStore, 'upsert'>;
  log: Logger;
  allowPrivate: boolean;
  /** FEED_ALLOW_HOSTS (address-guard.ts). */
  allowHosts?: readonly string[];
  userAgent: string;
  /** Feeds fetched at once. */
  concurrency?: number;
  /** Overrides of the fetch budget (tests use short timeouts). */
  fetch?: Pick<FetchFeedOptions, 'timeoutMs' | 'maxBytes' | 'maxRedirects'>;
  now?: () => Date;
  /** Measures the images of new posts (post-images.ts); without it, none is measured. */
  images?: { store: PostImageStore; measure: MeasureImage };
}

/**
 * Fetches feeds and turns their items into posts. One feed's failure is recorded on that feed
 * (its earlier posts stay) and never stops the others.
 */
export function createIngest(deps: IngestDeps) {
  const now = deps.now ?? (() => new Date());
  const ingestOne = (source: string): Promise<IngestResult> => ingestFeed(deps, now, source);
  return {
    ingestOne,

    /**
     * Fetches and parses `source` without storing anything (`feeds add` checks a feed this way).
     * Throws FeedError for a source that cannot be fetched, or that is neither a feed nor an
     * HTML page.
     */
    checkSource: (source: string): Promise<SourceCheck> => checkSource(deps, now, source),

    /**
     * Every registered feed, a few at a time (`concurrency`, default 4). Never throws for one
     * feed's failure. `onProgress` hears of each feed as it finishes.
     */
    async ingestAll(
      opts: { onProgress?: (p: IngestProgress) => void | Promise<void> } = {},
    ): Promise<IngestResult[]> {
      const feeds = await deps.feedStore.list();
      let done = 0;
      const results = new Array<IngestResult>(feeds.length);
      let next = 0;
      const worker = async () => {
        while (next < feeds.length) {
          const i = next++;
          results[i] = await ingestOne(feeds[i]!.url);
          done++;
          await opts.onProgress?.({ total: feeds.length, done, result: results[i] });
        }
      };
      const n = Math.max(1, Math.min(deps.concurrency ?? 4, feeds.length));
      await Promise.all(Array.from({ length: n }, worker));
      return results;
    },
  };
}

/** One registered feed: fetched, its items stored, the outcome recorded on the feed. */
async function ingestFeed(
  deps: IngestDeps,
  now: () => Date,
  source: string,
): Promise<IngestResult> {
  const state = await deps.feedStore.get(source);
  if (!state) return { feed: source, ok: false, error: 'FEED_UNKNOWN: not a registered feed' };
  const feed = state.url;
  const startedAt = now().toISOString();
  try {
    const res = await fetchFeed(feed, {
      ...fetchOptions(deps),
      etag: state.etag,
      lastModified: state.lastModified,
    });
    if (res.notModified) {
      await deps.feedStore.update(feed, {
        lastFetchAt: startedAt,
        lastOkAt: startedAt,
        ...noError,
      });
      return { feed, ok: true, new: 0, updated: 0, unchanged: 0, notModified: true };
    }
    return await storeFeed(deps, now, feed, startedAt, res);
  } catch (err) {
    const error = describeFeedError(err);
    if (!(err instanceof FeedError))
      deps.log.error({ feed, err }, 'feed ingest failed unexpectedly');
    else deps.log.warn({ feed, error }, 'feed ingest failed');
    await deps.feedStore
      .update(feed, { lastFetchAt: startedAt, lastError: error, lastErrorAt: startedAt })
      .catch((e: unknown) => deps.log.error({ feed, err: e }, 'could not record the feed error'));
    return { feed, ok: false, error };
  }
}

/** A fetched feed: its items parsed and upserted, then its validators and counts saved. */
async function storeFeed(
  deps: IngestDeps,
  now: () => Date,
  feed: string,
  startedAt: string,
  res: Extract<FetchFeedResult, { notModified: false }>,
): Promise<IngestResult> {
  const parsed = parseFeed(res.body, {
    contentType: res.contentType,
    baseUrl: res.url,
    now: now(),
  });
  const counts = { new: 0, updated: 0, unchanged: 0 };
  const seenAt = now();
  const ids: string[] = [];
  for (const item of parsed.items) {
    const { id, result } = await deps.postStore.upsert(item, feed, seenAt);
    counts[result]++;
    ids.push(id);
  }
  // The validators are saved only now: a 304 must never hide posts we failed to store.
  await deps.feedStore.update(feed, {
    lastFetchAt: startedAt,
    lastOkAt: startedAt,
    etag: res.etag,
    lastModified: res.lastModified,
    lastResult: counts,
    ...noError,
  });
  const images = await measureImages(deps, now, feed, ids);
  deps.log.info({ feed, ...counts, skipped: parsed.skipped, images }, 'feed ingested');
  return { feed, ok: true, ...counts };
}

/** Measures the feed's new images; a failure (Redis) is logged and never fails the feed. */
async function measureImages(deps: IngestDeps, now: () => Date, feed: string, ids: string[]) {
  if (!deps.images) return undefined;
  try {
    return await measurePostImages(
      { images: deps.images.store, measure: deps.images.measure, now: now() },
      ids,
    );
  } catch (err) {
    deps.log.warn({ feed, err }, 'could not measure the images of new posts');
    return undefined;
  }
}

/** How every fetch of a feed goes out: the same address guard for a check as for an ingest. */
function fetchOptions(deps: IngestDeps) {
  return {
    ...deps.fetch,
    allowPrivate: deps.allowPrivate,
    allowHosts: deps.allowHosts,
    userAgent: deps.userAgent,
  };
}

async function checkSource(
  deps: IngestDeps,
  now: () => Date,
  source: string,
): Promise<SourceCheck> {
  const res = await fetchFeed(source, fetchOptions(deps));
  if (res.notModified) return { kind: 'feed', url: source, items: 0 };
  try {
    const parsed = parseFeed(res.body, {
      contentType: res.contentType,
      baseUrl: res.url,
      now: now(),
    });
    return { kind: 'feed', url: source, title: parsed.title, items: parsed.items.length };
  } catch (err) {
    const text = decodeFeedBytes(res.body, res.contentType);
    if (err instanceof FeedError && looksLikeHtml(text, res.contentType))
      return { kind: 'page', url: res.url ?? source, feeds: discoverFeeds(text, res.url) };
    throw err;
  }
}

export type Ingest = ReturnType<typeof createIngest>;

const noError = { lastError: undefined, lastErrorAt: undefined } as const;
