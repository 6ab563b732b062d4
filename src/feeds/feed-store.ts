import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { isHttpSource } from './safe-fetch.js';

/** One feed and what its last fetches gave. Stored as JSON in the feeds hash. */
export interface FeedState {
  /** The http(s) URL, or the absolute path of a local file. */
  url: string;
  addedAt: string;
  etag?: string;
  lastModified?: string;
  lastFetchAt?: string;
  lastOkAt?: string;
  /** `CODE: message` of the last failed fetch; cleared by the next good one. */
  lastError?: string;
  lastErrorAt?: string;
  lastResult?: { new: number; updated: number; unchanged: number };
}

/** Writes only if the feed is still there: an ingest must not bring back a removed feed. */
const updateIfPresent = luaCommand(new URL('./lua/feed-update-if-present.lua', import.meta.url), 1);

/**
 * The canonical form of a feed source: a normalised http(s) URL, or an absolute file path
 * (relative paths are resolved against the working directory, so FEEDS=./feed.xml and the
 * CLI agree). Throws ValidationError FEED_INVALID_SOURCE for anything else.
 */
export function normaliseSource(source: string): string {
  const s = source.trim();
  if (!s)
    throw new ValidationError('FEED_INVALID_SOURCE', 'a feed needs an http(s) URL or a file path');
  if (isHttpSource(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new ValidationError('FEED_INVALID_SOURCE', `not a valid URL: ${s}`);
    }
    if (url.username || url.password) {
      throw new ValidationError(
        'FEED_INVALID_SOURCE',
        'feed URLs with credentials are not supported',
      );
    }
    url.hash = '';
    return url.href;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(s)) {
    throw new ValidationError(
      'FEED_INVALID_SOURCE',
      `only http(s) URLs and file paths are feeds: ${s}`,
    );
  }
  return path.resolve(s);
}

/** The registered feeds: a Redis hash from source to JSON FeedState. */
export function createFeedStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  async function get(source: string): Promise<FeedState | undefined> {
    const raw = await redis.hget(keys.feeds, normaliseSource(source));
    return raw ? (JSON.parse(raw) as FeedState) : undefined;
  }

  return {
    get,

    /** Registers a feed (idempotent). A file path must name an existing file. */
    async add(source: string): Promise<FeedState> {
      const url = normaliseSource(source);
      if (!isHttpSource(url)) {
        const info = await stat(url).catch(() => undefined);
        if (!info?.isFile())
          throw new ValidationError('FEED_INVALID_SOURCE', `no such file: ${url}`);
      }
      const state: FeedState = { url, addedAt: new Date().toISOString() };
      await redis.hsetnx(keys.feeds, url, JSON.stringify(state));
      return (await get(url)) ?? state;
    },

    /** Forgets a feed; its posts stay. */
    async remove(source: string): Promise<boolean> {
      return (await redis.hdel(keys.feeds, normaliseSource(source))) === 1;
    },

    /** Every feed, oldest first. The set of feeds is small (admin-managed). */
    async list(): Promise<FeedState[]> {
      const all = await redis.hgetall(keys.feeds);
      return Object.values(all)
        .map((raw) => JSON.parse(raw) as FeedState)
        .sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.url.localeCompare(b.url));
    },

    /** Merges `patch` into the feed's state; keys set to undefined are removed. */
    async update(source: string, patch: Partial<FeedState>): Promise<void> {
      const current = await get(source);
      if (!current) return;
      // Ingest runs one fetch per feed at a time, so read-merge-write does not race itself.
      const next: FeedState = { ...current, ...patch, url: current.url, addedAt: current.addedAt };
      await updateIfPresent(redis, [keys.feeds], [current.url, JSON.stringify(next)]);
    },
  };
}

export type FeedStore = ReturnType<typeof createFeedStore>;

/** Adds the feeds named in FEEDS at start; a bad entry is logged, never fatal. */
export async function addConfiguredFeeds(
  feedStore: FeedStore,
  sources: readonly string[],
  log: Logger,
): Promise<void> {
  for (const source of sources) {
    try {
      await feedStore.add(source);
    } catch (err) {
      log.warn({ feed: source, err: (err as Error).message }, 'could not add a feed from FEEDS');
    }
  }
}
