import { createHash } from 'node:crypto';
import { luaCommand } from '../lua-command.js';
import type { Keys, RedisClient } from '../redis.js';
import { plainSummary, plainTitle } from './feed-values.js';
import { parseImageSize } from './image-size.js';
import type { ParsedItem } from './parse-feed.js';
import type { Post } from './post.js';

/** The feed name of posts an admin added by hand. */
export const MANUAL_FEED = 'manual';

/** Bound on one window read (README guarantee 8); a real window holds far fewer posts. */
const WINDOW_READ_LIMIT = 5000;

/**
 * Content fields compared to tell 'updated' from 'unchanged' ('' = absent); lua/post-upsert.lua
 * lists them in the same order.
 */
export const CONTENT_FIELDS = [
  'guid',
  'url',
  'title',
  'author',
  'summary',
  'imageUrl',
  'blog',
  'categories',
] as const;

/**
 * Inserts or updates one post, all in one script so a crash never leaves half a post or an
 * index entry without its post.
 * KEYS: post, index, byPublished, bySeen, seqCounter, bySeq.
 * ARGV: id, guidKey|'', urlKey, nowIso, nowMs, publishedIso|'', publishedMs|'', feed,
 *       dateIssue|'', unreadableDate|'', then the CONTENT_FIELDS values in order.
 * Returns 'new' | 'updated' | 'unchanged' | 'retry' (the index moved under us).
 */
const upsertScript = luaCommand(new URL('./lua/post-upsert.lua', import.meta.url), 6);

/** The key a post is identified by across all feeds: its guid, else its URL. */
export function dedupeKey(item: { guid?: string; url: string }): string {
  return item.guid ? `guid:${item.guid}` : `url:${item.url}`;
}

/** A post id: short, URL-safe, derived from the dedupe key so every process agrees on it. */
export function postId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

/**
 * Posts in Redis: a hash per post, an index from guid:/url: keys to ids (so the same post in
 * two feeds is one post), and two sorted sets by publishedAt and firstSeenAt.
 */
export function createPostStore(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;

  async function upsert(
    item: ParsedItem,
    feed: string,
    now: Date,
  ): Promise<{ id: string; result: 'new' | 'updated' | 'unchanged' }> {
    const guidKey = item.guid ? `guid:${item.guid}` : '';
    const urlKey = `url:${item.url}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Without a guid, a post with the same URL (even one that has a guid) is the same post.
      const existing = await redis.hget(keys.postIndex, guidKey || urlKey);
      const id = existing ?? postId(dedupeKey(item));
      const result = (await upsertScript(
        redis,
        [
          keys.post(id),
          keys.postIndex,
          keys.postsByPublished,
          keys.postsBySeen,
          keys.postSeq,
          keys.postsBySeq,
        ],
        [
          id,
          guidKey,
          urlKey,
          now.toISOString(),
          now.getTime(),
          item.publishedAt?.toISOString() ?? '',
          item.publishedAt?.getTime() ?? '',
          feed,
          dateIssue(item, feed) ?? '',
          item.publishedAt ? '' : (item.unreadableDate ?? ''),
          item.guid ?? '',
          item.url,
          item.title,
          item.author ?? '',
          item.summary,
          item.imageUrl ?? '',
          item.blog ?? '',
          item.categories?.length ? JSON.stringify(item.categories) : '',
        ],
      )) as string;
      if (result !== 'retry') return { id, result: result as 'new' | 'updated' | 'unchanged' };
    }
    throw new Error(`post index kept changing while storing ${urlKey}`);
  }

  async function get(id: string): Promise<Post | undefined> {
    return toPost(await redis.hgetall(keys.post(id)));
  }

  async function getMany(ids: string[]): Promise<Post[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.post(id));
    const rows = (await pipeline.exec()) ?? [];
    const posts: Post[] = [];
    for (const [err, row] of rows) {
      if (err) throw err;
      const post = toPost(row as Record<string, string>);
      if (post) posts.push(post);
    }
    return posts;
  }

  return {
    upsert,
    get,
    getMany,

    /** A post for a blog without a feed. Same rules as feed posts (plain text, de-duplicated). */
    async addManual(
      input: { title: string; url: string; date?: Date; summary?: string },
      now: Date,
    ): Promise<Post> {
      const item: ParsedItem = {
        url: input.url,
        title: plainTitle(input.title, 'text') ?? input.url,
        summary: plainSummary(input.summary, 'text'),
        ...(input.date ? { publishedAt: input.date } : {}),
      };
      const { id } = await upsert(item, MANUAL_FEED, now);
      const post = await get(id);
      if (!post) throw new Error(`post ${id} vanished right after it was stored`);
      return post;
    },

    /** Newest published first. */
    async list(opts: {
      limit: number;
      offset?: number;
    }): Promise<{ posts: Post[]; total: number }> {
      const offset = Math.max(0, opts.offset ?? 0);
      const limit = Math.max(1, Math.min(opts.limit, 1000));
      const [ids, total] = await Promise.all([
        redis.zrevrange(keys.postsByPublished, offset, offset + limit - 1),
        redis.zcard(keys.postsByPublished),
      ]);
      return { posts: await getMany(ids), total };
    },

    /** Posts with start <= publishedAt < end, newest first. */
    async listPublishedBetween(startMs: number, endMs: number): Promise<Post[]> {
      if (endMs <= startMs) return [];
      const ids = await redis.zrevrangebyscore(
        keys.postsByPublished,
        `(${endMs}`,
        startMs,
        'LIMIT',
        0,
        WINDOW_READ_LIMIT,
      );
      return getMany(ids);
    },

    /** The latest arrival seq given out (0 before any post): what an edition build freezes. */
    async currentSeq(): Promise<number> {
      return Number((await redis.get(keys.postSeq)) ?? 0);
    },

    /**
     * The arrival seq of the latest post first seen at or before `ms` (0 if none, or if it was
     * stored by an earlier version): every post arrived after `ms` has a greater seq.
     */
    async seqAt(ms: number): Promise<number> {
      const [id] = await redis.zrevrangebyscore(keys.postsBySeen, ms, '-inf', 'LIMIT', 0, 1);
      if (!id) return 0;
      return Number((await redis.hget(keys.post(id), 'seq')) ?? 0);
    },

    /**
     * Posts with afterSeq < seq <= toSeq, latest arrivals first, at most `limit` (README
     * guarantee 8): a subscriber's post set for an edition is drawn from these.
     */
    async listArrivedBetween(afterSeq: number, toSeq: number, limit: number): Promise<Post[]> {
      if (toSeq <= afterSeq) return [];
      const ids = await redis.zrevrangebyscore(
        keys.postsBySeq,
        toSeq,
        `(${afterSeq}`,
        'LIMIT',
        0,
        Math.max(1, Math.min(limit, WINDOW_READ_LIMIT)),
      );
      return getMany(ids);
    },
  };
}

export type PostStore = ReturnType<typeof createPostStore>;

/** Why a post's publishedAt is its firstSeenAt, if it is; an admin's post without a date is dated now on purpose. */
function dateIssue(item: ParsedItem, feed: string): Post['dateIssue'] {
  if (item.publishedAt || feed === MANUAL_FEED) return undefined;
  return item.unreadableDate ? 'unreadable' : 'missing';
}

function parseCategories(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : undefined;
  } catch {
    return undefined;
  }
}

function toPost(h: Record<string, string> | null | undefined): Post | undefined {
  if (!h?.id || !h.url) return undefined;
  return {
    id: h.id,
    feed: h.feed ?? '',
    guid: h.guid || undefined,
    url: h.url,
    title: h.title ?? '',
    author: h.author || undefined,
    publishedAt: h.publishedAt ?? h.firstSeenAt ?? '',
    summary: h.summary ?? '',
    imageUrl: h.imageUrl || undefined,
    ...(h.imageUrl && parseImageSize(h.imageSize)
      ? { imageSize: parseImageSize(h.imageSize) }
      : {}),
    firstSeenAt: h.firstSeenAt ?? '',
    ...(h.blog ? { blog: h.blog } : {}),
    ...(h.categories ? { categories: parseCategories(h.categories) ?? [] } : {}),
    ...(h.dateIssue === 'missing' || h.dateIssue === 'unreadable'
      ? { dateIssue: h.dateIssue }
      : {}),
    ...(h.unreadableDate ? { unreadableDate: h.unreadableDate } : {}),
    ...(h.seq ? { seq: Number(h.seq) } : {}),
    ...(h.digest ? { digest: h.digest } : {}),
  };
}
